"""Time the Z3 engine on recovery: nt40 proofs, nt35 lassos, and the largest nt40 proof within a limit.

Usage: python benchmarks/z3_bench.py [--shapes 1x1,2x2] [--variants nt35,nt40]
       [--timeout SECONDS] [--depth N] [--limit SECONDS] [--largest]

Each run is `recovery` for every client of one configuration (D=1, L=0, R=0), checked by
``run_check`` with the Z3 engine in a child process that is stopped after --limit seconds.
Prints one line per run: configuration, the verdict per client, seconds, peak memory of the
child, and the first client's reason. With --largest, nt40 configurations of growing size are
proved until one does not finish in time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leasecheck import CheckOptions, Config, run_check  # noqa: E402

#: nt40 shapes tried by --largest, in order of size
GROWING = ((1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (3, 4), (4, 4))


def _child(cfg: Config, options: CheckOptions, out: Connection) -> None:
    start = time.perf_counter()
    report = run_check(cfg, options).report
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send(([str(r.verdict) for r in report.results], seconds, peak, report.results[0].reason))


def measure(cfg: Config, options: CheckOptions, limit: float) -> tuple[list[str], float, float, str] | None:
    """(verdicts, seconds, peak MB, reason) of one run, or None when it did not finish in ``limit`` s."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=_child, args=(cfg, options, send))
    child.start()
    finished = receive.poll(limit)
    result = receive.recv() if finished else None
    if child.is_alive():
        child.terminate()
    child.join()
    return result


def report(cfg: Config, options: CheckOptions, limit: float) -> bool:
    row = measure(cfg, options, limit)
    name = f"{cfg.clients}x{cfg.addresses} {cfg.variant}"
    if row is None:
        print(f"{name:16} not finished within {limit:g} s", flush=True)
        return False
    verdicts, seconds, peak, reason = row
    print(f"{name:16} {'/'.join(verdicts):24} {seconds:7.1f} s {peak:7.0f} MB  {reason}", flush=True)
    return all(v == "holds" for v in verdicts) or any(v == "violated" for v in verdicts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="1x1,2x2", help="CxA shapes (default 1x1,2x2)")
    parser.add_argument("--variants", default="nt35,nt40")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="the time limit of each whole run (default 120; each solver call gets at most 60 s of it)")
    parser.add_argument("--depth", type=int, default=24, help="bound of the lasso searches (default 24)")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds allowed per run (default 300)")
    parser.add_argument("--largest", action="store_true", help="grow nt40 until a proof does not finish in --limit")
    args = parser.parse_args()
    options = CheckOptions(("recovery",), engine="z3", timeout=args.timeout, depth=args.depth)
    if args.largest:
        for clients, addresses in GROWING:
            if not report(Config(clients=clients, addresses=addresses, variant="nt40"), options, args.limit):
                break
        return
    for shape in args.shapes.split(","):
        clients, addresses = (int(n) for n in shape.split("x"))
        for variant in args.variants.split(","):
            report(Config(clients=clients, addresses=addresses, variant=variant), options, args.limit)


if __name__ == "__main__":
    main()
