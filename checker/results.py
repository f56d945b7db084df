"""What engines return: verdicts, traces and statistics as frozen dataclasses (no rendering).

A :class:`Trace` is a list of steps; the first has no action (the initial state). States are
tuples of value indexes of the traced system; renderers decode them. A lasso has
``loop_start``: the trace's last state equals the state of step ``loop_start``, and the steps
after ``loop_start`` repeat forever. :class:`LoopFairness` says why that loop is a fair run.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.errors import ExitStatus
from leasecheck.model.dhcp import Config
from leasecheck.properties.spec import Verdict


@dataclass(frozen=True)
class Step:
    action: str | None
    params: tuple[int, ...]
    label: str
    state: tuple[int, ...]

    @property
    def instance(self) -> str:
        return f"{self.action}({', '.join(map(str, self.params))})" if self.action else "initial state"


@dataclass(frozen=True)
class LoopFairness:
    """Why the loop of a lasso is a fair run: each fair instance is taken or disabled on it."""

    taken: tuple[str, ...]
    disabled: tuple[tuple[str, int], ...]  # (instance, index of a loop step where it is disabled)


@dataclass(frozen=True)
class Trace:
    steps: tuple[Step, ...]
    loop_start: int | None = None
    fairness: LoopFairness | None = None

    @property
    def is_lasso(self) -> bool:
        return self.loop_start is not None

    def __len__(self) -> int:
        return len(self.steps) - 1


@dataclass(frozen=True)
class CheckResult:
    property: str
    client: int | None
    verdict: Verdict
    reason: str
    trace: Trace | None = None


@dataclass(frozen=True)
class Stats:
    states: int
    transitions: int
    seconds: float
    complete: bool
    stop_reason: str = ""


@dataclass(frozen=True)
class Report:
    config: Config
    engine: str
    stats: Stats
    results: tuple[CheckResult, ...]

    @property
    def exit_code(self) -> ExitStatus:
        return exit_code(r.verdict for r in self.results)


def exit_code(verdicts: object) -> ExitStatus:
    """OK (0) all hold, VIOLATED (1) some violated, UNKNOWN (3) none violated but some unknown."""
    seen = set(verdicts)  # type: ignore[call-overload]
    if Verdict.VIOLATED in seen:
        return ExitStatus.VIOLATED
    if Verdict.UNKNOWN in seen:
        return ExitStatus.UNKNOWN
    return ExitStatus.OK


def combine(verdicts: list[Verdict]) -> Verdict:
    """The verdict of a claim about all clients: violated beats unknown beats holds."""
    if Verdict.VIOLATED in verdicts:
        return Verdict.VIOLATED
    if Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.HOLDS
