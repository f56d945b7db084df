"""Replaying traces through the reference interpreter, and confirming what they witness.

:func:`replay` checks that every step of a trace is a transition of the model (the step's action
instance, applied with :mod:`leasecheck.model.interp`, yields the step's state) and, for a lasso, that the
loop closes and is fair. :func:`confirm` also checks that the trace shows what its verdict
claims (the invariant broken in the last state, the loop avoiding the goal, ...). Engines call
:func:`confirm` on every trace before they report it.
"""

from __future__ import annotations

from collections.abc import Sequence

from leasecheck.checker.results import Trace
from leasecheck.errors import InternalError, UserError
from leasecheck.model import interp
from leasecheck.model.lang import Expr, System
from leasecheck.properties.spec import (
    AfterAction,
    Invariant,
    Property,
    Reachable,
    Recoverable,
    Recovery,
    StuckReachable,
    Verdict,
)

#: how many states :func:`confirm` may visit to re-check that a state cannot reach a goal
CONFIRM_SEARCH_LIMIT = 200_000


class ReplayError(UserError):
    """A trace that is not a behaviour of the model; ``step`` is the first offending step."""

    def __init__(self, step: int, message: str):
        super().__init__(f"step {step}: {message}")
        self.step = step


class UnconfirmedTrace(InternalError):
    """An engine produced a trace that does not show what its verdict claims: a bug."""


def successor_by(system: System, state: Sequence[int], action: str, params: Sequence[int], label: str | None = None) -> list[tuple[int, ...]]:
    """The successors of ``state`` by one action instance (optionally one labelled branch)."""
    out = []
    for cmd in system.commands:
        if cmd.action == action and cmd.params == tuple(params) and (label is None or cmd.label == label):
            nxt = interp.apply(cmd, state)
            if nxt is not None:
                out.append(nxt)
    return out


def replay(system: System, trace: Trace) -> None:
    """Raise :class:`ReplayError` unless the trace is a behaviour of ``system``."""
    if not trace.steps:
        raise ReplayError(0, "the trace has no states")
    first = trace.steps[0]
    if first.action is not None:
        raise ReplayError(0, "the first step must be the initial state, with no action")
    if tuple(first.state) != system.initial:
        raise ReplayError(0, "the first state is not the model's initial state")
    for n in range(1, len(trace.steps)):
        prev, step = trace.steps[n - 1], trace.steps[n]
        if step.action is None:
            raise ReplayError(n, "only the first step may lack an action")
        try:
            system.instance_of(step.action, step.params)
        except Exception:
            raise ReplayError(n, f"the model has no action {step.instance}") from None
        options = successor_by(system, prev.state, step.action, step.params)
        if not options:
            raise ReplayError(n, f"{step.instance} is not enabled in the state before it")
        if tuple(step.state) not in options:
            raise ReplayError(n, f"{step.instance} does not lead to the state given")
    if trace.loop_start is not None:
        _check_loop(system, trace)


def _check_loop(system: System, trace: Trace) -> None:
    start = trace.loop_start
    assert start is not None
    last = len(trace.steps) - 1
    if not 0 <= start < last:
        raise ReplayError(last, f"loop_start {start} must name a step before the last")
    if tuple(trace.steps[last].state) != tuple(trace.steps[start].state):
        raise ReplayError(last, f"the loop does not close: the last state differs from the state of step {start}")
    taken = {system.instance_of(s.action, s.params).index for s in trace.steps[start + 1:] if s.action}
    loop_states = [s.state for s in trace.steps[start:last]]
    enabled_somewhere_off = set()
    for st in loop_states:
        enabled = interp.enabled_instances(system, st)
        enabled_somewhere_off |= {i.index for i in system.instances if i.index not in enabled}
    for inst in system.instances:
        if inst.fair and inst.index not in taken and inst.index not in enabled_somewhere_off:
            raise ReplayError(last, f"the loop is not fair: {inst} is enabled throughout it and never taken")


def _reaches(system: System, state: tuple[int, ...], goal: Expr, skip_actions: tuple[str, ...] = ()) -> bool | None:
    """Whether some run from ``state`` reaches ``goal``; None when the search limit was hit."""
    seen = {state}
    stack = [state]
    while stack:
        s = stack.pop()
        if interp.holds(goal, s):
            return True
        for k, t in interp.successors(system, s):
            if system.commands[k].action in skip_actions or t in seen:
                continue
            if len(seen) >= CONFIRM_SEARCH_LIMIT:
                return None
            seen.add(t)
            stack.append(t)
    return False


def confirm(system: System, prop: Property, verdict: Verdict, trace: Trace) -> None:
    """Replay ``trace`` and check it witnesses ``verdict`` for ``prop``; raise if not."""
    try:
        replay(system, trace)
    except ReplayError as exc:
        raise UnconfirmedTrace(f"{prop.name}: the engine's trace does not replay: {exc}") from exc
    last = trace.steps[-1].state

    def fail(why: str) -> None:
        raise UnconfirmedTrace(f"{prop.name}: the engine's trace {why}")

    if isinstance(prop, Invariant):
        if verdict is not Verdict.VIOLATED or interp.holds(prop.good, last):
            fail("does not end in a state that breaks the invariant")
    elif isinstance(prop, Reachable):
        if verdict is not Verdict.HOLDS or not interp.holds(prop.target, last):
            fail("does not end in a target state")
    elif isinstance(prop, Recovery | AfterAction):
        if verdict is not Verdict.VIOLATED:
            fail("comes with a verdict other than violated")
        first_bad = trace.loop_start if trace.loop_start is not None else len(trace.steps) - 1
        if isinstance(prop, AfterAction):
            after = [n for n, s in enumerate(trace.steps) if s.action == prop.action and s.params == prop.params
                     and n > 0 and interp.holds(prop.pre, trace.steps[n - 1].state)]
            if not after:
                fail(f"never takes {prop.action} from a state where the precondition holds")
            first_bad = after[0]
        if any(interp.holds(prop.goal, s.state) for s in trace.steps[first_bad:]):
            fail("reaches the goal after the point where it claims it never does")
        if trace.loop_start is None and interp.successors(system, last):
            fail("is neither a lasso nor ends in a deadlock")
    elif isinstance(prop, Recoverable | StuckReachable):
        if isinstance(prop, StuckReachable) and not interp.holds(prop.target, last):
            fail("does not end in a target state")
        skip = prop.excluding if isinstance(prop, StuckReachable) else ()
        if _reaches(system, tuple(last), prop.goal, skip) is True:
            fail("ends in a state from which the goal is still reachable")
