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
falsifies some candidate still standing; each answer drops all the candidates it falsifies.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import z3

from leasecheck.checker.budget import Budget
from leasecheck.checker.z3.sample import Sample, sample
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.terms import conj, disj
from leasecheck.checker.z3.translate import State, Translator
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
    rounds = queries = 0
    while True:
        rounds += 1
        hypotheses = [assume[c] for c in alive]
        pending = list(alive)
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                return MiningOutcome(None, f"invariant mining ran out of time in round {rounds}")
            queries += 1
            query = z3.Bool(f"query {queries}")
            solver.add(z3.Implies(query, disj([falsified[c] for c in pending])))
            answer = solver.check(*hypotheses, query)
            if answer.unsat:
                break
            if not answer.sat:
                return MiningOutcome(None, f"invariant mining: {answer.reason}")
            state = tr.decode(solver.model(), ys)
            pending = [c for c in pending if c.holds_in(state)]
        if len(pending) == len(alive):
            break
        alive = pending
    units = {c.literals[0] for c in alive if len(c.literals) == 1}
    kept = tuple(c for c in alive if len(c.literals) == 1 or not any(lit in units for lit in c.literals))
    return MiningOutcome(MinedInvariant(kept, total, len(samples), rounds, time.monotonic() - start))
