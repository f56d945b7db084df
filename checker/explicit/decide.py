"""The explicit engine's verdict for each property kind, with its trace, its reason and its method.

Every trace is replayed through the reference interpreter (:mod:`leasecheck.checker.replay`) before it is
returned; a trace that does not replay is an internal error, never a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from leasecheck.checker.explicit.analysis import Escape, GraphAnalysis
from leasecheck.checker.replay import confirm
from leasecheck.checker.results import CheckResult, Method, Trace
from leasecheck.errors import InternalError
from leasecheck.model.lang import Expr
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


def _incomplete(an: GraphAnalysis) -> str:
    g = an.graph
    return f"exploration stopped ({g.stop_reason}) after {len(g.states)} states"


def _result(an: GraphAnalysis, prop: Property, verdict: Verdict, method: Method, reason: str,
            trace: Trace | None = None) -> CheckResult:
    if trace is not None:
        confirm(an.graph.system, prop, verdict, trace)
    return CheckResult(prop.name, prop.client, verdict, reason, trace, method=method)


def decide(an: GraphAnalysis, prop: Property) -> CheckResult:
    if isinstance(prop, Invariant):
        return _invariant(an, prop)
    if isinstance(prop, Reachable):
        return _reachable(an, prop)
    if isinstance(prop, Recovery):
        return _recovery(an, prop)
    if isinstance(prop, Recoverable):
        return _recoverable(an, prop)
    if isinstance(prop, AfterAction):
        return _after_action(an, prop)
    if isinstance(prop, StuckReachable):
        return _stuck_reachable(an, prop)
    raise TypeError(f"unknown property kind {type(prop).__name__}")


def _invariant(an: GraphAnalysis, prop: Invariant) -> CheckResult:
    good = an.mask(prop.good)
    i = good.find(0)  # the first state in BFS order that breaks it
    if i >= 0:
        trace = an.trace(an.graph.path_to(i))
        return _result(an, prop, Verdict.VIOLATED, Method.SHORTEST_PATH, f"a reachable state breaks it, {len(trace)} steps from the start", trace)
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, f"no violation among the states seen, but {_incomplete(an)}")
    return _result(an, prop, Verdict.HOLDS, Method.EXHAUSTIVE, f"true in all {len(good)} reachable states")


def _reachable(an: GraphAnalysis, prop: Reachable) -> CheckResult:
    target = an.mask(prop.target)
    i = target.find(1)
    if i >= 0:
        trace = an.trace(an.graph.path_to(i))
        return _result(an, prop, Verdict.HOLDS, Method.SHORTEST_PATH, f"reached in {len(trace)} steps (a shortest witness)", trace)
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, f"not reached yet, but {_incomplete(an)}")
    return _result(an, prop, Verdict.VIOLATED, Method.EXHAUSTIVE, f"no reachable state of {len(target)} is such a state")


def _recovery(an: GraphAnalysis, prop: Recovery) -> CheckResult:
    escape = an.fair_escape(prop.goal)
    if escape.found():
        # the fair component or deadlock closest to the initial state gives the shortest prefix
        best = escape.first()
        prefix = an.graph.path_to(best)
        if escape.is_deadlock(best):
            trace = an.trace(prefix)
            return _result(an, prop, Verdict.VIOLATED, Method.DEADLOCK, f"a run ends in a deadlock where {prop.words.not_held}", trace)
        trace = an.lasso_from(prefix, escape.component(best))
        loop = len(trace.steps) - 1 - (trace.loop_start or 0)
        return _result(
            an, prop, Verdict.VIOLATED, Method.FAIR_CYCLE,
            f"a fair run never again {prop.words.holds}: a {loop}-step loop after a {trace.loop_start}-step prefix",
            trace,
        )
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, f"no fair loop {prop.words.without} among the states seen, but {_incomplete(an)}")
    return _result(an, prop, Verdict.HOLDS, Method.EXHAUSTIVE, f"every fair cycle of the reachable graph passes a state where {prop.words.held}")


def _recoverable(an: GraphAnalysis, prop: Recoverable) -> CheckResult:
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, _incomplete(an))
    goal = an.mask(prop.goal)
    can = an.backward_marked(goal)
    i = can.find(0)
    if i >= 0:
        trace = an.trace(an.graph.path_to(i))
        return _result(
            an, prop, Verdict.VIOLATED, Method.BACKWARD,
            f"after these {len(trace)} steps no run can ever {prop.words.get} again",
            trace,
        )
    return _result(an, prop, Verdict.HOLDS, Method.BACKWARD, f"each of the {len(can)} reachable states has a path to {prop.words.thing}")


def _escape_set(an: GraphAnalysis, goal: Expr) -> bytearray:
    """States from which some fair run avoids the goal forever."""
    seeds = an.fair_escape(goal).marks()
    return an.backward_marked(seeds, allowed=negated(an.mask(goal)))


def _after_action(an: GraphAnalysis, prop: AfterAction) -> CheckResult:
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, _incomplete(an))
    g = an.graph
    escape = _escape_set(an, prop.goal)
    src, cmd, dst = action_edges(an, prop)
    checked = len(src)
    first = first_marked(escape, dst)
    if first >= 0:
        i, k, j = int(src[first]), int(cmd[first]), int(dst[first])
        prefix = g.path_to(i) + [(k, j)]
        fair = an.fair_escape(prop.goal)
        path = prefix + _path_into(an, j, fair.marks(), prop.goal)
        end = path[-1][1]
        if fair.is_deadlock(end):
            return _result(an, prop, Verdict.VIOLATED, Method.DEADLOCK, f"after the action, a run deadlocks {prop.words.without}", an.trace(path))
        trace = an.lasso_from(path, fair.component(end))
        return _result(
            an, prop, Verdict.VIOLATED, Method.FAIR_CYCLE,
            f"after {prop.action} at step {len(prefix) - 1}, a fair run never {prop.words.gets}",
            trace,
        )
    return _result(an, prop, Verdict.HOLDS, Method.BACKWARD, f"after each of the {checked} such {prop.action} transitions, every fair run {prop.words.gets}")


def action_edges(an: GraphAnalysis, prop: AfterAction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(states, commands, successors) of every transition by the property's action instance that
    leaves a state where its precondition holds, in state order."""
    inst = an.graph.system.instance_of(prop.action, prop.params).index
    return an.action_edges(inst, an.mask(prop.pre))


def action_transitions(an: GraphAnalysis, prop: AfterAction) -> Iterator[tuple[int, int, int]]:
    """The transitions of :func:`action_edges`, one (state, command, successor) at a time."""
    src, cmd, dst = action_edges(an, prop)
    for i, k, j in zip(src, cmd, dst, strict=True):
        yield int(i), int(k), int(j)


#: ``bytes.translate`` table turning a 0/1 mask into its complement
_NEGATE = bytes([1] + [0] * 255)


def negated(mask: bytearray) -> bytearray:
    """1 where ``mask`` is 0 and 0 where it is 1."""
    return mask.translate(_NEGATE)


def first_marked(mask: bytearray, states: np.ndarray) -> int:
    """The position in ``states`` of the first state ``mask`` marks, or -1."""
    if not len(states):
        return -1
    hit = np.flatnonzero(np.frombuffer(mask, dtype=np.uint8)[np.asarray(states, dtype=np.int64)])
    return int(hit[0]) if hit.size else -1


def _path_to_escape(an: GraphAnalysis, start: int, fair: list[set[int]], deadlocks: list[int], goal: Expr) -> list[tuple[int, int]]:
    """Shortest path from ``start`` through not-goal states into a fair component or deadlock."""
    return _path_into(an, start, Escape(fair, deadlocks, len(an.graph.states)).marks(), goal)


def _path_into(an: GraphAnalysis, start: int, ends: bytearray, goal: Expr) -> list[tuple[int, int]]:
    """Shortest path from ``start`` through not-goal states into a state ``ends`` marks."""
    from collections import deque

    g = an.graph
    goal_mask = an.mask(goal)
    if ends[start]:
        return []
    prev = {start: (-1, -1)}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for e in g.out_edges(u):
            w = g.dst[e]
            if w in prev or goal_mask[w]:
                continue
            prev[w] = (g.cmd[e], u)
            if ends[w]:
                out = []
                while w != start:
                    k, p = prev[w]
                    out.append((k, w))
                    w = p
                return out[::-1]
            queue.append(w)
    raise InternalError("an escaping state has no path to a fair component")


def _stuck_reachable(an: GraphAnalysis, prop: StuckReachable) -> CheckResult:
    if not an.graph.complete:
        return _result(an, prop, Verdict.UNKNOWN, Method.LIMIT, _incomplete(an))
    system = an.graph.system
    skip = {c.index for c in system.commands if c.action in prop.excluding}
    goal = an.mask(prop.goal)
    can = an.backward_marked(goal, skip_cmd=skip)
    target = an.mask(prop.target)
    without = f" without {', '.join(prop.excluding)}" if prop.excluding else ""
    stuck = np.flatnonzero(np.frombuffer(target, dtype=np.uint8) > np.frombuffer(can, dtype=np.uint8))
    if stuck.size:
        i = int(stuck[0])
        trace = an.trace(an.graph.path_to(i))
        return _result(an, prop, Verdict.HOLDS, Method.BACKWARD, f"reached in {len(trace)} steps; from there no run{without} {prop.words.gets}", trace)
    return _result(an, prop, Verdict.VIOLATED, Method.BACKWARD, f"every reachable such state can still {prop.words.get}{without}")
