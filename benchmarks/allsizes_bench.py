"""Time `leasecheck prove`: each all-sizes proof, each finite refutation, each honest "unknown".

Usage: python benchmarks/allsizes_bench.py [--quick] [--property P] [--variant V] [--any-budget] [--timeout SECONDS] [--trace DIR]

Each job is one call of ``leasecheck.checker.cli.prove.prove`` in its own interpreter (so that
its time includes tracing, exploring the learning networks, learning and the solver calls) and
prints one line: the job, the verdict, wall seconds and CPU seconds (user and system, of the
job's interpreter: the figure a loaded machine changes least), the learned invariant's size, the number of
candidate clauses and of solver calls and the solver's work in all (Z3's resource count, the
same on every machine: :mod:`leasecheck.checker.allsizes.effort`). --quick runs only the nt40 and
nt35 jobs; --property and --variant only the jobs of one property, of one variant; --any-budget
only the jobs for every budget (recovery: after any number of disturbances). --trace DIR
writes each job's solver calls to DIR/<job>.jsonl, one line each (what was asked, the answer,
the limit, the work, the seconds), and the job's rounds to DIR/<job>.log, and prints where the
solver's work and seconds went.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (variant, property, deletes, losses, reboots, restart, any budget)
JOBS = [
    *((v, "single_binding", 1, 0, 0, False, False) for v in ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")),
    *((v, "single_binding", 1, 1, 1, True, True) for v in ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")),
    ("nt40", "no_duplicate_address", 0, 0, 0, False, False),
    ("nt40", "no_duplicate_address", 1, 0, 0, False, False),
    ("nt35", "recovery", 1, 0, 0, False, False),
    ("nt40", "recovery", 1, 0, 0, False, False),
    *((v, "recovery", 1, 0, 0, rs, True) for rs in (False, True) for v in ("nt40", "dnsmasq", "rfc2131", "authoritative")),
]

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from leasecheck.checker.cli.prove import prove
from leasecheck.model.dhcp import Config
v, p, d, l, r, rs, anyb, t, trace = json.loads(sys.argv[1])
work = [0]
calls = open(trace + ".jsonl", "w") if trace else None
log = open(trace + ".log", "w") if trace else None

def seen(q):
    work[0] += q.work
    if calls:
        calls.write(json.dumps({{"what": q.what, "result": q.result, "rlimit": q.rlimit, "work": q.work,
                                "seconds": round(q.seconds, 3)}}) + "\\n")
        calls.flush()

def said(line):
    if log:
        log.write(line + "\\n")
        log.flush()

run = prove(Config(clients=1, addresses=1, variant=v, deletes=d, losses=l, reboots=r, restart=rs), p, anyb, t, progress=said, trace=seen)
said(f"{{run.verdict}}: {{run.reason}}")
print(json.dumps({{"verdict": str(run.verdict), "clauses": len(run.invariant), "candidates": run.candidates,
                  "calls": run.queries, "work": work[0], "reason": run.reason}}))
"""


def _kind(what: str) -> str:
    """The kind of a traced query, from what it asked."""
    if what.startswith("the re-check"):
        return "the fresh re-check of the invariant"
    if what.startswith("a counterexample to induction"):
        return "counterexamples to induction, " + ("every network" if "every network" in what else "small networks")
    if what.startswith("the read-back"):
        return "counterexamples read back in a small network"
    if what.startswith(("the obligation", "the clauses needed", "the property in")):
        return "other checks of the invariant"
    return "the ranking's conditions"


def summary(trace: str) -> list[str]:
    """Where a traced job's solver calls went: calls, work and seconds of each kind, the largest call."""
    calls = [json.loads(line) for line in Path(trace + ".jsonl").read_text().splitlines()]
    kinds: dict[str, list[float]] = {}
    for c in calls:
        k = kinds.setdefault(_kind(c["what"]), [0, 0, 0.0])
        k[0], k[1], k[2] = k[0] + 1, k[1] + c["work"], k[2] + c["seconds"]
    out = [f"    {name:<48} {n:>5} calls {w / 1e6:9.1f} M work {s:8.1f} s" for name, (n, w, s) in kinds.items()]
    if calls:
        big = max(calls, key=lambda c: c["work"])
        gave_up = sum(c["result"] == "unknown" for c in calls)
        out.append(f"    the largest: {big['work'] / 1e6:.2f} M work of {big['rlimit'] / 1e6:.0f} M ({big['what']}); "
                   f"{gave_up} calls gave up")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--property", choices=sorted({j[1] for j in JOBS}))
    ap.add_argument("--variant")
    ap.add_argument("--any-budget", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--trace", type=Path, metavar="DIR")
    args = ap.parse_args()
    jobs = [j for j in JOBS if (not args.quick or j[0] in ("nt35", "nt40")) and args.property in (None, j[1])
            and args.variant in (None, j[0]) and (not args.any_budget or j[6])]
    if args.trace:
        args.trace.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        v, p, d, losses, r, rs, anyb = job
        name = f"{p} {v} " + ("any budget" if anyb else f"D={d} L={losses} R={r}") + (" restart" if rs else "")
        trace = str(args.trace / name.replace(" ", "_").replace("=", "")) if args.trace else ""
        start, before = time.perf_counter(), os.times()
        proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)),
                               json.dumps([*job, args.timeout, trace])],
                              capture_output=True, text=True, check=False)
        seconds, after = time.perf_counter() - start, os.times()
        cpu = after.children_user + after.children_system - before.children_user - before.children_system
        if proc.returncode != 0:
            print(f"{name:<48} error: {proc.stderr.strip().splitlines()[-1]}")
            continue
        doc = json.loads(proc.stdout)
        print(f"{name:<48} {doc['verdict']:<9} {seconds:6.1f} s  {cpu:6.1f} s CPU  {doc['clauses']:>3} clauses  "
              f"{doc['candidates']:>5} candidates  {doc['calls']:>4} calls  {doc['work'] / 1e6:8.1f} M work"
              f"  ({doc['reason']})", flush=True)
        if trace:
            print("\n".join(summary(trace)), flush=True)


if __name__ == "__main__":
    main()
