"""What engines return: verdicts, traces and statistics as frozen dataclasses (no rendering).

A :class:`Trace` is a list of steps; the first has no action (the initial state). States are
tuples of value indexes of the traced system; renderers decode them. A lasso has
``loop_start``: the trace's last state equals the state of step ``loop_start``, and the steps
after ``loop_start`` repeat forever. :class:`LoopFairness` says why that loop is a fair run.

A :class:`CheckResult` says how its verdict was reached as data: its :class:`Method`, whether it
was decided on the symmetry-reduced graph (``quotient``), and whether it is another client's
result renamed (``renamed_from``). The ``reason`` says the same in words, with the figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from leasecheck.errors import ExitStatus
from leasecheck.properties.model import Model
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


class Method(enum.StrEnum):
    """How a verdict was reached: the analysis or proof that settled it, or why none did."""

    #: explicit: every reachable state was explored and none breaks the property (an invariant
    #: holds, a reachability target is never reached, every fair cycle passes the goal)
    EXHAUSTIVE = "exhaustive"
    #: explicit: breadth-first exploration reached the state found; the trace is a shortest path
    #: to it (a counterexample to an invariant, a witness of a reachability target)
    SHORTEST_PATH = "shortest-path"
    #: explicit: a weakly fair strongly connected component that avoids the goal; the trace is a
    #: lasso entering it
    FAIR_CYCLE = "fair-cycle"
    #: explicit: a reachable state outside the goal with no successor; the trace ends in it
    DEADLOCK = "deadlock"
    #: backward reachability: explicit, over the complete graph (which states can reach the goal,
    #: or a fair run avoiding it); z3, over cubes of states within the mined invariant (none of
    #: those that can reach a bad state is initial)
    BACKWARD = "backward"
    #: z3: bounded model checking, deepened one step at a time; the trace is a shortest
    #: counterexample or witness
    BMC = "bmc"
    #: z3: the property is inductive on its own (1-induction) and is its own certificate
    INDUCTION = "induction"
    #: z3: the property is inductive together with the invariant mined by Houdini
    MINED_INVARIANT = "mined-invariant"
    #: z3: an inductive invariant found by PDR (Spacer)
    PDR = "pdr"
    #: z3: a ranking of helpful actions over an inductive invariant proves that every fair run
    #: reaches the goal
    RANKING = "ranking"
    #: z3: the bounded search for a fair lasso avoiding the goal, or for a path into a deadlock
    #: outside it, found one
    LASSO_SEARCH = "lasso-search"
    #: unknown: a limit stopped the engine before a verdict (the state or time limit of an
    #: exploration, an interruption, a component too large to check, the search depth, a solver
    #: that could not decide in time)
    LIMIT = "limit"
    #: unknown: the engine does not decide properties of this kind
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class CheckResult:
    """One property's verdict for one client (None: a property about no client in particular).

    ``method`` says how the verdict was reached. ``quotient``: decided on the symmetry-reduced
    graph (for a per-client property, client 0's verdict, the same for every client).
    ``renamed_from``: the client whose result this is, renamed (clients are interchangeable),
    and then re-checked or replayed for this client.
    """

    property: str
    client: int | None
    verdict: Verdict
    reason: str
    trace: Trace | None = None
    method: Method = field(kw_only=True)
    quotient: bool = field(default=False, kw_only=True)
    renamed_from: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Stats:
    states: int
    transitions: int
    seconds: float
    complete: bool
    stop_reason: str = ""


class Engine(enum.StrEnum):
    """Which engine wrote a report: the explicit engine (on the full graph, or on the symmetry
    quotient) or the Z3 engine."""

    EXPLICIT = "explicit"
    Z3 = "z3"


@dataclass(frozen=True)
class Report:
    """One engine's verdicts on one :class:`~leasecheck.properties.model.Model`. ``engine`` names
    the engine in words (with the symmetry group it reduced by); ``kind`` says which it is."""

    model: Model
    engine: str
    stats: Stats
    results: tuple[CheckResult, ...]
    kind: Engine = field(default=Engine.EXPLICIT, kw_only=True)

    @property
    def config(self) -> Any:
        """The configuration the model was built from (what the model's own tools read)."""
        return self.model.config

    @property
    def symbolic(self) -> bool:
        """Whether the engine enumerated no states (its stats count none)."""
        return self.kind is Engine.Z3

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
