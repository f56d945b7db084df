"""Trust: bad input never crashes, interruption keeps what was reached, runs are deterministic."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leasecheck.checker.cli.main import main
from leasecheck.properties.dhcp import PROPERTY_NAMES

from .children import default_signals, wait_for_cpu

OPTIONS = ["--variant", "--clients", "--addresses", "--deletes", "--losses", "--reboots", "--property",
           "--format", "--max-states", "--timeout"]
FLAGS = ["--restart", "--quiet", "--help-me", "-x", "--"]
WORDS = ["nt35", "nt40", "dnsmasq", "json", "text", "0", "1", "-1", "2", "1e9", "", "x", "recovery",
         "kb_symptom", "3.5", "nan", "inf", "\x00", "é", *PROPERTY_NAMES]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


argument_lists = st.lists(
    st.one_of(st.sampled_from(OPTIONS), st.sampled_from(FLAGS), st.sampled_from(WORDS), st.text(max_size=6)),
    max_size=8,
)


def _test_fuzzed_command_lines_never_crash(command, args):
    # keep generated runs small: large models are not what this test is about
    argv = [command, *args] if command else args
    if command == "check":
        argv += ["--max-states", "2000"]
    if command == "claims" and "--format" not in args:
        return  # the full catalogue is checked elsewhere; here only its argument handling matters
    code, out, err = run(argv)
    assert "Traceback" not in err
    assert code in (0, 1, 2, 3), (argv, code, err)
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("leasecheck"), (argv, err)


#: the README's test command tries 100 command lines, the sweep tier 300
_FUZZED_COMMAND_LINES = given(command=st.sampled_from(["check", "claims", "replay", "graph", "nope", ""]), args=argument_lists)
test_fuzzed_command_lines_never_crash = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
    _FUZZED_COMMAND_LINES(_test_fuzzed_command_lines_never_crash))
test_fuzzed_command_lines_never_crash_300_times = pytest.mark.sweep(settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
    _FUZZED_COMMAND_LINES(_test_fuzzed_command_lines_never_crash)))


def test_ctrl_c_during_a_long_exploration_prints_what_was_reached_and_exits_130():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leasecheck", "check", "--variant", "nt40", "--clients", "4", "--addresses", "3",
         "--quiet", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=default_signals,
    )
    try:
        # three seconds of CPU: past the imports and well into the exploration (minutes long),
        # however busy the machine is
        wait_for_cpu(proc, 3.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()  # a run that missed the signal would go on for many minutes after the test
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    doc = json.loads(out)
    assert doc["stats"]["complete"] is False and doc["stats"]["stop_reason"] == "interrupted"
    assert doc["stats"]["states"] > 1000
    assert all(r["verdict"] in ("unknown", "violated") for r in doc["results"])
    assert not any(r["verdict"] == "holds" for r in doc["results"])


#: the README's test command runs each engine once (vector, z3, z3-proof); the sweep tier adds a loss
#: budget, the scalar explorer (which tests/test_exploration_order.py compares with the vector one in the
#: README's test command) and symmetry reduction
@pytest.mark.parametrize("argv", [
    ["check", "--variant", "nt35", "--clients", "2", "--addresses", "2", "--format", "json"],
    pytest.param(["check", "--variant", "rfc2131", "--clients", "2", "--addresses", "2", "--losses", "1", "--format", "json"],
                 marks=pytest.mark.sweep),
    pytest.param(["check", "--variant", "nt35", "--clients", "2", "--addresses", "2", "--explorer", "scalar", "--format", "json"],
                 marks=pytest.mark.sweep),
    pytest.param(["check", "--variant", "nt35", "--clients", "3", "--addresses", "3", "--symmetry", "--format", "json"],
                 marks=pytest.mark.sweep),
    ["check", "--engine", "z3", "--variant", "nt35", "--property", "kb_symptom", "--property", "single_binding",
     "--property", "recovery", "--format", "json"],
    ["check", "--engine", "z3", "--variant", "nt40", "--property", "recovery", "--format", "json"],
], ids=["vector", "vector-losses", "scalar", "symmetry", "z3", "z3-proof"])
def test_the_same_command_gives_the_same_answer_every_time(argv):
    runs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "leasecheck", *argv], capture_output=True, text=True, env=env,
                              timeout=300)
        doc = json.loads(proc.stdout)
        doc["stats"].pop("seconds")
        runs.append((proc.returncode, doc))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("explorer", [["--explorer", "scalar"], ["--explorer", "vector"]], ids=["scalar", "vector"])
@pytest.mark.parametrize("limit", [1, 10, 100, 1000, 4083])
def test_no_state_limit_ever_turns_into_holds(limit, explorer):
    code, out, _ = run(["check", "--variant", "nt40", "--clients", "2", "--addresses", "2", "--max-states",
                        str(limit), "--format", "json", *explorer])
    doc = json.loads(out)
    assert doc["stats"]["complete"] is False and doc["stats"]["states"] == limit
    assert not any(r["verdict"] == "holds" for r in doc["results"])
    assert code in (1, 3)


def test_a_limit_the_search_never_reaches_changes_nothing():
    # 2x2 nt40 has 4,084 states: a limit of exactly that many is not hit
    code, out, _ = run(["check", "--variant", "nt40", "--clients", "2", "--addresses", "2", "--max-states",
                        "4084", "--property", "recovery", "--format", "json"])
    doc = json.loads(out)
    assert doc["stats"]["complete"] is True and code == 0


def test_a_timeout_gives_unknown_with_the_figures_reached():
    code, out, _ = run(["check", "--variant", "nt40", "--clients", "4", "--addresses", "4", "--timeout", "0.5",
                        "--property", "recovery", "--format", "json"])
    doc = json.loads(out)
    assert code == 3
    assert doc["stats"]["stop_reason"].startswith("timeout after 0.5 s")
    assert all(r["verdict"] == "unknown" and r["method"] == "limit" for r in doc["results"])
    assert all("states" in r["reason"] for r in doc["results"])  # the figures reached, in words


@pytest.mark.parametrize("limit", [1, 100, 1000])
def test_no_state_limit_turns_into_holds_under_symmetry(limit):
    code, out, _ = run(["check", "--variant", "nt40", "--clients", "2", "--addresses", "2", "--symmetry",
                        "--max-states", str(limit), "--format", "json"])
    doc = json.loads(out)
    assert doc["stats"]["complete"] is False
    assert not any(r["verdict"] == "holds" for r in doc["results"]), doc["results"]
    assert code in (1, 3)


@pytest.mark.parametrize("argv", [
    ["replay", "a\x00b"], ["check", "--trace-out", "x\x00y"], ["conform", "--pcap", "\x00"],
    ["claims", "--junit", "j\x00.xml"],
])
def test_nul_characters_in_arguments_are_usage_errors(argv):
    code, out, err = run(argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "NUL" in err
