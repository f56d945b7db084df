"""Terminal text for reports and traces: a verdict table, then each trace step by step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leasecheck.checker.compare import Comparison
from leasecheck.checker.render.narrate import story
from leasecheck.checker.results import CheckResult, Report, Trace
from leasecheck.model.lang import System
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Verdict

if TYPE_CHECKING:
    from leasecheck.checker.run import CheckRun


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def render_report(report: Report) -> str:
    s = report.stats
    head = [
        f"leasecheck: {report.model.description}",
        (f"engine {report.engine}: symbolic, no states enumerated, {s.seconds:.2f} s" if report.symbolic else
         f"engine {report.engine}: {s.states:,} states, {s.transitions:,} transitions, {s.seconds:.2f} s")
        + ("" if s.complete else f" (incomplete: {s.stop_reason})"),
        "",
    ]
    rows = [
        [r.property, "-" if r.client is None else str(r.client), str(r.verdict), r.reason]
        for r in report.results
    ]
    out = head + [table(["property", "client", "verdict", "reason"], rows)]
    for r in report.results:
        if r.trace is not None:
            out += ["", render_result_trace(report.model, r)]
    return "\n".join(out) + "\n"


def render_result_trace(model: Model, r: CheckResult) -> str:
    assert r.trace is not None
    who = "" if r.client is None else f", client {r.client}"
    kind = "witness" if str(r.verdict) == "holds" else "counterexample"
    title = f"{r.property}{who}: {r.verdict} ({kind}, {len(r.trace)} steps)"
    return f"== {title} ==\n{render_trace(model, r.trace)}"


def render_trace(model: Model, trace: Trace) -> str:
    """``trace`` step by step, told in the model's own words (its narration)."""
    system, narration = model.system, model.narration
    lines = []
    first = trace.steps[0]
    lines.append(f"  0  initial state: {_state_line(system, first.state)}")
    for n in range(1, len(trace.steps)):
        step = trace.steps[n]
        prev = trace.steps[n - 1].state
        st = story(system, prev, step, narration)
        action = step.instance + (f" [{step.label}]" if step.label else "")
        if trace.loop_start is not None and n == trace.loop_start + 1:
            lines.append(f"     -- loop: steps {n} to {len(trace.steps) - 1} repeat forever --")
        lines.append(f"{n:>3}  {action}" + (f"  · {'; '.join(st.notes)}" if st.notes else ""))
        for e in st.events:
            lines.append(f"       {e}")
        if st.silent:
            lines.append("       server answers nothing")
        quiet = {v.name for v in system.variables if v.group in narration.quiet}
        changes = [c for c in st.changes if c.variable not in quiet]
        if changes:
            lines.append("       " + ", ".join(str(c) for c in changes))
    if trace.loop_start is not None:
        lines.append(f"     -- back to the state of step {trace.loop_start} --")
    if trace.fairness is not None:
        f = trace.fairness
        lines.append(
            f"  The loop is fair: it takes {', '.join(f.taken) or 'no fair action'}; each of the other "
            f"{len(f.disabled)} fair actions is disabled at some step of it"
            + (f" (e.g. {', '.join(f'{i} at step {p}' for i, p in f.disabled[:3])})." if f.disabled else ".")
        )
    return "\n".join(lines)


def _state_line(system: System, state: tuple[int, ...]) -> str:
    from leasecheck.model.lang import render_value

    parts = []
    for k, v in system.decode(state).items():
        if isinstance(v, list):
            parts.append(f"{k}=[{', '.join('none' if x is None else str(render_value(x)) for x in v)}]")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts)


def render_run(run: CheckRun) -> str:
    """One engine: its report. Both: each engine's report, then how they compare."""
    if run.comparison is None:
        return render_report(run.report)
    return "\n".join(render_report(r) for r in run.reports) + "\n" + render_comparison(run.comparison)


def render_comparison(c: Comparison) -> str:
    """Text for the end of a two-engine run: agreement, or both answers where they disagree."""
    a, b = c.first.engine, c.second.engine
    lines = []
    if c.disagreements:
        lines.append(f"ENGINES DISAGREE (a bug in leasecheck, please report it): {len(c.disagreements)} properties")
        for p in c.disagreements:
            who = "" if p.client is None else f" client {p.client}"
            lines.append(f"  {p.name}{who}: {a} says {p.first.verdict} ({p.first.reason}); "
                         f"{b} says {p.second.verdict} ({p.second.reason})")
    else:
        both = sum(1 for p in c.pairs if Verdict.UNKNOWN not in (p.first.verdict, p.second.verdict))
        lines.append(f"engines agree: {both} of {len(c.pairs)} verdicts decided by both")
    for p in c.pairs:
        for r, engine in ((p.first, a), (p.second, b)):
            if r.verdict is Verdict.UNKNOWN and not p.disagree:
                who = "" if p.client is None else f" client {p.client}"
                lines.append(f"  {p.name}{who}: unknown to {engine}")
    for r in c.unpaired:
        who = "" if r.client is None else f" client {r.client}"
        lines.append(f"  {r.property}{who}: decided by {b} alone ({r.verdict})")
    return "\n".join(lines) + "\n"
