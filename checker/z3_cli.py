"""The command line's `check --engine z3|both`: run the Z3 engine, compare, save certificates.

Kept apart from :mod:`checker.cli` so that the explicit engine's path never loads Z3.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from model.dhcp import Config

from .cli import UsageError
from .compare import compare, render_comparison
from .explicit import Limits
from .render_json import report_json
from .render_text import render_report
from .results import Report, exit_code
from .z3.engine import ProvedCertificate, Z3Options, z3_run

#: exit status when the engines disagree (a bug in leasecheck)
EXIT_DISAGREE = 4


def check_z3(cfg: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .run import explicit_report

    options = Z3Options(depth=args.depth, timeout=args.timeout if args.timeout is not None else Z3Options.timeout)
    run = z3_run(cfg, args.properties, options)
    if args.certificate is not None:
        _save(Path(args.certificate), run.certificates)
    if args.engine == "z3":
        if args.format == "json":
            out.write(json.dumps(report_json(run.report), indent=2) + "\n")
        else:
            out.write(render_report(run.report))
        _write_traces(run.report, args, err)
        return run.report.exit_code
    explicit, _ = explicit_report(cfg, args.properties, Limits(args.max_states, args.timeout))
    comparison = compare(explicit, run.report)
    if args.format == "json":
        doc = {
            "explicit": report_json(explicit),
            "z3": report_json(run.report),
            "disagreements": [
                {"property": p.name, "client": p.client, "explicit": str(p.first.verdict), "z3": str(p.second.verdict)}
                for p in comparison.disagreements
            ],
        }
        out.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.write(render_report(explicit) + "\n" + render_report(run.report) + "\n" + render_comparison(comparison))
    _write_traces(explicit, args, err)
    if comparison.disagreements:
        return EXIT_DISAGREE
    return exit_code(p.verdict for p in comparison.pairs)


def _write_traces(report: Report, args: argparse.Namespace, err: TextIO) -> None:
    """--trace-out and --chart, as for the explicit engine (with both engines: the explicit traces)."""
    if args.trace_out or args.chart:
        from .outputs import write_trace_outputs

        for line in write_trace_outputs(report, args.trace_out, args.chart):
            err.write(f"leasecheck: wrote {line}\n")


def _save(path: Path, certificates: tuple[ProvedCertificate, ...]) -> None:
    if not certificates:
        return
    if len(certificates) == 1:
        targets = [(path, certificates[0])]
    else:
        targets = []
        for c in certificates:
            who = "" if c.client is None else f"-{c.client}"
            targets.append((path.with_name(f"{path.stem}-{c.property}{who}{path.suffix or '.smt2'}"), c))
    for target, cert in targets:
        try:
            target.write_text(cert.smtlib)
        except OSError as exc:
            raise UsageError(f"leasecheck: cannot write the certificate {target}: {exc.strerror}") from None
