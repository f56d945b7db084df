"""Replaying traces through the reference interpreter, and confirming what they witness.

:func:`replay` checks that every step of a trace is a transition of the model (the step's action
instance, applied with :mod:`leasecheck.model.interp`, yields the step's state) and, for a lasso, that the
loop closes and is fair. :func:`mismatch` says why a trace does not show a verdict for a property
(the invariant not broken in the last state, the loop reaching the goal, ...), the one such check:
engines call :func:`confirm` (replay, then :func:`mismatch`) on every trace before they report it,
and :func:`check_claim` holds the claim a trace file records (property, client, verdict) to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leasecheck.checker.results import Trace
from leasecheck.errors import InternalError, UserError
from leasecheck.model import interp
from leasecheck.model.compile import compile_predicate, compile_successors
from leasecheck.model.lang import Expr, System
from leasecheck.properties.model import Model
from leasecheck.properties.spec import (
    AfterAction,
    Invariant,
    Property,
    PropertyError,
    Reachable,
    Recoverable,
    Recovery,
    StuckReachable,
    Verdict,
)

#: how many states :func:`confirm` may visit to re-check that a state cannot reach a goal
CONFIRM_SEARCH_LIMIT = 200_000
#: how many guarded commands :func:`check_claim` may apply in that search (states times the
#: model's commands), so that a trace file of a large configuration cannot hold replay for long
CLAIM_SEARCH_WORK = 5_000_000


class ReplayError(UserError):
    """A trace that is not a behaviour of the model; ``step`` is the first offending step."""

    def __init__(self, step: int, message: str):
        super().__init__(f"step {step}: {message}")
        self.step = step


class ClaimNotShown(UserError):
    """A trace file whose recorded claim (property, client, verdict) its states do not show."""


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


def _reaches(system: System, state: tuple[int, ...], goal: Expr, skip_actions: tuple[str, ...] = (),
             limit: int | None = None) -> bool | None:
    """Whether some run from ``state`` reaches ``goal``; None when the search visited ``limit``
    states (default :data:`CONFIRM_SEARCH_LIMIT`) without settling it.

    The search steps with the model's generated successors (:mod:`leasecheck.model.compile`, the
    interpreter's transitions, which the tests hold it to, about seventy times faster on large
    models), in the interpreter's order of commands; no engine's graph, symmetry or C code is
    involved."""
    limit = CONFIRM_SEARCH_LIMIT if limit is None else limit
    successors = compile_successors(system)
    reached = compile_predicate(system, goal)
    skipped = {cmd.index for cmd in system.commands if cmd.action in skip_actions}
    seen = {state}
    stack = [state]
    while stack:
        s = stack.pop()
        if reached(s):
            return True
        for k, t in sorted(successors(s)):
            if k in skipped or t in seen:
                continue
            if len(seen) >= limit:
                return None
            seen.add(t)
            stack.append(t)
    return False


@dataclass(frozen=True)
class Mismatch:
    """Why a trace does not show a verdict: ``reason`` in words; ``unconfirmed`` when only the bounded
    search of :data:`CONFIRM_SEARCH_LIMIT` states stopped it from showing it either way."""

    reason: str
    unconfirmed: bool = False


#: the verdict a trace can show for each property kind; a trace shows no other
_SHOWN: dict[type, Verdict] = {Invariant: Verdict.VIOLATED, Reachable: Verdict.HOLDS, Recovery: Verdict.VIOLATED,
                               Recoverable: Verdict.VIOLATED, AfterAction: Verdict.VIOLATED,
                               StuckReachable: Verdict.HOLDS}


def mismatch(system: System, prop: Property, verdict: Verdict, trace: Trace,
             search_limit: int | None = None) -> Mismatch | None:
    """Why ``trace`` (a behaviour of ``system``, already replayed) does not show ``verdict`` for
    ``prop``; None when it does.

    An invariant is violated by a trace whose last state breaks it; a reachability target (and a
    stuck state) holds when the last state is one; recovery is violated by a lasso whose loop
    never reaches the goal (its fairness is :func:`replay`'s) or by a run ending in a deadlock
    outside the goal; an after-action property is violated by such a run from a step by its
    action instance, taken where its precondition holds; recoverable is violated, and a stuck
    state shown, by a last state from which no run (none without the excluded actions) reaches
    the goal, which a search of at most ``search_limit`` states (default
    :data:`CONFIRM_SEARCH_LIMIT`) re-checks.
    """
    shown = _SHOWN[type(prop)]
    if verdict is not shown:
        return Mismatch(f"a trace can show only that {prop.name} is {shown}")
    steps = trace.steps
    last = steps[-1].state
    if isinstance(prop, Invariant) and interp.holds(prop.good, last):
        return Mismatch("its last state does not break the invariant")
    if isinstance(prop, Reachable | StuckReachable) and not interp.holds(prop.target, last):
        return Mismatch("its last state is not a target state")
    if isinstance(prop, Recovery | AfterAction):
        return _never_the_goal(system, prop, trace)
    if isinstance(prop, Recoverable | StuckReachable):
        skip = prop.excluding if isinstance(prop, StuckReachable) else ()
        limit = CONFIRM_SEARCH_LIMIT if search_limit is None else search_limit
        found = _reaches(system, tuple(last), prop.goal, skip, limit)
        without = f" without {', '.join(skip)}" if skip else ""
        if found is None:
            return Mismatch(f"whether {_goal(prop)} can be reached{without} from its last state was not settled "
                            f"within {limit:,} states", unconfirmed=True)
        if found:
            return Mismatch(f"{_goal(prop)} can still be reached{without} from its last state")
    return None


def _goal(prop: Recovery | AfterAction | Recoverable | StuckReachable) -> str:
    """The goal as the property's own wording names it (DHCP: holds(c) for client c)."""
    return prop.words.goal


def _never_the_goal(system: System, prop: Recovery | AfterAction, trace: Trace) -> Mismatch | None:
    """A fair run that never reaches the goal from the point the property speaks of: the loop of a
    lasso (for recovery) or the steps from the action on (after an action), or a deadlock."""
    steps = trace.steps
    end = len(steps) - 1
    loop = trace.loop_start
    if loop is None and interp.successors(system, steps[end].state):
        return Mismatch("it is neither a lasso nor ends in a deadlock")
    start = end if loop is None else loop
    if isinstance(prop, AfterAction):
        taken = [n for n in range(1, len(steps)) if steps[n].action == prop.action and steps[n].params == prop.params
                 and interp.holds(prop.pre, steps[n - 1].state)]
        if not taken:
            shown = f"{prop.action}({', '.join(map(str, prop.params))})"
            return Mismatch(f"it never takes {shown} from a state where the precondition holds")
        start = min(start, taken[-1])  # the last such step: every state from it on recurs or is final
    reached = [n for n in range(start, end + 1) if interp.holds(prop.goal, steps[n].state)]
    if reached:
        if loop is not None and reached[0] >= loop:
            where = "in the loop"
        else:
            where = "after the action" if isinstance(prop, AfterAction) else "the deadlock it ends in"
        return Mismatch(f"{_goal(prop)} is true at step {reached[0]}, {where}")
    return None


def confirm(system: System, prop: Property, verdict: Verdict, trace: Trace) -> None:
    """Replay ``trace`` and check it witnesses ``verdict`` for ``prop``; raise if not.

    An engine's trace whose only :class:`Mismatch` is the bounded search's limit passes: the engine
    decided over its whole graph, and the re-check could not say either way."""
    try:
        replay(system, trace)
    except ReplayError as exc:
        raise UnconfirmedTrace(f"{prop.name}: the engine's trace does not replay: {exc}") from exc
    why = mismatch(system, prop, verdict, trace)
    if why is not None and not why.unconfirmed:
        raise UnconfirmedTrace(f"{prop.name}: the engine's trace does not show that it is {verdict}: {why.reason}")


def check_claim(model: Model, name: str | None, client: int | None, verdict: str | None,
                trace: Trace) -> Property | None:
    """The property a trace's recorded claim names, after checking that ``trace`` (replayed) shows
    ``verdict`` for it; None for a trace that records no claim. :class:`ClaimNotShown` names the
    first mismatch: a claim in part, a property the configuration does not have, a client the
    property does not speak of, a verdict no trace shows, or states that do not show it (or that a
    search of at most :data:`CLAIM_SEARCH_WORK` command applications, and
    :data:`CONFIRM_SEARCH_LIMIT` states, could not confirm)."""
    if name is None and client is None and verdict is None:
        return None
    claim = f"{name}{'' if client is None else f', client {client}'}: {verdict}"

    def refuse(why: str) -> ClaimNotShown:
        return ClaimNotShown(f"recorded as {claim}, which the trace does not show: {why}")

    if name is None or verdict is None:
        raise refuse("a claim needs both a property and a verdict")
    try:
        props = model.select([name])
    except PropertyError as exc:
        raise refuse(f"the configuration has no such property ({exc})") from None
    chosen = [p for p in props if p.client == client]
    if not chosen:
        per = "is one per client, and the claim names none" if client is None else "is not one per client"
        raise refuse(f"{name} {per}")
    prop = chosen[0]
    try:
        shown = Verdict(verdict)
    except ValueError:
        raise refuse("not a verdict") from None
    system = model.system
    limit = min(CONFIRM_SEARCH_LIMIT, max(1, CLAIM_SEARCH_WORK // len(system.commands)))
    why = mismatch(system, prop, shown, trace, limit)
    if why is not None:
        reason = why.reason + ("; the claim could not be confirmed" if why.unconfirmed else "")
        raise refuse(reason)
    return prop
