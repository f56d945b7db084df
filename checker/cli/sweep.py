"""`leasecheck sweep`: every server policy x size x budget x restart, decided and mapped.

Exit status: 0 every point of the grid has a record and every verdict is decided; 3 some
verdict is unknown (a limit was reached) or some point is missing; 70 some point failed with an
error of leasecheck's own (its record holds the traceback); 130 interrupted (every finished point
is in the results file, and the same command goes on from there); 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TextIO, cast

from leasecheck.checker.cli.options import MAX_COUNT, add_format, add_quiet, seconds, whole
from leasecheck.checker.cli.paths import OutputError, announce, check_output_paths, check_results_path
from leasecheck.checker.explicit.memory import default_memory_mb
from leasecheck.checker.render.chart import check_picture_path
from leasecheck.checker.render.files import atomic_write
from leasecheck.checker.render.sweep import render_text, save_sweep_picture, summary_json
from leasecheck.checker.sweep.executors import EXECUTORS, make_executor
from leasecheck.checker.sweep.grid import (
    Grid,
    SweepError,
    grid,
    parse_policies,
    parse_range,
    parse_restart,
    parse_sizes,
)
from leasecheck.checker.sweep.store import ResultsFile, csv_text
from leasecheck.checker.sweep.sweep import SweepProgress, run_sweep


def _parsed(fn, what: str):  # type: ignore[no-untyped-def]
    def parse(text: str):  # type: ignore[no-untyped-def]
        try:
            return fn(text)
        except SweepError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = what
    return parse


#: The most worker processes or Dask workers a sweep starts.
MAX_WORKERS = 1024


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sweep", help="decide every server policy over sizes and budgets",
        description="Decide recovery, recoverable, no_duplicate_address and single_binding, and measure the "
                    "recovery latency after a delete, for every point of policies x sizes x budgets x restart "
                    "(docs/policies.md). Resumable: each finished point is appended to the results file, and a "
                    "sweep skips the points it finds there.")
    p.add_argument("--policies", type=_parsed(parse_policies, "policies"), default="all",
                   metavar="all|named|P;P...",
                   help="all (the 54 policies, default), named (the five variants), or names and policies separated by ';'")
    p.add_argument("--sizes", type=_parsed(parse_sizes, "sizes"), default="1x1,2x2", metavar="CxA,...",
                   help="clients x addresses, comma-separated (default 1x1,2x2)")
    for name in ("deletes", "losses", "reboots"):
        p.add_argument(f"--{name}", type=_parsed(lambda t, n=name: parse_range(t, f"--{n}"), name), default="0..1",
                       metavar="LOW..HIGH", help=f"{name} budgets: a range such as 0..1 or a list such as 0,2 (default 0..1)")
    p.add_argument("--restart", type=_parsed(parse_restart, "restart"), default="both", metavar="both|on|off",
                   help="whether the administrator may restart the server (default both)")
    p.add_argument("--symmetry", choices=("auto", "on", "off"), default="auto",
                   help="explore up to renaming clients and addresses: auto (from 3x3 on, default), on or off")
    p.add_argument("--results", type=Path, default=Path("leasecheck-sweep.jsonl"), metavar="FILE",
                   help="the results file, JSON lines, appended to and resumed from (default leasecheck-sweep.jsonl)")
    p.add_argument("--csv", metavar="FILE", help="write the grid's records as CSV (default: none)")
    p.add_argument("--picture", metavar="FILE", help="draw the space (.png, .svg or .pdf; default: none)")
    add_format(p, "sweep")
    add_quiet(p)
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local worker processes (default) or a Dask cluster (the cluster extra)")
    p.add_argument("--workers", type=whole(1, MAX_WORKERS), default=1, metavar="N",
                   help="worker processes: local, or of the local Dask cluster (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --executor dask: a running scheduler, such as tcp://10.0.0.5:8786 (default: start a "
                        "local cluster)")
    p.add_argument("--timeout", type=seconds(), metavar="SECONDS",
                   help="each point's time limit (its verdicts are unknown beyond it; default: none)")
    p.add_argument("--max-states", type=whole(1, MAX_COUNT), metavar="N", help="each point's state limit (default: none)")
    p.add_argument("--max-memory", type=whole(1, MAX_COUNT), metavar="MB",
                   help="each point's memory limit (default: 80%% of the memory available, shared among the local workers)")


class _Silent:
    """A stream that keeps nothing (the progress of a ``--quiet`` sweep)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _SweepProgress:
    """An updating line on a terminal; elsewhere a line every ``every`` seconds."""

    def __init__(self, stream: TextIO, every: float = 10.0):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = every
        self.last = 0.0

    def __call__(self, p: SweepProgress) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < self.every and p.ran < p.to_run:
            return
        self.last = now
        rate = p.ran / p.elapsed if p.elapsed else 0.0
        left = (p.to_run - p.ran) / rate if rate else 0.0
        failed = f", {p.failed} failed" if p.failed else ""
        text = (f"leasecheck: sweep: {p.done:,}/{p.total:,} points ({p.ran:,} run now, {rate:.2f}/s, about {left:,.0f} s left"
                f"{failed}); last {p.last}")
        self.stream.write(f"\r{text}   " if self.tty else f"{text}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()


def run_sweep_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.timeout is not None and not args.timeout > 0:
        raise SweepError("--timeout must be more than 0 seconds")
    for name in ("max_states", "max_memory"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise SweepError(f"--{name.replace('_', '-')} must be at least 1")
    check_results_path(args.results)
    check_output_paths(args.csv, args.picture)
    if args.picture:
        check_picture_path(Path(args.picture))
    executor = make_executor(args.executor, args.workers, args.scheduler)
    max_memory = args.max_memory
    if max_memory is None and args.executor == "local" and args.workers > 1:
        whole = default_memory_mb()
        max_memory = None if whole is None else max(1, whole // args.workers)
    points = grid(Grid(args.policies, args.sizes, args.deletes, args.losses, args.reboots, args.restart,
                       args.symmetry))
    limits = {"timeout": args.timeout, "max_states": args.max_states, "max_memory": max_memory}
    progress = _SweepProgress(cast(TextIO, _Silent()) if args.quiet else err)
    try:
        outcome = run_sweep(points, ResultsFile(args.results), executor, limits, progress)
    finally:
        progress.done()
    if outcome.ran:
        announce(err, args.quiet, args.results, "results, one point a line")
    if not outcome.interrupted:
        try:
            if args.csv:
                atomic_write(Path(args.csv), csv_text(outcome.ordered))
                announce(err, args.quiet, args.csv, "CSV")
            if args.picture and outcome.records:
                save_sweep_picture(outcome.ordered, Path(args.picture))
                announce(err, args.quiet, args.picture, "picture")
        except OSError as exc:
            raise OutputError(f"cannot write the sweep's outputs: {exc.strerror or exc}") from None
    if args.format == "json":
        out.write(json.dumps(summary_json(outcome), indent=1, sort_keys=True) + "\n")
    else:
        out.write(render_text(outcome))
    return int(outcome.exit_status)
