"""A ghost map from clients to addresses: the first-order form of "A >= C leaves an address to offer".

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
is never silent for lack of addresses. Nothing here is a DHCP rule: the ghost reads the updates
the model's own actions make.
"""

from __future__ import annotations

import dataclasses

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
from leasecheck.model import values as V

GHOST = "ghost"
_KEY = ("index", "address")


def ghost_of(c: Term, post: bool = False) -> FieldFn:
    """``ghost(c)``: the address the ghost map gives client ``c``."""
    return FieldFn(GHOST, "", c, post, "address")


def with_ghost(fs: FoSystem) -> FoSystem:
    """``fs`` with the ghost map: one more function, an assumption on the initial state, and its
    update in every command that writes an entry naming a client."""
    if GHOST in fs.groups:
        return fs
    addr = fs.groups["addr"]
    group = Group(GHOST, "client", (_KEY,), (("", "address", "function"),), ((_KEY, ("",)),), _KEY, addr.domain)
    groups = {**fs.groups, GHOST: group}
    commands = tuple(_with_update(cmd, group) for cmd in fs.commands)
    return dataclasses.replace(fs, groups=groups, commands=commands, assumptions=(*fs.assumptions, injective()))


def _with_update(cmd: Command, group: Group) -> Command:
    x = fresh("client", "x")
    value = read(group, x)
    changed = False
    for u in cmd.updates:
        if u.group != "db" or u.index is None or u.every:
            continue
        a = u.index
        for case in reversed(u.value.cases):
            named = dict(case.pattern.fields).get("client")
            if not isinstance(named, Term) or case.bound:
                continue
            c = named
            swapped = fo_ite(EqT(x, c), lift(a), fo_ite(EqT(ghost_of(x), a), read(group, c), read(group, x)))
            value = fo_ite(case.cond, swapped, value)
            changed = True
    if not changed:
        return cmd
    return dataclasses.replace(cmd, updates=(*cmd.updates, Update(GHOST, x, value, every=True)))


def injective() -> Formula:
    x, y = Var("gx", "client"), Var("gy", "client")
    return quant("forall", (x, y), implies(EqT(ghost_of(x), ghost_of(y)), EqT(x, y)))


def free_or_own() -> Formula:
    """For every client d: db[ghost(d)] is FREE, or an entry naming d."""
    d = Var("gd", "client")
    cell = ghost_of(d)
    free = Kind("db", cell, key_of(V.FREE)[0], False)
    return quant("forall", (d,), disj(free, conj(neg(free), Rel("db", "client", cell, d, False))))


def ghost_lemmas() -> list[tuple[str, Formula]]:
    """The ghost's invariant, each part with its statement in words."""
    return [("the ghost map gives different clients different addresses", injective()),
            ("for every client d, db[ghost(d)] is FREE or an entry naming d", free_or_own())]
