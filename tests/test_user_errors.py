"""A user's mistake is a UserError (exit status 2, one line); leasecheck's own bug is an InternalError.

Each mistake below goes through the public API as a person would make it; whatever class says
what went wrong, it derives from UserError. No module raises a bare RuntimeError or Exception:
a bug leasecheck catches in itself is an InternalError.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

import leasecheck
from leasecheck import Config, UserError
from leasecheck.checker.render.itf import read_itf
from leasecheck.errors import ExitStatus, exit_status_of
from leasecheck.model.policy import parse_policy

ROOT = Path(__file__).resolve().parent.parent


def _no_trace(tmp: Path) -> object:
    report = leasecheck.check(Config(variant="nt40"), properties=["single_binding"]).report
    return leasecheck.write_trace(tmp / "t.itf.json", report, report.results[0])  # holds: no trace


def _garbage(tmp: Path, name: str) -> Path:
    path = tmp / name
    path.write_text("{\"not\": \"a trace\"}\n")
    return path


MISTAKES: dict[str, Callable[[Path], object]] = {
    "a configuration with no clients": lambda tmp: Config(clients=0),
    "an unknown client NAK handling": lambda tmp: Config(client_nak="sulk"),
    "a server policy with a field left out": lambda tmp: parse_policy("renewing=nak"),
    "an unknown property": lambda tmp: leasecheck.check(Config(), properties=["liveness"]),
    "an unknown engine": lambda tmp: leasecheck.check(Config(), engine="spin"),
    "a recovery after a delete without deletes": lambda tmp: leasecheck.recovery_after_delete(Config(deletes=0)),
    "a trace written for a verdict without one": _no_trace,
    "a trace file that is missing": lambda tmp: leasecheck.replay(tmp / "missing.itf.json"),
    "a trace file that is no trace": lambda tmp: leasecheck.replay(_garbage(tmp, "t.itf.json")),
    "a trace document that is no object": lambda tmp: read_itf([]),
    "a certificate that is no certificate": lambda tmp: leasecheck.check_certificate(_garbage(tmp, "c.smt2")),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_users_mistake_is_a_user_error(mistake: str, tmp_path: Path) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the class is what is checked
        MISTAKES[mistake](tmp_path)
    assert isinstance(caught.value, UserError), f"{mistake}: {type(caught.value).__name__}, not a UserError"
    assert exit_status_of(caught.value) is ExitStatus.USAGE


def _package_files() -> list[Path]:
    return [p for d in ("model", "properties", "checker") for p in sorted((ROOT / d).rglob("*.py"))] + \
        sorted((ROOT / "leasecheck").glob("*.py"))


def test_no_module_raises_a_bare_runtime_error_or_exception() -> None:
    bare = []
    for path in _package_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if ast.unparse(exc) in ("RuntimeError", "Exception"):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, f"raise InternalError (a bug) or a UserError (a mistake) instead: {bare}"
