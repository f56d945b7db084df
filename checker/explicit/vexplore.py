"""The vectorised explicit explorer: breadth-first search over packed states with numpy.

States are packed into fixed-width keys (:mod:`leasecheck.checker.explicit.pack`); the frontier is expanded one BFS
level at a time, in batches, by evaluating every guarded command over the whole batch
(:mod:`leasecheck.checker.explicit.vector`); new keys are found with the hash table of :mod:`leasecheck.checker.explicit.keytable`.
Batches never span two levels, so every state's parent lies one level above it and the parent
links give shortest paths, as in :mod:`leasecheck.checker.explicit.explore`.

The result is a :class:`~leasecheck.checker.explicit.explore.StateGraph` whose ``states`` is a
:class:`PackedStates` view (a state tuple is decoded only when asked for), so the analyses of
:mod:`leasecheck.checker.explicit.analysis` and :func:`leasecheck.checker.explicit.decide.decide` run on it unchanged and give the same
verdicts as on the scalar explorer's graph.

An optional ``canonical`` function maps every successor matrix to class representatives
(symmetry reduction, :mod:`leasecheck.checker.symmetry`); the graph is then the quotient graph.

Limits behave as in the scalar explorer: ``max_states`` keeps exactly that many states, and
``timeout``, the run's deadline, a signal and the memory budget stop between batches (an
allocation that fails inside a batch stops the search too, at the last whole batch); each leaves
an incomplete graph.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import overload

import numpy as np

from leasecheck.checker.explicit.explore import Limits, Progress, StateGraph
from leasecheck.checker.explicit.keytable import Added, KeyTable
from leasecheck.checker.explicit.memory import memory_budget
from leasecheck.checker.explicit.pack import Layout, layout, pack, unpack
from leasecheck.checker.explicit.vector import Program, successors
from leasecheck.model.lang import Expr, System, reads

#: states expanded per batch (the batch's successors are held in memory at once)
BATCH = 1 << 16

Canonical = Callable[[np.ndarray], np.ndarray]


class PackedStates(Sequence[tuple[int, ...]]):
    """The explored states as packed keys; indexing decodes one state tuple."""

    def __init__(self, program: Program, lay: Layout, keys: np.ndarray):
        self.program = program
        self.layout = lay
        self.keys = keys

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @overload
    def __getitem__(self, i: int) -> tuple[int, ...]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, ...]]: ...

    def __getitem__(self, i: int | slice) -> tuple[int, ...] | list[tuple[int, ...]]:
        if isinstance(i, slice):
            return [tuple(r) for r in unpack(self.layout, self.keys[i]).tolist()]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return tuple(unpack(self.layout, self.keys[i:i + 1])[0].tolist())

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        for lo in range(0, len(self), BATCH):
            yield from (tuple(r) for r in unpack(self.layout, self.keys[lo:lo + BATCH]).tolist())

    def matrix(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return unpack(self.layout, self.keys[lo:hi])

    def mask(self, e: Expr) -> bytearray:
        """1 for every state where the predicate ``e`` holds (vectorised)."""
        out = bytearray(len(self))
        used = reads(e)  # only the variables the predicate reads are unpacked
        for lo in range(0, len(self), BATCH):
            part = self.program.predicate(e, unpack(self.layout, self.keys[lo:lo + BATCH], used))
            out[lo:lo + part.size] = part.astype(np.uint8).tobytes()
        return out


class _Growing:
    """An append-only numpy array (amortised doubling)."""

    def __init__(self, dtype: type, capacity: int = 1 << 12):
        self.data: np.ndarray = np.empty(capacity, dtype=dtype)
        self.n = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.n + values.size
        if need > self.data.size:
            grown = np.empty(max(need, self.data.size * 2), dtype=self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n: need] = values
        self.n = need

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def release(self, n: int) -> np.ndarray:
        """The first ``n`` values; the array lets go of its buffer (the caller holds it now)."""
        data, self.data, self.n = self.data[:n], np.empty(0, dtype=self.data.dtype), 0
        return data


def _array(code: str, values: np.ndarray) -> array:
    out = array(code)
    data = np.ascontiguousarray(values, dtype={"i": np.int32, "q": np.int64}[code])
    out.frombytes(memoryview(data).cast("B"))  # type: ignore[arg-type]  # one copy, not two
    return out


def _distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``keys`` and, per row of ``keys``, its position among them."""
    if keys.shape[1] == 1:
        distinct, inverse = np.unique(keys[:, 0], return_inverse=True)
        return distinct[:, None], inverse.ravel()
    rows = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return keys[first], inverse.ravel()


def _add_canonical(table: KeyTable, lay: Layout, canonical: Canonical, keys: np.ndarray) -> Added:
    """``table.find_or_add`` of the representatives of ``keys``, with as little work as it takes.

    The table holds representatives only, and a representative is its own: a key found as it
    is needs no canonical form. The other keys are canonicalised once per distinct key, and
    the representatives found are settled too. Only the rows whose representative is new go to
    ``find_or_add``, in their order and after the table has grown as for the whole batch: the
    rows left out never claim a slot there, so the new states get the numbers, and the
    introducing rows, that ``find_or_add`` of every row's representative gives.
    """
    table.grow_for(keys.shape[0])
    distinct, inverse = _distinct_rows(keys)
    ids = table.find(distinct)
    miss = np.flatnonzero(ids < 0)
    if miss.size:
        reps = pack(lay, canonical(unpack(lay, distinct[miss])))
        ids[miss] = table.find(reps)
        rep = np.empty_like(distinct)
        rep[miss] = reps
    row_ids = ids[inverse]
    new = np.flatnonzero(row_ids < 0)
    if not new.size:
        return Added(row_ids, np.empty(0, dtype=np.int64))
    added = table.find_or_add(rep[inverse[new]])
    row_ids[new] = added.ids
    return Added(row_ids, new[added.first])


def explore_vector(
    system: System,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
    canonical: Canonical | None = None,
) -> StateGraph:
    """Explore every reachable state (or class, with ``canonical``) up to the limits."""
    limits = limits or Limits()
    start = time.perf_counter()
    deadline = limits.deadline(time.monotonic())
    program = Program(system)
    lay = layout(system)
    table = KeyTable(lay.words)
    init: np.ndarray = np.asarray([system.initial], dtype=lay.dtype)
    if canonical is not None:
        init = canonical(init)
    table.find_or_add(pack(lay, init))
    parent = _Growing(np.int32)
    parent_cmd = _Growing(np.int32)
    parent.extend(np.array([-1]))
    parent_cmd.extend(np.array([-1]))
    degree = _Growing(np.int64)
    dst = _Growing(np.int32)
    cmd = _Growing(np.int32)
    max_states = limits.max_states
    next_report = start + progress_every
    stop_reason = ""
    memory = memory_budget(limits.max_memory)
    lo, level_end = 0, 1
    try:
        while lo < table.n:
            now = time.perf_counter()
            if (deadline is not None and time.monotonic() > deadline) or limits.cancelled():
                stop_reason = limits.stop_reason()
                break
            stop_reason = memory.exceeded()
            if stop_reason:
                break
            if progress is not None and now >= next_report:
                progress(Progress(table.n, lo, dst.n, now - start))
                next_report = now + progress_every
            if lo == level_end:
                level_end = table.n
            hi = min(level_end, lo + BATCH)
            batch = successors(program, lay, table.keys[lo:hi])
            # edges of each state in command order: a stable sort by source row
            order = np.argsort(batch.source, kind="stable")
            source, command, keys = batch.source[order], batch.command[order], batch.keys[order]
            added = table.find_or_add(keys) if canonical is None else _add_canonical(table, lay, canonical, keys)
            if max_states is not None and table.n > max_states:
                keep = max_states - (table.n - added.first.size)
                parent.extend((source[added.first[:keep]] + lo).astype(np.int32))
                parent_cmd.extend(command[added.first[:keep]])
                table.n = max_states
                stop_reason = f"state limit of {max_states} reached"
                break
            parent.extend((source[added.first] + lo).astype(np.int32))
            parent_cmd.extend(command[added.first])
            dst.extend(added.ids.astype(np.int32))
            cmd.extend(command)
            degree.extend(np.bincount(source, minlength=hi - lo))
            lo = hi
    except KeyboardInterrupt:
        stop_reason = limits.interrupted()
    except MemoryError:
        stop_reason = memory.reason()
    # keep the per-state arrays in step whatever point an interrupt hit
    n = min(table.n, parent.n, parent_cmd.n)
    expanded = min(degree.n, n)
    parents = _array("i", parent.release(n)), _array("i", parent_cmd.release(n))
    try:
        offsets = np.zeros(expanded + 1, dtype=np.int64)
        np.cumsum(degree.release(expanded), out=offsets[1:])
        edges = int(offsets[-1])
        out_edges = _array("q", offsets), _array("i", dst.release(edges)), _array("i", cmd.release(edges))
    except MemoryError:  # no room left for the edges: keep the states, expand none
        dst.release(0), cmd.release(0)
        expanded, out_edges = 0, (array("q", [0]), array("i"), array("i"))
        stop_reason = memory.reason()
    return StateGraph(
        system=system,
        states=PackedStates(program, lay, table.keys[:n]),
        parent=parents[0],
        parent_cmd=parents[1],
        offsets=out_edges[0],
        dst=out_edges[1],
        cmd=out_edges[2],
        expanded=expanded,
        complete=not stop_reason,
        stop_reason=stop_reason,
        seconds=time.perf_counter() - start,
    )
