"""Time the Z3 engine on recovery: the nt35 lasso, and the nt40 proof attempt.

Usage: PYTHONPATH=. python benchmarks/z3_bench.py [--timeout SECONDS] [--shapes 1x1,2x2]
Prints one line per run: configuration, verdict, seconds, reason.
"""

from __future__ import annotations

import argparse
import time

from checker.z3.engine import Z3Options, z3_report
from model.dhcp import Config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="per solver call (default 60)")
    parser.add_argument("--shapes", default="1x1,2x2", help="CxA shapes (default 1x1,2x2)")
    parser.add_argument("--variants", default="nt35,nt40")
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        clients, addresses = (int(n) for n in shape.split("x"))
        for variant in args.variants.split(","):
            cfg = Config(clients, addresses, variant)
            start = time.perf_counter()
            (result,) = z3_report(cfg, ["recovery"], Z3Options(depth=24, timeout=args.timeout)).results
            seconds = time.perf_counter() - start
            print(f"{cfg.describe():32} recovery {str(result.verdict):8} {seconds:7.1f} s  {result.reason}", flush=True)


if __name__ == "__main__":
    main()
