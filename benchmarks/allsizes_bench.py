"""Time `leasecheck prove`: each all-sizes proof, each finite refutation, each honest "unknown".

Usage: python benchmarks/allsizes_bench.py [--quick] [--property P] [--timeout SECONDS]

Each job is one call of ``leasecheck.checker.cli.prove.prove`` in its own interpreter (so that
its time includes tracing, exploring the learning networks, learning and the solver calls) and
prints one line: the job, the verdict, wall seconds, the learned invariant's size, the number of
candidate clauses and of solver calls. --quick runs only the nt40 and nt35 jobs; --property only
the jobs of one property.
"""

from __future__ import annotations

import argparse
import json
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
]

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from leasecheck.checker.cli.prove import prove
from leasecheck.model.dhcp import Config
v, p, d, l, r, rs, anyb, t = json.loads(sys.argv[1])
run = prove(Config(1, 1, v, d, l, r, rs), p, anyb, t)
print(json.dumps({{"verdict": str(run.verdict), "clauses": len(run.invariant), "candidates": run.candidates,
                  "calls": run.queries, "reason": run.reason}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--property", choices=sorted({j[1] for j in JOBS}))
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    jobs = [j for j in JOBS if (not args.quick or j[0] in ("nt35", "nt40")) and args.property in (None, j[1])]
    for job in jobs:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), json.dumps([*job, args.timeout])],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        v, p, d, losses, r, rs, anyb = job
        name = f"{p} {v} " + ("any budget" if anyb else f"D={d} L={losses} R={r}") + (" restart" if rs else "")
        if proc.returncode != 0:
            print(f"{name:<48} error: {proc.stderr.strip().splitlines()[-1]}")
            continue
        doc = json.loads(proc.stdout)
        print(f"{name:<48} {doc['verdict']:<9} {seconds:6.1f} s  {doc['clauses']:>3} clauses  "
              f"{doc['candidates']:>5} candidates  {doc['calls']:>4} calls", flush=True)


if __name__ == "__main__":
    main()
