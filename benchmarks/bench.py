"""Benchmarks of the explicit engines: fixed configurations, one subprocess each.

Run from the repository root::

    python benchmarks/bench.py            # everything (several minutes, up to ~6 GB of memory)
    python benchmarks/bench.py --quick    # leaves out 4x3 without symmetry and the n x n search

Each configuration runs in a fresh interpreter, so its wall time includes start-up (interpreter,
imports, tracing the model) and its peak memory (maximum resident set size, from ``wait4``) is
its own. Results go to ``benchmarks/results.json`` and a table on stdout.

A "check" job goes through the front door every command goes through
(:func:`leasecheck.checker.run.run_check`): explore, then decide the properties. An "explore" job
measures the exploration alone, so it calls the explicit engine's explorers directly: the front
door always decides some property.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Job:
    name: str
    clients: int
    addresses: int
    variant: str
    deletes: int = 1
    losses: int = 0
    reboots: int = 0
    restart: bool = False
    mode: str = "explore"  # explore: the reachable graph only; check: explore and decide `properties`
    properties: tuple[str, ...] = ()
    symmetry: bool = False
    explorer: str = "vector"
    timeout: float | None = None


FIXED = [
    Job("3x3 nt40 full exploration", 3, 3, "nt40"),
    Job("3x3 nt40 full exploration (scalar explorer)", 3, 3, "nt40", explorer="scalar"),
    Job("2x2 nt35 restart L1 R1, all properties", 2, 2, "nt35", 1, 1, 1, True, mode="check"),
    Job("4x3 nt40 with symmetry", 4, 3, "nt40", symmetry=True),
    Job("4x4 nt40 recovery with symmetry", 4, 4, "nt40", mode="check", properties=("recovery",), symmetry=True),
]
LARGE = [Job("4x3 nt40 full exploration", 4, 3, "nt40")]


def run_job(job: Job) -> dict[str, Any]:
    """Runs in the child: one job, its figures as a dict."""
    sys.path.insert(0, str(ROOT))
    from leasecheck.model.dhcp import Config, dhcp_system

    cfg = Config(clients=job.clients, addresses=job.addresses, variant=job.variant,
                 deletes=job.deletes, losses=job.losses, reboots=job.reboots, restart=job.restart)
    start = time.perf_counter()
    if job.mode == "check":
        from leasecheck import CheckOptions, run_check

        options = CheckOptions(job.properties or None, explorer=job.explorer, symmetry=job.symmetry,
                               timeout=job.timeout)
        report = run_check(cfg, options).report
        s = report.stats
        figures = {"states": s.states, "transitions": s.transitions, "complete": s.complete,
                   "stop_reason": s.stop_reason}
        verdicts = {f"{r.property}[{'-' if r.client is None else r.client}]": str(r.verdict) for r in report.results}
    else:
        from leasecheck.checker.explicit.explore import Limits

        system = dhcp_system(cfg)
        limits = Limits(timeout=job.timeout)
        if job.explorer == "scalar":
            from leasecheck.checker.explicit.explore import explore

            graph = explore(system, limits)
        else:
            from leasecheck.checker.explicit.vexplore import explore_vector

            canonical = None
            if job.symmetry:
                from leasecheck.checker.symmetry import Symmetry

                canonical = Symmetry(system).canonical
            graph = explore_vector(system, limits, canonical=canonical)
        figures = {"states": len(graph.states), "transitions": graph.transitions, "complete": graph.complete,
                   "stop_reason": graph.stop_reason}
        verdicts = {}
    return {**figures, "engine_seconds": round(time.perf_counter() - start, 3), "verdicts": verdicts}


def measure(job: Job) -> dict[str, Any]:
    """Runs ``job`` in a subprocess; adds wall time (with start-up) and peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--one", json.dumps(asdict(job))], stdout=subprocess.PIPE,
                            cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    row: dict[str, Any] = {"name": job.name, "job": asdict(job)}
    if proc.returncode != 0:
        row["error"] = f"exit status {proc.returncode}"
        return row
    row.update(json.loads(out))
    row["seconds"] = round(seconds, 3)
    row["states_per_second"] = round(row["states"] / seconds)
    row["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    row["bytes_per_state"] = round(usage.ru_maxrss * 1024 / max(1, row["states"]), 1)
    return row


def largest_nxn(limit: float) -> list[dict[str, Any]]:
    """Recovery with symmetry for n x n nt40, n = 2, 3, ...: until one does not settle in ``limit`` s."""
    rows = []
    n = 2
    while True:
        job = Job(f"{n}x{n} nt40 recovery with symmetry (limit {limit:g} s)", n, n, "nt40", mode="check",
                  properties=("recovery",), symmetry=True, timeout=limit)
        row = measure(job)
        rows.append(row)
        settled = row.get("complete") and row.get("verdicts", {}).get("recovery[0]") in ("holds", "violated")
        if not settled or row["seconds"] > limit:
            return rows
        n += 1


def table(rows: list[dict[str, Any]]) -> str:
    head = ["configuration", "states", "transitions", "seconds", "states/s", "peak MB", "B/state"]
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["name"], r["error"], "", "", "", "", ""])
            continue
        states = f"{r['states']:,}" + ("" if r["complete"] else " (stopped)")
        lines.append([r["name"], states, f"{r['transitions']:,}", f"{r['seconds']:.2f}",
                      f"{r['states_per_second']:,}", f"{r['peak_rss_mb']:,.0f}", f"{r['bytes_per_state']:,.0f}"])
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) for x in lines]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out 4x3 without symmetry and the n x n search")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed per n x n recovery (default 60)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_job(Job(**{**json.loads(args.one), "properties": tuple(json.loads(args.one)["properties"])}))))
        return 0
    rows = []
    for job in FIXED + ([] if args.quick else LARGE):
        rows.append(measure(job))
        print(f"  {rows[-1]['name']}: done", file=sys.stderr)
    if not args.quick:
        rows += largest_nxn(args.limit)
    doc = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": rows,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
