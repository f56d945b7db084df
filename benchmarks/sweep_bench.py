"""Time the Z3 engine over the soundness sweep's configurations (tests/test_sweep.py).

Every configuration runs in a fresh worker process (as the sweep and `leasecheck check` do),
two at a time; each line printed is one configuration: its seconds, how many properties the Z3
engine decided and how many it left unknown. ``--sizes 1x2,2x1`` picks the sizes (default all
four), ``--out FILE`` also writes the figures as JSON lines.

    python benchmarks/sweep_bench.py --sizes 2x2 --out /tmp/sweep-2x2.jsonl
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

from leasecheck.checker.results import Method  # noqa: E402
from leasecheck.checker.z3.engine import Z3Options, z3_report  # noqa: E402
from leasecheck.model.dhcp import Config  # noqa: E402
from leasecheck.properties.spec import Verdict  # noqa: E402
from tests.test_sweep import _names, sweep_configs  # noqa: E402


def timed(cfg: Config) -> dict[str, object]:
    start = time.perf_counter()
    report = z3_report(cfg, _names(cfg), Z3Options())
    unknown = [f"{r.property}/{r.client}: {r.reason}" for r in report.results
               if r.verdict is Verdict.UNKNOWN and r.method is not Method.UNSUPPORTED]
    decided = sum(1 for r in report.results if r.verdict is not Verdict.UNKNOWN)
    return {"config": cfg.describe(), "seconds": round(time.perf_counter() - start, 2),
            "decided": decided, "unknown": unknown}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1x1,1x2,2x1,2x2")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = {tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")}
    configs = [c for c in sweep_configs() if (c.clients, c.addresses) in sizes]
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
