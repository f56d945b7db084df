"""How much work a query of the all-sizes prover may take: counted by the solver, not timed.

Every solver of the all-sizes prover is made and asked here. A query gets a resource limit
(Z3's ``rlimit``: a count of the solver's elementary steps, the same on every machine for the
same Z3 and the same query) and fixed random seeds, so one command asks the same queries, gets
the same answers and takes the same path on a fast machine, a slow one or a loaded one. A query
that gives up at its limit is asked once more with :data:`ESCALATE` times the limit; if it gives
up again, its caller is told ``unknown`` (and says so, or splits the query): both are decided by
the count, never by the clock.

The wall clock is only the run's own deadline (``--timeout``): a query still running when it
passes is stopped and :class:`OutOfTime` is raised, which ends the run "unknown" with that
reason. The deadline never changes an answer that a query gives before it.

A run may also have a limit of work as a whole (:class:`WorkMeter`, the sum of its queries'
counts): when its queries have spent it, the next query is not asked and :class:`OutOfWork` (a
kind of :class:`OutOfTime`, so every caller ends the run the same way) is raised. Unlike the
deadline, that limit is the same on every machine: a run ends at the same query everywhere.

May import: leasecheck.errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import z3

from leasecheck.errors import Signal

#: The work one query may take before it gives up, in Z3's resource units (``rlimit``). Measured
#: on a loaded 2-core machine: 0.3 to 1.6 million units a second, depending on the query.
RLIMIT = 20_000_000
#: A query that gives up is asked once more with this many times its limit.
ESCALATE = 4
#: The seed of every random choice the solver makes.
SEED = 0
#: Z3's largest timeout, in milliseconds.
_MAX_MS = 2**32 - 2


class OutOfTime(Signal):
    """The run's deadline passed (before a query, or while one ran)."""


class OutOfWork(OutOfTime):
    """The run's queries spent its limit of work (:class:`WorkMeter`) before the next query."""


class WorkMeter:
    """The work a run's queries have spent so far, and the most they may spend (``limit``, in
    Z3's resource units; None: no limit). One meter belongs to one run."""

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self.spent = 0
        self.queries = 0
        #: whether a query was refused because the limit was spent
        self.exhausted = False

    def before(self, what: str) -> None:
        """Raise :class:`OutOfWork` when the limit is spent."""
        if self.limit is not None and self.spent >= self.limit:
            self.exhausted = True
            raise OutOfWork(f"the run's limit of work ({self.limit:,} units) was spent before {what}")

    def add(self, work: int) -> None:
        self.spent += work
        self.queries += 1


@dataclass(frozen=True)
class Query:
    """One solver call, as a trace reports it: what was asked, the answer, the work it took."""

    what: str
    result: str
    rlimit: int
    work: int
    seconds: float


@dataclass(frozen=True)
class Effort:
    """The limits of the queries of one run: the work per query, the run's deadline
    (``time.monotonic()``; infinite: none), who hears of each query, and the meter of the
    run's whole work (none: not counted, no limit)."""

    rlimit: int = RLIMIT
    deadline: float = math.inf
    trace: Callable[[Query], None] | None = None
    meter: WorkMeter | None = None

    def solver(self, ctx: z3.Context) -> z3.Solver:
        """A solver with the fixed seed; its limits are set by :meth:`check`."""
        s = z3.Solver(ctx=ctx)
        s.set("random_seed", SEED)
        return s

    def check(self, s: z3.Solver, what: str, *assumptions: z3.ExprRef, escalate: bool = True,
              rlimit: int | None = None) -> z3.CheckSatResult:
        """``s.check(*assumptions)`` within ``rlimit`` (this effort's by default); once more with
        :data:`ESCALATE` times that when it gives up and ``escalate`` is set. Raises
        :class:`OutOfTime` when the deadline passes first."""
        limit = rlimit or self.rlimit
        r = self._check_once(s, what, assumptions, limit)
        if r == z3.unknown and escalate:
            r = self._check_once(s, what, assumptions, limit * ESCALATE)
        return r

    def _check_once(self, s: z3.Solver, what: str, assumptions: tuple[z3.ExprRef, ...],
                    limit: int) -> z3.CheckSatResult:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime(f"the time ran out before {what}")
        if self.meter is not None:
            self.meter.before(what)
        s.set("rlimit", limit)
        # the deadline only: a query that reaches it ends the run, it never gets an answer changed
        s.set("timeout", _MAX_MS if math.isinf(left) else max(1, min(_MAX_MS, int(left * 1000))))
        before = _work(s)
        t0 = time.monotonic()
        r = s.check(*assumptions)
        seconds = time.monotonic() - t0
        work = _work(s) - before
        if self.meter is not None:
            self.meter.add(work)
        if self.trace is not None:
            self.trace(Query(what, str(r), limit, work, seconds))
        if r == z3.unknown and (s.reason_unknown() == "timeout" or time.monotonic() >= self.deadline):
            raise OutOfTime(f"the time ran out during {what}")
        return r


def assert_all(s: z3.Solver, terms: Iterable[z3.BoolRef]) -> None:
    """``s.add(*terms)`` for terms already Boolean and of the solver's context, without the checks
    and conversions ``add`` makes of each: the same assertions in the same order (a query of
    thousands of assertions spent more time in those checks than in the solver's own call)."""
    ctx, solver = s.ctx.ref(), s.solver
    for t in terms:
        z3.Z3_solver_assert(ctx, solver, t.as_ast())


def _work(s: z3.Solver) -> int:
    """The context's resource count so far (a count, not a time)."""
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in list(st.keys()) else 0


def effort_of(limit: Effort | float | None) -> Effort:
    """An effort as given, or the default one with the deadline given (``time.monotonic()``)."""
    if isinstance(limit, Effort):
        return limit
    return Effort() if limit is None else Effort(deadline=float(limit))
