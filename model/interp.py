"""The reference meaning of a traced system: a direct, tree-walking evaluator.

This is the slow, obvious interpreter of the expression language. Engines that compile or
vectorise the model are checked against it, and every counterexample is replayed through it
before it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from leasecheck.model.lang import And, Const, Eq, Expr, GuardedCommand, Ite, Map, Not, Or, Read, System


def evaluate(e: Expr, state: Sequence[int]) -> int:
    """The value index of ``e`` in ``state`` (booleans as 0 or 1)."""
    if isinstance(e, Const):
        return e.index
    if isinstance(e, Read):
        return state[e.var]
    if isinstance(e, Map):
        return e.table[evaluate(e.arg, state)]
    if isinstance(e, Eq):
        return int(evaluate(e.left, state) == evaluate(e.right, state))
    if isinstance(e, Not):
        return 1 - evaluate(e.arg, state)
    if isinstance(e, And):
        return int(all(evaluate(a, state) for a in e.args))
    if isinstance(e, Or):
        return int(any(evaluate(a, state) for a in e.args))
    if isinstance(e, Ite):
        return evaluate(e.then if evaluate(e.cond, state) else e.orelse, state)
    raise TypeError(f"unknown expression node {type(e).__name__}")


def holds(e: Expr, state: Sequence[int]) -> bool:
    return bool(evaluate(e, state))


def apply(cmd: GuardedCommand, state: Sequence[int]) -> tuple[int, ...] | None:
    """The successor by ``cmd``, or None when its guard is false."""
    if not evaluate(cmd.guard, state):
        return None
    out = list(state)
    for var, e in cmd.updates:
        out[var] = evaluate(e, state)
    return tuple(out)


def successors(system: System, state: Sequence[int]) -> list[tuple[int, tuple[int, ...]]]:
    """All (command index, successor) pairs, in command order."""
    out = []
    for cmd in system.commands:
        nxt = apply(cmd, state)
        if nxt is not None:
            out.append((cmd.index, nxt))
    return out


def enabled_instances(system: System, state: Sequence[int]) -> set[int]:
    return {system.commands[k].instance for k, _ in successors(system, state)}
