"""The one wrapper around Z3 solvers: fixed seeds, scoped assertions, honest answers.

:class:`Solver` wraps an incremental ``z3.Solver``: :meth:`Solver.scope` is push/pop as a
context manager, :meth:`Solver.check` turns Z3's ``sat``/``unsat``/``unknown`` into an
:class:`Answer` that carries Z3's reason when it could not decide. :func:`horn_solver` gives the
same wrapper around Z3's Spacer engine for constrained Horn clauses. Every solver made here uses
the same fixed random seed, so runs are repeatable.

A solver's limit is a number of seconds per call or a run's
:class:`~leasecheck.checker.budget.Budget`: then each call gets the smaller of the budget's
per-call limit and what is left of the run, a call is not started once the run must stop, and a
call that a signal cut short raises :class:`~leasecheck.checker.budget.Interrupted` (or
:class:`~leasecheck.checker.budget.OutOfTime`) instead of answering: its "unknown" is never taken
for a step of a search or a proof. Z3's own Ctrl-C handling is off: the command line's signal
handler interrupts the context instead.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import z3

from leasecheck.checker.budget import Budget, OutOfTime

#: the random seed every solver of the engine uses
SEED = 17


class Outcome(enum.Enum):
    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Answer:
    """What a check said; ``reason`` explains an UNKNOWN (Z3's own reason, or a timeout)."""

    outcome: Outcome
    reason: str = ""

    @property
    def sat(self) -> bool:
        return self.outcome is Outcome.SAT

    @property
    def unsat(self) -> bool:
        return self.outcome is Outcome.UNSAT


#: a solver's limit: seconds per call, a run's budget, or none
Timeout = float | Budget | None


class Solver:
    """An incremental solver with a fixed seed and an optional per-check limit (seconds, or a
    run's :class:`~leasecheck.checker.budget.Budget`)."""

    def __init__(self, timeout: Timeout = None, logic: str | None = None, spacer: bool = False):
        self._z3 = z3.SolverFor(logic) if logic else z3.Solver()
        self._z3.set("random_seed", SEED)
        self._z3.set("ctrl_c", False)
        if spacer:
            self._z3.set("engine", "spacer")
        self._budget = timeout if isinstance(timeout, Budget) else None
        if timeout is not None and self._budget is None:
            self._z3.set("timeout", _millis(timeout))  # type: ignore[arg-type]

    def add(self, *formulas: z3.BoolRef) -> None:
        self._z3.add(*formulas)

    @contextmanager
    def scope(self) -> Iterator[Solver]:
        """Assertions added inside the ``with`` block are dropped when it ends."""
        self._z3.push()
        try:
            yield self
        finally:
            self._z3.pop()

    def check(self, *assumptions: z3.BoolRef) -> Answer:
        """Check the assertions under ``assumptions`` (booleans of this engine's context); the
        assumptions go to Z3 as one array, without the wrapper's per-argument coercion, which
        costs more than the check when there are a thousand of them."""
        budget = self._budget
        cut = False  # the call's limit is what is left of the run
        if budget is not None:
            budget.check()
            limit = budget.call_limit()
            if limit is not None:
                self._z3.set("timeout", _millis(limit))
                cut = limit != budget.per_call
        result = self._check(assumptions)
        if budget is not None:
            budget.check()  # cut short by a signal or by the deadline: not an answer
            if cut and result != z3.sat and result != z3.unsat:
                raise OutOfTime(f"the run's time limit ran out (timeout after {budget.timeout:g} s)")
        if result == z3.sat:
            return Answer(Outcome.SAT)
        if result == z3.unsat:
            return Answer(Outcome.UNSAT)
        return Answer(Outcome.UNKNOWN, f"Z3 could not decide: {self._z3.reason_unknown()}")

    def _check(self, assumptions: tuple[z3.BoolRef, ...]) -> z3.CheckSatResult:
        try:
            if assumptions:
                s = self._z3
                arr = (z3.Ast * len(assumptions))()
                for i, a in enumerate(assumptions):
                    arr[i] = a.as_ast()
                return z3.CheckSatResult(z3.Z3_solver_check_assumptions(s.ctx.ref(), s.solver, len(assumptions), arr))
            return self._z3.check()
        except z3.Z3Exception as exc:
            if "canceled" not in str(exc):
                raise
            return z3.unknown  # the context was interrupted during the call (a signal): not an answer

    def model(self) -> z3.ModelRef:
        return self._z3.model()

    def core(self) -> list[z3.BoolRef]:
        """The assumptions an unsat answer used (after :meth:`check` with assumptions)."""
        return list(self._z3.unsat_core())

    def sexpr(self) -> str:
        return str(self._z3.sexpr())


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def state_solver(bitvectors: bool, timeout: Timeout = None) -> Solver:
    """A solver for formulas over states: over bit-vector states, Z3's finite-domain solver
    (bit-blasted to SAT, much faster on these questions), else Z3's default."""
    return Solver(timeout, logic="QF_FD") if bitvectors else Solver(timeout)


def horn_solver(timeout: Timeout = None) -> Solver:
    """A solver for constrained Horn clauses, run by Spacer (property-directed reachability)."""
    return Solver(timeout, logic="HORN", spacer=True)
