"""The public API: its examples run, every front end reaches the engines through one door, every
error has one root, and an installed wheel is one package whose documented example runs."""

from __future__ import annotations

import ast
import contextlib
import doctest
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import leasecheck
import leasecheck.api
from leasecheck import CheckOptions, Config, ExitStatus, LeasecheckError, UserError, Verdict, check, run_check
from leasecheck.checker.cli.main import main
from leasecheck.errors import InternalError, Signal, exit_status_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", [leasecheck, leasecheck.api], ids=lambda m: m.__name__)
def test_the_docstring_examples_run(module: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the conform example reads a capture of the repository's tests
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert attempted > 0 and failed == 0


def test_every_public_name_is_documented() -> None:
    for name in leasecheck.__all__:
        obj = getattr(leasecheck, name)
        if callable(obj):
            assert obj.__doc__, f"leasecheck.{name} has no docstring"


# --- one door --------------------------------------------------------------------------------

BOTH = Config(clients=2, addresses=2, variant="nt40")


@pytest.mark.slow
@pytest.mark.parametrize("explorer,symmetry", [("vector", False), ("vector", True), ("scalar", False)])
def test_engine_both_runs_the_explicit_engine_as_asked(explorer: str, symmetry: bool) -> None:
    names = ["single_binding"]
    alone = check(BOTH, properties=names, explorer=explorer, symmetry=symmetry)
    both = check(BOTH, properties=names, engine="both", explorer=explorer, symmetry=symmetry)
    explicit, z3 = both.reports
    assert (explicit.engine, explicit.stats.states) == (alone.report.engine, alone.report.stats.states)
    assert ("symmetry reduced" in explicit.engine) is symmetry
    assert explicit.stats.states == (1046 if symmetry else 4084)  # the reference counts
    assert z3.engine == "z3" and both.comparison is not None and not both.comparison.disagreements
    assert both.exit_status == ExitStatus.OK


@pytest.mark.slow
@pytest.mark.parametrize("flags,states", [([], 4084), (["--symmetry"], 1046), (["--explorer", "scalar"], 4084)])
def test_the_command_line_honours_the_explorer_options_with_both_engines(flags: list[str], states: int) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--engine", "both", "--variant", "nt40", "--clients", "2", "--addresses", "2",
                 "--property", "single_binding", *flags], out, err)
    assert code == 0, err.getvalue()
    assert f"{states:,} states" in out.getvalue()


def test_symmetry_with_the_scalar_explorer_is_refused_as_a_usage_error() -> None:
    with pytest.raises(UserError, match="vector explorer"):
        CheckOptions(explorer="scalar", symmetry=True)
    err = io.StringIO()
    assert main(["check", "--explorer", "scalar", "--symmetry"], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize("bad", [
    {"engine": "spin"}, {"explorer": "gpu"}, {"properties": "recovery"},
    {"max_states": 0}, {"timeout": -1.0}, {"depth": -1}, {"symmetry": True, "engine": "z3"},
])
def test_bad_options_are_user_errors(bad: dict[str, object]) -> None:
    with pytest.raises(UserError):
        CheckOptions(**bad)  # type: ignore[arg-type]


def test_a_property_the_model_does_not_offer_is_a_user_error() -> None:
    # the names belong to the model, so the front door checks them, before any engine runs
    with pytest.raises(UserError, match="unknown property 'nonsense'; choose from recovery, "):
        run_check(Config(), CheckOptions(properties=("nonsense",)))


def test_a_check_returns_frozen_data_with_an_exit_status() -> None:
    run = check(Config(variant="nt35"), properties=["recovery", "single_binding"])
    assert [str(r.verdict) for r in run.results] == ["violated", "holds"]
    assert run.exit_status == ExitStatus.VIOLATED
    with pytest.raises(AttributeError):
        run.reports = ()  # type: ignore[misc]


def test_a_limit_makes_holds_unknown_and_the_exit_status_says_so() -> None:
    run = check(Config(clients=2, addresses=2, variant="nt40"), properties=["single_binding"], max_states=50)
    assert run.report.results[0].verdict is Verdict.UNKNOWN and not run.report.stats.complete
    assert run.exit_status == ExitStatus.UNKNOWN


# --- one error root ----------------------------------------------------------------------------


def _exception_classes() -> list[tuple[str, str, list[str]]]:
    """(module file, class, base names) of every class deriving from an exception in the package."""
    found = []
    for d, _, files in os.walk(ROOT / "leasecheck", followlinks=True):
        for f in files:
            if f.endswith(".py"):
                path = Path(d) / f
                for node in ast.walk(ast.parse(path.read_text())):
                    if isinstance(node, ast.ClassDef):
                        bases = [ast.unparse(b) for b in node.bases]
                        if any(re.search(r"(Error|Exception|Signal|Interrupt)$", b) for b in bases):
                            found.append((str(path.relative_to(ROOT)), node.name, bases))
    return found


def test_every_exception_of_the_package_derives_from_the_one_root() -> None:
    classes = _exception_classes()
    assert len(classes) > 15
    builtin = {"Exception", "ValueError", "RuntimeError", "KeyError", "TypeError", "OSError"}
    for path, name, bases in classes:
        if path == "leasecheck/errors.py":
            continue
        assert not set(bases) & builtin, f"{path}: {name} derives from {bases}, not from leasecheck.errors"


def test_exit_statuses_are_decided_by_the_error_classes() -> None:
    from leasecheck.checker.replay import UnconfirmedTrace
    from leasecheck.checker.z3.cubes import Undecided
    from leasecheck.model.dhcp import ConfigError

    assert exit_status_of(ConfigError("x")) == ExitStatus.USAGE
    assert exit_status_of(UnconfirmedTrace("x")) == ExitStatus.INTERNAL
    assert exit_status_of(Undecided("x")) == ExitStatus.INTERNAL
    assert exit_status_of(KeyboardInterrupt()) == ExitStatus.INTERRUPTED
    assert exit_status_of(ZeroDivisionError()) == ExitStatus.INTERNAL
    assert issubclass(UserError, LeasecheckError) and issubclass(InternalError, LeasecheckError)
    assert issubclass(Signal, LeasecheckError)


def test_the_command_line_has_no_exit_status_of_its_own() -> None:
    """Statuses come from ExitStatus: no bare number is returned by a command."""
    for path in (ROOT / "checker" / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant):
                assert node.value.value in (0, None), f"{path.name}:{node.lineno} returns {node.value.value}"


# --- an installed wheel ------------------------------------------------------------------------


def _api_example() -> str:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert match, "docs/api.md has no python example"
    return match.group(1)


def test_every_python_block_of_the_api_guide_runs_and_prints_what_the_guide_shows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each python block runs; where a plain block follows it, that block is exactly what it prints."""
    monkeypatch.chdir(ROOT)  # the conform section reads a capture of the repository's tests
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    fenced = re.findall(r"^```(\w*)\n(.*?)^```\n", text, flags=re.S | re.M)
    python = [n for n, (lang, _) in enumerate(fenced) if lang == "python"]
    assert len(python) >= 5
    compared = 0
    for k, n in enumerate(python, 1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(fenced[n][1], f"docs/api.md, python block {k}", "exec"), {"__name__": f"api_md_{k}"})
        if n + 1 < len(fenced) and fenced[n + 1][0] == "":
            assert printed.getvalue() == fenced[n + 1][1], f"docs/api.md, python block {k} prints otherwise"
            compared += 1
    assert compared >= 5


@pytest.mark.sweep  # builds a wheel and a virtual environment: ten seconds
@pytest.mark.slow
def test_a_wheel_installs_one_package_whose_documented_example_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    top = {p.name for p in target.iterdir() if not p.name.endswith((".dist-info", ".egg-info")) and p.name != "bin"}
    assert top == {"leasecheck"}, top
    assert not (target / "leasecheck" / "model").is_symlink() and (target / "leasecheck" / "model" / "dhcp.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "example.py").write_text(
        "import leasecheck, pathlib, sys\n"
        f"assert pathlib.Path(leasecheck.__file__).is_relative_to({str(target)!r}), leasecheck.__file__\n"
        + _api_example())
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "example.py"], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip()
