"""The compiled explicit engine's speed goals against SPIN, every one measured in one run.

Run from the repository's top::

    python benchmarks/goals_bench.py              # every goal: about ten minutes, 8 GB at its peak (6x6)
    python benchmarks/goals_bench.py --no-6x6     # without the 6x6 search: about five minutes

The yardstick is SPIN's safety-only search of 3x3 nt35 with one delete, one loss, one reboot and
restarts (``pan`` warm, as ``compiled_bench.py`` runs it), measured in the same run, so that
every ratio compares two figures taken on the machine as it was then. The goals, each measured
with ``compiled_bench.py``'s helpers (every run its own process, CPU seconds including the
compiler processes it waited for, peak resident MB):

1. ``recovery`` on that configuration's full graph, the command line: at most 0.5 of SPIN's CPU
   time, and at most SPIN's memory;
2. every property of it with ``--symmetry``, warm: at most 0.1;
3. 5x5 nt40 ``recovery`` with ``--symmetry``, warm: at most 0.3, within 1 GB;
4. 6x6 nt40 ``recovery`` with ``--symmetry``, the command line: settled within 10 minutes;
5. 3x3 nt40 with one delete, its full exploration end to end, warm (median of three): at most
   0.25 of SPIN's own end to end on it (``pan`` warm); cold (an empty cache: the C compiler's run
   included) against SPIN's cold (``spin -a``, ``gcc``, ``pan``), stated;
6. ``leasecheck claims``, the README's first command: its first run with an empty cache (the
   one-time compile cost) and the median of three warm runs, stated.

The table goes to standard output and the figures to ``benchmarks/goals_results.json``, with the
load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiled_bench import ROOT, measured, run_deciding, run_leasecheck, run_spin  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "goals_results.json"
LARGE = "3,3,nt35,1,1,1,restart"
LARGE_STATES = 26_496_550
EVERY_PROPERTY = ("recovery", "recoverable", "no_duplicate_address", "single_binding", "kb_symptom",
                  "kb_release_workaround", "kb_restart_workaround", "kb_stuck_after_expiry")


def _build(config: str, cache: Path) -> None:
    """The search of ``config`` built into ``cache`` (nothing explored)."""
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compiled_bench.py"), "--build", config], cwd=ROOT,
                   check=True, env={**os.environ, "LEASECHECK_CACHE_DIR": str(cache)})


def _warm(config: str, cache: Path, symmetry: bool, properties: tuple[str, ...]) -> dict[str, Any]:
    """The second of two runs (the first builds the search into ``cache``)."""
    run_leasecheck("compiled", config, cache, symmetry, properties)
    return run_leasecheck("compiled", config, cache, symmetry, properties)


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median CPU time."""
    return sorted(runs, key=lambda r: r.get("cpu_seconds", 0.0))[len(runs) // 2]


def _six_by_six(cache: Path) -> dict[str, Any]:
    argv = [sys.executable, "-m", "leasecheck", "check", "--clients", "6", "--addresses", "6", "--variant", "nt40",
            "--deletes", "1", "--symmetry", "--property", "recovery", "--timeout", "600", "--max-memory", "7600",
            "--format", "json"]
    out, wall, cpu, peak, status = measured(argv, ROOT, {**os.environ, "LEASECHECK_CACHE_DIR": str(cache)})
    if status not in (0, 1, 3):
        return {"error": f"exit status {status}"}
    doc = json.loads(out)
    return {"states": doc["stats"]["states"], "verdicts": [r["verdict"] for r in doc["results"]],
            "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak)}


def _claims(cache: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``leasecheck claims`` with an empty cache, then the median of three warm runs."""
    env = {**os.environ, "LEASECHECK_CACHE_DIR": str(cache)}
    argv = [sys.executable, "-m", "leasecheck", "claims"]
    runs = []
    for _ in range(4):
        _, wall, cpu, peak, status = measured(argv, ROOT, env)
        runs.append({"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak),
                     **({"error": f"exit status {status}"} if status != 0 else {})})
    return runs[0], _median(runs[1:])


def _ratio(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    if "error" in ours or "error" in theirs or not theirs.get("cpu_seconds"):
        return ""
    return f"{ours['cpu_seconds'] / theirs['cpu_seconds']:.3f}"


def _row(goal: str, run: dict[str, Any], ratio: str, target: str, met: bool | None, note: str = "") -> str:
    if "error" in run:
        return f"| {goal} | {run['error']} | | | | {target} | no |"
    figures = f"{run['cpu_seconds']:.2f} ({run['seconds']:.2f} wall)"
    answer = "" if met is None else ("yes" if met else "no")
    return f"| {goal} | {figures}{note} | {run['peak_mb']:,} | {ratio} | {target} | {answer} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-6x6", dest="six", action="store_false", help="leave out the 6x6 search (goal 4)")
    parser.add_argument("--large", default=LARGE, metavar="CONFIG",
                        help=f"the yardstick's configuration, of goals 1 and 2 (default {LARGE}; a smaller one for a quick look)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the figures' file (default {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args()
    load = os.getloadavg()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="leasecheck-goals-") as tmp:
        print(f"SPIN on {args.large} ...", file=sys.stderr)
        figures["spin_large_cold"], figures["spin_large"] = run_spin(args.large, Path(tmp, "spin-large"), LARGE_STATES)
        print("1. recovery on its full graph ...", file=sys.stderr)
        _build(args.large, Path(tmp, "large"))
        figures["recovery_full"] = run_deciding("recovery", args.large, Path(tmp, "large"))
        print("2. every property with symmetry ...", file=sys.stderr)
        figures["every_property_symmetry"] = _warm(args.large, Path(tmp, "large-sym"), True, EVERY_PROPERTY)
        print("3. 5x5 nt40 recovery with symmetry ...", file=sys.stderr)
        figures["recovery_5x5"] = _warm("5,5,nt40", Path(tmp, "five"), True, ("recovery",))
        if args.six:
            print("4. 6x6 nt40 recovery with symmetry (minutes) ...", file=sys.stderr)
            figures["recovery_6x6"] = _six_by_six(Path(tmp, "six"))
        print("5. 3x3 nt40 end to end, cold and warm, and SPIN on it ...", file=sys.stderr)
        small = "3,3,nt40,1,0,0"
        cold = [run_leasecheck("compiled", small, Path(tmp, f"small{n}")) for n in range(3)]
        warm = [run_leasecheck("compiled", small, Path(tmp, "small0")) for _ in range(3)]
        figures["small_cold"], figures["small_warm"] = _median(cold), _median(warm)
        spin_small = [run_spin(small, Path(tmp, f"spin-small{n}"), 441_151) for n in range(3)]
        figures["spin_small_cold"] = _median([s[0] for s in spin_small])
        figures["spin_small"] = _median([s[1] for s in spin_small])
        print("6. leasecheck claims, cold and warm ...", file=sys.stderr)
        figures["claims_cold"], figures["claims_warm"] = _claims(Path(tmp, "claims"))
    spin, spin_mb = figures["spin_large"], figures["spin_large"].get("peak_mb", 0)

    def within(run: dict[str, Any], share: float) -> bool:
        return "error" not in run and "error" not in spin and run["cpu_seconds"] <= share * spin["cpu_seconds"]

    f = figures
    six = f.get("recovery_6x6")
    lines = [f"SPIN 6.5.2's safety-only search of {args.large} (pan, warm): "
             + (spin["error"] if "error" in spin else f"{spin['cpu_seconds']:.2f} CPU s, {spin_mb:,} MB"), "",
             "| goal | CPU s | peak MB | ratio | goal | met |", "| --- | ---: | ---: | ---: | --- | --- |",
             _row(f"1. recovery, full graph of {args.large}", f["recovery_full"], _ratio(f["recovery_full"], spin),
                  "0.5, memory <= SPIN's", within(f["recovery_full"], 0.5)
                  and f["recovery_full"].get("peak_mb", 1 << 30) <= spin_mb),
             _row("2. every property, --symmetry, warm", f["every_property_symmetry"],
                  _ratio(f["every_property_symmetry"], spin), "0.1", within(f["every_property_symmetry"], 0.1)),
             _row("3. 5x5 nt40 recovery, --symmetry, warm", f["recovery_5x5"], _ratio(f["recovery_5x5"], spin),
                  "0.3, 1 GB", within(f["recovery_5x5"], 0.3) and f["recovery_5x5"].get("peak_mb", 1 << 30) <= 1024)]
    if six is not None:
        settled = "error" not in six and six["verdicts"] and "unknown" not in six["verdicts"] and six["seconds"] <= 600
        lines.append(_row("4. 6x6 nt40 recovery, --symmetry", six, "", "settled in 10 min", bool(settled),
                          "" if "error" in six else f", {six['states']:,} classes, {'/'.join(six['verdicts'])}"))
    small_ratio = _ratio(f["small_warm"], f["spin_small"])
    lines += [_row("5. 3x3 nt40 end to end, warm, against pan warm", f["small_warm"], small_ratio, "0.25",
                   bool(small_ratio) and float(small_ratio) <= 0.25),
              _row("5. the same, cold, against spin -a + gcc + pan", f["small_cold"],
                   _ratio(f["small_cold"], f["spin_small_cold"]), "stated", None),
              _row("6. leasecheck claims, first run (compiling)", f["claims_cold"], "", "stated", None),
              _row("6. leasecheck claims, warm", f["claims_warm"], "", "stated", None)]
    print("\n".join(lines))
    print(f"\nload average at the start {load[0]:.2f}, now {os.getloadavg()[0]:.2f}")
    args.out.write_text(json.dumps({
        "figures": figures, "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                        "load_average_at_start": load, "load_average_now": os.getloadavg()},
        "measured": time.strftime("%Y-%m-%d %H:%M"), "yardstick": args.large,
    }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
