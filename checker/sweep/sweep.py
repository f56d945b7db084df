"""A sweep: the points of a grid not yet in the results file, run by an executor, each record
appended as it arrives, with progress; interruption keeps every finished record.

:func:`run_sweep` returns a :class:`SweepOutcome`: the grid's points, the records found for them
(resumed and new), how many were run now, and whether the sweep was interrupted. Its
:attr:`SweepOutcome.exit_status` is what ``leasecheck sweep`` exits with.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leasecheck.checker.sweep.executors import DaskExecutor, LocalExecutor
from leasecheck.checker.sweep.grid import Point
from leasecheck.checker.sweep.store import ResultsFile
from leasecheck.errors import ExitStatus


@dataclass(frozen=True)
class SweepProgress:
    done: int  # points with a record, resumed ones included
    total: int
    ran: int  # points run by this sweep so far
    to_run: int
    failed: int
    elapsed: float
    last: str  # the key of the point that just finished


@dataclass(frozen=True)
class SweepOutcome:
    points: tuple[Point, ...]
    records: dict[str, dict[str, Any]]  # by key, for the points of the grid that have one
    resumed: int
    ran: int
    failed: tuple[dict[str, Any], ...]
    interrupted: bool
    seconds: float
    executor: str
    limits: dict[str, Any] = field(default_factory=dict)

    @property
    def ordered(self) -> list[dict[str, Any]]:
        """The records in the grid's order."""
        return [self.records[p.key] for p in self.points if p.key in self.records]

    @property
    def unknown(self) -> int:
        return sum(1 for r in self.records.values() if "unknown" in r["verdicts"].values())

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.failed:
            return ExitStatus.INTERNAL
        if self.unknown or len(self.records) < len(self.points):
            return ExitStatus.UNKNOWN
        return ExitStatus.OK


def run_sweep(points: Sequence[Point], results: ResultsFile, executor: LocalExecutor | DaskExecutor,
              limits: dict[str, Any], progress: Callable[[SweepProgress], None] | None = None) -> SweepOutcome:
    started = time.perf_counter()
    done = results.load()
    wanted = {p.key for p in points}
    records = {k: v for k, v in done.items() if k in wanted}
    resumed = len(records)
    todo = [p for p in points if p.key not in records]
    tasks = [(p.as_dict(), dict(limits)) for p in todo]
    failed: list[dict[str, Any]] = []
    ran = 0
    interrupted = False
    try:
        for record in executor.run(tasks):
            results.append(record)
            ran += 1
            if record["status"] == "done":
                records[record["key"]] = record
            else:
                failed.append(record)
            if progress is not None:
                progress(SweepProgress(len(records) + len(failed), len(points), ran, len(todo), len(failed),
                                       time.perf_counter() - started, record["key"]))
    except KeyboardInterrupt:
        interrupted = True
    return SweepOutcome(tuple(points), records, resumed, ran, tuple(failed), interrupted,
                        time.perf_counter() - started, executor.description, dict(limits))
