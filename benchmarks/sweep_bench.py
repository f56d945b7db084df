"""Time the Z3 engine over the soundness sweep's configurations (tests/test_sweep.py).

Every configuration runs in a fresh worker process (as the sweep and `leasecheck check` do),
two at a time, through the front door (`run_check` with the Z3 engine and its default bounds);
each line printed is one configuration: its seconds, how many properties the Z3 engine decided
and how many it left unknown. ``--sizes 1x2,2x1`` picks the sizes (default all
four), ``--only DESCRIPTION`` (repeatable) picks configurations by the description printed for
them, ``--out FILE`` also writes the figures as JSON lines.

    python benchmarks/sweep_bench.py --sizes 2x2 --out /tmp/sweep-2x2.jsonl
    python benchmarks/sweep_bench.py --only "nt40 2x2, D=1, L=1, R=1, restart"
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leasecheck import CheckOptions, Config, Method, Verdict, run_check  # noqa: E402
from tests.test_sweep import _names, sweep_configs  # noqa: E402


def timed(cfg: Config) -> dict[str, object]:
    start = time.perf_counter()
    report = run_check(cfg, CheckOptions(tuple(_names(cfg)), engine="z3")).report
    unknown = [f"{r.property}/{r.client}: {r.reason}" for r in report.results
               if r.verdict is Verdict.UNKNOWN and r.method is not Method.UNSUPPORTED]
    decided = sum(1 for r in report.results if r.verdict is not Verdict.UNKNOWN)
    return {"config": cfg.describe(), "seconds": round(time.perf_counter() - start, 2),
            "decided": decided, "unknown": unknown}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1x1,1x2,2x1,2x2")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", action="append", metavar="DESCRIPTION",
                        help='one configuration, as printed (e.g. "nt35 2x2, D=1, L=1, R=0, restart"); repeatable')
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = {tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")}
    configs = [c for c in sweep_configs() if (c.clients, c.addresses) in sizes]
    if args.only:
        known = {c.describe() for c in configs}
        unknown = [d for d in args.only if d not in known]
        if unknown:
            parser.error(f"no sweep configuration is described as {unknown[0]!r}")
        configs = [c for c in configs if c.describe() in args.only]
    start = time.perf_counter()
    total = 0.0
    out = args.out.open("w") if args.out else None
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1) as pool:
        for row in pool.map(timed, configs):
            total += float(row["seconds"])  # type: ignore[arg-type]
            print(f"{row['seconds']:8.1f} s  decided {row['decided']:2}  unknown {len(row['unknown'])}  {row['config']}",  # type: ignore[arg-type]
                  flush=True)
            for why in row["unknown"]:  # type: ignore[attr-defined]
                print(f"            {why}", flush=True)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()
    print(f"{len(configs)} configurations: {time.perf_counter() - start:.0f} s wall, {total:.0f} s in workers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
