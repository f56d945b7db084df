"""Breadth-first exploration of a traced system into a compact :class:`StateGraph`.

The order of exploration is the model's, and every explorer keeps it (the vectorised one of
:mod:`leasecheck.checker.explicit.vexplore` too, so both give the same graph, numbered alike, and
the same counterexamples): states are expanded in the order they are numbered, the initial
state first; a state's successors are taken in the order of the guarded commands (their
``index``, the order in which the model declares them); a state new to the search gets the next
number, and its parent is the state, and the command, that reached it first. So state numbers
never decrease with depth and the parent links give shortest paths. Out-edges are kept in CSR form (``offsets``,
``dst``, ``cmd``), each labelled with the guarded command that produced it; the liveness and
branching analyses of :mod:`leasecheck.checker.explicit.analysis` run on that graph.

Limits: ``max_states``, ``timeout`` and the memory budget (``max_memory`` MB, by default from the
machine: :mod:`leasecheck.checker.explicit.memory`) stop the search early, and so do a run's
``budget`` (its deadline, or a signal: "interrupted"); the graph then says it is not ``complete``
and why, and only the first ``expanded`` states have their out-edges.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leasecheck.checker.budget import INTERRUPTED, Budget
from leasecheck.checker.explicit.memory import memory_budget
from leasecheck.model.compile import compile_successors
from leasecheck.model.lang import System

#: the explicit engine's explorers: generated C (:mod:`leasecheck.checker.explicit.compiled`, the
#: default; the vector one where no C compiler is), numpy over packed states, or generated Python
EXPLORERS = ("compiled", "vector", "scalar")

#: the explorer a run uses unless it names one
DEFAULT_EXPLORER = "compiled"


@dataclass(frozen=True)
class Limits:
    """``timeout``: seconds from the exploration's start; ``budget``: the whole run's."""

    max_states: int | None = None
    timeout: float | None = None
    budget: Budget | None = None

    def deadline(self, start: float) -> float | None:
        """When the exploration must stop (``time.monotonic()``), ``start`` being its start."""
        own = None if self.timeout is None else start + self.timeout
        run = None if self.budget is None else self.budget.deadline
        return run if own is None else own if run is None else min(own, run)

    def stop_reason(self) -> str:
        """Why a run stopped at a deadline or a signal (the run's reason when it has a budget)."""
        if self.budget is not None and self.budget.stop_reason():
            return self.budget.stop_reason()
        return f"timeout after {self.timeout:g} s"

    def interrupted(self) -> str:
        """The stop reason of an exploration that a KeyboardInterrupt ended."""
        if self.budget is not None and self.budget.stop_reason():
            return self.budget.stop_reason()
        return INTERRUPTED

    def cancelled(self) -> bool:
        return self.budget is not None and self.budget.cancel.cause is not None
    #: the ceiling on the resident size in MB (None: 80 % of the memory available at the start)
    max_memory: int | None = None


@dataclass(frozen=True)
class Progress:
    states: int
    expanded: int
    transitions: int
    seconds: float


@dataclass(frozen=True, eq=False)
class StateGraph:
    """The reachable graph as far as it was explored."""

    system: System
    states: Sequence[tuple[int, ...]]  # a list, or a packed view (leasecheck.checker.explicit.vexplore.PackedStates)
    parent: array  # parent state number, -1 for the initial state
    parent_cmd: array  # the command that first reached the state, -1 for the initial state
    offsets: array  # out-edges of state i are dst[offsets[i]:offsets[i+1]]; len = expanded + 1
    dst: array
    cmd: array
    expanded: int
    complete: bool
    stop_reason: str
    seconds: float

    @property
    def transitions(self) -> int:
        return len(self.dst)

    def out_edges(self, i: int) -> range:
        return range(self.offsets[i], self.offsets[i + 1])

    def path_to(self, i: int) -> list[tuple[int, int]]:
        """[(command, state)] from the initial state to ``i``; the first command is -1."""
        out = []
        while i != -1:
            out.append((self.parent_cmd[i], i))
            i = self.parent[i]
        out.reverse()
        return out


def explore(
    system: System,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
) -> StateGraph:
    """Explore every reachable state (or up to the limits)."""
    limits = limits or Limits()
    successors = compile_successors(system)
    start = time.perf_counter()
    deadline = limits.deadline(time.monotonic())
    init = system.initial
    index: dict[tuple[int, ...], int] = {init: 0}
    states = [init]
    parent = array("i", [-1])
    parent_cmd = array("i", [-1])
    offsets = array("q", [0])
    dst = array("i")
    cmd = array("i")
    max_states = limits.max_states
    next_report = start + progress_every
    stop_reason = ""
    memory = memory_budget(limits.max_memory)
    i = 0
    get = index.get
    try:
        while i < len(states):
            if (i & 8191) == 0:
                stop_reason = memory.exceeded()
                if stop_reason:
                    break
            if (i & 1023) == 0 and (deadline is not None or progress is not None or limits.budget is not None):
                now = time.perf_counter()
                if (deadline is not None and time.monotonic() > deadline) or limits.cancelled():
                    stop_reason = limits.stop_reason()
                    break
                if progress is not None and now >= next_report:
                    progress(Progress(len(states), i, len(dst), now - start))
                    next_report = now + progress_every
            for k, nxt in sorted(successors(states[i])):  # command order (no two share an index)
                j = get(nxt)
                if j is None:
                    if max_states is not None and len(states) >= max_states:
                        stop_reason = f"state limit of {max_states} reached"
                        break
                    j = len(states)
                    index[nxt] = j
                    states.append(nxt)
                    parent.append(i)
                    parent_cmd.append(k)
                dst.append(j)
                cmd.append(k)
            if stop_reason:
                break
            offsets.append(len(dst))
            i += 1
    except KeyboardInterrupt:
        stop_reason = limits.interrupted()
    except MemoryError:
        stop_reason = memory.reason()
    # a state whose out-edges are partial is not expanded: keep `expanded` exact
    del dst[offsets[i]:]
    del cmd[offsets[i]:]
    # an interrupt may land between the appends of one new state: keep the three in step
    n = min(len(states), len(parent), len(parent_cmd))
    del states[n:], parent[n:], parent_cmd[n:]
    return StateGraph(
        system=system,
        states=states,
        parent=parent,
        parent_cmd=parent_cmd,
        offsets=offsets,
        dst=dst,
        cmd=cmd,
        expanded=i,
        complete=not stop_reason,
        stop_reason=stop_reason,
        seconds=time.perf_counter() - start,
    )
