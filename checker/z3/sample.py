"""Reachable states met by running the model: a breadth-first search from the initial state.

The search uses the model's generated successor function (:mod:`leasecheck.model.compile`)
and visits at most :data:`SEARCHED_STATES` states; when it stops short of that, a few random runs
(fixed seed) add deeper states. Nothing is decided from the sample alone: Houdini leaves out
candidate clauses that a sampled state falsifies (:mod:`.houdini`), and the lasso search
(:mod:`.liveness`) takes the path to a fair loop from the search's parent links when it met a state
of the loop, and, when the search was complete (every reachable state visited), sets aside without
a solver call a loop none of whose states it met. A trace built from these links is replayed
through the model like every other.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from leasecheck.model.compile import compile_successors
from leasecheck.model.lang import System

#: random runs added when the breadth-first search stops short: (runs, steps per run)
RUNS = (200, 60)
#: the seed of the random runs, so that every run of the engine samples the same states
SEED = 17
#: the most states the breadth-first search visits (3x3 nt40 has 441,151 reachable states)
SEARCHED_STATES = 600_000


@dataclass(frozen=True, eq=False)
class Sample:
    """States in the order the search met them, each with the state and command it was met from
    (-1 for the initial state); ``extra``: states of the random runs the search did not meet;
    ``complete``: the search met every reachable state."""

    states: list[tuple[int, ...]]
    parent: list[int]
    command: list[int]
    index: dict[tuple[int, ...], int]
    extra: frozenset[tuple[int, ...]]
    complete: bool

    def all_states(self) -> list[tuple[int, ...]]:
        return [*self.states, *self.extra]

    def path_to(self, system: System, state: tuple[int, ...]) -> tuple[list[tuple[int, ...]], list[tuple[str, tuple[int, ...]]]] | None:
        """A shortest path from the initial state to ``state`` (its states and the action
        instances fired), or None when the search did not meet ``state``."""
        i = self.index.get(state)
        if i is None:
            return None
        states: list[tuple[int, ...]] = []
        fired: list[tuple[str, tuple[int, ...]]] = []
        while i != -1:
            states.append(self.states[i])
            if self.parent[i] != -1:
                cmd = system.commands[self.command[i]]
                fired.append((cmd.action, cmd.params))
            i = self.parent[i]
        states.reverse()
        fired.reverse()
        return states, fired


def sample(system: System, check: Callable[[], None] | None = None, searched: int = SEARCHED_STATES,
           runs: tuple[int, int] = RUNS) -> Sample:
    """The breadth-first search of at most ``searched`` states, and when it stops short, the
    random runs; ``check`` is called now and then (it raises to stop)."""
    successors = compile_successors(system)
    initial = tuple(system.initial)
    states = [initial]
    parent = [-1]
    command = [-1]
    index = {initial: 0}
    i = 0
    while i < len(states) and len(states) < searched:
        if check is not None and not i & 1023:
            check()
        for cmd, after in successors(states[i]):
            if after not in index:
                index[after] = len(states)
                states.append(after)
                parent.append(i)
                command.append(cmd)
        i += 1
    complete = i == len(states)
    extra: set[tuple[int, ...]] = set()
    if not complete:
        rng = random.Random(SEED)
        for _ in range(runs[0]):
            state = initial
            for _ in range(runs[1]):
                if check is not None:
                    check()
                nexts = successors(state)
                if not nexts:
                    break
                state = rng.choice(nexts)[1]
                if state not in index:
                    extra.add(state)
    return Sample(states, parent, command, index, frozenset(extra), complete)
