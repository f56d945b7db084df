"""What a model supplies for proofs for every size: its first-order side.

The all-sizes prover (:mod:`leasecheck.checker.allsizes`) traces a model's action bodies a
second time, on a symbolic view where an index is a variable of a sort and a quantifier stays a
quantifier, and proves properties of that reading for every number of ids of each sort. A
:class:`FirstOrder` is what it needs of the model to do so, as data and the model's own
functions; a :class:`~leasecheck.properties.model.ModelFamily` carries it (``first_order``), and
the certificate kernel finds it through the family a certificate names:

* ``sorts``: the sorts of ids, in order (a number a value carries is a function from an earlier
  sort to a later one, a relation the other way: the queries stay decidable);
* ``actions``: the builder of the state variables and the untraced actions of one configuration
  (traced symbolically: it is called with a sealed configuration and the variables as an action
  body sees them), ``system``: the traced system of one finite network, ``sized``: the
  configuration of the network with so many ids of each sort;
* the sort tables: the sort that indexes each array (``index_sorts``) and the arrays whose values
  are bare ids (``bare_number_sorts``); the ids a value carries inside it (a message's address)
  the model's values declare themselves (:func:`leasecheck.model.lang.names_sort`);
* ``visible``: what an action body may read of its configuration in a first-order trace (not the
  sizes, nor the budgets), and ``recorded``: the fields a certificate records, which ``config_of``
  turns back into a configuration (raising a :class:`~leasecheck.errors.UserError` or a
  ``TypeError`` for what it does not define); ``describe``: that configuration in a certificate's
  first line;
* ``invariants``: the properties proved by an inductive invariant, each a universally
  quantified condition written with the model's own predicates, and its statement in words;
  ``recovery``: the property proved by a ranking of one arbitrary id's helpful actions, if the
  model offers one, with what that id sees of a state (the views a level is made of), the table
  of resources it reads, and whether a ghost map is needed (all the prover knows of the model's
  vocabulary: the prover names no array of its own).

The condition of a property is the model's code: it receives the view and one variable per
bound name, and combines the model's predicates with ``&``, ``|``, ``~`` and ``==``.

May import: leasecheck.errors, leasecheck.model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leasecheck.model.lang import Action, System, Variable


@dataclass(frozen=True)
class FirstOrderInvariant:
    """``forall bound. condition``: ``bound`` names each variable and its sort, in order;
    ``condition(view, *variables)`` is the model's predicate over them; ``statement`` says it in words."""

    name: str
    statement: str
    bound: tuple[tuple[str, str], ...]
    condition: Callable[..., object]


@dataclass(frozen=True)
class FirstOrderTable:
    """A table of resources that participants hold: the array ``array`` (indexed by the resource
    sort), whose entry is ``free`` (the value that names no one) or one of ``held`` (each with its
    word; the number a value carries does not matter, only its constructor), a value that names
    its holder in the field ``holder`` (DHCP: the lease table ``db``, FREE, OFFERED(c) and
    BOUND(c), the field ``client``)."""

    array: str
    holder: str
    free: Any
    held: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class FirstOrderView:
    """What the participant of a recovery proof sees of a state, for a ranking of its helpful
    actions: each array of ``own`` (indexed by its sort) by its constructor; for each ``carriers``
    entry (an array of its own and the field that holds a resource, "" for a bare id) the entry of
    the :class:`FirstOrderTable` at that resource; for each pair of ``compared`` carriers, whether
    they carry the same resource; and whether some entry of the table names the participant. Every
    scalar is part of the view as well. ``local``: arrays of ``own`` whose constructors together
    make the premise of a wider learned clause ("if the id's state and messages are these, then
    ..."; DHCP: st, to_srv, to_cli), none by default."""

    own: tuple[str, ...]
    carriers: tuple[tuple[str, str], ...] = ()
    compared: tuple[tuple[str, str], ...] = ()
    local: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirstOrderRecovery:
    """Recovery of one arbitrary id ``participant`` (its name and sort) under weak fairness: in
    every fair run ``goal(view, participant)`` holds infinitely often. ``condition``: the sizes
    for which the proof speaks (``"A >= C"``; "" for every size), ``statement``: the property in
    words, ``goal_name``: the goal in a formula's words (``"holds(c0)"``).

    ``view``: what a level of the ranking is made of (see :class:`FirstOrderView`); ``table``: the
    resources the view reads entries of. ``ghost``: for a ``condition`` that there are at least as
    many resources as participants, the statements of the ghost map's two lemmas (a map from
    participants to resources, injective, whose resource is free or the participant's own: the
    first-order form of "a participant without an entry finds a free one"); empty: no ghost."""

    name: str
    statement: str
    participant: tuple[str, str]
    goal: Callable[[Any, Any], object]
    condition: str = ""
    goal_name: str = "the goal"
    view: FirstOrderView = FirstOrderView(())
    table: FirstOrderTable | None = None
    ghost: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirstOrder:
    """A model's first-order side (see the module)."""

    sorts: tuple[str, ...]
    actions: Callable[..., tuple[Sequence[Variable], Sequence[Action]]]
    system: Callable[[Any], System]
    sized: Callable[[Any, Sequence[int]], Any]
    index_sorts: Mapping[str, str]
    bare_number_sorts: Mapping[str, str]
    visible: tuple[str, ...]
    recorded: tuple[str, ...]
    config_of: Callable[[Mapping[str, Any]], Any]
    describe: Callable[[Any, bool], str]
    #: the sizes a proof speaks of, in words: "every number of clients and addresses"
    sizes: str
    invariants: tuple[FirstOrderInvariant, ...] = ()
    recovery: FirstOrderRecovery | None = None
    #: the scalars that are budgets (allowances that only the step spending one decrements): the
    #: reading for every budget makes each of them unbounded, and a ranking for every budget lets
    #: the steps that write one lead up; a scalar not named here keeps its values
    budgets: tuple[str, ...] = ()

    def invariant(self, name: str) -> FirstOrderInvariant:
        for p in self.invariants:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def statements(self) -> dict[str, str]:
        """Each property's statement in words, by name (the recovery's too)."""
        out = {p.name: p.statement for p in self.invariants}
        if self.recovery is not None:
            out[self.recovery.name] = self.recovery.statement
        return out
