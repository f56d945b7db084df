"""The analyses of :mod:`leasecheck.checker.explicit.analysis` with numpy and scipy inner loops, for large graphs.

:class:`VectorAnalysis` is a :class:`~leasecheck.checker.explicit.analysis.GraphAnalysis` whose goal masks,
reverse edges and fair components are computed with array operations (strongly connected
components by ``scipy.sparse.csgraph``) instead of Python loops. It computes the same sets as
its parent: the same masks, the same in-edges, the same components up to their numbering, the
same fair components and deadlocks; so :func:`leasecheck.checker.explicit.decide.decide` gives the same verdicts
on either. Lasso construction is inherited unchanged; the instances enabled in a state are computed
when the lasso asks for that state, not stored for every state.

When a C compiler is at hand the heavy loops run in C (:mod:`leasecheck.checker.explicit.graphalgo`):
the fair components of a goal in one pass over the edges (strong components with their fairness
settled as each is completed, one int32 label per state and no edge array copied), the in-edges as
one CSR built once, and backward reachability over them. Without one, the numpy and scipy forms
below compute the same sets.

One analysis serves every property of a run, so what several properties need is computed once
and kept: the edge arrays, the edges sorted by destination (a stable counting sort), the
goal-free components and the unstarved components per goal. Backward and forward reachability
are one breadth-first search in scipy from an extra node joined to every start state.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence, Set
from typing import Any

import numpy as np

from leasecheck.checker.explicit import graphalgo
from leasecheck.checker.explicit.analysis import Escape, GraphAnalysis
from leasecheck.checker.explicit.explore import StateGraph
from leasecheck.model.lang import Expr, structure


def _np(values: array, dtype: type) -> np.ndarray:
    return np.frombuffer(values, dtype=dtype) if len(values) else np.empty(0, dtype=dtype)


def _strong_components(m: Any) -> tuple[int, np.ndarray]:
    """scipy's strong components. An allocation that fails inside scipy's compiled search is not
    raised but reported to ``sys.unraisablehook`` (and printed), and the labels are left unfinished:
    here it becomes the :class:`MemoryError` it is, which the engine turns into "unknown"."""
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (a tenth of a second; not every run needs it)
    failed: list[BaseException | None] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda u: failed.append(u.exc_value)
    try:
        count, labels = connected_components(m, directed=True, connection="strong")
    finally:
        sys.unraisablehook = previous
    if failed:
        raise MemoryError(f"the strong-component search failed: {failed[0]}")
    return int(count), labels


class VectorAnalysis(GraphAnalysis):
    """:class:`GraphAnalysis` with vectorised internals (same results)."""

    def __init__(self, graph: StateGraph, in_c: bool = True):
        """``in_c`` False keeps the numpy and scipy forms even where C could be built."""
        super().__init__(graph)
        self._vmasks: dict[int, tuple[Expr, bytearray]] = {}
        self._edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        fair = [i.index for i in graph.system.instances if i.fair]
        # fair instances renumbered 0.. so that a set of them fits one int64
        self._compact = {inst: pos for pos, inst in enumerate(fair)}
        self._vector_bits = len(fair) <= 63
        self._reversed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._components: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._unstarved: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._algo: graphalgo.GraphAlgo | None | bool = False if in_c else None  # False: not loaded yet
        self._escapes: dict[tuple, VectorEscape] = {}
        self._in_edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def in_c_only(self) -> bool:
        """Whether every analysis of this graph runs in C (scipy is not needed): the C analyses
        are at hand and the fair instances fit their bit sets."""
        return self.algo is not None and self._vector_bits

    @property
    def algo(self) -> graphalgo.GraphAlgo | None:
        """The analyses in C, or None without a C compiler or cffi."""
        if self._algo is False:
            self._algo = graphalgo.load()
        return self._algo  # type: ignore[return-value]

    @property
    def enabled(self) -> Sequence[int]:
        return _EnabledAt(self.graph, self.cmd_bit)

    def fair_escape(self, goal: Expr) -> Escape:
        algo = self.algo
        if algo is None or not self._vector_bits:
            return super().fair_escape(goal)
        key = structure(goal)
        hit = self._escapes.get(key)
        if hit is None:
            g = self.graph
            n = len(g.states)
            allowed = np.zeros(n, dtype=np.uint8)
            allowed[: g.expanded] = np.frombuffer(self.mask(goal), dtype=np.uint8)[: g.expanded] == 0
            label, flags = algo.fair(g.offsets, g.dst, g.cmd, self._compact_bits(), allowed)
            del allowed
            # kept per goal: a byte per state, and the labels of the fair components' states only
            hit = self._escapes[key] = VectorEscape(label, flags)
        return hit

    def _compact_bits(self) -> np.ndarray:
        """Per command, its instance's bit among the fair instances numbered 0.. (0 if not fair)."""
        return np.array([1 << self._compact[c.instance] if c.instance in self._compact else 0
                         for c in self.graph.system.commands], dtype=np.int64)

    def backward_marked(self, targets: bytearray, allowed: bytearray | None = None,
                        skip_cmd: set[int] | None = None) -> bytearray:
        algo = self.algo
        if algo is None:
            return super().backward_marked(targets, allowed, skip_cmd)
        g = self.graph
        if self._in_edges is None:
            self._in_edges = algo.reverse(len(g.states), g.expanded, g.offsets, g.dst, g.cmd)
        skip = None
        if skip_cmd:
            skip = np.zeros(len(g.system.commands), dtype=np.uint8)
            skip[sorted(skip_cmd)] = 1
        allow = None if allowed is None else np.frombuffer(allowed, dtype=np.uint8)
        seen = algo.backward(self._in_edges, np.frombuffer(targets, dtype=np.uint8), allow, skip)
        return bytearray(seen.tobytes())

    def mask(self, e: Expr) -> bytearray:
        fast = getattr(self.graph.states, "mask", None)
        if fast is None:
            return super().mask(e)
        hit = self._vmasks.get(id(e))
        if hit is None:
            hit = self._vmasks[id(e)] = (e, fast(e))
        return hit[1]

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, destination, command) of every edge, as int32 arrays in CSR order."""
        if self._edges is None:
            g = self.graph
            offsets = _np(g.offsets, np.int64)
            src = np.repeat(np.arange(g.expanded, dtype=np.int32), np.diff(offsets))
            self._edges = (src, _np(g.dst, np.int32), _np(g.cmd, np.int32))
        return self._edges

    def hits(self, mask: bytearray) -> list[int]:
        return np.flatnonzero(np.frombuffer(mask, dtype=np.uint8)).tolist()  # type: ignore[no-any-return]

    def action_edges(self, instance: int, pre: bytearray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        src, dst, cmd = self.edges()
        by = np.asarray(self.cmd_instance, dtype=np.int64)
        keep = np.frombuffer(pre, dtype=np.uint8)[src].astype(bool) & (by[cmd] == instance) if src.size else np.zeros(0, dtype=bool)
        return src[keep], cmd[keep], dst[keep]

    def _by_destination(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(destination, source, command) of every edge, sorted by destination (stable)."""
        if self._reversed is None:
            src, dst, cmd = self.edges()
            n = len(self.graph.states)
            # a stable counting sort by destination: scipy's CSR to CSC conversion, edge numbers as data
            from scipy.sparse import csr_matrix  # noqa: PLC0415
            indptr = _np(self.graph.offsets, np.int64)
            indptr = np.concatenate([indptr, np.full(n + 1 - indptr.size, indptr[-1], dtype=np.int64)])
            m = csr_matrix((np.arange(dst.size, dtype=np.int32), dst, indptr), shape=(n, n)).tocsc()
            order = m.data
            by = np.repeat(np.arange(n, dtype=np.int32), np.diff(m.indptr))
            self._reversed = by, src[order], cmd[order]
        return self._reversed

    def _reached(self, rows: np.ndarray, cols: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Which states the edges ``rows -> cols`` (``rows`` sorted) reach from ``sources``."""
        n = len(self.graph.states)
        if not sources.size:
            return np.zeros(n, dtype=bool)
        # one extra node, n, with an edge to every source: one breadth-first search from it
        from scipy.sparse import csr_matrix  # noqa: PLC0415
        from scipy.sparse.csgraph import breadth_first_order  # noqa: PLC0415
        indptr = np.zeros(n + 2, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:n + 1])
        indptr[n + 1] = indptr[n] + sources.size
        indices = np.concatenate([cols, sources]).astype(np.int32)
        m = csr_matrix((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(n + 1, n + 1))
        order = breadth_first_order(m, n, directed=True, return_predecessors=False)
        seen = np.zeros(n + 1, dtype=bool)
        seen[order] = True
        return seen[:n]

    def backward(self, targets: Iterable[int], allowed: bytearray | None = None,
                 skip_cmd: set[int] | None = None) -> bytearray:
        """As :meth:`GraphAnalysis.backward`: in C, else one breadth-first search in scipy over the
        reversed edges."""
        seeds = np.fromiter(targets, dtype=np.int64)
        if self.algo is not None:
            mark = np.zeros(len(self.graph.states), dtype=np.uint8)
            mark[seeds] = 1
            return self.backward_marked(bytearray(mark.tobytes()), allowed, skip_cmd)
        dst, src, cmd = self._by_destination()
        keep = np.ones(src.size, dtype=bool)
        if allowed is not None:
            keep &= np.frombuffer(allowed, dtype=np.uint8)[src].astype(bool)
        if skip_cmd:
            keep &= ~np.isin(cmd, np.fromiter(skip_cmd, dtype=np.int64))
        seen = self._reached(dst[keep], src[keep], seeds)
        return bytearray(seen.astype(np.uint8).tobytes())

    def forward(self, sources: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """The states reachable from the ``allowed`` ones among ``sources`` through ``allowed``
        states only (a bool per state)."""
        src, dst, _ = self.edges()
        keep = allowed[src] & allowed[dst]
        start = np.zeros(len(self.graph.states), dtype=bool)
        start[sources] = True
        return self._reached(src[keep], dst[keep], np.flatnonzero(start & allowed))

    @property
    def reverse(self) -> tuple[array, array, array]:
        if self._reverse is None:
            n = len(self.graph.states)
            dst, src, cmd = self._by_destination()
            counts = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(dst, minlength=n), out=counts[1:])
            rsrc, rcmd = array("i"), array("i")
            rsrc.frombytes(src.astype(np.int32).tobytes())
            rcmd.frombytes(cmd.astype(np.int32).tobytes())
            roff = array("q")
            roff.frombytes(counts.tobytes())
            self._reverse = (roff, rsrc, rcmd)
        return self._reverse

    def goal_free_components(self, goal: Expr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Strong components of the subgraph of expanded states where ``goal`` is false.

        Returns (allowed: such states, labels: component per state, inside: edges within them).
        """
        key = structure(goal)
        hit = self._components.get(key)
        if hit is not None:
            return hit
        g = self.graph
        n = len(g.states)
        goal_mask = np.frombuffer(bytes(self.mask(goal)), dtype=np.uint8)
        allowed = np.zeros(n, dtype=bool)
        allowed[: g.expanded] = goal_mask[: g.expanded] == 0
        src, dst, _ = self.edges()
        inside = allowed[src] & allowed[dst]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src[inside], minlength=n), out=indptr[1:])
        cols = dst[inside].astype(np.int32)
        from scipy.sparse import csr_matrix  # noqa: PLC0415
        m = csr_matrix((np.ones(cols.size, dtype=np.int8), cols, indptr), shape=(n, n))
        count, labels = _strong_components(m)
        if labels.size != n or (n and not (int(labels.min()) >= 0 and int(labels.max()) < count)):
            raise MemoryError("the strong-component search returned no valid labelling")
        self._components[key] = allowed, labels, inside
        return allowed, labels, inside

    def unstarved_components(self, goal: Expr, command_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Goal-free components not shown unfair by the instances ``command_bits`` marks.

        ``command_bits`` gives each command its instance's bit (0 for instances not considered).
        A component is kept when it has an internal edge and every marked instance enabled in all
        its states is taken on one of its internal edges. Returns (the goal-free states, the
        component of each state, a mask of kept components, the out-degree of each expanded state).
        """
        key = (structure(goal), command_bits.tobytes())
        hit = self._unstarved.get(key)
        if hit is not None:
            return hit
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
        out = states, labels, nontrivial & ((everywhere & ~taken) == 0), degree
        self._unstarved[key] = out
        return out

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


class _EnabledAt(Sequence[int]):
    """The instances enabled in each expanded state (bit = instance index), computed from the
    state's out-edges when asked: a lasso asks for a few states, not for all of them."""

    def __init__(self, graph: StateGraph, cmd_bit: list[int]):
        self.graph, self.cmd_bit = graph, cmd_bit

    def __len__(self) -> int:
        return self.graph.expanded

    def __getitem__(self, v: int) -> int:  # type: ignore[override]
        g, bit = self.graph, self.cmd_bit
        m = 0
        for e in range(g.offsets[v], g.offsets[v + 1]):
            m |= bit[g.cmd[e]]
        return m


class VectorEscape(Escape):
    """:class:`Escape` as arrays: per state its flags (1: in a fair component, 2: a deadlock),
    and the component of each state of a fair component (the other states' labels are let go)."""

    def __init__(self, label: np.ndarray, flags: np.ndarray):
        self.flags = flags
        self.n = flags.size
        self._fair_states = np.flatnonzero(flags == 1)
        self._fair_labels = label[self._fair_states]

    @property
    def fair(self) -> list[set[int]]:
        order = np.argsort(self._fair_labels, kind="stable")
        states, labels = self._fair_states[order], self._fair_labels[order]
        cuts = np.flatnonzero(np.diff(labels)) + 1
        return [set(part.tolist()) for part in np.split(states, cuts)] if states.size else []

    @property
    def deadlocks(self) -> list[int]:
        return np.flatnonzero(self.flags == 2).tolist()  # type: ignore[no-any-return]

    def found(self) -> bool:
        return bool(self.flags.any())

    def first(self) -> int:
        return int(np.argmax(self.flags != 0))

    def is_deadlock(self, v: int) -> bool:
        return bool(self.flags[v] == 2)

    def component(self, v: int) -> Set[int]:
        at = int(np.searchsorted(self._fair_states, v))
        if at >= self._fair_states.size or self._fair_states[at] != v:
            raise ValueError(f"state {v} is in no fair component")
        return set(self._fair_states[self._fair_labels == self._fair_labels[at]].tolist())

    def marks(self) -> bytearray:
        return bytearray((self.flags != 0).astype(np.uint8).tobytes())

    def __contains__(self, v: int) -> bool:
        return bool(self.flags[v])
