"""Compiles a traced system into fast Python: generated source for successors and predicates.

The guarded commands are arranged into a decision tree on the tests ``variable == constant``
that their guards share (``st[0] == BOUND``, ``to_srv[1] == DISCOVER``, ...), so a state only
evaluates the guards of the commands that can still apply. The generated code is checked
against the tree-walking interpreter of :mod:`leasecheck.model.interp` by the tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leasecheck.model.lang import (
    BOOL,
    And,
    Const,
    Eq,
    Expr,
    GuardedCommand,
    Ite,
    Map,
    Not,
    Or,
    Read,
    System,
    conjuncts,
)

Successors = Callable[[tuple[int, ...]], list[tuple[int, tuple[int, ...]]]]
Predicate = Callable[[tuple[int, ...]], bool]


class ExprPrinter:
    """Expressions of the modelling language printed as source over the fields ``v0``, ``v1``,
    ... and the constant tables they use (named ``T0``, ``T1``, ...); Python's syntax here, a
    subclass gives another language's (:mod:`.codegen`, C)."""

    NOT, AND, OR = "not ", " and ", " or "

    def __init__(self) -> None:
        self.tables: dict[tuple[int, ...], str] = {}

    def table(self, t: tuple[int, ...]) -> str:
        if t not in self.tables:
            self.tables[t] = f"T{len(self.tables)}"
        return self.tables[t]

    def ite(self, cond: str, then: str, orelse: str) -> str:
        return f"({then} if {cond} else {orelse})"

    def expr(self, e: Expr) -> str:
        if isinstance(e, Const):
            return str(e.index)
        if isinstance(e, Read):
            return f"v{e.var}"
        if isinstance(e, Map):
            return f"{self.table(e.table)}[{self.expr(e.arg)}]"
        if isinstance(e, Eq):
            return f"({self.expr(e.left)} == {self.expr(e.right)})"
        if isinstance(e, Not):
            return f"({self.NOT}{self.expr(e.arg)})"
        if isinstance(e, And):
            return "(" + self.AND.join(self.expr(a) for a in e.args) + ")"
        if isinstance(e, Or):
            return "(" + self.OR.join(self.expr(a) for a in e.args) + ")"
        if isinstance(e, Ite):
            return self.ite(self.expr(e.cond), self.expr(e.then), self.expr(e.orelse))
        raise TypeError(f"unknown expression node {type(e).__name__}")


class _Emitter(ExprPrinter):
    def namespace(self) -> dict[str, object]:
        return {name: table for table, name in self.tables.items()}

    def value(self, e: Expr) -> str:
        code = self.expr(e)
        return f"int({code})" if e.domain is BOOL and not isinstance(e, Const) else code


def _test(e: Expr) -> tuple[int, int] | None:
    """(variable, constant) when ``e`` is ``variable == constant``."""
    if isinstance(e, Eq) and isinstance(e.left, Read) and isinstance(e.right, Const):
        return e.left.var, e.right.index
    return None


@dataclass
class _Item:
    tests: list[Expr]
    cmd: GuardedCommand


def _emit_tree(items: list[_Item], depth: int, leaf: Callable[[GuardedCommand], str], em: _Emitter, out: list[str]) -> None:
    pad = "    " * depth
    counts: Counter[int] = Counter()
    for it in items:
        vars_here = {t[0] for t in map(_test, it.tests) if t is not None}
        counts.update(vars_here)
    best = counts.most_common(1)
    if not best or best[0][1] < 2 or depth > 40:
        for it in items:
            cond = " and ".join(em.expr(t) for t in it.tests)
            if cond:
                out.append(f"{pad}if {cond}:")
                out.append(f"{pad}    {leaf(it.cmd)}")
            else:
                out.append(f"{pad}{leaf(it.cmd)}")
        return
    var = best[0][0]
    groups: dict[int, list[_Item]] = {}
    rest: list[_Item] = []
    for it in items:
        for i, t in enumerate(it.tests):
            tv = _test(t)
            if tv is not None and tv[0] == var:
                groups.setdefault(tv[1], []).append(_Item(it.tests[:i] + it.tests[i + 1:], it.cmd))
                break
        else:
            rest.append(it)
    for n, (const, group) in enumerate(groups.items()):
        out.append(f"{pad}{'if' if n == 0 else 'elif'} v{var} == {const}:")
        _emit_tree(group, depth + 1, leaf, em, out)
    _emit_tree(rest, depth, leaf, em, out)


def _unpack(n: int) -> str:
    return ", ".join(f"v{i}" for i in range(n)) + ("," if n == 1 else "")


def successor_source(system: System, commands: Sequence[GuardedCommand] | None = None) -> tuple[str, dict[str, object]]:
    """Python source of ``successors(state)`` and the tables it needs."""
    cmds = system.commands if commands is None else commands
    n = len(system.variables)
    em = _Emitter()

    def leaf(cmd: GuardedCommand) -> str:
        new = [f"v{i}" for i in range(n)]
        for var, e in cmd.updates:
            new[var] = em.value(e)
        return f"out.append(({cmd.index}, ({', '.join(new)}{',' if n == 1 else ''})))"

    lines = ["def successors(state):", f"    {_unpack(n)} = state", "    out = []"]
    _emit_tree([_Item(list(conjuncts(c.guard)), c) for c in cmds], 1, leaf, em, lines)
    lines.append("    return out")
    return "\n".join(lines) + "\n", em.namespace()


def compile_successors(system: System) -> Successors:
    """``successors(state) -> [(command index, next state)]``, one per enabled command, in the
    decision tree's order (the explorer sorts them into command order)."""
    source, namespace = successor_source(system)
    exec(compile(source, f"<successors of {system.name}>", "exec"), namespace)  # noqa: S102
    return namespace["successors"]  # type: ignore[return-value]


def compile_predicate(system: System, e: Expr) -> Predicate:
    """A state predicate as a Python function of a state tuple."""
    em = _Emitter()
    body = em.expr(e)
    n = len(system.variables)
    source = f"def pred(state):\n    {_unpack(n)} = state\n    return bool({body})\n"
    namespace = em.namespace()
    exec(compile(source, "<predicate>", "exec"), namespace)  # noqa: S102
    return namespace["pred"]  # type: ignore[return-value]
