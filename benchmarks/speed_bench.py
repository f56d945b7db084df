"""The explicit engine beside the previous code and SPIN, on the same configurations, in one run.

Run from the repository's top::

    python benchmarks/speed_bench.py            # every job (about an hour on a busy machine, up to ~11 GB)
    python benchmarks/speed_bench.py --quick    # the two 3x3 jobs without the full nt35 graph
    python benchmarks/speed_bench.py --previous b3ca4ad   # the code to compare with (a commit)
    python benchmarks/speed_bench.py --only 5x5   # the jobs whose name says so (other rows of the file kept)

Three contestants per configuration, each in its own process, one after the other:

* **new**: this checkout (its folder goes first on the import path);
* **previous**: the code of the commit ``--previous`` (default ``b3ca4ad``, the state of main
  before the shared analyses), written out of this repository's history with ``git archive`` into
  a temporary folder and imported from there; nothing is installed and the checkout is not touched;
* **SPIN**: the model exported as Promela by this checkout (``leasecheck export --promela``, the
  same guarded commands, with the ``single_binding`` invariant as the never claim, which holds, so
  the search covers every reachable state), compiled with ``spin -a`` and ``gcc -O2 -DSAFETY
  -DNOREDUCE``, and ``./pan -c0`` run on it: a safety-only search (SPIN has neither this
  project's symmetry reduction nor its fairness per action instance), so it is shown beside the
  jobs that explore the full graph.

For every run: the wall seconds of the process (start-up included; for SPIN the ``pan`` run, its
compilation reported apart), its CPU seconds (user and system, from ``wait4``: steadier than wall
time on a shared machine) and its peak resident memory. For leasecheck runs the results are
digested (property, client, verdict, reason, trace), and the table says whether the new and the
previous code gave the same; the figures go to ``benchmarks/speed_results.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "speed_results.json"
PREVIOUS = "b3ca4ad"


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
    mode: str = "check"  # check: run_check on `properties` (all when empty); explore: the graph only
    properties: tuple[str, ...] = ()
    symmetry: bool = False
    spin: bool = False  # also run SPIN's safety search of the full graph
    quick: bool = True  # part of --quick


JOBS = [
    Job("3x3 nt40 full exploration", 3, 3, "nt40", mode="explore", spin=True),
    Job("3x3 nt35 D=L=R=1 restart, every property, --symmetry", 3, 3, "nt35", 1, 1, 1, True, symmetry=True),
    Job("5x5 nt40 recovery, --symmetry", 5, 5, "nt40", properties=("recovery",), symmetry=True, quick=False),
    Job("3x3 nt35 D=L=R=1 restart, single_binding, --symmetry (full group)", 3, 3, "nt35", 1, 1, 1, True,
        properties=("single_binding",), symmetry=True),
    Job("3x3 nt35 D=L=R=1 restart, recovery, no symmetry", 3, 3, "nt35", 1, 1, 1, True, properties=("recovery",),
        spin=True, quick=False),
]


def child(root: str, job: Job) -> dict[str, Any]:
    """Runs in the child process: one job on the code under ``root``."""
    sys.path.insert(0, root)
    import leasecheck

    if not Path(leasecheck.__file__).resolve().is_relative_to(Path(root).resolve()):
        raise SystemExit(f"leasecheck imported from {leasecheck.__file__}, not from {root}")
    from leasecheck.model.dhcp import Config, dhcp_system

    cfg = Config(clients=job.clients, addresses=job.addresses, variant=job.variant,
                 deletes=job.deletes, losses=job.losses, reboots=job.reboots, restart=job.restart)
    start = time.perf_counter()
    if job.mode == "explore":
        from leasecheck.checker.explicit.vexplore import explore_vector

        graph = explore_vector(dhcp_system(cfg))
        figures = {"states": len(graph.states), "transitions": graph.transitions, "complete": graph.complete}
        digest = hashlib.sha256(bytes(graph.dst) + bytes(graph.parent)).hexdigest()[:16]
        verdicts: dict[str, str] = {}
    else:
        from leasecheck import CheckOptions, run_check

        report = run_check(cfg, CheckOptions(job.properties or None, symmetry=job.symmetry)).report
        s = report.stats
        figures = {"states": s.states, "transitions": s.transitions, "complete": s.complete}
        verdicts = {f"{r.property}[{'-' if r.client is None else r.client}]": str(r.verdict) for r in report.results}
        digest = hashlib.sha256(repr([(r.property, r.client, str(r.verdict), r.reason, r.trace)
                                      for r in report.results]).encode()).hexdigest()[:16]
    return {**figures, "engine_seconds": round(time.perf_counter() - start, 2), "verdicts": verdicts,
            "digest": digest}


def _measured(argv: list[str], cwd: Path) -> tuple[str, float, float, float, int]:
    """(stdout, wall s, CPU s, peak MB, exit status) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run_leasecheck(root: Path, job: Job) -> dict[str, Any]:
    out, wall, cpu, peak, status = _measured(
        [sys.executable, __file__, "--child", str(root), json.dumps(asdict(job))], ROOT)
    if status != 0:
        return {"error": f"exit status {status}"}
    return {**json.loads(out), "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak)}


def run_spin(job: Job, folder: Path, states: int) -> dict[str, Any]:
    """SPIN's safety search of the job's configuration, exported by this checkout; its hash table
    sized for ``states`` (``-w``: twice as many slots, rounded up to a power of two)."""
    if not (shutil.which("spin") and shutil.which("gcc")):
        return {"error": "spin or gcc missing (Debian: apt-get install spin gcc)"}
    sys.path.insert(0, str(ROOT))
    from leasecheck.checker.render.promela import promela_model
    from leasecheck.model.dhcp import Config
    from leasecheck.properties.dhcp import dhcp_model

    cfg = Config(clients=job.clients, addresses=job.addresses, variant=job.variant,
                 deletes=job.deletes, losses=job.losses, reboots=job.reboots, restart=job.restart)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.pml").write_text(promela_model(dhcp_model(cfg), ("single_binding",)).text)
    start = time.perf_counter()
    subprocess.run(["spin", "-a", "model.pml"], cwd=folder, check=True, capture_output=True)
    subprocess.run(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-DMEMLIM=16000", "-o", "pan", "pan.c"], cwd=folder,
                   check=True, capture_output=True)
    compile_seconds = time.perf_counter() - start
    width = max(18, (2 * states).bit_length())
    out, wall, cpu, peak, status = _measured(["./pan", "-m10000000", f"-w{width}", "-c0", "-N", "single_binding"],
                                             folder)

    def number(pattern: str) -> int | None:
        match = re.search(pattern, out)
        return int(match.group(1)) if match else None

    errors = number(r"errors: (\d+)")
    return {"states": number(r"(\d+) states, stored"), "transitions": number(r"(\d+) transitions"),
            "complete": errors == 0 and "max search depth too small" not in out and status == 0,
            "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak),
            "compile_seconds": round(compile_seconds, 2), "errors": errors}


def previous_checkout(rev: str, into: Path) -> Path:
    """The code of commit ``rev``, written out with ``git archive`` (symbolic links kept)."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> str:
    if "error" in a or "error" in b or not b.get(key):
        return ""
    return f"{a[key] / b[key]:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ["configuration", "run", "states", "seconds", "CPU s", "peak MB", "new/this (s)", "new/this (CPU)",
            "same results"]
    lines = []
    for row in rows:
        new = row["new"]
        for who in ("new", "previous", "spin"):
            r = row.get(who)
            if r is None:
                continue
            if "error" in r:
                lines.append([row["name"], who, r["error"], "", "", "", "", "", ""])
                continue
            states = f"{r['states']:,}" if r.get("states") is not None else "?"
            if not r.get("complete", False):
                states += " (incomplete)"
            same = ""
            if who == "previous" and "digest" in new and "digest" in r:
                same = "yes" if new["digest"] == r["digest"] else "NO"
            lines.append([row["name"] if who == "new" else "", who, states, f"{r['seconds']:.2f}",
                          f"{r['cpu_seconds']:.2f}", f"{r['peak_mb']:,}",
                          "" if who == "new" else _ratio(new, r, "seconds"),
                          "" if who == "new" else _ratio(new, r, "cpu_seconds"), same])
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) for x in lines]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the jobs marked quick (the 3x3 ones with symmetry)")
    parser.add_argument("--previous", default=PREVIOUS, help=f"the commit to compare with (default {PREVIOUS})")
    parser.add_argument("--no-spin", action="store_true", help="leave SPIN out")
    parser.add_argument("--only", help="only the jobs whose name contains this text")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, spec = args.child
        fields = json.loads(spec)
        print(json.dumps(child(root, Job(**{**fields, "properties": tuple(fields["properties"])}))))
        return 0
    load = os.getloadavg()
    jobs = [j for j in JOBS if (j.quick or not args.quick) and (args.only is None or args.only in j.name)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="leasecheck-bench-") as tmp:
        previous = previous_checkout(args.previous, Path(tmp) / "previous")
        for n, job in enumerate(jobs):
            row: dict[str, Any] = {"name": job.name, "job": asdict(job), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                   "load_average": os.getloadavg()}
            row["new"] = run_leasecheck(ROOT, job)
            print(f"  {job.name}: new done", file=sys.stderr)
            row["previous"] = run_leasecheck(previous, job)
            print(f"  {job.name}: previous done", file=sys.stderr)
            if job.spin and not args.no_spin:
                row["spin"] = run_spin(job, Path(tmp) / f"spin{n}", row["new"].get("states") or 1 << 20)
                print(f"  {job.name}: SPIN done", file=sys.stderr)
            rows.append(row)
            _write(rows, load, args.previous)  # after every job, so that a long run cut short keeps its figures
            print(table([row]), file=sys.stderr)
    print(table(rows))
    return 0


def _write(rows: list[dict[str, Any]], load: tuple[float, float, float], previous: str) -> None:
    """Write the figures; with ``--only``, the rows of other jobs already in the file are kept."""
    kept: list[dict[str, Any]] = []
    if RESULTS.exists():
        names = {r["name"] for r in rows}
        kept = [r for r in json.loads(RESULTS.read_text()).get("results", []) if r["name"] not in names]
    order = [j.name for j in JOBS]
    rows = sorted(kept + rows, key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
    spin_version = subprocess.run(["spin", "-V"], capture_output=True, text=True).stdout.strip() if shutil.which("spin") else ""
    doc = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average_at_start": load, "load_average_now": os.getloadavg(), "spin": spin_version},
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "previous": previous,
        "results": rows,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
