"""Time the Z3 engine against a previous revision of it, in one run: the ratios of issue 21's goal 2.

Usage: python benchmarks/z3_speed.py [--baseline REV] [--current REV] [--jobs recovery,nt35,sweep]
       [--stride K] [--workers N] [--limit SECONDS] [--out FILE]

The previous code is ``git archive REV`` unpacked into a temporary directory (and so is the
current code with ``--current REV``; without it, this checkout); every measurement
runs in a fresh interpreter (one per configuration, as the sweep runs them) whose import path
starts with that tree or with this checkout, through ``run_check`` with the Z3 engine and its
default bounds, and is stopped after ``--limit`` seconds. Jobs:

- ``recovery``: ``leasecheck check --engine z3 --clients 3 --addresses 3 --variant nt40 --property recovery``;
- ``nt35``: every property of the two nt35 2x2 sweep configurations with losses and restart that
  the previous code left undecided;
- ``sweep``: every property of the 2x2 configurations of the agreement sweep (tests/test_sweep.py),
  every ``--stride``-th one (default 1: all 80), the Z3 time summed.

Prints one line per measurement and, per job, the seconds of each code and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leasecheck import Config  # noqa: E402
from tests.test_sweep import _names, sweep_configs  # noqa: E402

#: the measurement a child runs: one configuration's properties with the Z3 engine, as JSON
CHILD = """
import json, sys, time
from leasecheck import CheckOptions, Config, Method, Verdict, run_check
import leasecheck
fields, names = json.loads(sys.argv[1])
start = time.perf_counter()
report = run_check(Config(**fields), CheckOptions(tuple(names), engine="z3")).report
seconds = time.perf_counter() - start
unknown = [f"{r.property}/{r.client}" for r in report.results
           if r.verdict is Verdict.UNKNOWN and r.method is not Method.UNSUPPORTED]
print(json.dumps({"seconds": seconds, "unknown": unknown, "imported": leasecheck.__file__,
                  "verdicts": [str(r.verdict) for r in report.results]}))
"""

UNDECIDED = ("nt35 2x2, D=1, L=1, R=0, restart", "nt35 2x2, D=1, L=1, R=1, restart")


def unpack(rev: str, into: Path, name: str) -> Path:
    """The files of ``rev`` under ``into/name`` (symbolic links kept: the package's are)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    tree = into / name
    tree.mkdir()
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(tree, filter="tar")
    return tree


def measure(tree: Path, cfg: Config, names: list[str], limit: float) -> dict[str, object]:
    """One configuration in a fresh interpreter importing the code of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    arg = json.dumps([asdict(cfg), names])
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, arg], env=env, cwd=tree, capture_output=True,
                              text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - start, "unknown": ["(not finished)"], "timed_out": True}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(row["imported"]).startswith(str(tree)):
        raise SystemExit(f"the child imported {row['imported']}, not the code under {tree}")
    return row


def run_job(name: str, configs: list[Config], trees: dict[str, Path], workers: int, limit: float,
            out: list[dict[str, object]]) -> None:
    totals = dict.fromkeys(trees, 0.0)
    undecided = dict.fromkeys(trees, 0)
    with ThreadPoolExecutor(workers) as pool:
        jobs = [(label, cfg, pool.submit(measure, tree, cfg, _names(cfg), limit))
                for cfg in configs for label, tree in trees.items()]
        for label, cfg, job in jobs:
            row = job.result()
            totals[label] += float(row["seconds"])  # type: ignore[arg-type]
            undecided[label] += bool(row["unknown"])
            out.append({"job": name, "code": label, "config": cfg.describe(), **row})
            print(f"  {name:8} {label:8} {float(row['seconds']):8.1f} s  undecided: {', '.join(row['unknown']) or 'none'}"  # type: ignore[arg-type,call-overload]
                  f"  {cfg.describe()}", flush=True)
    before, after = totals.get("previous"), totals["current"]
    ratio = f"  ratio {before / after:.1f}x" if before is not None and after else ""
    line = "  ".join(f"{label} {totals[label]:.0f} s ({undecided[label]} of {len(configs)} with a property undecided)"
                     for label in trees)
    print(f"{name}: {line}{ratio}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="", help="the previous code's revision (default: no comparison)")
    parser.add_argument("--current", default="", help="the current code's revision (default: this checkout as it is)")
    parser.add_argument("--jobs", default="recovery,nt35,sweep")
    parser.add_argument("--stride", type=int, default=1, help="time every K-th 2x2 sweep configuration (default 1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=float, default=900.0, help="seconds allowed per configuration (default 900)")
    parser.add_argument("--out", type=Path, help="also write every measurement as JSON lines")
    args = parser.parse_args()
    jobs = args.jobs.split(",")
    print(f"python benchmarks/z3_speed.py {' '.join(sys.argv[1:])}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"current": unpack(args.current, Path(tmp), "current") if args.current else ROOT}
        if args.baseline:
            trees = {"previous": unpack(args.baseline, Path(tmp), "previous"), **trees}
        rows: list[dict[str, object]] = []
        two_by_two = [c for c in sweep_configs() if (c.clients, c.addresses) == (2, 2)]
        if "recovery" in jobs:
            cfg = Config(clients=3, addresses=3, variant="nt40")
            for label, tree in trees.items():  # one at a time: the figure is one run's wall time
                row = measure(tree, cfg, ["recovery"], args.limit)
                rows.append({"job": "recovery", "code": label, "config": cfg.describe(), **row})
                print(f"  recovery {label:8} {float(row['seconds']):8.1f} s  {row.get('verdicts')}", flush=True)  # type: ignore[arg-type]
            times = {r["code"]: float(r["seconds"]) for r in rows if r["job"] == "recovery"}  # type: ignore[arg-type]
            ratio = f"  ratio {times['previous'] / times['current']:.1f}x" if "previous" in times else ""
            print("recovery 3x3 nt40: " + "  ".join(f"{k} {v:.1f} s" for k, v in times.items()) + ratio, flush=True)
        if "nt35" in jobs:
            run_job("nt35", [c for c in two_by_two if c.describe() in UNDECIDED], trees, args.workers, args.limit, rows)
        if "sweep" in jobs:
            run_job("sweep", two_by_two[:: args.stride], trees, args.workers, args.limit, rows)
        if args.out:
            args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
