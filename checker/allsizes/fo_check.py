"""What ``prove`` checks of the first-order model besides the proof: safety nets, not the argument.

The first-order model is the model by construction (:mod:`.fo`: an action body sees opaque
indexes, domains without values, a configuration without sizes). Three checks back that up,
and one closes the argument:

* :func:`template_disagreement`: the model traced with the state's shape taken from two
  networks of different sizes gives the same commands, up to the names of variables;
* :func:`relation_disagreement`: in a finite network larger than either template, the
  first-order commands allow, from each state of a sample, exactly the steps the explicit
  engine's generated successor function takes;
* :func:`undischarged`: each ``first()`` the commands rely on has at most one index to choose
  from in every state of the proved invariant (the obligations of :attr:`.fo.FoSystem.obligations`).
  Only this one is part of the argument: with it, the first-order steps from every reachable state
  are the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3

from leasecheck.checker.allsizes.effort import Effort, OutOfTime, effort_of
from leasecheck.checker.allsizes.epr import require_epr
from leasecheck.checker.allsizes.fo import (
    Formula,
    FoSystem,
    canonical,
    first_order_system,
    neg,
    well_formed,
)
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import Vocabulary
from leasecheck.model.compile import compile_successors
from leasecheck.properties.firstorder import FirstOrder

State = tuple[int, ...]

#: The two networks whose variables give the state's shape to the two traces compared (for a
#: model of one sort, the first size of each).
TEMPLATES = ((1, 1), (2, 3))


def templates(side: FirstOrder) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The :data:`TEMPLATES` networks of a model with ``side``'s sorts (one of each, and more of each)."""
    k = len(side.sorts)
    if k > len(TEMPLATES[0]):
        raise ValueError(f"no template networks for {k} sorts")
    return TEMPLATES[0][:k], TEMPLATES[1][:k]


# ---------------------------------------------------------------------------------------------
# Two templates, one model


def template_disagreement(side: FirstOrder, cfg: Any, unbounded: bool = False) -> str | None:
    """Where the model traced with the shapes of the :data:`TEMPLATES` networks differs, or None."""
    shapes = templates(side)
    first, second = (canonical(first_order_system(side, cfg, unbounded, t)) for t in shapes)
    small, large = ("x".join(map(str, t)) for t in shapes)
    if len(first) != len(second):
        return (f"the model traced with the state's shape of {small} has "
                f"{len(first) - 1} commands and obligations, with that of {large} {len(second) - 1}")
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        if a != b:
            what = "the state's shape" if i == 0 else f"command {i - 1}"
            return f"the model traced with the state's shape of two networks differs in {what}"
    return None


# ---------------------------------------------------------------------------------------------
# The first-order relation and the explicit engine's edges


def sample_of(states: Sequence[Sequence[int]], size: int) -> list[State]:
    """About ``size`` states at a fixed stride, and the last ones (the deepest of a breadth-first order)."""
    n = len(states)
    if n <= size:
        return [tuple(s) for s in states]
    stride = max(1, n // size)
    chosen = sorted({*range(0, n, stride), *range(max(0, n - size // 4), n)})
    return [tuple(states[i]) for i in chosen]


def relation_disagreement(side: FirstOrder, net: Any, sizes: Sequence[int], states: Sequence[State]) -> str | None:
    """The first state of ``states`` (of the network ``net``, of ``sizes`` ids of each sort) from
    which the first-order commands and the explicit engine's successor function allow different
    steps, said in words; or None."""
    system = side.system(net)
    reading = FiniteReading(first_order_system(side, net), *sizes, system=system)
    successors = compile_successors(system)
    for state in states:
        theirs = {(system.commands[k].action, system.commands[k].params, after) for k, after in successors(state)}
        mine = reading.successors(state)
        if mine != theirs:
            extra = sorted(mine - theirs)[:1]
            missing = sorted(theirs - mine)[:1]
            step = (f"only the first-order model takes {extra[0][0]}{extra[0][1]}" if extra
                    else f"only the model takes {missing[0][0]}{missing[0][1]}")
            return f"in the network {system.name}, from {system.decode(state)}, {step}"
    return None


def relation_disagreement_in(side: FirstOrder, cfg: Any, sizes: Sequence[int], states: Sequence[State]) -> str | None:
    """:func:`relation_disagreement` in the network of ``sizes`` of ``cfg`` (DHCP: its variant and budgets)."""
    return relation_disagreement(side, side.sized(cfg, sizes), sizes, states)


# ---------------------------------------------------------------------------------------------
# The obligations of first()


def undischarged(fs: FoSystem, invariant: Formula, deadline: Effort | float | None = None) -> str | None:
    """The first obligation of ``fs`` that a state of ``invariant`` (well formed) may break, said in
    words; None when every one is shown. A fresh solver answers each, with the work of the effort
    (or its deadline) given (:mod:`.effort`)."""
    effort = effort_of(deadline)
    vocab = Vocabulary(fs, z3.Context())
    for ob in fs.obligations:
        parts: list[tuple[str, Formula]] = [("the well-formed state", well_formed(fs)), ("the invariant", invariant),
                                            (f"the negated obligation of {ob.where}", neg(ob.formula))]
        require_epr(fs, parts)
        s = effort.solver(vocab.ctx)
        for _, f in parts:
            s.add(vocab.formula(f))
        try:
            r = effort.check(s, f"the obligation of first() at {ob.where}")
        except OutOfTime as e:
            return f"first() at {ob.where} is not shown to have at most one index to choose from: {e}"
        if r != z3.unsat:
            why = ("a state of the invariant has two" if r == z3.sat
                   else f"the solver gave up at its limit of work ({s.reason_unknown()})")
            return f"first() at {ob.where} is not shown to have at most one index to choose from: {why}"
    return None


def obligations_text(fs: FoSystem) -> list[str]:
    """Each obligation's line, once."""
    return sorted({ob.where for ob in fs.obligations})

