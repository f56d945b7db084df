"""The analyses of :mod:`leasecheck.checker.explicit.analysis` with numpy and scipy inner loops, for large graphs.

:class:`VectorAnalysis` is a :class:`~leasecheck.checker.explicit.analysis.GraphAnalysis` whose goal masks,
reverse edges and fair components are computed with array operations (strongly connected
components by ``scipy.sparse.csgraph``) instead of Python loops. It computes the same sets as
its parent: the same masks, the same in-edges, the same components up to their numbering, the
same fair components and deadlocks; so :func:`leasecheck.checker.explicit.decide.decide` gives the same verdicts
on either. Lasso construction is inherited unchanged.
"""

from __future__ import annotations

from array import array

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import StateGraph
from leasecheck.model.lang import Expr


def _np(values: array, dtype: type) -> np.ndarray:
    return np.frombuffer(values, dtype=dtype) if len(values) else np.empty(0, dtype=dtype)


class VectorAnalysis(GraphAnalysis):
    """:class:`GraphAnalysis` with vectorised internals (same results)."""

    def __init__(self, graph: StateGraph):
        super().__init__(graph)
        self._vmasks: dict[int, tuple[Expr, bytearray]] = {}
        self._edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        fair = [i.index for i in graph.system.instances if i.fair]
        # fair instances renumbered 0.. so that a set of them fits one int64
        self._compact = {inst: pos for pos, inst in enumerate(fair)}
        self._vector_bits = len(fair) <= 63

    def mask(self, e: Expr) -> bytearray:
        fast = getattr(self.graph.states, "mask", None)
        if fast is None:
            return super().mask(e)
        hit = self._vmasks.get(id(e))
        if hit is None:
            hit = self._vmasks[id(e)] = (e, fast(e))
        return hit[1]

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, destination, command) of every edge, as arrays."""
        if self._edges is None:
            g = self.graph
            offsets = _np(g.offsets, np.int64)
            src = np.repeat(np.arange(g.expanded, dtype=np.int64), np.diff(offsets))
            self._edges = (src, _np(g.dst, np.int32).astype(np.int64), _np(g.cmd, np.int32).astype(np.int64))
        return self._edges

    @property
    def reverse(self) -> tuple[array, array, array]:
        if self._reverse is None:
            n = len(self.graph.states)
            src, dst, cmd = self.edges()
            order = np.argsort(dst, kind="stable")
            counts = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(dst, minlength=n), out=counts[1:])
            rsrc, rcmd = array("i"), array("i")
            rsrc.frombytes(src[order].astype(np.int32).tobytes())
            rcmd.frombytes(cmd[order].astype(np.int32).tobytes())
            roff = array("q")
            roff.frombytes(counts.tobytes())
            self._reverse = (roff, rsrc, rcmd)
        return self._reverse

    def goal_free_components(self, goal: Expr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Strong components of the subgraph of expanded states where ``goal`` is false.

        Returns (allowed: such states, labels: component per state, inside: edges within them).
        """
        g = self.graph
        n = len(g.states)
        goal_mask = np.frombuffer(bytes(self.mask(goal)), dtype=np.uint8)
        allowed = np.zeros(n, dtype=bool)
        allowed[: g.expanded] = goal_mask[: g.expanded] == 0
        src, dst, _ = self.edges()
        inside = allowed[src] & allowed[dst]
        m = csr_matrix((np.ones(int(inside.sum()), dtype=np.int8), (src[inside], dst[inside])), shape=(n, n))
        _, labels = connected_components(m, directed=True, connection="strong")
        return allowed, labels, inside

    def unstarved_components(self, goal: Expr, command_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Goal-free components not shown unfair by the instances ``command_bits`` marks.

        ``command_bits`` gives each command its instance's bit (0 for instances not considered).
        A component is kept when it has an internal edge and every marked instance enabled in all
        its states is taken on one of its internal edges. Returns (the goal-free states, the
        component of each state, a mask of kept components, the out-degree of each expanded state).
        """
        g = self.graph
        n = len(g.states)
        allowed, labels, inside = self.goal_free_components(goal)
        src, dst, cmd = self.edges()
        edge_bits = command_bits[cmd] if cmd.size else np.empty(0, dtype=np.int64)
        offsets = _np(g.offsets, np.int64)
        degree = np.diff(offsets)
        enabled = np.zeros(g.expanded, dtype=np.int64)
        has = degree > 0
        if edge_bits.size:
            enabled[has] = np.bitwise_or.reduceat(edge_bits, offsets[:-1][has])
        states = np.flatnonzero(allowed)
        ncomp = int(labels.max()) + 1 if n else 0
        everywhere = np.full(ncomp, -1, dtype=np.int64)
        np.bitwise_and.at(everywhere, labels[states], enabled[states])
        internal = inside & (labels[src] == labels[dst])
        taken = np.zeros(ncomp, dtype=np.int64)
        np.bitwise_or.at(taken, labels[src[internal]], edge_bits[internal])
        nontrivial = np.zeros(ncomp, dtype=bool)
        nontrivial[labels[src[internal]]] = True
        return states, labels, nontrivial & ((everywhere & ~taken) == 0), degree

    def fair_components(self, goal: Expr) -> tuple[list[int], list[set[int]], list[int]]:
        if not self._vector_bits:
            return super().fair_components(goal)
        system = self.graph.system
        bit = np.array(
            [1 << self._compact[c.instance] if c.instance in self._compact else 0 for c in system.commands],
            dtype=np.int64,
        )
        states, labels, kept, degree = self.unstarved_components(goal, bit)
        ncomp = kept.size
        comp = np.full(len(self.graph.states), -1, dtype=np.int64)
        comp[states] = labels[states]
        fair_ids = np.flatnonzero(kept)
        fair: list[set[int]] = []
        if fair_ids.size:
            wanted = np.zeros(ncomp, dtype=bool)
            wanted[fair_ids] = True
            members = states[wanted[labels[states]]]
            by = labels[members]
            order = np.argsort(by, kind="stable")
            members, by = members[order], by[order]
            cuts = np.flatnonzero(np.diff(by)) + 1
            fair = [set(part.tolist()) for part in np.split(members, cuts)]
        deadlocks = states[degree[states] == 0].tolist()
        return comp.tolist(), fair, deadlocks
