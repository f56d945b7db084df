"""The compiled explorer beside the vector explorer and SPIN: a full exploration, cold and warm.

Run from the repository's top::

    python benchmarks/compiled_bench.py                # 3x3 nt40 D=1, three rounds (a minute or two)
    python benchmarks/compiled_bench.py --repeat 5     # more rounds (the table gives the median)
    python benchmarks/compiled_bench.py --no-spin      # leave SPIN out
    python benchmarks/compiled_bench.py --config 3,3,nt35,1,1,1,restart   # another configuration
    python benchmarks/compiled_bench.py --explorers compiled --no-spin   # the compiled explorer alone
    python benchmarks/compiled_bench.py --config 3,3,nt35,1,1,1,restart --explorers compiled --no-spin \
        --repeat 1 --decide recovery    # and the command line deciding recovery on that graph
    python benchmarks/compiled_bench.py --config 5,5,nt40 --symmetry --property recovery --repeat 1 \
        --spin-config 3,3,nt35,1,1,1,restart      # recovery decided on the quotient, SPIN on another configuration

Every run is its own process, measured with ``wait4`` (wall seconds, CPU seconds of the process
and of the compiler processes it waited for, peak resident MB):

* **compiled, cold**: ``--explorer compiled`` with an empty cache folder (``LEASECHECK_CACHE_DIR``
  a new temporary folder): interpreter start-up, tracing the model, generating the C file,
  compiling it with the C compiler, and the search;
* **compiled, warm**: the same with the library found in that cache (no compiler run);
* **vector**: the vector explorer (numpy), the same configuration;
* **SPIN, cold**: ``spin -a`` on the model exported as Promela by this checkout (the
  ``single_binding`` invariant as the never claim: it holds, so every reachable state is
  searched), ``gcc -O2 -DSAFETY -DNOREDUCE`` and ``./pan -c0``, the three processes' figures
  added up; **SPIN, warm**: ``./pan`` alone. As in ``speed_bench.py``, SPIN searches safety only.

Each leasecheck child explores (it decides nothing) and digests the graph (the edges and the
parent links); the table says whether the compiled and the vector explorers gave the same graph.
With ``--decide PROPERTY`` one more row per round, **compiled, deciding PROPERTY**: the command
line ``python -m leasecheck check ... --explorer compiled --property PROPERTY`` (the search's
and the graph analyses' libraries both in the cache), so the exploration, the graph analyses and the traces' replay together, with its verdicts.
Figures go to ``benchmarks/compiled_results.json`` with the load average, since the machine may
be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "compiled_results.json"


def _config(text: str) -> Any:
    from leasecheck.model.dhcp import Config

    parts = text.split(",")
    clients, addresses, variant = int(parts[0]), int(parts[1]), parts[2]
    numbers = [int(p) for p in parts[3:6]] + [1, 0, 0][len(parts[3:6]):]
    return Config(clients=clients, addresses=addresses, variant=variant,
                  deletes=numbers[0], losses=numbers[1], reboots=numbers[2], restart="restart" in parts[6:])


def child(explorer: str, config: str, symmetry: bool = False, properties: tuple[str, ...] = ()) -> dict[str, Any]:
    """Runs in the child process: explore one configuration (or, given properties, decide them
    through the front door), report its figures."""
    sys.path.insert(0, str(ROOT))
    from leasecheck.model.dhcp import dhcp_system

    start = time.perf_counter()
    if properties:
        return decided(explorer, config, symmetry, properties, start)
    system = dhcp_system(_config(config))
    build_seconds = 0.0
    sym = None
    if symmetry:  # the group of the per-client properties: every renaming that keeps client 0
        from leasecheck.checker.symmetry import Symmetry

        sym = Symmetry(system, (0,))
    if explorer == "compiled":
        from leasecheck.checker.explicit import compiled

        made = compiled.build(system, symmetry=sym)
        build_seconds = made.seconds
        graph = compiled.explore_compiled(system, symmetry=sym)
    else:
        from leasecheck.checker.explicit.vexplore import explore_vector

        graph = explore_vector(system, canonical=None if sym is None else sym.canonical)
    h = hashlib.sha256()
    for part in (graph.dst, graph.cmd, graph.parent):  # read in place: no copy adds to the peak
        h.update(memoryview(part).cast("B"))
    digest = h.hexdigest()[:16]
    return {"states": len(graph.states), "transitions": graph.transitions, "complete": graph.complete,
            "build_seconds": round(build_seconds, 2), "engine_seconds": round(time.perf_counter() - start, 2),
            "digest": digest}


def decided(explorer: str, config: str, symmetry: bool, properties: tuple[str, ...], start: float) -> dict[str, Any]:
    """The child's figures when it decides ``properties`` with ``leasecheck.check`` (the
    compiled explorer's build included when the cache is cold)."""
    from leasecheck import check
    from leasecheck.checker.render.jsondoc import run_json

    run = check(_config(config), properties=list(properties), explorer=explorer, symmetry=symmetry)
    document = run_json(run)

    def strip(node: object) -> None:  # timings differ from run to run
        if isinstance(node, dict):
            node.pop("seconds", None)
            for v in node.values():
                strip(v)
        elif isinstance(node, list):
            for v in node:
                strip(v)

    strip(document)
    stats = run.report.stats
    return {"states": stats.states, "transitions": stats.transitions, "complete": stats.complete,
            "verdicts": {f"{r.property}[{r.client}]" if r.client is not None else r.property: r.verdict.value
                         for r in run.report.results},
            "build_seconds": 0.0, "engine_seconds": round(time.perf_counter() - start, 2),
            "digest": hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]}


def measured(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, float, float, float, int]:
    """(stdout, wall s, CPU s, peak MB, exit status) of one process (CPU and peak include the
    processes it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, text=True, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run_leasecheck(explorer: str, config: str, cache: Path, symmetry: bool = False,
                   properties: tuple[str, ...] = ()) -> dict[str, Any]:
    # numpy's BLAS thread pool kept to one thread, as the command line keeps it (leasecheck/__main__.py)
    env = {**os.environ, "LEASECHECK_CACHE_DIR": str(cache), "OPENBLAS_NUM_THREADS": "1"}
    argv = [sys.executable, __file__, "--child", explorer, config, *(["--symmetry"] if symmetry else []),
            *(a for p in properties for a in ("--property", p))]
    out, wall, cpu, peak, status = measured(argv, ROOT, env)
    if status != 0:
        return {"error": f"exit status {status}"}
    return {**json.loads(out), "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak)}


def cli_flags(config: str) -> list[str]:
    """The ``check`` command's options for a configuration written as ``--config`` takes it."""
    cfg = _config(config)
    flags = ["--clients", str(cfg.clients), "--addresses", str(cfg.addresses), "--variant", cfg.variant,
             "--deletes", str(cfg.deletes), "--losses", str(cfg.losses), "--reboots", str(cfg.reboots)]
    return flags + (["--restart"] if cfg.restart else [])


def run_deciding(prop: str, config: str, cache: Path) -> dict[str, Any]:
    """The command line deciding ``prop`` with the compiled explorer: wall, CPU, peak, verdicts."""
    env = {**os.environ, "LEASECHECK_CACHE_DIR": str(cache)}
    # the graph analyses' library built into the cache first, so that the run measured finds it
    subprocess.run([sys.executable, "-c", "from leasecheck.checker.explicit import graphalgo; graphalgo.load()"],
                   cwd=ROOT, env=env, check=True)
    argv = [sys.executable, "-m", "leasecheck", "check", *cli_flags(config), "--explorer", "compiled",
            "--property", prop, "--format", "json"]
    out, wall, cpu, peak, status = measured(argv, ROOT, env)
    if status not in (0, 1):
        return {"error": f"exit status {status}"}
    doc = json.loads(out)
    stats = doc.get("stats", {})
    verdicts = [f"{r.get('client')}: {r.get('verdict')}" for r in doc.get("results", [])]
    return {"states": stats.get("states"), "transitions": stats.get("transitions"), "verdicts": verdicts,
            "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak)}


def run_spin(config: str, folder: Path, states: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """SPIN cold (``spin -a``, ``gcc``, ``pan``) and warm (``pan`` again), its hash table sized
    for ``states``."""
    if not (shutil.which("spin") and shutil.which("gcc")):
        missing = {"error": "spin or gcc missing (Debian: apt-get install spin gcc)"}
        return missing, missing
    sys.path.insert(0, str(ROOT))
    from leasecheck.checker.render.promela import promela_model
    from leasecheck.properties.dhcp import dhcp_model

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.pml").write_text(promela_model(dhcp_model(_config(config)), ("single_binding",)).text)
    steps = [measured(["spin", "-a", "model.pml"], folder),
             measured(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-DMEMLIM=16000", "-o", "pan", "pan.c"], folder)]
    if any(s[4] != 0 for s in steps):
        failed = {"error": "spin -a or gcc failed"}
        return failed, failed
    width = max(18, (2 * states).bit_length())
    pan = ["./pan", "-m10000000", f"-w{width}", "-c0", "-N", "single_binding"]
    cold_pan = measured(pan, folder)
    warm_pan = measured(pan, folder)

    def figures(run: tuple[str, float, float, float, int], before: list[tuple[str, float, float, float, int]]) -> dict[str, Any]:
        out = run[0]

        def number(pattern: str) -> int | None:
            match = re.search(pattern, out)
            return round(float(match.group(1))) if match else None

        # pan writes large counts in exponent form: "1.5154969e+08 transitions"
        count = r"(\d+(?:\.\d+)?(?:e\+\d+)?)"
        return {"states": number(count + r" states, stored"), "transitions": number(count + r" transitions"),
                "complete": number(r"errors: (\d+)") == 0 and run[4] == 0,
                "seconds": round(run[1] + sum(b[1] for b in before), 2),
                "cpu_seconds": round(run[2] + sum(b[2] for b in before), 2),
                "compile_seconds": round(sum(b[1] for b in before), 2),
                "peak_mb": round(max([run[3], *(b[3] for b in before)]))}

    return figures(cold_pan, steps), figures(warm_pan, [])


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return round(statistics.median(values), 2) if values else None


def summary(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row: the first run's figures, the median wall and CPU seconds over every run."""
    first = runs[0]
    if "error" in first:
        return {"run": name, "error": first["error"]}
    return {"run": name, "states": first.get("states"), "transitions": first.get("transitions"),
            "seconds": _median(runs, "seconds"), "cpu_seconds": _median(runs, "cpu_seconds"),
            "build_seconds": _median(runs, "build_seconds") or _median(runs, "compile_seconds"),
            "peak_mb": max(r.get("peak_mb", 0) for r in runs), "digest": first.get("digest"),
            "seconds_each": [r.get("seconds") for r in runs], "cpu_each": [r.get("cpu_seconds") for r in runs],
            **({"verdicts": first["verdicts"]} if "verdicts" in first else {})}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| run | states | transitions | wall s | CPU s | of which compiling, wall s | peak MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['run']} | {r['error']} | | | | | |")
            continue
        build = "" if not r.get("build_seconds") else f"{r['build_seconds']:.2f}"
        lines.append(f"| {r['run']} | {r['states']:,} | {r['transitions']:,} | {r['seconds']:.2f} | "
                     f"{r['cpu_seconds']:.2f} | {build} | {r['peak_mb']:,} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="3,3,nt40,1,0,0",
                        help="clients,addresses,variant[,deletes,losses,reboots[,restart]] (default 3,3,nt40,1,0,0)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every run (default 3; medians reported)")
    parser.add_argument("--no-spin", action="store_true", help="leave SPIN out")
    parser.add_argument("--explorers", default="compiled,vector",
                        help="the leasecheck explorers to run, of compiled and vector (default both)")
    parser.add_argument("--decide", metavar="PROPERTY", help="also run the command line deciding PROPERTY with the compiled explorer")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the figures' file (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--symmetry", action="store_true",
                        help="the symmetry-reduced search (exploring only: the group that keeps client 0, "
                             "as per-client properties use; with --property, the engine's own choice)")
    parser.add_argument("--property", action="append", default=[], dest="properties", metavar="NAME",
                        help="decide this property through leasecheck.check (repeatable; default: explore only)")
    parser.add_argument("--spin-config", help="the configuration SPIN searches (default: --config)")
    parser.add_argument("--child", nargs=2, metavar=("EXPLORER", "CONFIG"), help=argparse.SUPPRESS)
    parser.add_argument("--build", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        sys.path.insert(0, str(ROOT))
        from leasecheck.checker.explicit import compiled
        from leasecheck.model.dhcp import dhcp_system

        compiled.build(dhcp_system(_config(args.build)))
        return 0
    if args.child:
        print(json.dumps(child(*args.child, args.symmetry, tuple(args.properties))))
        return 0
    explorers = set(args.explorers.split(",")) - {""}
    if explorers - {"compiled", "vector"}:
        parser.error(f"--explorers: unknown {', '.join(sorted(explorers - {'compiled', 'vector'}))}")
    load = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"compiled, cold": [], "compiled, warm": [], "vector": [],
                                             "SPIN 6.5.2 safety, cold (spin -a, gcc, pan)": [],
                                             "SPIN 6.5.2 safety, warm (pan)": [],
                                             f"compiled, deciding {args.decide}": []}
    with tempfile.TemporaryDirectory(prefix="leasecheck-compiled-bench-") as tmp:
        for n in range(args.repeat):
            cache = Path(tmp, f"cache{n}")
            how = (args.symmetry, tuple(args.properties))
            if "compiled" in explorers:
                runs["compiled, cold"].append(run_leasecheck("compiled", args.config, cache, *how))
                runs["compiled, warm"].append(run_leasecheck("compiled", args.config, cache, *how))
            if args.decide:
                if "compiled" not in explorers:  # the search built into the cache first (nothing explored)
                    subprocess.run([sys.executable, __file__, "--build", args.config], cwd=ROOT, check=True,
                                   env={**os.environ, "LEASECHECK_CACHE_DIR": str(cache)})
                runs[f"compiled, deciding {args.decide}"].append(run_deciding(args.decide, args.config, cache))
            if "vector" in explorers:
                runs["vector"].append(run_leasecheck("vector", args.config, cache, *how))
            if not args.no_spin:
                done = (runs["vector"] or runs["compiled, warm"])[-1] if explorers else {}
                states = (done.get("states") if not args.spin_config and not args.symmetry else None) or 1 << 25
                cold, warm = run_spin(args.spin_config or args.config, Path(tmp, f"spin{n}"), states)
                runs["SPIN 6.5.2 safety, cold (spin -a, gcc, pan)"].append(cold)
                runs["SPIN 6.5.2 safety, warm (pan)"].append(warm)
            print(f"round {n + 1} of {args.repeat} done", file=sys.stderr)
    rows = [summary(name, r) for name, r in runs.items() if r]
    digests = {r.get("digest") for r in rows if r["run"] in ("compiled, cold", "vector")}
    same = None if len(runs["vector"]) == 0 or len(runs["compiled, cold"]) == 0 else len(digests) == 1 and None not in digests
    print(table(rows))
    for r in rows:
        if r["run"].startswith("compiled, deciding") and r.get("verdicts"):
            print(f"{r['run']}: {', '.join(r['verdicts'])}")
    what = "results" if args.properties else "graph"
    if same is not None:
        print(f"\nthe compiled and the vector explorers gave the same {what}: {'yes' if same else 'NO'}")
    verdicts = next((r.get("verdicts") for r in runs["compiled, warm"] + runs["vector"] if r.get("verdicts")), None)
    if verdicts:
        print(f"verdicts: {', '.join(f'{k} {v}' for k, v in verdicts.items())}")
    spin = runs["SPIN 6.5.2 safety, warm (pan)"]
    if spin and args.spin_config:
        print(f"SPIN searched {args.spin_config}, not {args.config}")
    print(f"load average at the start {load[0]:.2f}, now {os.getloadavg()[0]:.2f} (1-minute load averages of a shared machine)")
    args.out.write_text(json.dumps({
        "config": args.config, "symmetry": args.symmetry, "properties": args.properties,
        "spin_config": args.spin_config or args.config, "repeat": args.repeat, "rows": rows, f"same_{what}": same,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_at_start": load,
                    "load_average_now": os.getloadavg()},
        "measured": time.strftime("%Y-%m-%d"),
    }, indent=1) + "\n")
    return 1 if same is False else 0


if __name__ == "__main__":
    sys.exit(main())
