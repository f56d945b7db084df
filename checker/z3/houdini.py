"""Inductive invariants mined by Houdini: the strongest conjunction of small clauses that is inductive.

The candidates are clauses over the value indexes of the state variables: ``x != a`` for one
variable, and ``not (x = a and y = b)`` for two. A candidate false in a reachable state cannot be
invariant and is left out at once; the states are those of a breadth-first search from the
initial state, and random runs when it stops short (:mod:`.sample`). When the search met every
reachable state, every candidate left holds in all of them, and Houdini's rounds only drop those
that are not inductive together. Sampling only saves solver calls, it decides nothing. Houdini
(Flanagan and Leino, 2001) then drops every candidate that some command can falsify from a state
satisfying all candidates, and repeats until no candidate drops. Every survivor holds initially
(the initial state is sampled) and is preserved by every command from any state satisfying them
all: the conjunction is an inductive invariant, the strongest one made of such clauses. The
recovery proof uses it as its over-approximation of the reachable states, and its certificate
re-checks it.

Each round asks one solver for a step, from a state satisfying every candidate, to a state that
falsifies some candidate still standing; each answer drops all the candidates it falsifies, and
those falsified by the successors of the states reached from its pre-state through states
satisfying every candidate of the round (a concrete search of a few states with the model's
generated successor function): each such step shows its clause outside the greatest inductive
subset, so the result is the same, with fewer solver calls.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import z3

from leasecheck.checker.budget import Budget
from leasecheck.checker.z3.sample import Sample, sample
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.terms import conj, disj
from leasecheck.checker.z3.translate import State, Translator
from leasecheck.model.compile import compile_successors
from leasecheck.model.lang import System


@dataclass(frozen=True)
class Clause:
    """Not all of these ``(variable, value index)`` equalities hold at once."""

    literals: tuple[tuple[int, int], ...]

    def formula(self, xs: State) -> z3.BoolRef:
        return z3.Not(conj([xs[v] == a for v, a in self.literals]))

    def holds_in(self, state: Sequence[int]) -> bool:
        return not all(state[v] == a for v, a in self.literals)


@dataclass(frozen=True)
class MinedInvariant:
    """The surviving clauses, and how they were found."""

    clauses: tuple[Clause, ...]
    candidates: int
    sampled: int
    rounds: int
    seconds: float

    def formula(self, xs: State) -> z3.BoolRef:
        return conj([c.formula(xs) for c in self.clauses])


@dataclass(frozen=True)
class MiningOutcome:
    invariant: MinedInvariant | None
    unknown: str = ""


def candidates(system: System, samples: Sequence[tuple[int, ...]]) -> list[Clause]:
    """The clauses of one or two literals that every sampled state satisfies."""
    sizes = [len(v.domain) for v in system.variables]
    n = len(sizes)
    table = np.array(samples, dtype=np.int64).reshape(len(samples), n)
    seen = [np.bincount(table[:, v], minlength=sizes[v]) > 0 for v in range(n)]
    out = [Clause(((v, a),)) for v in range(n) for a in range(sizes[v]) if not seen[v][a]]
    for v, w in itertools.combinations(range(n), 2):
        together = np.bincount(table[:, v] * sizes[w] + table[:, w], minlength=sizes[v] * sizes[w]) > 0
        out += [Clause(((v, a), (w, b))) for a in range(sizes[v]) for b in range(sizes[w]) if not together[a * sizes[w] + b]]
    return out


class _Table:
    """Candidate clauses as arrays of their literals, to evaluate many of them on many states at
    once (a one-literal clause repeats its literal)."""

    def __init__(self, clauses: Sequence[Clause]):
        self.clauses = list(clauses)
        first = [c.literals[0] for c in clauses]
        last = [c.literals[-1] for c in clauses]
        self._v1, self._a1 = (np.array([lit[k] for lit in first], dtype=np.int64) for k in (0, 1))
        self._v2, self._a2 = (np.array([lit[k] for lit in last], dtype=np.int64) for k in (0, 1))

    def mask(self, clauses: Sequence[Clause]) -> np.ndarray:
        chosen = set(clauses)
        return np.array([c in chosen for c in self.clauses], dtype=bool)

    def falsified(self, states: Sequence[Sequence[int]]) -> np.ndarray:
        """One row per state: which clauses it falsifies."""
        m = np.array(states, dtype=np.int64).reshape(len(states), -1)
        return (m[:, self._v1] == self._a1) & (m[:, self._v2] == self._a2)


#: how many states the concrete search from a counterexample to induction expands
NEARBY = 32


def _falsified_nearby(table: _Table, successors: Callable[[tuple[int, ...]], list[tuple[int, tuple[int, ...]]]],
                      start: tuple[int, ...], standing: np.ndarray) -> np.ndarray:
    """The clauses falsified by a successor of a state that satisfies every ``standing`` clause,
    among the states reached from ``start`` (a model's pre-state, which satisfies them all)
    through such states. Every such clause lies outside the greatest inductive subset of the
    standing ones (it holds in that state, and so would hold after the step), so Houdini may
    drop it without another solver call; at most :data:`NEARBY` states are expanded."""
    dropped = np.zeros(len(table.clauses), dtype=bool)
    frontier, seen = [start], {start}
    expanded = 0
    while frontier and expanded < NEARBY:
        state = frontier.pop()
        expanded += 1
        after = [t for _, t in successors(state)]
        if not after:
            continue
        rows = table.falsified(after)
        dropped |= rows.any(axis=0)
        for t, row in zip(after, rows, strict=True):
            if t not in seen and not (row & standing).any():
                seen.add(t)
                frontier.append(t)
    return dropped


def mine(tr: Translator, timeout: Timeout = None, deadline: float | None = None,
         sampled: Sample | None = None) -> MiningOutcome:
    """Houdini's fixpoint over the candidates that ``sampled`` (sampled now when None) leaves;
    ``deadline`` is a ``time.monotonic()`` value."""
    start = time.monotonic()
    system = tr.system
    if sampled is None:
        sampled = sample(system, check=timeout.check if isinstance(timeout, Budget) else None)
    samples = sampled.all_states()
    alive = candidates(system, samples)
    total = len(alive)
    xs, ys = tr.state("houdini"), tr.state("houdini'")
    step = disj([tr.command(cmd, xs, ys) for cmd in system.commands])
    solver = tr.solver(timeout)
    solver.add(tr.in_range(xs), step)
    assume = {c: z3.Bool(f"candidate {k}") for k, c in enumerate(alive)}
    falsified = {c: z3.Bool(f"falsified {k}") for k, c in enumerate(alive)}
    solver.add(*(z3.Implies(assume[c], c.formula(xs)) for c in alive))
    solver.add(*(z3.Implies(falsified[c], z3.Not(c.formula(ys))) for c in alive))
    table = _Table(alive)
    successors = compile_successors(system)
    rounds = queries = 0
    while True:
        rounds += 1
        hypotheses = [assume[c] for c in alive]
        standing = table.mask(alive)
        pending = standing.copy()
        while pending.any():
            if deadline is not None and time.monotonic() > deadline:
                return MiningOutcome(None, f"invariant mining ran out of time in round {rounds}")
            queries += 1
            query = z3.Bool(f"query {queries}")
            solver.add(z3.Implies(query, disj([falsified[table.clauses[i]] for i in np.flatnonzero(pending)])))
            answer = solver.check(*hypotheses, query)
            if answer.unsat:
                break
            if not answer.sat:
                return MiningOutcome(None, f"invariant mining: {answer.reason}")
            model = solver.model()
            pending &= ~table.falsified([tr.decode(model, ys)]).any(axis=0)
            pending &= ~_falsified_nearby(table, successors, tr.decode(model, xs), standing)
        if pending.sum() == len(alive):
            break
        alive = [table.clauses[i] for i in np.flatnonzero(pending)]
    units = {c.literals[0] for c in alive if len(c.literals) == 1}
    kept = tuple(c for c in alive if len(c.literals) == 1 or not any(lit in units for lit in c.literals))
    return MiningOutcome(MinedInvariant(kept, total, len(samples), rounds, time.monotonic() - start))
