"""Where `leasecheck prove` spends its CPU time: the seconds of each phase of one all-sizes proof.

Usage: python benchmarks/prove_bench.py [--job JOB ...] [--repeat N] [--timeout SECONDS]

Each job is one call of ``leasecheck.checker.cli.prove.prove`` (what ``leasecheck prove`` runs)
in its own interpreter. The phases are the functions the proof goes through, each timed by the
process's CPU clock (``time.process_time``) with the time of a phase inside another counted once,
in the inner one:

* the finite search for a counterexample (``_finite_counterexample``);
* exploring the learning networks (``explore``) and reading their views (``read_views``);
* the safety nets (``_safety_nets``: the two templates, the property in the networks explored, the
  first-order steps against the explicit engine's);
* the candidate clauses (``learn_pool``);
* the invariant's search (``prove_invariant``: counterexamples to induction, the clauses they ask for);
* the ranking's conditions (``check_ranking``, for ``recovery``);
* the fresh re-check (``recheck``);
* the obligations of ``first()`` and writing the certificate;
* the rest (start-up, tracing the first-order model, reading states as matrices).

Each job prints one line per phase and the CPU and wall seconds in all, the number of solver calls
and their work (Z3's resource count, the same on every machine), and a digest of the path: the
answers and the work of every solver call but the re-check's, in order. Two versions of the code
that print the same digest asked the same questions and got the same answers, however fast.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> (variant, property, deletes, restart, any budget)
JOBS = {
    "recovery-nt40": ("nt40", "recovery", 1, False, False),
    "single_binding-nt40": ("nt40", "single_binding", 1, False, False),
    "no_duplicate_address-nt40": ("nt40", "no_duplicate_address", 0, False, False),
    # recovery after any number of disturbances (--any-budget), restart off and on
    **{f"recovery-any-{v}{'-restart' if restart else ''}": (v, "recovery", 1, restart, True)
       for v in ("nt40", "dnsmasq", "rfc2131", "authoritative") for restart in (False, True)},
}

#: (module, function, phase): the functions timed, each module's own name for it replaced
PHASES = [
    ("leasecheck.checker.cli.prove", "_finite_counterexample", "finite counterexample search"),
    ("leasecheck.checker.cli.prove", "explore", "exploring the networks"),
    ("leasecheck.checker.allsizes.recovery", "read_views", "reading the views"),
    ("leasecheck.checker.cli.prove", "_safety_nets", "safety nets"),
    ("leasecheck.checker.allsizes.safety", "learn_pool", "candidate clauses"),
    ("leasecheck.checker.allsizes.safety", "prove_invariant", "the invariant's search"),
    ("leasecheck.checker.allsizes.recovery", "prove_invariant", "the invariant's search"),
    ("leasecheck.checker.allsizes.recovery", "check_ranking", "the ranking's conditions"),
    ("leasecheck.checker.allsizes.safety", "recheck", "the fresh re-check"),
    ("leasecheck.checker.allsizes.recovery", "recheck", "the fresh re-check"),
    ("leasecheck.checker.cli.prove", "_discharge_first", "first() and the certificate"),
    ("leasecheck.checker.cli.prove", "ranking_certificate", "first() and the certificate"),
    ("leasecheck.checker.cli.prove", "invariant_certificate", "first() and the certificate"),
]

CHILD = """
import hashlib, importlib, json, sys, time
sys.path.insert(0, {root!r})
t_start, w_start = time.process_time(), time.perf_counter()
from leasecheck.checker.cli.prove import prove
from leasecheck.model.dhcp import Config
variant, prop, deletes, restart, any_budget, timeout, phases = json.loads(sys.argv[1])
spent = {{}}
stack = []

def timed(fn, phase):
    def wrapper(*args, **kwargs):
        stack.append(0.0)
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            total = time.process_time() - t0
            inner = stack.pop()
            spent[phase] = spent.get(phase, 0.0) + total - inner
            if stack:
                stack[-1] += total
    return wrapper

for module, name, phase in phases:
    mod = importlib.import_module(module)
    setattr(mod, name, timed(getattr(mod, name), phase))
calls, work, rechecks = [0], [0], [0]
path = hashlib.sha256()

def seen(q):
    calls[0] += 1
    work[0] += q.work
    if q.what.startswith("the re-check"):
        rechecks[0] += 1
    else:
        path.update(f"{{q.result}} {{q.work}}\\n".encode())

run = prove(Config(clients=1, addresses=1, variant=variant, deletes=deletes, restart=restart), prop, any_budget, timeout,
            trace=seen)
cpu = time.process_time() - t_start
spent["the rest"] = cpu - sum(spent.values())
print(json.dumps({{"verdict": str(run.verdict), "reason": run.reason, "phases": spent, "cpu": cpu,
                  "wall": time.perf_counter() - w_start, "calls": calls[0], "rechecks": rechecks[0],
                  "work": work[0], "path": path.hexdigest()[:16]}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", action="append", choices=sorted(JOBS), help="default: recovery-nt40 and single_binding-nt40")
    ap.add_argument("--repeat", type=int, default=1, help="run each job this many times, one after the other "
                    "(the same path digest each time: the path depends on no clock)")
    ap.add_argument("--timeout", type=float, default=1500.0)
    args = ap.parse_args()
    for name in [job for job in args.job or ["recovery-nt40", "single_binding-nt40"] for _ in range(args.repeat)]:
        variant, prop, deletes, restart, any_budget = JOBS[name]
        proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)),
                               json.dumps([variant, prop, deletes, restart, any_budget, args.timeout, PHASES])],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{name}: error: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
            continue
        doc = json.loads(proc.stdout)
        how = f"--variant {variant} --property {prop} --deletes {deletes}" + (" --restart" if restart else "") + (
            " --any-budget" if any_budget else "")
        print(f"{name} (prove {how}): {doc['verdict']}, "
              f"{doc['cpu']:.1f} CPU s, {doc['wall']:.1f} wall s, {doc['calls']} solver calls "
              f"({doc['rechecks']} of the re-check), {doc['work'] / 1e6:.1f} million units of work, "
              f"path {doc['path']}")
        order = list(dict.fromkeys(p for _, _, p in PHASES)) + ["the rest"]
        for phase in order:
            if phase in doc["phases"]:
                print(f"    {phase:<32} {doc['phases'][phase]:7.1f} CPU s")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
