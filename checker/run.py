"""The one way into the engines: :func:`run_check` runs any engine with any options.

Every front end goes through here: the command line, the public API (:func:`leasecheck.check`),
the notebooks and the benchmarks. Options travel as one frozen :class:`CheckOptions`, checked
when it is made; the result is one frozen :class:`CheckRun` that holds each engine's
:class:`~leasecheck.checker.results.Report`, the comparison when both engines ran, and the
re-checked certificates of the Z3 engine's proofs.

With ``engine="both"`` the explicit side honours ``explorer`` and ``symmetry`` exactly as alone;
with symmetry it decides per-client properties for client 0 (clients are interchangeable), and
the Z3 engine's verdicts for the other clients stand as its own.

One :class:`~leasecheck.checker.budget.Budget` is made when :func:`run_check` starts and passed
to every engine: ``timeout`` bounds the whole run (model building, exploration, analyses, every
solver call and re-check), and a :class:`~leasecheck.checker.budget.Cancellation` (set by the
command line's signal handler) stops it with what was reached. Either way the undecided verdicts
are unknown; a run stopped by a signal is :attr:`CheckRun.interrupted` (exit 130), one stopped by
its deadline exits 3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leasecheck.checker.budget import INTERRUPTED, Budget, Cancellation
from leasecheck.checker.compare import Comparison, compare
from leasecheck.checker.explicit.explore import DEFAULT_EXPLORER, EXPLORERS, Limits, Progress
from leasecheck.checker.results import CheckResult, Engine, Report, Stats, exit_code
from leasecheck.errors import ExitStatus, UsageError
from leasecheck.properties.model import Model

if TYPE_CHECKING:
    from leasecheck.checker.z3.engine import ProvedCertificate

ENGINES = ("explicit", "z3", "both")


@dataclass(frozen=True)
class CheckOptions:
    """How to check a configuration.

    ``properties``: the names to decide (None: every property that applies). ``engine``:
    ``explicit`` (enumerate the states), ``z3`` (symbolic) or ``both`` (compared). ``explorer``
    (``vector``, ``scalar`` or ``compiled``) and ``symmetry`` choose the explicit engine's explorer.
    ``max_states`` stops the explicit exploration early; ``timeout`` (seconds) bounds the whole
    run, every engine (each Z3 call gets at most 60 s, and never more than is left); unfinished
    verdicts are then unknown. ``depth`` bounds the Z3 engine's bounded searches. ``max_memory``
    (MB) bounds the explicit engine's resident size (None: 80 % of the memory available when the
    run starts, and 80 % of an address-space limit such as ``ulimit -v``); reaching it makes
    unfinished verdicts unknown.
    """

    properties: tuple[str, ...] | None = None
    engine: str = "explicit"
    explorer: str = DEFAULT_EXPLORER
    symmetry: bool = False
    max_states: int | None = None
    timeout: float | None = None
    depth: int = 20
    max_memory: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.properties, str):
            raise UsageError("properties is a sequence of names, not one string")
        if self.properties is not None:
            object.__setattr__(self, "properties", tuple(self.properties))
        if self.engine not in ENGINES:
            raise UsageError(f"unknown engine {self.engine!r}; choose one of {', '.join(ENGINES)}")
        if self.explorer not in EXPLORERS:
            raise UsageError(f"unknown explorer {self.explorer!r}; choose one of {', '.join(EXPLORERS)}")
        if self.symmetry and self.explorer == "scalar":
            raise UsageError("symmetry reduction needs the vector explorer or the compiled one")
        if self.symmetry and self.engine == "z3":
            raise UsageError("symmetry reduction is an option of the explicit engine (use --engine both to compare)")
        for name, limit in (("a state limit", self.max_states), ("a memory limit", self.max_memory)):
            if limit is not None and self.engine == "z3":
                raise UsageError(f"{name} bounds the explicit engine's exploration; the z3 engine enumerates no "
                                  "states (its searches are bounded by depth and timeout)")
        _whole("max_states", self.max_states, 1, "")
        _whole("max_memory", self.max_memory, 1, " MB")
        _whole("depth", self.depth, 0, "")
        if self.timeout is not None and (isinstance(self.timeout, bool) or not isinstance(self.timeout, int | float)
                                         or not self.timeout > 0):
            raise UsageError(f"timeout must be a number of seconds above 0, not {self.timeout!r}")


def _whole(name: str, value: object, minimum: int, unit: str) -> None:
    """Refuse ``value`` unless it is None or a whole number of at least ``minimum``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise UsageError(f"{name} must be a whole number{unit and ' of' + unit} of at least {minimum}, not {value!r}")


@dataclass(frozen=True)
class CheckRun:
    """What one check found: each engine's report (explicit first), and with both engines their
    comparison. ``certificates`` are the Z3 engine's re-checked proofs (SMT-LIB 2 on demand)."""

    model: Model
    options: CheckOptions
    reports: tuple[Report, ...]
    comparison: Comparison | None = None
    certificates: tuple[ProvedCertificate, ...] = field(default=())

    @property
    def config(self) -> Any:
        """The configuration the model was built from."""
        return self.model.config

    @property
    def report(self) -> Report:
        """The report to show first: the only one, or the explicit engine's when both ran."""
        return self.reports[0]

    @property
    def results(self) -> tuple[CheckResult, ...]:
        """The results of :attr:`report` (with both engines, :attr:`comparison` pairs them)."""
        return self.report.results

    @property
    def interrupted(self) -> bool:
        return any(r.stats.stop_reason == INTERRUPTED for r in self.reports)

    @property
    def exit_status(self) -> ExitStatus:
        """0 all hold, 1 some violated, 3 some unknown, 4 the engines disagree, 130 interrupted."""
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if any(not r.results and r.stats.stop_reason for r in self.reports):
            return ExitStatus.UNKNOWN  # stopped before any property was even listed
        if self.comparison is not None:
            if self.comparison.disagreements:
                return ExitStatus.DISAGREE
            return exit_code(self.comparison.verdicts)
        return self.report.exit_code


def run_check(
    model: Model,
    options: CheckOptions = CheckOptions(),
    progress: Callable[[Progress], None] | None = None,
    cancel: Cancellation | None = None,
) -> CheckRun:
    """Check ``model`` (one configuration, built by its model's builder) as ``options`` say;
    ``progress`` is called now and then while exploring; ``cancel``, once set (by a signal
    handler), stops the run with what it reached. :class:`UsageError` for a property name the
    model does not offer."""
    unknown = [p for p in options.properties or () if p not in model.names]
    if unknown:
        raise UsageError(f"unknown property {unknown[0]!r}; choose from {', '.join(model.names)}")
    budget = Budget.start(options.timeout, cancel)
    names: Sequence[str] | None = options.properties
    reports: list[Report] = []
    certificates: tuple[ProvedCertificate, ...] = ()
    try:
        with budget.cancel.shield():  # an import cut short by a signal leaves a half-made module
            if options.engine in ("explicit", "both"):
                from leasecheck.checker.explicit.engine import explicit_report
            if options.engine in ("z3", "both"):
                from leasecheck.checker.z3.engine import Z3Options, z3_run
        if options.engine in ("explicit", "both"):
            limits = Limits(options.max_states, None, budget, options.max_memory)
            report, _ = explicit_report(model, names, limits, progress, options.explorer, options.symmetry)
            reports.append(report)
            if report.stats.stop_reason == INTERRUPTED:
                return CheckRun(model, options, tuple(reports))
        if options.engine in ("z3", "both"):
            z3 = z3_run(model, names, Z3Options(depth=options.depth, budget=budget))
            reports.append(z3.report)
            certificates = z3.certificates
    except KeyboardInterrupt:  # between the engines, or while one was being imported
        stats = Stats(0, 0, 0.0, False, budget.stop_reason() or INTERRUPTED)
        z3_engine = options.engine == "z3" or bool(reports)
        reports.append(Report(model, "z3" if z3_engine else "explicit", stats, (),
                              kind=Engine.Z3 if z3_engine else Engine.EXPLICIT))
        if stats.stop_reason == INTERRUPTED:
            return CheckRun(model, options, tuple(reports))
    comparison = compare(reports[0], reports[1]) if len(reports) == 2 and all(r.results for r in reports) else None
    return CheckRun(model, options, tuple(reports), comparison, certificates)
