"""A ghost map from participants to resources: the first-order form of "A >= C leaves an address to offer".

"There are at least as many addresses as clients, so a client with no lease-table entry finds a
free address" is a counting argument, which first-order logic cannot state. A ghost variable
states it instead: a function ``ghost`` from clients to addresses, injective in the initial state
(such a function exists exactly when A >= C), and updated by every step that writes a lease-table
entry naming a client ``c`` at an address ``a``: ``ghost(c)`` becomes ``a`` and the client that
``ghost`` sent to ``a`` (if any) takes ``c``'s old address. The update is a function of the step,
so it never blocks one: the runs of the system with the ghost are exactly the model's runs.

:func:`ghost_lemmas` are the two facts the ghost keeps, each a universal formula:

* ``ghost`` is injective;
* for every client ``d``, ``db[ghost(d)]`` is FREE or an entry naming ``d``.

Together they give: a client with no entry has a FREE address, ``ghost(c)``; so ``ServeDiscover(c)``
is never silent for lack of addresses. Nothing here is a DHCP rule, nor a DHCP name: the table
(``db``, the field naming its holder, the free value), the sorts and the lemmas' statements come
from the recovery of the model's first-order side
(:class:`~leasecheck.properties.firstorder.FirstOrderRecovery`: its ``table`` and ``ghost``), and
the ghost reads the updates the model's own actions make. DHCP's words above are its example.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from leasecheck.checker.allsizes.fo import (
    Command,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Group,
    Kind,
    Rel,
    Term,
    Update,
    Var,
    conj,
    disj,
    fo_ite,
    fresh,
    implies,
    key_of,
    lift,
    neg,
    quant,
    read,
)
from leasecheck.errors import InternalError
from leasecheck.properties.firstorder import FirstOrderTable

GHOST = "ghost"


@dataclass(frozen=True)
class _Ghost:
    """The ghost's vocabulary, read off the model's first-order side: the table, the participant's
    sort (``holder``) and the table's index sort (``resource``)."""

    table: FirstOrderTable
    holder: str
    resource: str

    @property
    def key(self) -> tuple[str, str]:
        return ("index", self.resource)


def _ghost(fs: FoSystem) -> _Ghost | None:
    """The ghost the model's recovery asks for, or None when it asks for none."""
    rec = fs.side.recovery
    if rec is None or not rec.ghost:
        return None
    if rec.table is None or rec.table.array not in fs.side.index_sorts:
        raise InternalError("the model's recovery asks for a ghost map but names no table of resources")
    if not rec.condition:
        # the ghost's initial assumption holds only with as many resources as participants: a
        # proof with it speaks of those networks alone, which the claim must say
        raise InternalError("the model's recovery asks for a ghost map but claims every size (no condition)")
    return _Ghost(rec.table, rec.participant[1], fs.side.index_sorts[rec.table.array])


def _need(fs: FoSystem) -> _Ghost:
    g = _ghost(fs)
    if g is None:
        raise InternalError("the model's recovery asks for no ghost map")
    return g


def with_ghost(fs: FoSystem) -> FoSystem:
    """``fs`` with the ghost map: one more function, an assumption on the initial state, and its
    update in every command that writes an entry naming a participant; ``fs`` itself when its
    recovery asks for no ghost."""
    g = _ghost(fs)
    if GHOST in fs.groups or g is None:
        return fs
    # the domain of an array of the participants' that holds bare resource ids (DHCP: addr); the
    # first-order reading never looks at it
    like = next((h for h in fs.groups.values()
                 if h.index == g.holder and fs.side.bare_number_sorts.get(h.name) == g.resource),
                fs.groups[g.table.array])
    group = Group(GHOST, g.holder, (g.key,), (("", g.resource, "function"),), ((g.key, ("",)),), g.key, like.domain)
    groups = {**fs.groups, GHOST: group}
    commands = tuple(_with_update(cmd, group, g) for cmd in fs.commands)
    return dataclasses.replace(fs, groups=groups, commands=commands, assumptions=(*fs.assumptions, _injective(g)))


def _with_update(cmd: Command, group: Group, g: _Ghost) -> Command:
    x = fresh(g.holder, "x")
    value = read(group, x)
    changed = False
    for u in cmd.updates:
        if u.group != g.table.array or u.index is None or u.every:
            continue
        a = u.index
        for case in reversed(u.value.cases):
            named = dict(case.pattern.fields).get(g.table.holder)
            if not isinstance(named, Term) or case.bound:
                continue
            c = named
            swapped = fo_ite(EqT(x, c), lift(a), fo_ite(EqT(_of(g, x), a), read(group, c), read(group, x)))
            value = fo_ite(case.cond, swapped, value)
            changed = True
    if not changed:
        return cmd
    return dataclasses.replace(cmd, updates=(*cmd.updates, Update(GHOST, x, value, every=True)))


def _of(g: _Ghost, c: Term) -> FieldFn:
    """``ghost(c)``: the resource the ghost map gives participant ``c`` (DHCP: an address, a client)."""
    return FieldFn(GHOST, "", c, False, g.resource)


def _injective(g: _Ghost) -> Formula:
    x, y = Var("gx", g.holder), Var("gy", g.holder)
    return quant("forall", (x, y), implies(EqT(_of(g, x), _of(g, y)), EqT(x, y)))




def injective(fs: FoSystem) -> Formula:
    """The ghost map gives different participants different resources."""
    return _injective(_need(fs))


def free_or_own(fs: FoSystem) -> Formula:
    """For every participant d: the table's entry at ghost(d) is free, or an entry naming d
    (DHCP: db[ghost(d)] is FREE or names d)."""
    g = _need(fs)
    d = Var("gd", g.holder)
    cell = _of(g, d)
    free = Kind(g.table.array, cell, key_of(g.table.free)[0], False)
    return quant("forall", (d,), disj(free, conj(neg(free), Rel(g.table.array, g.table.holder, cell, d, False))))


def ghost_lemmas(fs: FoSystem) -> list[tuple[str, Formula]]:
    """The ghost's invariant, each part with its statement in words (the model's)."""
    rec = fs.side.recovery
    assert rec is not None and len(rec.ghost) == 2, "the model's recovery states the ghost's two lemmas"
    return [(rec.ghost[0], injective(fs)), (rec.ghost[1], free_or_own(fs))]
