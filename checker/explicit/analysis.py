"""Deciding properties on an explored :class:`~leasecheck.checker.explicit.explore.StateGraph`.

* invariants and reachability: the first state in BFS order that decides it, so traces are
  shortest;
* ``Recovery``: strongly connected components of the subgraph of states where the goal is false.
  Under weak fairness per action instance a component admits a fair run that stays in it exactly
  when every fair instance enabled in all its states is taken on one of its internal edges
  (a run that tours the whole component then treats every instance fairly; any run inside it
  leaves an instance that is enabled everywhere and never taken starved). A reachable fair
  component is a counterexample, shown as a lasso;
* ``Recoverable``: backward reachability from the goal states;
* ``AfterAction``: the states where some fair run avoids the goal forever are those that reach a
  fair component without passing through the goal; a successor by the action lying there is a
  counterexample;
* ``StuckReachable``: backward reachability over the transitions not by the excluded actions.

Verdicts are honest: "holds" needs a complete graph; on a partial graph a counterexample found
among the expanded states is still reported (it is a real behaviour), anything else is "unknown".
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence, Set

import numpy as np

from leasecheck.checker.explicit.explore import StateGraph
from leasecheck.checker.results import LoopFairness, Step, Trace
from leasecheck.errors import InternalError
from leasecheck.model.compile import compile_predicate
from leasecheck.model.lang import Expr, structure


class GraphAnalysis:
    """Caches what several properties share: goal masks, enabled sets, reverse edges."""

    def __init__(self, graph: StateGraph):
        self.graph = graph
        system = graph.system
        self.cmd_instance = [c.instance for c in system.commands]
        self.cmd_bit = [(1 << c.instance) if system.instances[c.instance].fair else 0 for c in system.commands]
        self._masks: dict[tuple, bytearray] = {}  # keyed by the predicate's structure
        self._enabled: list[int] | None = None
        self._reverse: tuple[array, array, array] | None = None

    # -- shared pieces -------------------------------------------------------------------------

    def mask(self, e: Expr) -> bytearray:
        """1 for every discovered state where ``e`` holds."""
        key = structure(e)
        mask = self._masks.get(key)
        if mask is None:
            pred = compile_predicate(self.graph.system, e)
            mask = self._masks[key] = bytearray(pred(s) for s in self.graph.states)
        return mask

    @property
    def enabled(self) -> Sequence[int]:
        """Per expanded state, the bit set of fair instances enabled there (bit = instance index)."""
        if self._enabled is None:
            g, bit = self.graph, self.cmd_bit
            out = []
            off, cmd = g.offsets, g.cmd
            for i in range(g.expanded):
                m = 0
                for e in range(off[i], off[i + 1]):
                    m |= bit[cmd[e]]
                out.append(m)
            self._enabled = out
        return self._enabled

    @property
    def reverse(self) -> tuple[array, array, array]:
        """In-edges in CSR form: (offsets, source, command)."""
        if self._reverse is None:
            g = self.graph
            n = len(g.states)
            counts = array("q", bytes(8 * (n + 1)))
            for d in g.dst:
                counts[d + 1] += 1
            for i in range(n):
                counts[i + 1] += counts[i]
            fill = array("q", counts)
            src = array("i", bytes(4 * len(g.dst)))
            rcmd = array("i", bytes(4 * len(g.dst)))
            off, dst, cmd = g.offsets, g.dst, g.cmd
            for u in range(g.expanded):
                for e in range(off[u], off[u + 1]):
                    d = dst[e]
                    p = fill[d]
                    src[p] = u
                    rcmd[p] = cmd[e]
                    fill[d] = p + 1
            self._reverse = (counts, src, rcmd)
        return self._reverse

    def hits(self, mask: bytearray) -> list[int]:
        """The states a mask marks, in order."""
        return [i for i, hit in enumerate(mask) if hit]

    def action_edges(self, instance: int, pre: bytearray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(state, command, successor) of every edge by ``instance`` from an expanded state that
        ``pre`` marks, in state order (and edge order within a state)."""
        g = self.graph
        src: list[int] = []
        cmd: list[int] = []
        dst: list[int] = []
        for i in range(g.expanded):
            if not pre[i]:
                continue
            for e in g.out_edges(i):
                k = g.cmd[e]
                if self.cmd_instance[k] == instance:
                    src.append(i)
                    cmd.append(k)
                    dst.append(g.dst[e])
        return np.asarray(src, dtype=np.int64), np.asarray(cmd, dtype=np.int64), np.asarray(dst, dtype=np.int64)

    def backward(self, targets: Iterable[int], allowed: bytearray | None = None,
                 skip_cmd: set[int] | None = None) -> bytearray:
        """States that reach a target (through ``allowed`` states, avoiding ``skip_cmd`` edges)."""
        roff, rsrc, rcmd = self.reverse
        seen = bytearray(len(self.graph.states))
        queue: deque[int] = deque()
        for t in targets:
            if not seen[t]:
                seen[t] = 1
                queue.append(t)
        while queue:
            v = queue.popleft()
            for p in range(roff[v], roff[v + 1]):
                u = rsrc[p]
                if seen[u] or (allowed is not None and not allowed[u]):
                    continue
                if skip_cmd and rcmd[p] in skip_cmd:
                    continue
                seen[u] = 1
                queue.append(u)
        return seen

    def backward_marked(self, targets: bytearray, allowed: bytearray | None = None,
                        skip_cmd: set[int] | None = None) -> bytearray:
        """:meth:`backward` from the states the mask ``targets`` marks."""
        return self.backward(self.hits(targets), allowed, skip_cmd)

    def trace(self, path: list[tuple[int, int]], loop_start: int | None = None,
              fairness: LoopFairness | None = None) -> Trace:
        system = self.graph.system
        steps = []
        for k, i in path:
            if k < 0:
                steps.append(Step(None, (), "", self.graph.states[i]))
            else:
                c = system.commands[k]
                steps.append(Step(c.action, c.params, c.label, self.graph.states[i]))
        return Trace(tuple(steps), loop_start, fairness)

    # -- fair cycles ---------------------------------------------------------------------------

    def fair_components(self, goal: Expr) -> tuple[list[int], list[set[int]], list[int]]:
        """Components of the not-goal subgraph that admit a fair run, and deadlocks there.

        Returns (component id per state or -1, the fair components, deadlocked not-goal states).
        """
        g = self.graph
        goal_mask = self.mask(goal)
        n = len(g.states)
        allowed = bytearray(n)
        for i in range(g.expanded):
            allowed[i] = not goal_mask[i]
        comp = _tarjan(n, g.offsets, g.dst, allowed)
        enabled = self.enabled
        bit = self.cmd_bit
        taken: dict[int, int] = {}
        everywhere: dict[int, int] = {}
        nontrivial: set[int] = set()
        members: dict[int, list[int]] = {}
        deadlocks = []
        off, dst, cmd = g.offsets, g.dst, g.cmd
        for v in range(g.expanded):
            if not allowed[v]:
                continue
            c = comp[v]
            members.setdefault(c, []).append(v)
            everywhere[c] = everywhere.get(c, -1) & enabled[v]
            t = taken.get(c, 0)
            if off[v] == off[v + 1]:
                deadlocks.append(v)
            for e in range(off[v], off[v + 1]):
                w = dst[e]
                if allowed[w] and comp[w] == c:
                    t |= bit[cmd[e]]
                    nontrivial.add(c)
            taken[c] = t
        fair = [set(members[c]) for c in sorted(nontrivial) if everywhere[c] & ~taken[c] == 0]
        return comp, fair, deadlocks

    def fair_escape(self, goal: Expr) -> Escape:
        """The fair components and deadlocks of the subgraph where ``goal`` is false."""
        _, fair, deadlocks = self.fair_components(goal)
        return Escape(fair, deadlocks, len(self.graph.states))

    def lasso_from(self, prefix: list[tuple[int, int]], component: Set[int]) -> Trace:
        """The prefix (ending in ``component``), then a fair loop inside the component."""
        g = self.graph
        entry = prefix[-1][1]
        enabled = self.enabled
        bit = self.cmd_bit
        loop: list[tuple[int, int]] = []
        taken = 0
        everywhere = enabled[entry]
        cur = entry

        def unsatisfied() -> int:
            return everywhere & ~taken

        while unsatisfied():
            need = unsatisfied()

            def is_target_state(u: int, need: int = need) -> bool:
                return bool(need & ~enabled[u])

            def is_target_edge(k: int, need: int = need) -> bool:
                return bool(bit[k] & need)

            step = _bfs_inside(g, cur, component, is_target_state, is_target_edge)
            if step is None:  # cannot happen for a fair component
                raise InternalError("a fair component has no witness for an instance")
            for k, v in step:
                loop.append((k, v))
                taken |= bit[k]
                everywhere &= enabled[v]
            cur = loop[-1][1]
        if not loop or cur != entry:
            back = _bfs_inside(g, cur, component, lambda u: u == entry, lambda k: False, min_len=1)
            if back is None:
                raise InternalError("a component's state cannot return to its entry")
            loop.extend(back)
        path = prefix + loop
        loop_start = len(prefix) - 1
        fairness = self._fairness(path, loop_start)
        return self.trace(path, loop_start, fairness)

    def _fairness(self, path: list[tuple[int, int]], loop_start: int) -> LoopFairness:
        system = self.graph.system
        enabled = self.enabled
        taken_ids = {self.cmd_instance[k] for k, _ in path[loop_start + 1:]}
        taken = tuple(str(system.instances[i]) for i in sorted(taken_ids) if system.instances[i].fair)
        disabled = []
        for inst in system.instances:
            if not inst.fair or inst.index in taken_ids:
                continue
            for pos in range(loop_start, len(path)):
                if not enabled[path[pos][1]] >> inst.index & 1:
                    disabled.append((str(inst), pos))
                    break
        return LoopFairness(taken, tuple(disabled))


class Escape:
    """Where a fair run can avoid a goal forever: the fair components of the subgraph where the
    goal is false, and its deadlocks (expanded states without a successor)."""

    def __init__(self, fair: list[set[int]], deadlocks: list[int], n: int):
        self._fair, self._deadlocks, self.n = fair, deadlocks, n
        self._deadlock = set(deadlocks)

    @property
    def fair(self) -> list[set[int]]:
        """The fair components."""
        return self._fair

    @property
    def deadlocks(self) -> list[int]:
        """The deadlocks, in state order."""
        return sorted(self._deadlocks)

    def found(self) -> bool:
        """Whether there is a fair component or a deadlock."""
        return bool(self.fair or self.deadlocks)

    def first(self) -> int:
        """The smallest state (the closest to the initial state in BFS order) in a fair component
        or a deadlock."""
        return min([min(c) for c in self.fair] + self.deadlocks)

    def is_deadlock(self, v: int) -> bool:
        return v in self._deadlock

    def component(self, v: int) -> Set[int]:
        """The fair component holding ``v``."""
        return next(c for c in self.fair if v in c)

    def marks(self) -> bytearray:
        """1 for every state in a fair component or a deadlock."""
        out = bytearray(self.n)
        for c in self.fair:
            for v in c:
                out[v] = 1
        for v in self.deadlocks:
            out[v] = 1
        return out

    def __contains__(self, v: int) -> bool:
        return v in self._deadlock or any(v in c for c in self.fair)


def _bfs_inside(
    g: StateGraph,
    start: int,
    inside: Set[int],
    target_state: Callable[[int], bool],
    target_edge: Callable[[int], bool],
    min_len: int = 0,
) -> list[tuple[int, int]] | None:
    """Shortest [(command, state)] from ``start`` within ``inside`` to a target state or edge.

    With ``min_len`` 1 the path has at least one step (so it can be a cycle back to ``start``).
    """
    if min_len == 0 and target_state(start):
        return []
    prev: dict[int, tuple[int, int]] = {start: (-1, -1)}
    queue = deque([start])

    def unwind(v: int) -> list[tuple[int, int]]:
        out = []
        while v != start:
            k, u = prev[v]
            out.append((k, v))
            v = u
        out.reverse()
        return out

    while queue:
        u = queue.popleft()
        for e in g.out_edges(u):
            w = g.dst[e]
            if w not in inside:
                continue
            k = g.cmd[e]
            if target_edge(k) or target_state(w):
                return unwind(u) + [(k, w)]
            if w not in prev:
                prev[w] = (k, u)
                queue.append(w)
    return None


def _tarjan(n: int, offsets: array, dst: array, allowed: bytearray) -> list[int]:
    """Strongly connected components of the subgraph on ``allowed`` states (iterative Tarjan)."""
    index = [-1] * n
    low = [0] * n
    onstack = bytearray(n)
    comp = [-1] * n
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(n):
        if not allowed[root] or index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack[root] = 1
        work = [(root, offsets[root])]
        while work:
            v, ei = work[-1]
            end = offsets[v + 1]
            descended = False
            while ei < end:
                w = dst[ei]
                ei += 1
                if not allowed[w]:
                    continue
                if index[w] == -1:
                    work[-1] = (v, ei)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    onstack[w] = 1
                    work.append((w, offsets[w]))
                    descended = True
                    break
                if onstack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            work.pop()
            if low[v] == index[v]:
                while True:
                    x = stack.pop()
                    onstack[x] = 0
                    comp[x] = ncomp
                    if x == v:
                        break
                ncomp += 1
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
    return comp
