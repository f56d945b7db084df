"""The reality matrix: every server x client x scenario, one cell after another.

Each cell is run by :func:`leasecheck.checker.conform.runner.run_scenario`, its capture kept in
the output folder, and judged by :func:`classify_cell`: for every client mode of the model
(``CLIENT_NAK_MODES``), which server variants explain the capture, and what the matching model
run predicts in lease-timer events. A cell that cannot run here is a result too (``unavailable``
with the missing package, or ``failed`` with what went wrong), never left out.

The results file holds one JSON object a line and is appended to as each cell ends, so that an
interrupted matrix resumes where it stopped: :func:`pending` leaves out the cells already in it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from leasecheck.checker.conform.classify import classify
from leasecheck.checker.conform.daemons import (
    CLIENTS,
    DELETE_BY_RESTART,
    SERVERS,
    ConformError,
    missing_prerequisites,
)
from leasecheck.checker.conform.pcap import read_udp
from leasecheck.checker.conform.render import after_delete_text
from leasecheck.checker.conform.report import CaseReport, analyse_capture
from leasecheck.checker.conform.scenarios import SCENARIO_NAMES, MatrixScenario, scenario
from leasecheck.checker.conform.validate import Steppers
from leasecheck.checker.render.inputfile import parse_json
from leasecheck.errors import UserError
from leasecheck.model.dhcp import CLIENT_NAK_MODES, CLIENT_REBOOT_MODES
from leasecheck.model.values import VARIANTS

#: the model's client steps that a lease timer (or a retransmission timer) fires
TIMER_ACTIONS = ("T1", "T2", "Expire", "Timeout")
MEASURED, FAILED, UNAVAILABLE = "measured", "failed", "unavailable"


class MatrixError(UserError):
    """A results file that cannot be resumed from (not JSON lines of cells)."""


@dataclass(frozen=True)
class Explanation:
    """The variants that explain a capture under one client mode."""

    client_mode: str
    variants: tuple[str, ...]
    losses_used: tuple[int, ...]  # per variant, the fewest lost messages its matching run needs
    timer_events: tuple[str, ...]  # the lease-timer steps of the first variant's run, after the disruption
    first_mismatch: str = ""  # when none explains: why the first variant does not


@dataclass(frozen=True)
class CellResult:
    server: str
    client: str
    scenario: str
    status: str  # MEASURED, FAILED or UNAVAILABLE
    reason: str = ""
    capture: str | None = None  # file name of the capture, beside the results file in captures/
    delete_time: float | None = None
    marks: tuple[tuple[str, float], ...] = ()
    rebound: bool = False
    seconds_to_rebind: float | None = None
    observed: str = ""  # the model messages after the delete
    explanations: tuple[Explanation, ...] = field(default=())
    #: client messages the harness knows it lost (every copy sent while the server was stopped)
    known_lost: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.server, self.client, self.scenario)

    def explained(self, mode: str = "obey") -> tuple[str, ...]:
        for e in self.explanations:
            if e.client_mode == mode:
                return e.variants
        return ()

    def best(self) -> tuple[str, tuple[str, ...], int] | None:
        """The simplest explanation: (client mode, variants, losses) with the fewest lost messages,
        an obeying client first when the losses tie; None when nothing explains the capture. A
        client that ignores a NAK and an obeying client that lost the NAK explain the same capture;
        the one that needs no loss is the simpler. In a scenario whose harness loses messages on
        purpose, every variant that needs no more losses than the harness knows it caused is kept
        (a stopped server is silent, so silence is no simpler than a loss there)."""
        planned = scenario(self.scenario).planned_losses
        best: tuple[str, tuple[str, ...], int] | None = None
        for e in self.explanations:
            if not e.variants:
                continue
            fewest = min(e.losses_used)
            if planned:
                limit = self.known_lost if self.known_lost is not None else max(e.losses_used)
                kept = tuple(v for v, n in zip(e.variants, e.losses_used, strict=True) if n <= limit)
                if kept:
                    return (e.client_mode, kept, min(n for n in e.losses_used if n <= limit))
                continue
            if best is None or fewest < best[2]:
                best = (e.client_mode, tuple(v for v, n in zip(e.variants, e.losses_used, strict=True) if n == fewest),
                        fewest)
        return best

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> CellResult:
        exps = tuple(Explanation(e["client_mode"], tuple(e["variants"]), tuple(e["losses_used"]),
                                 tuple(e["timer_events"]), e.get("first_mismatch", "")) for e in d.get("explanations", ()))
        return CellResult(d["server"], d["client"], d["scenario"], d["status"], d.get("reason", ""), d.get("capture"),
                          d.get("delete_time"), tuple((str(m), float(t)) for m, t in d.get("marks", ())),
                          bool(d.get("rebound", False)), d.get("seconds_to_rebind"), d.get("observed", ""), exps,
                          d.get("known_lost"))


def timer_events(case: CaseReport, plan: MatrixScenario) -> tuple[str, ...]:
    """The lease-timer steps of the matching run of the consistent variant that loses fewest
    messages, from the scenario's first environment action on (the whole run when it has none)."""
    consistent = [r for r in case.validation.results if r.consistent]
    if not consistent:
        return ()
    steps = [w.split("(")[0] for w in min(consistent, key=lambda r: r.losses_used).witness]
    start = next((i for i, a in enumerate(steps) if a in plan.model_actions), 0)
    return tuple(a for a in steps[start:] if a in TIMER_ACTIONS)


def client_modes(plan: MatrixScenario) -> list[tuple[str, str, str]]:
    """(name, NAK handling, reboot behaviour) of each client mode a capture of ``plan`` is judged
    under, RFC 2131's client first; the reboot behaviours only where the scenario reboots."""
    reboots = CLIENT_REBOOT_MODES if "Reboot" in plan.model_actions else CLIENT_REBOOT_MODES[:1]
    return [(nak if reboot == CLIENT_REBOOT_MODES[0] else f"{nak}, reboot {reboot}", nak, reboot)
            for reboot in reboots for nak in CLIENT_NAK_MODES]


def classify_cell(data: bytes, plan: MatrixScenario, delete_time: float | None,
                  server: str = "", variants: Sequence[str] = VARIANTS,
                  steppers: Steppers | None = None) -> tuple[str, tuple[Explanation, ...]]:
    """(the messages after the delete, the explanation per client mode) for one capture; the
    model may restart the server when the scenario does, or when ``server`` deletes by restarting.
    ``variants``: the named variants or written policies tried; ``steppers``: the compiled systems
    shared with other cells."""
    steppers = steppers if steppers is not None else Steppers()
    observed = ""
    out = []
    for mode, nak, reboot in client_modes(plan):
        case = analyse_capture(plan.name, data, delete_time=delete_time, losses=plan.losses, client_nak=nak,
                               restart=plan.restart or server in DELETE_BY_RESTART, client_reboot=reboot,
                               reboots=1 if "Reboot" in plan.model_actions else 0, variants=variants,
                               steppers=steppers)
        if not observed:
            observed = after_delete_text(case) if delete_time is not None else " → ".join(
                str(o.message) for o in case.classified.messages)
        ok = [r for r in case.validation.results if r.consistent]
        bad = next((r for r in case.validation.results if not r.consistent), None)
        out.append(Explanation(mode, tuple(r.variant for r in ok), tuple(r.losses_used for r in ok),
                               timer_events(case, plan), "" if ok or bad is None else bad.reason))
    return observed, tuple(out)


def known_lost(data: bytes, marks: Sequence[tuple[str, float]]) -> int | None:
    """How many client messages (retransmissions folded) had every copy sent while the server was
    stopped, from the stop-server mark to one second after the start-server mark (the time it is
    given to start); None when the run stopped no server."""
    stop = next((t for m, t in marks if m == "stop-server"), None)
    start = next((t for m, t in marks if m == "start-server"), None)
    if stop is None or start is None:
        return None
    udp = read_udp(data)
    times = {u.number: u.time for u in udp}
    count = 0
    for o in classify(udp).messages:
        if o.direction == "to server":
            copies = [o.time, *(times[n] for n in o.folded)]
            if all(stop <= t <= start + 1.0 for t in copies):
                count += 1
    return count


def read_results(path: Path) -> list[CellResult]:
    """The cells of a results file, in order; a later line for the same cell replaces an earlier one."""
    if not path.exists():
        return []
    cells: dict[tuple[str, str, str], CellResult] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = parse_json(line.encode("utf-8"))
            if not isinstance(doc, dict):
                raise TypeError("not a JSON object")
            cell = CellResult.from_json(doc)
        except (ValueError, KeyError, TypeError) as exc:
            raise MatrixError(f"{path}: line {number} is not a matrix cell ({exc}); move the file away to start "
                              f"afresh") from None
        cells[cell.key] = cell
    return list(cells.values())


def append_result(path: Path, cell: CellResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(cell.to_json()) + "\n")


def all_cells(servers: Sequence[str] = SERVERS, clients: Sequence[str] = CLIENTS,
              scenarios: Sequence[str] = SCENARIO_NAMES) -> list[tuple[str, str, str]]:
    """Every cell, scenario by scenario, so that a partial matrix covers each scenario evenly."""
    return [(s, c, n) for n in scenarios for s in servers for c in clients]


def pending(cells: Iterable[tuple[str, str, str]], done: Iterable[CellResult]) -> list[tuple[str, str, str]]:
    """The cells still to run: those not in the results, and those whose run failed (tried again)."""
    finished = {c.key for c in done if c.status != FAILED}
    return [c for c in cells if c not in finished]


def run_cell(server: str, client: str, name: str, captures: Path, time_limit: float,
             runner: Callable[..., Any] | None = None) -> CellResult:
    """Run one cell (or report why it cannot run) and judge its capture."""
    from leasecheck.checker.conform.runner import Scenario, run_scenario

    problems = missing_prerequisites(server, client)
    if problems:
        return CellResult(server, client, name, UNAVAILABLE, "; ".join(problems))
    plan = scenario(name)
    try:
        result = (runner or run_scenario)(Scenario(server, client, time_limit, name))
    except ConformError as exc:
        return CellResult(server, client, name, FAILED, str(exc))
    stem = f"{server}-{client}-{name}"
    captures.mkdir(parents=True, exist_ok=True)
    (captures / f"{stem}.pcap").write_bytes(result.pcap)
    meta: dict[str, Any] = {"server": server, "client": client, "scenario": name,
                            "leased_address": result.leased_address, "client_mac": result.client_mac,
                            "rebound": result.rebound}
    if result.delete_time is not None:
        meta["delete_time"] = result.delete_time
    (captures / f"{stem}.pcap.json").write_text(json.dumps(meta, indent=2) + "\n")
    try:
        observed, explanations = classify_cell(result.pcap, plan, result.delete_time, server)
    except UserError as exc:
        return CellResult(server, client, name, FAILED, f"the capture could not be judged: {exc}", f"{stem}.pcap",
                          result.delete_time, result.marks, result.rebound, result.seconds_to_rebind)
    reason = "" if result.rebound else f"not bound again within {time_limit:.0f} s"
    return CellResult(server, client, name, MEASURED, reason, f"{stem}.pcap", result.delete_time, result.marks,
                      result.rebound, result.seconds_to_rebind, observed, explanations,
                      known_lost(result.pcap, result.marks))


def run_matrix(cells: Sequence[tuple[str, str, str]], results: Path, captures: Path, time_limit: float,
               progress: Callable[[str], None], runner: Callable[..., Any] | None = None) -> list[CellResult]:
    """Run the cells not yet in ``results``, appending each as it ends; every cell's result, in order."""
    done = read_results(results)
    todo = pending(cells, done)
    skipped = len(cells) - len(todo)
    if skipped:
        progress(f"{skipped} of {len(cells)} cells already in {results}; {len(todo)} to run")
    for i, (server, client, name) in enumerate(todo, start=1):
        started = time.monotonic()
        progress(f"[{i}/{len(todo)}] {server} x {client} x {name} ...")
        cell = run_cell(server, client, name, captures, time_limit, runner)
        append_result(results, cell)
        took = time.monotonic() - started
        best = cell.best()
        summary = "no variant" if best is None else ", ".join(best[1]) + (
            "" if best[0] == "obey" else f" [{best[0]}]") + (f" ({best[2]} lost)" if best[2] else "")
        progress(f"[{i}/{len(todo)}] {server} x {client} x {name}: {cell.status} in {took:.0f} s"
                 f" ({summary if cell.status == MEASURED else cell.reason[:120]})")
    by_key = {c.key: c for c in read_results(results)}
    return [by_key[k] for k in cells if k in by_key]


def rejudge(cells: Sequence[CellResult], captures: Path) -> list[CellResult]:
    """Every measured cell judged again from its capture by the model and classification as they
    are now (a cell's verdict is derived from its capture, which is the evidence)."""
    out = []
    for cell in cells:
        if cell.status == MEASURED and cell.capture is not None and (captures / cell.capture).exists():
            observed, explanations = classify_cell((captures / cell.capture).read_bytes(), scenario(cell.scenario),
                                                   cell.delete_time, cell.server)
            lost = known_lost((captures / cell.capture).read_bytes(), cell.marks)
            cell = dataclasses.replace(cell, observed=observed, explanations=explanations, known_lost=lost)
        out.append(cell)
    return out


def rewrite_results(path: Path, cells: Sequence[CellResult]) -> None:
    """Replace the results file by ``cells``, one line each (written aside, then renamed)."""
    aside = path.with_name(path.name + ".new")
    aside.write_text("".join(json.dumps(c.to_json()) + "\n" for c in cells))
    os.replace(aside, path)
