"""Signals at any moment of a check, and one time budget for the whole run.

Each run is a real process (``python -m leasecheck check ... --format json``) sent SIGINT or
SIGTERM after a fixed delay. The delays count from the moment an interpreter has imported the
package (measured once): a signal that arrives before ``python -m leasecheck`` runs its first
line cannot be handled by it. Whatever the moment: the exit status is 0, 1, 3 or 130 (130 whenever the run had not printed its answer),
stdout is one JSON document when anything was printed (else one line on stderr), the process ends
within a few seconds of the signal, and an interrupted run never says "holds" where the
uninterrupted run says otherwise, and never for a proof it did not finish.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import time
from functools import cache

import pytest

from leasecheck.checker.explicit import compiled

from .children import default_signals

#: how long a process may take to end after the signal
GRACE = 4.0
#: how long a process may take to end after printing its answer
SHUTDOWN = 1.5

Z3_RECOVERY = ["--engine", "z3", "--variant", "nt40", "--property", "recovery"]
RUNS = {
    "explicit-3x3": ["--clients", "3", "--addresses", "3"],
    "z3-1x1": Z3_RECOVERY,
    "z3-2x2": [*Z3_RECOVERY, "--clients", "2", "--addresses", "2"],
    "both-1x1": ["--engine", "both", "--variant", "nt40", "--property", "recovery"],
}


def _command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "leasecheck", "check", *args, "--format", "json", "--quiet"]


@cache
def _startup() -> float:
    """Seconds an interpreter takes here to start and import the package (the machine may be
    busy): the package's own imports come before ``python -m leasecheck`` runs any code that can
    handle a signal."""
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", "import leasecheck"], check=True)
    return time.monotonic() - began


def _slack() -> float:
    """Seconds a run may take past its deadline: start-up, then stopping and writing what was
    reached, each slower on a busy machine; so a few times the start-up measured now, and at least
    two seconds more than it. A run that ignored its deadline takes far longer (minutes)."""
    startup = _startup()
    return max(startup + 2.0, 4 * startup)


#: the uninterrupted run whose verdicts are the truth; the explicit 3x3 one is the symmetry-reduced
#: run (a third of a minute rather than a whole one): clients are interchangeable, so client 0's
#: verdict is every client's
TRUTH = {"explicit-3x3": [*RUNS["explicit-3x3"], "--symmetry"]}


@cache
def _truth(name: str) -> tuple[int, dict[tuple[int, str], str]]:
    """The exit status and the verdicts of the uninterrupted run, by (report, property)."""
    proc = subprocess.run(_command(TRUTH.get(name, RUNS[name])), capture_output=True, text=True, timeout=300)
    return proc.returncode, _verdicts(json.loads(proc.stdout))


def _verdicts(doc: dict) -> dict[tuple[int, str], str]:
    """Each report's verdicts by property (every client of a property has the same verdict)."""
    reports = [doc[k] for k in ("explicit", "z3") if k in doc] or [doc]
    out: dict[tuple[int, str], set[str]] = {}
    for i, rep in enumerate(reports):
        for r in rep["results"]:
            out.setdefault((i, r["property"]), set()).add(r["verdict"])
    return {k: "unknown" if "unknown" in v else min(v) for k, v in out.items()}


def _signalled(args: list[str], delay: float, sig: int) -> tuple[int, str, str, bool, float]:
    """(exit status, stdout, stderr, whether the signal arrived before the end, seconds after it)."""
    proc = subprocess.Popen(_command(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_signals)
    time.sleep(_startup() + delay)
    before_end = proc.poll() is None
    sent = time.monotonic()
    if before_end:
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=GRACE + 60)
    finally:
        proc.kill()
    return proc.returncode, out, err, before_end, time.monotonic() - sent


MOMENTS = [(0.05, signal.SIGINT), (0.3, signal.SIGTERM), (0.3, signal.SIGINT), (1.0, signal.SIGINT),
           (3.0, signal.SIGTERM), (3.0, signal.SIGINT)]


@pytest.mark.sweep  # every run at every moment; the README's test command signals the short runs below
@pytest.mark.slow
@pytest.mark.parametrize(("delay", "sig"), MOMENTS, ids=[f"{d}s-{signal.Signals(s).name}" for d, s in MOMENTS])
@pytest.mark.parametrize("name", list(RUNS))
def test_a_signal_at_any_moment_gives_what_was_reached(name: str, delay: float, sig: int) -> None:
    _check_signalled(name, delay, sig)


@pytest.mark.parametrize(("name", "delay", "sig"), [("z3-1x1", 1.0, signal.SIGINT), ("explicit-3x3", 0.05, signal.SIGTERM),
                                                    ("both-1x1", 0.3, signal.SIGTERM)])
def test_a_signal_in_a_short_run(name: str, delay: float, sig: int) -> None:
    _check_signalled(name, delay, sig)


def _check_signalled(name: str, delay: float, sig: int) -> None:
    code, out, err, before_end, after = _signalled(RUNS[name], delay, sig)
    assert code in (0, 1, 3, 130), (code, err)
    assert after < GRACE, f"still running {after:.1f} s after the signal"
    assert "Traceback" not in err, err
    if not before_end or code != 130:  # the run had printed its answer when the signal came: that answer
        # (the interpreter's shutdown after the answer takes a few tenths of a second on a busy
        # machine; a run that ignored the signal would go on for seconds)
        assert not before_end or after < SHUTDOWN, f"a run signalled {after:.1f} s before its end went on to exit {code}"
        assert (code, _verdicts(json.loads(out))) == _truth(name)
        return
    if not out or "error" in json.loads(out):  # interrupted at start-up, before the report began
        assert len(err.strip().splitlines()) == 1, err
        assert not out or json.loads(out)["exit_status"] == 130
        return
    doc = json.loads(out)
    reports = [doc[k] for k in ("explicit", "z3") if k in doc] or [doc]
    if not any(r["stats"]["stop_reason"] == "interrupted" for r in reports):
        # the work had ended and the verdicts were being written: they are whole, and said to be
        assert "they are complete" in err, err
        assert _verdicts(doc) == _truth(name)[1]
        return
    decided = {k: v for k, v in _verdicts(doc).items() if v != "unknown"}
    if decided:
        truth = _truth(name)[1]
        assert all(truth[k] == v for k, v in decided.items()), (decided, truth)


def test_the_deadline_bounds_a_z3_run() -> None:
    args = ["--engine", "z3", "--clients", "2", "--addresses", "2", "--variant", "nt35", "--property", "recovery",
            "--timeout", "3"]
    began = time.monotonic()
    proc = subprocess.run(_command(args), capture_output=True, text=True, timeout=120)
    took = time.monotonic() - began
    assert proc.returncode == 3, proc.stderr
    assert took < 3 + _slack(), f"{took:.1f} s"
    doc = json.loads(proc.stdout)
    assert doc["stats"]["stop_reason"] == "timeout after 3 s"
    assert [r["verdict"] for r in doc["results"]] == ["unknown", "unknown"]
    assert all(r["method"] == "limit" and "time limit" in r["reason"] for r in doc["results"])


def test_the_deadline_bounds_model_building() -> None:
    args = ["--clients", "30", "--addresses", "30", "--max-states", "10", "--timeout", "2"]
    began = time.monotonic()
    proc = subprocess.run(_command(args), capture_output=True, text=True, timeout=120)
    took = time.monotonic() - began
    assert proc.returncode == 3, proc.stderr
    assert took < 2 + _slack(), f"{took:.1f} s"
    doc = json.loads(proc.stdout)
    assert doc["stats"]["stop_reason"] == "timeout after 2 s"
    assert all(r["verdict"] == "unknown" for r in doc["results"])


def test_an_interrupted_solver_call_is_no_proof_step() -> None:
    """In process: a cancellation set before the run leaves every z3 verdict unknown."""
    from leasecheck.checker.budget import Cancellation
    from leasecheck.checker.run import CheckOptions, run_check
    from leasecheck.model.dhcp import Config
    from leasecheck.properties.dhcp import dhcp_model

    cancel = Cancellation()
    cancel.cancel()
    run = run_check(dhcp_model(Config(clients=1, addresses=1, variant="nt40")), CheckOptions(("recovery",), engine="z3"), cancel=cancel)
    assert run.interrupted and int(run.exit_status) == 130
    assert [(r.verdict.value, r.method.value) for r in run.results] == [("unknown", "limit")]


def test_a_run_within_its_budget_is_unchanged() -> None:
    from leasecheck.checker.run import CheckOptions, run_check
    from leasecheck.model.dhcp import Config
    from leasecheck.properties.dhcp import dhcp_model

    run = run_check(dhcp_model(Config(clients=1, addresses=1, variant="nt40")), CheckOptions(("recovery",), engine="both", timeout=120))
    assert not run.interrupted and int(run.exit_status) == 0
    assert all(r.stats.stop_reason == "" for r in run.reports)


#: the command run from its first line, with a signal sent to itself after a delay (a signal that
#: comes while the interpreter itself is still starting is the interpreter's to handle, not ours)
SELF_SIGNAL = """
import os, signal, sys, threading
import leasecheck.__main__ as entry
delay, sig = float(sys.argv[1]), int(sys.argv[2])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # as the command holds them
sys.argv = ["leasecheck", "check", "--clients", "3", "--addresses", "3", "--format", "json", "--quiet"]
threading.Timer(delay, os.kill, (os.getpid(), sig)).start()
entry.run()
"""


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.1, 0.2, 0.4])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_while_the_program_is_loading_is_one_line_and_130(delay: float, sig: int) -> None:
    """From the command's first line: signals wait while the program loads, and a run that ends
    by a signal ends with status 130 whatever was being imported when it came."""
    proc = subprocess.run([sys.executable, "-c", SELF_SIGNAL, str(delay), str(int(sig))], capture_output=True,
                          text=True, timeout=60, preexec_fn=default_signals)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    if proc.stdout.strip():
        json.loads(proc.stdout)
    else:
        assert proc.stderr.count("\n") == 1, proc.stderr


_WATCH = """
import signal, sys
import leasecheck.__main__ as main

first = {}
WATCHED = {*main.EXTENSIONS, "scipy.sparse.csgraph"}


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in first:
            first[name] = {signal.SIGINT, signal.SIGTERM} <= signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return None


sys.meta_path.insert(0, Watch())
sys.argv = ["leasecheck", "check", "--format", "json", "--quiet", *sys.argv[1:]]
try:
    main.run()
except SystemExit:
    pass
sys.stderr.write(repr(first))
"""


@pytest.mark.parametrize(("options", "loaded"), [
    ((), {"numpy", "z3"}),
    # scipy's graph routines: the quotient's analyses, and the vector explorer's without C
    (("--symmetry",), {"numpy", "z3", "scipy.sparse.csgraph"}),
])
def test_the_extension_modules_a_command_uses_are_loaded_while_signals_wait(options, loaded) -> None:
    """A signal inside numpy's initialisation comes out as an ImportError (or is lost in a
    fallback), not as an interrupt: every such module is first imported with SIGINT and SIGTERM
    held, at start-up or, for scipy, in the engine when the run needs it."""
    if compiled.compiler() is None or importlib.util.find_spec("cffi") is None:
        loaded = {*loaded, "scipy.sparse.csgraph"}  # without C, the vector explorer's analyses are scipy's
    proc = subprocess.run([sys.executable, "-c", _WATCH, *options], capture_output=True, text=True, timeout=120)
    first = eval(proc.stderr.strip().splitlines()[-1])  # noqa: S307 - a dict literal we printed
    assert set(first) == loaded, proc.stderr
    assert all(first.values()), first
    json.loads(proc.stdout)


#: the command run from its first line, sending itself a signal once ``check`` has printed its
#: answer, in the moments before the process ends
AFTER_ANSWER = """
import os, signal, sys
import leasecheck.__main__ as entry
import leasecheck.checker.cli.main as cli
from leasecheck.properties.dhcp import dhcp_model
where, sig = sys.argv[1], int(sys.argv[2])
check, signals_exit = cli._check, cli._Signals.__exit__

def check_then_signal(*args):
    status = check(*args)
    os.kill(os.getpid(), sig)
    return status

def exit_then_signal(self, *args):
    signals_exit(self, *args)
    os.kill(os.getpid(), sig)

if where == "after check":
    cli._check = check_then_signal
else:
    cli._Signals.__exit__ = exit_then_signal
sys.argv = ["leasecheck", "check", "--variant", "nt35", "--format", "json", "--quiet"]
entry.run()
"""


@pytest.mark.parametrize("where", ["after check", "after the handlers"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_after_the_answer_leaves_its_status(where: str, sig: int) -> None:
    """Once the verdicts are printed whole, a signal before the process ends changes nothing:
    the status is the answer's (here 1, nt35 is violated), not 130, and stderr stays empty."""
    proc = subprocess.run([sys.executable, "-c", AFTER_ANSWER, where, str(int(sig))], capture_output=True,
                          text=True, timeout=120, preexec_fn=default_signals)
    assert (proc.returncode, proc.stderr) == (1, "")
    doc = json.loads(proc.stdout)
    assert doc["stats"]["stop_reason"] is None
    assert "violated" in {r["verdict"] for r in doc["results"]}
