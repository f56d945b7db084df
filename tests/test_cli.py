"""The `leasecheck` command line: exit codes, JSON contract, golden text, bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.render.text import render_trace
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp import dhcp_model

from .test_lasso import recovery_trace

GOLDEN = Path(__file__).parent / "golden"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_nt35_recovery_shows_the_deadlock_as_a_lasso_and_exits_1():
    code, out, _ = run("check", "--variant", "nt35", "--property", "recovery")
    assert code == 1
    assert "recovery  0       violated" in out
    assert "-- loop: steps 13 to 15 repeat forever --" in out
    assert "ServeDiscover(0) [silent: stale record]" in out


def test_nt40_recovery_exits_0():
    code, out, _ = run("check", "--variant", "nt40", "--property", "recovery")
    assert code == 0
    assert "holds" in out


def test_claims_exit_0_when_every_verdict_is_as_expected():
    code, out, _ = run("claims")
    assert code == 0
    assert "MISMATCH" not in out
    assert "70 of 70 claims computed as expected" in out


def test_claims_json():
    code, out, _ = run("claims", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True
    assert {c["property"] for c in doc["claims"]} >= {"recovery", "kb_symptom", "kb_restart_workaround"}


def test_json_report_follows_the_contract():
    code, out, _ = run("check", "--variant", "nt35", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["config"] == {"clients": 1, "addresses": 1, "variant": "nt35", "deletes": 1, "losses": 0,
                             "reboots": 0, "restart": False, "client_nak": "obey",
                             "client_reboot": "keep-on-silence"}
    assert doc["engine"] == "explicit"
    assert doc["stats"]["states"] == 65
    assert doc["stats"]["transitions"] > 65 and doc["stats"]["seconds"] >= 0
    by_name = {(r["property"], r["client"]): r for r in doc["results"]}
    recovery = by_name[("recovery", 0)]
    assert recovery["verdict"] == "violated"
    trace = recovery["trace"]
    assert trace["loop_start"] == 12
    assert trace["steps"][0]["action"] is None
    assert trace["steps"][13]["action"] == {"name": "Discover", "params": [0], "rule": ""}
    assert trace["steps"][14]["state"]["to_srv"] == [None]
    assert by_name[("single_binding", None)]["verdict"] == "holds"
    assert by_name[("single_binding", None)]["trace"] is None


def test_rendered_counterexample_matches_the_golden_text():
    cfg = Config(clients=1, addresses=1, variant="nt35")
    text = render_trace(dhcp_model(cfg), recovery_trace(cfg)) + "\n"
    golden = GOLDEN / "nt35_recovery_1x1.txt"
    assert text == golden.read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "--clients", "0"], "--clients: must be at least 1 and at most 64, got '0'"),
        (["check", "--deletes", "-1"], "--deletes: must be at least 0 and at most 1,000, got '-1'"),
        (["check", "--addresses", "two"], "--addresses: expected a whole number, got 'two'"),
        (["check", "--variant", "nt31"], "unknown variant 'nt31'"),
        (["check", "--property", "liveness"], "invalid choice: 'liveness'"),
        (["check", "--property", "kb_restart_workaround"], "needs --restart"),
        (["check", "--timeout", "0"], "--timeout: must be more than 0"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required: COMMAND"),
        (["check", "--clients"], "expected one argument"),
    ],
)
def test_bad_arguments_give_exit_2_and_one_line(argv, message):
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err, err
    assert "Traceback" not in err


def test_a_state_limit_gives_unknown_and_exit_3_never_holds():
    code, out, _ = run("check", "--variant", "nt40", "--clients", "2", "--addresses", "2", "--max-states", "500",
                       "--property", "recovery", "--property", "single_binding", "--format", "json")
    doc = json.loads(out)
    assert code == 3
    assert doc["stats"]["complete"] is False and doc["stats"]["states"] == 500
    assert {(r["verdict"], r["method"]) for r in doc["results"]} == {("unknown", "limit")}
    assert all("state limit of 500" in r["reason"] for r in doc["results"])  # the user is told which limit


def test_a_violation_found_before_the_limit_is_still_reported():
    code, out, _ = run("check", "--variant", "nt35", "--clients", "2", "--addresses", "2", "--max-states", "3000",
                       "--property", "no_duplicate_address", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["results"][0]["verdict"] == "violated"


def test_python_dash_m_checker_and_the_console_script_agree():
    proc = subprocess.run([sys.executable, "-m", "leasecheck", "check", "--property", "recovery", "--variant", "nt40"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "recovery  0       holds" in proc.stdout
