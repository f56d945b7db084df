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

import dataclasses
import re
from collections.abc import Sequence

import z3

from leasecheck.checker.allsizes.effort import Effort, OutOfTime, effort_of
from leasecheck.checker.allsizes.epr import require_epr
from leasecheck.checker.allsizes.fo import (
    BoolConst,
    Case,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    FoValue,
    Iff,
    Kind,
    Not,
    Quant,
    Rel,
    RelRef,
    Same,
    Var,
    first_order_system,
    neg,
    well_formed,
)
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import Vocabulary
from leasecheck.checker.explicit.compile import compile_successors
from leasecheck.model.dhcp import Config, dhcp_system

State = tuple[int, ...]

#: The two networks whose variables give the state's shape to the two traces compared.
TEMPLATES = ((1, 1), (2, 3))


# ---------------------------------------------------------------------------------------------
# Two templates, one model


class _Canon:
    """A command written out with its variables numbered in the order they are met."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.by_name: dict[str, str] = {}

    def var(self, v: Var) -> str:
        if id(v) not in self.names:
            self.names[id(v)] = f"{v.sort}#{len(self.names)}"
            self.by_name[v.name] = self.names[id(v)]
        return self.names[id(v)]

    def term(self, t: object) -> object:
        if isinstance(t, Var):
            return self.var(t)
        if isinstance(t, FieldFn | RelRef):
            return (type(t).__name__, t.group, t.name, self.term(t.index), t.post, t.sort)
        if t is None:
            return None
        raise TypeError(t)

    def formula(self, f: object) -> object:
        if isinstance(f, BoolConst):
            return f.value
        if isinstance(f, Kind):
            return ("kind", f.group, self.term(f.index), f.key, f.post)
        if isinstance(f, Rel):
            return ("rel", f.group, f.name, self.term(f.index), self.term(f.value), f.post)
        if isinstance(f, Same):
            return ("same", f.group, self.term(f.index))
        if isinstance(f, EqT):
            return ("=", self.term(f.left), self.term(f.right))
        if isinstance(f, Not):
            return ("not", self.formula(f.arg))
        if isinstance(f, Iff):
            return ("iff", self.formula(f.left), self.formula(f.right))
        if isinstance(f, Quant):
            return (f.kind, tuple(self.var(v) for v in f.vars), self.formula(f.body))
        if hasattr(f, "args"):
            return (type(f).__name__, tuple(self.formula(a) for a in f.args))  # type: ignore[attr-defined]
        raise TypeError(f)

    def value(self, v: FoValue) -> object:
        return tuple(self.case(c) for c in v.cases)

    def case(self, c: Case) -> object:
        return (tuple(self.var(b) for b in c.bound), self.formula(c.cond), c.pattern.key,
                tuple((n, self.term(t)) for n, t in c.pattern.fields))

    def label(self, text: str) -> str:
        return re.sub(r"[A-Za-z_]\w*", lambda m: self.by_name.get(m.group(0), m.group(0)), text)


def canonical(fs: FoSystem) -> list[object]:
    """The traced model as plain data, the same for two traces exactly when they differ only in
    the names of variables."""
    out: list[object] = [tuple((g.name, g.index, g.keys, g.fields, g.carries, g.initial) for g in fs.groups.values())]
    for cmd in fs.commands:
        k = _Canon()
        body = (cmd.action, tuple(k.var(p) for p in cmd.params), tuple(k.var(b) for b in cmd.bound),
                k.formula(cmd.guard),
                tuple((u.group, k.term(u.index), u.every, k.value(u.value)) for u in cmd.updates), cmd.fair)
        out.append((body, k.label(cmd.label)))
    for ob in fs.obligations:
        out.append(("obligation", ob.where, _Canon().formula(ob.formula)))
    return out


def template_disagreement(cfg: Config, unbounded: bool = False) -> str | None:
    """Where the model traced with the shapes of the :data:`TEMPLATES` networks differs, or None."""
    first, second = (canonical(first_order_system(cfg, unbounded, t)) for t in TEMPLATES)
    if len(first) != len(second):
        return (f"the model traced with the state's shape of {TEMPLATES[0][0]}x{TEMPLATES[0][1]} has "
                f"{len(first) - 1} commands and obligations, with that of {TEMPLATES[1][0]}x{TEMPLATES[1][1]} {len(second) - 1}")
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


def relation_disagreement(net: Config, states: Sequence[State]) -> str | None:
    """The first state of ``states`` (of the network ``net``) from which the first-order commands
    and the explicit engine's successor function allow different steps, said in words; or None."""
    system = dhcp_system(net)
    reading = FiniteReading(first_order_system(net), net.clients, net.addresses, system)
    successors = compile_successors(system)
    for state in states:
        theirs = {(system.commands[k].action, system.commands[k].params, after) for k, after in successors(state)}
        mine = reading.successors(state)
        if mine != theirs:
            extra = sorted(mine - theirs)[:1]
            missing = sorted(theirs - mine)[:1]
            step = (f"only the first-order model takes {extra[0][0]}{extra[0][1]}" if extra
                    else f"only the model takes {missing[0][0]}{missing[0][1]}")
            return f"in the network of {net.describe()}, from {system.decode(state)}, {step}"
    return None


def relation_disagreement_in(cfg: Config, clients: int, addresses: int, states: Sequence[State]) -> str | None:
    """:func:`relation_disagreement` in a network of ``cfg``'s variant and budgets."""
    return relation_disagreement(dataclasses.replace(cfg, clients=clients, addresses=addresses), states)


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

