"""The file outputs of the command line: trace files, charts, state-graph pictures, and `replay`.

Each function turns the user's mistakes (unwritable paths, unknown picture formats, trace files
that are malformed or do not replay) into :class:`OutputError`, which the command line reports
as one line on stderr with exit status 2. Every file is written whole or not at all
(:mod:`leasecheck.checker.render.files`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from leasecheck.checker.cli.paths import OutputError, announce, check_output_paths
from leasecheck.checker.render.inputfile import shown_path
from leasecheck.checker.results import CheckResult, Report
from leasecheck.errors import ExitStatus
from leasecheck.model.dhcp import Config, dhcp_system

if TYPE_CHECKING:
    from leasecheck.checker.z3.engine import ProvedCertificate

__all__ = ["OutputError", "check_output_paths", "numbered", "write_trace_outputs", "replay_command",
           "certificate_command", "graph_command", "save_certificates"]


def numbered(path: Path, result: CheckResult, several: bool) -> Path:
    """``path`` itself for a single trace, else ``NAME-PROPERTY[-CLIENT].EXT`` beside it."""
    if not several:
        return path
    base, dot, ext = path.name.partition(".")
    tag = result.property + ("" if result.client is None else f"-{result.client}")
    return path.with_name(f"{base}-{tag}{dot}{ext}")


def write_trace_outputs(report: Report, trace_out: str | None, chart: str | None) -> Iterator[tuple[Path, str]]:
    """Write each trace of ``report`` as ITF and/or a chart; yield each file and what it holds."""
    from leasecheck.checker.render.chart import ChartFileError, check_picture_path, save_chart
    from leasecheck.checker.render.itf import itf_document, write_itf
    from leasecheck.checker.render.msc import build_chart

    system = dhcp_system(report.config)
    with_traces = [r for r in report.results if r.trace is not None]
    several = len(with_traces) > 1
    if chart:
        try:
            check_picture_path(Path(chart))
        except ChartFileError as exc:
            raise OutputError(str(exc)) from None
    for r in with_traces:
        assert r.trace is not None
        who = "" if r.client is None else f", client {r.client}"
        title = trace_title(r.property, r.client, str(r.verdict), report.config)
        if trace_out:
            path = numbered(Path(trace_out), r, several)
            doc = itf_document(system, report.config, r.trace, prop=r.property, client=r.client,
                               verdict=str(r.verdict), description=title)
            try:
                write_itf(path, doc)
            except OSError as exc:
                raise OutputError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
            yield path, f"{r.property}{who}, ITF"
        if chart:
            path = numbered(Path(chart), r, several)
            try:
                save_chart(build_chart(system, r.trace, title), path)
            except ChartFileError as exc:
                raise OutputError(str(exc)) from None
            yield path, f"{r.property}{who}, chart"


def trace_title(prop: str, client: int | None, verdict: str, cfg: Config) -> str:
    """The title of a trace's chart and file: its property, client and verdict, and the configuration."""
    kind = "witness" if verdict == "holds" else "counterexample"
    who = "" if client is None else f", client {client}"
    return f"{prop}{who}: {verdict} ({kind}) — {cfg.describe()}"


def replay_command(file: str, chart: str | None, fmt: str, out: TextIO) -> int:
    """`leasecheck replay FILE`: check the trace against the model and its recorded claim against its
    states, print it; 0 when both hold. The chart's name is checked before any of it."""
    from leasecheck.checker.render.chart import ChartFileError, check_picture_path, save_chart
    from leasecheck.checker.render.inputfile import shown_path
    from leasecheck.checker.render.itf import TraceFileError, load_itf, replay_trace_file
    from leasecheck.checker.render.msc import build_chart, render_chart_text
    from leasecheck.checker.render.text import render_trace
    from leasecheck.checker.replay import ClaimNotShown, ReplayError
    from leasecheck.properties.dhcp import dhcp_model

    if chart is not None:
        check_output_paths(chart)
        try:
            check_picture_path(Path(chart))
        except ChartFileError as exc:
            raise OutputError(str(exc)) from None
    name = shown_path(file)
    try:
        tf = load_itf(Path(file))
    except TraceFileError as exc:
        raise OutputError(str(exc)) from None
    try:
        system = replay_trace_file(tf)
    except ReplayError as exc:
        raise OutputError(f"{name}: not a behaviour of the model: {exc}") from None
    except ClaimNotShown as exc:
        raise OutputError(f"{name}: {exc}") from None
    out.write(f"{name}: {len(tf.trace)} steps replay in the model ({tf.config.describe(words=True)})\n")
    title = name
    if tf.property is not None and tf.verdict is not None:
        who = "" if tf.client is None else f", client {tf.client}"
        out.write(f"recorded as: {tf.property}{who}: {tf.verdict}, and the states show it\n")
        title = trace_title(tf.property, tf.client, tf.verdict, tf.config)
    else:
        out.write("no claim recorded: only the steps are checked\n")
    if tf.format_version == 1:
        out.write("read as a trace file of format version 1 (string values, the loop's first state repeated)\n")
    if fmt in ("text", "both"):
        out.write("\n" + render_trace(dhcp_model(tf.config), tf.trace) + "\n")
    if fmt in ("chart", "both"):
        out.write("\n" + render_chart_text(build_chart(system, tf.trace)))
    if chart:
        try:
            save_chart(build_chart(system, tf.trace, title), Path(chart))
        except ChartFileError as exc:
            raise OutputError(str(exc)) from None
    return ExitStatus.OK


def certificate_command(file: str, solvers: tuple[str, ...] | None, timeout: float, out: TextIO) -> int:
    """`leasecheck certificate check FILE`: the audit's refusals, or each solver's answer per obligation."""
    from leasecheck.api import check_certificate
    from leasecheck.checker.kernel.allsizes import AllSizesHeader
    from leasecheck.checker.render.inputfile import shown_path

    name = shown_path(file)
    result = check_certificate(file, solvers=solvers, timeout=timeout)
    h = result.header
    rule = h.rule + (f", {len(h.levels)} levels" if h.rule == "ranking" else "")
    out.write(f"{name}: certificate of {h.describe()} (rule: {rule})\n")
    if result.claim:
        out.write(f"claim: {result.claim}\n")
    if result.refusals:
        for why in result.refusals:
            out.write(f"refused: {why}\n")
        return int(result.status)
    if isinstance(h, AllSizesHeader):
        out.write("the first-order model is the one traced from the configuration; every obligation is the checker's own\n")
    else:
        out.write("the model's definitions are those rebuilt from the configuration; every obligation of the rule is there\n")
    width = max(len(o) for o in result.obligations)
    out.write(f"{'obligation':<{width}}  " + "  ".join(f"{s:<7}" for s in result.solvers).rstrip() + "\n")
    for i, obligation in enumerate(result.obligations):
        row = "  ".join(f"{per[i].answer:<7}" for per in result.answers).rstrip()
        out.write(f"{obligation:<{width}}  {row}\n")
    for solver, a in result.failed("unknown"):
        out.write(f"{solver} could not decide {a.obligation!r}: {a.reason}\n")
    n, who = len(result.obligations), " and ".join(result.solvers)
    if result.valid:
        out.write(f"valid: all {n} obligations discharged (unsat) by {who}\n")
    elif result.failed("sat"):
        bad = sorted({a.obligation for _, a in result.failed("sat")})
        out.write(f"invalid: refuted (sat): {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}\n")
    else:
        out.write("unknown: some obligation was not decided\n")
    return int(result.status)


def graph_command(cfg: Config, out_file: str, max_states: int, err: TextIO, *, quiet: bool = False) -> int:
    """`leasecheck graph`: draw the reachable state graph of ``cfg`` into ``out_file``."""
    from leasecheck.checker.render.chart import ChartFileError, check_picture_path
    from leasecheck.checker.render.stategraph import (
        GraphTooLarge,
        GraphWords,
        check_max_states,
        save_state_graph,
        state_graph_view,
    )
    from leasecheck.properties.dhcp import GRAPH_WORDS, dhcp_model

    try:
        check_max_states(max_states)
        check_picture_path(Path(out_file))
        view = state_graph_view(dhcp_model(cfg), max_states, GraphWords(**GRAPH_WORDS))
        save_state_graph(view, Path(out_file))
    except (ChartFileError, GraphTooLarge) as exc:
        raise OutputError(str(exc)) from None
    announce(err, quiet, out_file, f"{view.states} states, {len(view.stuck)} stuck, {len(view.loop)}-step fair loop")
    return ExitStatus.OK


def save_certificates(path: Path, certificates: tuple[ProvedCertificate, ...]) -> list[tuple[Path, str]]:
    """Write each certificate as SMT-LIB 2: to ``path``, or numbered beside it when several; each
    file written and what it holds."""
    if not certificates:
        return []
    if len(certificates) == 1:
        targets = [(path, certificates[0])]
    else:
        targets = []
        for c in certificates:
            who = "" if c.client is None else f"-{c.client}"
            targets.append((path.with_name(f"{path.stem}-{c.property}{who}{path.suffix or '.smt2'}"), c))
    from leasecheck.checker.render.files import atomic_write

    written = []
    for target, cert in targets:
        try:
            atomic_write(target, cert.smtlib)
        except OSError as exc:
            raise OutputError(f"cannot write the certificate {shown_path(target)}: {exc.strerror or exc}") from None
        who = "" if cert.client is None else f", client {cert.client}"
        written.append((target, f"{cert.property}{who}, certificate"))
    return written
