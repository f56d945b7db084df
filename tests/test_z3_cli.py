"""`leasecheck check --engine z3|both`: exit statuses, agreement, certificates, usage errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.kernel.verdict import check_certificate_text


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_both_engines_agree_that_nt35_recovery_is_violated() -> None:
    code, out, _ = run("check", "--engine", "both", "--variant", "nt35", "--property", "recovery", "--depth", "16")
    assert code == 1
    assert "engines agree" in out


def test_z3_engine_proves_nt40_recovery_and_its_certificate_rechecks(tmp_path: Path) -> None:
    cert = tmp_path / "recovery.smt2"
    code, out, _ = run("check", "--engine", "both", "--variant", "nt40", "--property", "recovery",
                       "--certificate", str(cert), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["disagreements"] == []
    assert [(r["verdict"], r["method"]) for r in doc["explicit"]["results"]] == [("holds", "exhaustive")]
    assert [(r["verdict"], r["method"]) for r in doc["z3"]["results"]] == [("holds", "ranking")]
    assert check_certificate_text(cert.read_text(), ["z3"]).valid


@pytest.mark.sweep  # a PDR proof at 2x2: the README's test command keeps the recovery certificate saved by the command
# (above) and single_binding's PDR certificate at 2x2 re-checked (tests/test_z3_certificates.py)
def test_z3_engine_proves_single_binding_and_saves_a_certificate_that_rechecks(tmp_path: Path) -> None:
    cert = tmp_path / "single.smt2"
    code, out, _ = run("check", "--engine", "z3", "--variant", "nt40", "--clients", "2", "--addresses", "2",
                       "--property", "single_binding", "--certificate", str(cert))
    assert code == 0 and "holds" in out
    assert check_certificate_text(cert.read_text(), ["z3"]).valid


def test_certificate_without_the_z3_engine_is_a_usage_error() -> None:
    code, _, err = run("check", "--certificate", "x.smt2")
    assert code == 2 and err.count("\n") == 1 and "--engine z3" in err


def test_an_unwritable_certificate_path_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = run("check", "--engine", "z3", "--property", "single_binding",
                         "--certificate", str(tmp_path / "missing" / "c.smt2"))
    assert code == 2 and err.startswith("leasecheck: cannot write") and "c.smt2" in err
    assert out == ""  # refused before any work


def test_a_z3_trace_written_with_trace_out_replays(tmp_path) -> None:
    import io

    from leasecheck.checker.cli.main import main

    path = tmp_path / "symptom.itf.json"
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--engine", "z3", "--variant", "nt35", "--property", "kb_symptom",
                 "--trace-out", str(path)], out, err) == 0
    out, err = io.StringIO(), io.StringIO()
    assert main(["replay", str(path), "--format", "text"], out, err) == 0, err.getvalue()
    assert "Timeout(0)" in out.getvalue()
