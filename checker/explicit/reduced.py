"""Deciding properties on the symmetry-reduced graph, with concrete, replayable traces.

The quotient graph (:func:`leasecheck.checker.explicit.vexplore.explore_vector` with a
:class:`~leasecheck.checker.symmetry.Symmetry` canonical form) has one state per equivalence class. What is
decided on it, and why that is sound (docs/symmetry.md says the same for users):

* The group: every renaming of clients and addresses when only client-free properties are asked;
  otherwise the subgroup that keeps client 0 fixed. Every property asked is invariant under the
  group used, so the quotient is bisimilar to the full graph with respect to it.
* A property about one client is decided for client 0 only: the model is symmetric in clients,
  so client ``c``'s verdict is client 0's (rename ``c`` to 0).
* Invariants, reachability, ``Recoverable`` (AG EF) and ``StuckReachable`` are branching-time
  properties of invariant predicates: decided on the quotient exactly as on the full graph.
* ``Recovery`` needs weak fairness per action instance, and a renaming changes instances. The
  fairness of a quotient component is settled exactly: every concrete component above a
  non-trivial quotient component ``S`` covers all of ``S`` and is a renaming of any other, so it
  suffices to check one. An instance fixed by every renaming of the group (client 0's own
  actions, AdminRestart) has the same status in all of them, read off the quotient; when such an
  instance is enabled throughout ``S`` and never taken inside it, no run staying in ``S`` is
  fair. Otherwise the concrete component over ``S`` is explored (from the lifted entry state, up to
  :data:`LIFT_LIMIT` states) and checked with the exact rule of :mod:`leasecheck.checker.explicit.analysis`.
* ``AfterAction`` (a KB workaround): its action instance (Release(0), AdminRestart) and its
  precondition are fixed by the group; the states from which a fair run avoids the goal are found
  backwards from the fair quotient components (settled as for ``Recovery``) and deadlocks, which
  is exact. An action instance the group renames is refused.

The components to settle (goal-free, not shown unfair by a fixed instance) and the deadlocks are
found by one pass over the edges in C (:mod:`leasecheck.checker.explicit.graphalgo`) when a C
compiler is at hand, else with numpy and scipy (:meth:`VectorAnalysis.unstarved_components`): the
same components with the same entries either way.

Traces: a quotient path is lifted step by step (a concrete successor whose representative is the
next quotient state always exists), lassos come from the concrete component, and every trace
goes through :func:`leasecheck.checker.replay.confirm` like any other.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from leasecheck.checker.explicit import graphalgo
from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import _path_to_escape, action_edges, decide, first_marked, negated
from leasecheck.checker.explicit.explore import StateGraph
from leasecheck.checker.explicit.pack import unpack
from leasecheck.checker.explicit.vanalysis import VectorAnalysis
from leasecheck.checker.replay import confirm
from leasecheck.checker.results import CheckResult, LoopFairness, Method, Step, Trace
from leasecheck.checker.symmetry import Symmetry
from leasecheck.errors import InternalError, UserError
from leasecheck.model.compile import Successors, compile_successors
from leasecheck.model.lang import Expr, System, structure
from leasecheck.properties.spec import AfterAction, Property, Recovery, Verdict

#: how many concrete states the check of one quotient component may visit
LIFT_LIMIT = 2_000_000


class UnsupportedUnderSymmetry(UserError):
    """A property that is not decided with symmetry reduction."""


def check_supported(system: System, props: Sequence[Property], fixed: tuple[int, ...]) -> None:
    """Refuse what the quotient cannot decide: an action instance the group does not fix."""
    kinds = {a.name: a.params for a in system.actions}
    sorts = [s.name for s in system.sorts]
    for p in props:
        if isinstance(p, AfterAction):
            moved = [v for kind, v in zip(kinds[p.action], p.params, strict=True)
                     if kind in sorts and (kind != sorts[0] or v not in fixed)]
            if moved:
                raise UnsupportedUnderSymmetry(
                    f"{p.name} speaks of {p.action}{p.params}, which symmetry reduction renames; "
                    "run it without --symmetry"
                )


def reduce_properties(props: Sequence[Property]) -> tuple[list[Property], tuple[int, ...]]:
    """The properties to decide on the quotient, and the clients the group must keep fixed."""
    kept = [p for p in props if p.client in (None, 0)]
    fixed = (0,) if any(p.client is not None for p in kept) else ()
    return kept, fixed


class QuotientAnalysis(VectorAnalysis):
    """Graph analysis on a quotient graph whose traces are lifted to concrete ones."""

    def __init__(self, graph: StateGraph, symmetry: Symmetry, in_c: bool = True):
        super().__init__(graph, in_c)
        self.symmetry = symmetry
        # shared by every property: the concrete state lifted above each quotient state of the
        # BFS tree (a lifted step depends only on the path before it), the open components per
        # goal, and the fairness of each one once settled
        self._tree: dict[int, tuple[int, tuple[int, ...]]] = {}
        self._open: dict[tuple, tuple[list[tuple[int, set[int]]], list[int]]] = {}
        self._settled: dict[tuple[tuple, int], Trace | bool | None] = {}

    @functools.cached_property
    def concrete(self) -> Successors:
        """The model's successors as compiled Python, for lifting steps: compiled when a trace or
        a component is first lifted (a property that holds with no open component needs none)."""
        return compile_successors(self.graph.system)

    def _step(self, state: tuple[int, ...], step: int, i: int) -> tuple[int, tuple[int, ...]]:
        """The concrete step from ``state`` whose successor's representative is quotient state ``i``."""
        commands = self.graph.system.commands
        want = tuple(self.graph.states[i])
        options = self.concrete(state)
        reps = self.symmetry.canonical(np.asarray([s for _, s in options], dtype=np.int64))
        matches = [(k, nxt) for (k, nxt), rep in zip(options, reps.tolist(), strict=True) if tuple(rep) == want]
        if not matches:
            raise InternalError("a quotient step has no concrete counterpart")
        # prefer the quotient step's own action instance (the same whenever the group fixes it)
        same = [m for m in matches if commands[m[0]].action == commands[step].action
                and commands[m[0]].params == commands[step].params]
        return (same or matches)[0]

    def _lift_tree(self, i: int) -> list[tuple[int, tuple[int, ...]]]:
        """The lift of ``graph.path_to(i)``, each tree state's lift computed once."""
        g = self.graph
        target = i
        chain = []
        while i not in self._tree and g.parent[i] != -1:
            chain.append(i)
            i = g.parent[i]
        if i not in self._tree:  # the initial state
            state = g.system.initial
            if self.symmetry.canonical_state(state) != tuple(g.states[i]):
                raise InternalError("the initial state is not its own representative")
            self._tree[i] = (-1, state)
        for j in reversed(chain):
            self._tree[j] = self._step(self._tree[g.parent[j]][1], g.parent_cmd[j], j)
        out = []
        i = target
        while i != -1:
            out.append(self._tree[i])
            i = g.parent[i]
        out.reverse()
        return out

    def lift(self, path: list[tuple[int, int]]) -> list[tuple[int, tuple[int, ...]]]:
        """Concrete (command, state) steps whose states' representatives follow ``path``."""
        g = self.graph
        if path[0][1] != 0 or g.parent[0] != -1:
            raise InternalError("a quotient path that does not start at the initial state")
        tree = 1  # how long a prefix of the path follows the BFS tree
        while tree < len(path) and g.parent[path[tree][1]] == path[tree - 1][1] \
                and g.parent_cmd[path[tree][1]] == path[tree][0]:
            tree += 1
        out = self._lift_tree(path[tree - 1][1])
        state = out[-1][1]
        for step, i in path[tree:]:
            k, state = self._step(state, step, i)
            out.append((k, state))
        return out

    def trace(self, path: list[tuple[int, int]], loop_start: int | None = None,
              fairness: LoopFairness | None = None) -> Trace:
        if loop_start is not None:
            raise InternalError("quotient lassos are built by the reduced engine only")
        return _trace(self.graph, self.lift(path), None, None)


def _trace(graph: StateGraph, steps: list[tuple[int, tuple[int, ...]]], loop_start: int | None,
           fairness: LoopFairness | None) -> Trace:
    system = graph.system
    out = []
    for k, state in steps:
        if k < 0:
            out.append(Step(None, (), "", state))
        else:
            c = system.commands[k]
            out.append(Step(c.action, c.params, c.label, state))
    return Trace(tuple(out), loop_start, fairness)


def decide_reduced(an: QuotientAnalysis, prop: Property) -> CheckResult:
    """The verdict of ``prop`` (client 0 or client-free) from the quotient graph, marked ``quotient``."""
    if isinstance(prop, Recovery):
        result = _recovery(an, prop)
    elif isinstance(prop, AfterAction):
        result = _after_action(an, prop)
    else:
        result = decide(an, prop)
    # counts on the quotient are classes of states, not states
    result = replace(result, reason=result.reason.replace(" reachable states", " classes of reachable states"),
                     quotient=True)
    if prop.client is not None:
        result = replace(result, reason=f"{result.reason} (by symmetry, the same for every {an.symmetry.keyed.name})")
    return result


def _fixed_bits(an: QuotientAnalysis) -> np.ndarray:
    """Per command: a bit for its instance if that instance is fair and fixed by the group, else 0.

    Fixed instances are numbered 0, 1, ... among themselves, so a set of them fits one int64.
    """
    sym = an.symmetry
    system = an.graph.system
    kinds = {a.name: a.params for a in system.actions}
    position: dict[int, int] = {}
    out = []
    for c in system.commands:
        inst = system.instances[c.instance]
        fixed = inst.fair
        for kind, value in zip(kinds[c.action], c.params, strict=True):
            if kind == sym.keyed.name:
                fixed &= value in sym.fixed or len(sym.free) == 1
            elif kind == sym.enumerated.name:
                fixed &= sym.addresses == 1
        if fixed:
            pos = position.setdefault(c.instance, len(position))
            if pos > 62:
                raise InternalError("too many fixed instances for one bit set")
            out.append(1 << pos)
        else:
            out.append(0)
    return np.asarray(out, dtype=np.int64)


def _open_components(an: QuotientAnalysis, goal: Expr) -> tuple[list[tuple[int, set[int]]], list[int]]:
    """Non-trivial goal-free quotient components that no fixed instance shows unfair, and deadlocks.

    Components come as (entry, members), entry being the member closest to the initial state,
    in order of entry.
    """
    key = structure(goal)
    hit = an._open.get(key)
    if hit is not None:
        return hit
    n = len(an.graph.states)
    algo = an.algo
    if algo is not None:
        result = _open_in_c(an, algo, goal)
        an._open[key] = result
        return result
    states, labels, open_, degree = an.unstarved_components(goal, _fixed_bits(an))
    ncomp = open_.size
    entry = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(entry, labels[states], states)
    # the members of every open component at once: the states sorted by their component's entry
    members = states[open_[labels[states]]]
    order = np.lexsort((members, entry[labels[members]]))
    members = members[order]
    starts = entry[labels[members]]
    cuts = np.flatnonzero(np.diff(starts)) + 1
    out = [(int(part[0]), set(part.tolist())) for part in np.split(members, cuts)] if members.size else []
    result = out, sorted(states[degree[states] == 0].tolist())
    an._open[key] = result
    return result


def _open_in_c(an: QuotientAnalysis, algo: graphalgo.GraphAlgo, goal: Expr) -> tuple[list[tuple[int, set[int]]], list[int]]:
    """:func:`_open_components` by the C analyses' one pass over the edges (the same components,
    the same entries, the same deadlocks; no edge array copied)."""
    g = an.graph
    allowed = np.zeros(len(g.states), dtype=np.uint8)
    allowed[: g.expanded] = np.frombuffer(an.mask(goal), dtype=np.uint8)[: g.expanded] == 0
    label, flags = algo.fair(g.offsets, g.dst, g.cmd, _fixed_bits(an), allowed)
    del allowed
    members = np.flatnonzero(flags == 1)  # in increasing order, so each part's first is its entry
    labels = label[members]
    del label
    order = np.argsort(labels, kind="stable")
    members, labels = members[order], labels[order]
    parts = np.split(members, np.flatnonzero(np.diff(labels)) + 1) if members.size else []
    parts.sort(key=lambda part: int(part[0]))
    return [(int(part[0]), set(part.tolist())) for part in parts], np.flatnonzero(flags == 2).tolist()


def _settle(an: QuotientAnalysis, goal: Expr, start: int, members: set[int]) -> Trace | bool | None:
    """:func:`_lift_component` of the open component entered at ``start``, from the lifted tree
    path to it; settled once per goal and shared by every property that asks."""
    key = (structure(goal), start)
    if key not in an._settled:
        an._settled[key] = _lift_component(an, an.lift(an.graph.path_to(start)), members)
    return an._settled[key]


def _recovery(an: QuotientAnalysis, prop: Recovery) -> CheckResult:
    g = an.graph
    n = len(g.states)
    candidates, deadlocks = _open_components(an, prop.goal)
    first_deadlock = deadlocks[0] if deadlocks else None
    unsettled = 0
    for start, members in candidates:
        if first_deadlock is not None and first_deadlock < start:
            break
        verdict = _settle(an, prop.goal, start, members)
        if isinstance(verdict, Trace):
            confirm(g.system, prop, Verdict.VIOLATED, verdict)
            loop = len(verdict.steps) - 1 - (verdict.loop_start or 0)
            return CheckResult(
                prop.name, prop.client, Verdict.VIOLATED,
                f"a fair run never again {prop.words.holds}: a {loop}-step loop after a {verdict.loop_start}-step prefix",
                verdict, method=Method.FAIR_CYCLE,
            )
        if verdict is None:
            unsettled += 1
    if first_deadlock is not None:
        steps = an.lift(g.path_to(first_deadlock))
        trace = _trace(g, steps, None, None)
        confirm(g.system, prop, Verdict.VIOLATED, trace)
        return CheckResult(prop.name, prop.client, Verdict.VIOLATED,
                           f"a run ends in a deadlock where {prop.words.not_held}", trace,
                           method=Method.DEADLOCK)
    if unsettled:
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"{unsettled} component(s) of the reduced graph too large to check for fairness "
                           f"(over {LIFT_LIMIT} concrete states)", method=Method.LIMIT)
    if not g.complete:
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"no fair loop {prop.words.without} among the states seen, but exploration stopped "
                           f"({g.stop_reason}) after {n} states", method=Method.LIMIT)
    return CheckResult(prop.name, prop.client, Verdict.HOLDS,
                       f"every fair cycle of the reduced graph passes a state where {prop.words.held}",
                       method=Method.EXHAUSTIVE)


def _after_action(an: QuotientAnalysis, prop: AfterAction) -> CheckResult:
    """AfterAction on the quotient: the action's instance and ``pre`` are fixed by the group."""
    g = an.graph
    system = g.system
    if not g.complete:
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"exploration stopped ({g.stop_reason}) after {len(g.states)} states", method=Method.LIMIT)
    candidates, deadlocks = _open_components(an, prop.goal)
    src, cmd, dst = action_edges(an, prop)
    goal = an.mask(prop.goal)
    allowed = negated(goal)
    # only the components some action successor reaches without the goal can matter
    near = an.forward(np.asarray(dst, dtype=np.int64), np.frombuffer(allowed, dtype=np.uint8).astype(bool))
    fair: list[set[int]] = []
    unsettled = 0
    for start, members in candidates:
        if not near[start]:
            continue
        verdict = _settle(an, prop.goal, start, members)
        if verdict is None:
            unsettled += 1
        elif verdict is not False:
            fair.append(members)
    escape = an.backward([v for c in fair for v in c] + deadlocks, allowed=allowed)
    checked = len(src)
    first = first_marked(escape, dst)
    if first >= 0:
        i, k, j = int(src[first]), int(cmd[first]), int(dst[first])
        path = g.path_to(i) + [(k, j)]
        path += _path_to_escape(an, j, fair, deadlocks, prop.goal)
        concrete = an.lift(path)
        end = path[-1][1]
        if end in deadlocks:
            trace = _trace(g, concrete, None, None)
            reason, method = f"after the action, a run deadlocks {prop.words.without}", Method.DEADLOCK
        else:
            lasso = _lift_component(an, concrete, next(c for c in fair if end in c))
            if not isinstance(lasso, Trace):
                raise InternalError("a fair component's renaming is not fair")
            trace = lasso
            reason = f"after {prop.action} at step {len(g.path_to(i))}, a fair run never {prop.words.gets}"
            method = Method.FAIR_CYCLE
        confirm(system, prop, Verdict.VIOLATED, trace)
        return CheckResult(prop.name, prop.client, Verdict.VIOLATED, reason, trace, method=method)
    if unsettled:
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"{unsettled} component(s) of the reduced graph too large to check for fairness "
                           f"(over {LIFT_LIMIT} concrete states)", method=Method.LIMIT)
    return CheckResult(prop.name, prop.client, Verdict.HOLDS,
                       f"after each of the {checked} such {prop.action} transitions of the reduced graph, "
                       f"every fair run {prop.words.gets}", method=Method.BACKWARD)


def _lift_component(an: QuotientAnalysis, prefix: list[tuple[int, tuple[int, ...]]],
                    component: set[int]) -> Trace | bool | None:
    """Whether the concrete component over a quotient component is fair: a lasso if so.

    ``prefix`` is a concrete path ending in a state above the component. Returns the lasso
    (fair), False (not fair) or None (too large to check).
    """
    g = an.graph
    system = g.system
    sym = an.symmetry
    start = prefix[-1][1]
    rows = g.states.keys[np.fromiter(component, dtype=np.int64)]  # type: ignore[attr-defined]
    inside = set(map(tuple, unpack(g.states.layout, rows).tolist()))  # type: ignore[attr-defined]
    # the concrete component: everything reachable from `start` whose representative is inside
    index = {start: 0}
    states = [start]
    edges: list[list[tuple[int, int]]] = []
    enabled: list[int] = []
    frontier = [0]
    while frontier:
        succs = [an.concrete(states[i]) for i in frontier]
        flat = [s for options in succs for _, s in options]
        reps = sym.canonical(np.asarray(flat, dtype=np.int64)).tolist() if flat else []
        pos = 0
        nxt_frontier = []
        for i, options in zip(frontier, succs, strict=True):
            out: list[tuple[int, int]] = []
            en = 0
            for k, s in options:
                rep = tuple(reps[pos])
                pos += 1
                inst = system.commands[k].instance
                if system.instances[inst].fair:
                    en |= 1 << inst
                if rep not in inside:
                    continue
                j = index.get(s)
                if j is None:
                    if len(states) >= LIFT_LIMIT:
                        return None
                    j = index[s] = len(states)
                    states.append(s)
                    nxt_frontier.append(j)
                out.append((k, j))
            while len(edges) <= i:
                edges.append([])
                enabled.append(0)
            edges[i] = out
            enabled[i] = en
        frontier = nxt_frontier
    everywhere = -1
    taken = 0
    for i in range(len(states)):
        everywhere &= enabled[i]
        for k, _ in edges[i]:
            inst = system.commands[k].instance
            if system.instances[inst].fair:
                taken |= 1 << inst
    if everywhere & ~taken:
        return False
    return _lasso(an, prefix, states, edges, enabled)


def _lasso(an: QuotientAnalysis, prefix: list[tuple[int, tuple[int, ...]]], states: list[tuple[int, ...]],
           edges: list[list[tuple[int, int]]], enabled: list[int]) -> Trace:
    """A fair loop through the concrete component (state 0 is the prefix's last state)."""
    system = an.graph.system
    fair_bit = [1 << c.instance if system.instances[c.instance].fair else 0 for c in system.commands]

    def bfs(start: int, done: object) -> list[tuple[int, int]]:
        prev: dict[int, tuple[int, int]] = {start: (-1, -1)}
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for k, w in edges[u]:
                if done(k, w):  # type: ignore[operator]
                    out = [(k, w)]
                    while u != start:
                        kk, p = prev[u]
                        out.append((kk, u))
                        u = p
                    return out[::-1]
                if w not in prev:
                    prev[w] = (k, u)
                    queue.append(w)
        raise InternalError("no path inside a strongly connected component")

    loop: list[tuple[int, int]] = []
    everywhere = enabled[0]
    taken = 0
    cur = 0
    while everywhere & ~taken:
        need = everywhere & ~taken
        step = bfs(cur, lambda k, w, need=need: bool(fair_bit[k] & need) or bool(need & ~enabled[w]))
        for k, w in step:
            loop.append((k, w))
            taken |= fair_bit[k]
            everywhere &= enabled[w]
        cur = loop[-1][1]
    if not loop or cur != 0:
        loop += bfs(cur, lambda k, w: w == 0)
    steps = prefix + [(k, states[w]) for k, w in loop]
    loop_start = len(prefix) - 1
    taken_ids = {system.commands[k].instance for k, _ in loop}
    disabled = []
    path_states = [0] + [w for _, w in loop]
    for inst in system.instances:
        if not inst.fair or inst.index in taken_ids:
            continue
        for pos, w in enumerate(path_states):
            if not enabled[w] >> inst.index & 1:
                disabled.append((str(inst), loop_start + pos))
                break
    fairness = LoopFairness(tuple(str(system.instances[i]) for i in sorted(taken_ids) if system.instances[i].fair),
                            tuple(disabled))
    return _trace(an.graph, steps, loop_start, fairness)


def reduced_analysis(graph: StateGraph, symmetry: Symmetry) -> GraphAnalysis:
    return QuotientAnalysis(graph, symmetry)
