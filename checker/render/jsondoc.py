"""JSON documents for reports (the `--format json` contract, docs/json.md) and traces."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from leasecheck.checker.results import CheckResult, Report, Trace
from leasecheck.model.lang import System, render_value

if TYPE_CHECKING:
    from leasecheck.checker.run import CheckRun


def config_json(cfg: Any) -> dict[str, Any]:
    """A configuration (a dataclass, DHCP's ``Config``) as JSON: every field, always, whatever
    its value (docs/json.md lists them)."""
    return asdict(cfg)


def state_json(system: System, state: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in system.decode(state).items():
        out[k] = [render_value(x) for x in v] if isinstance(v, list) else render_value(v)
    return out


def trace_json(system: System, trace: Trace) -> dict[str, Any]:
    steps = []
    for s in trace.steps:
        action = None if s.action is None else {"name": s.action, "params": list(s.params), "rule": s.label}
        steps.append({"action": action, "state": state_json(system, s.state)})
    out: dict[str, Any] = {"steps": steps, "loop_start": trace.loop_start}
    if trace.fairness is not None:
        out["fairness"] = {
            "taken": list(trace.fairness.taken),
            "disabled": [{"action": a, "step": p} for a, p in trace.fairness.disabled],
        }
    return out


def result_json(system: System | None, r: CheckResult) -> dict[str, Any]:
    return {
        "property": r.property,
        "client": r.client,
        "verdict": str(r.verdict),
        "reason": r.reason,
        "method": str(r.method),
        "quotient": r.quotient,
        "renamed_from": r.renamed_from,
        "trace": None if r.trace is None or system is None else trace_json(system, r.trace),
    }


def report_json(report: Report) -> dict[str, Any]:
    # traced only when a trace needs it (a run stopped by its deadline may not have traced it)
    system = report.model.system if any(r.trace is not None for r in report.results) else None
    s = report.stats
    return {
        "config": dict(report.model.parameters),
        "engine": report.engine,
        "stats": {"states": s.states, "transitions": s.transitions, "seconds": round(s.seconds, 3),
                  "complete": s.complete, "stop_reason": s.stop_reason or None},
        "results": [result_json(system, r) for r in report.results],
    }


def run_json(run: CheckRun) -> dict[str, Any]:
    """One engine: its report. Both: each engine's report and where they disagree."""
    if run.comparison is None:
        return report_json(run.report)
    explicit, z3 = run.reports
    return {
        "explicit": report_json(explicit),
        "z3": report_json(z3),
        "disagreements": [
            {"property": p.name, "client": p.client, "explicit": str(p.first.verdict), "z3": str(p.second.verdict)}
            for p in run.comparison.disagreements
        ],
    }
