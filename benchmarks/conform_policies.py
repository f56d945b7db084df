"""The server policies (of the 54) that explain each server configuration in every measured cell of
the recorded matrix (tests/data/matrix), with the client mode each cell needs, and the CPU time.

    python -m benchmarks.conform_policies udhcpd            # one server configuration
    python -m benchmarks.conform_policies                   # every server configuration of the matrix
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from leasecheck.checker.conform.matrix import read_results
from leasecheck.checker.conform.policies import server_policies
from leasecheck.checker.conform.validate import Steppers

MATRIX = Path(__file__).resolve().parent.parent / "tests" / "data" / "matrix"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("servers", nargs="*", help="server configurations (default: every one of the matrix)")
    args = parser.parse_args()
    cells = read_results(MATRIX / "results.jsonl")
    servers = args.servers or sorted({c.server for c in cells})
    shared = Steppers()  # the compiled systems, shared between cells and servers
    for server in servers:
        cpu = time.process_time()
        got = server_policies(cells, MATRIX / "captures", server, steppers=shared)
        cpu = time.process_time() - cpu
        print(f"{server}: {len(got.cells)} measured cells, {cpu:.0f} s CPU", flush=True)
        for client, scenario, fit in got.per_cell:
            print(f"  {client} x {scenario}: {len(fit)} policies")
        for client, scenario in got.unexplained:
            print(f"  no policy explains {client} x {scenario}")
        for fit in got.fits:
            modes = sorted({mode for _c, _s, mode in fit.modes})
            print(f"  explains every cell: {fit.policy} (client modes: {'; '.join(modes)})")
        if not got.fits:
            print("  no one policy explains every cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
