"""Throughput of `leasecheck sweep` on its executors, and what one point sends over a network.

Run from the repository root::

    python benchmarks/policy_sweep_bench.py                 # every executor on the default grid
    python benchmarks/policy_sweep_bench.py --sizes 1x1     # a smaller grid

The grid: every policy (54) at the sizes given (default 2x2), one delete, losses 0..1, no
reboot, restart on and off. Each executor runs the whole grid into a fresh results file:
local with 1 worker, local with 2, a local Dask cluster with 2 (when ``distributed`` is
installed). Printed: points, seconds, points per second, the speed-up over one local worker, and
whether the records equal those of one local worker; then the size of a task and of a result as
they cross between processes (pickled), which is what a cluster's network carries per point.
"""

from __future__ import annotations

import argparse
import pickle
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leasecheck.checker.sweep.executors import DaskExecutor, LocalExecutor  # noqa: E402
from leasecheck.checker.sweep.grid import Grid, grid, parse_policies, parse_sizes  # noqa: E402
from leasecheck.checker.sweep.store import ResultsFile  # noqa: E402
from leasecheck.checker.sweep.sweep import run_sweep  # noqa: E402

LIMITS: dict[str, Any] = {"timeout": None, "max_states": None, "max_memory": None}


def _plain(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in records), key=lambda r: r["key"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2x2")
    args = ap.parse_args()
    points = grid(Grid(parse_policies("all"), parse_sizes(args.sizes), (1,), (0, 1), (0,), (False, True)))
    executors: list[Any] = [LocalExecutor(1), LocalExecutor(2)]
    try:
        import distributed  # noqa: F401

        executors.append(DaskExecutor(2))
    except ImportError:
        print("distributed is not installed: the Dask executor is left out")
    print(f"{len(points)} points ({args.sizes}); {platform.node()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    base: tuple[float, list[dict[str, Any]]] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for n, ex in enumerate(executors):
            started = time.perf_counter()
            outcome = run_sweep(points, ResultsFile(Path(tmp) / f"{n}.jsonl"), ex, LIMITS)
            seconds = time.perf_counter() - started
            records = outcome.ordered
            if base is None:
                base = (seconds, records)
            same = _plain(records) == _plain(base[1])
            print(f"{ex.description:42} {len(records):5} points {seconds:8.1f} s {len(records) / seconds:7.2f}/s "
                  f"x{base[0] / seconds:4.2f}  same records: {same}")
    assert base is not None
    tasks = [len(pickle.dumps((p.as_dict(), LIMITS))) for p in points]
    results = [len(pickle.dumps(r)) for r in base[1]]
    work = [r["seconds"] for r in base[1]]
    print(f"a task: {statistics.mean(tasks):.0f} bytes pickled; a result: {statistics.mean(results):.0f} bytes "
          f"(largest {max(results)}); work per point: median {statistics.median(work):.2f} s, "
          f"largest {max(work):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
