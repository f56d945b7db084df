"""One shape for every command: ``--version``; a help text and a default for every option; one
``--format`` registry; every file written named on stderr (nothing with ``--quiet``); one error
prefix; with ``--format json`` one JSON document on stdout whatever happens; a JSON ``config``
object with every key, always, as docs/json.md lists them."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leasecheck.checker.cli.environ import matplotlib_config_dir
from leasecheck.checker.cli.main import build_parser, main
from leasecheck.checker.cli.options import FORMATS
from leasecheck.model.dhcp import Config

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _commands(parser: argparse.ArgumentParser, name: str = "leasecheck") -> dict[str, argparse.ArgumentParser]:
    """Every parser of the command line by its command, sub-commands included."""
    found = {name: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, p in action.choices.items():
                found.update(_commands(p, f"{name} {sub}"))
    return found


COMMANDS = _commands(build_parser())


def test_version_prints_the_package_version() -> None:
    import leasecheck

    proc = subprocess.run([sys.executable, "-m", "leasecheck", "--version"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout == f"leasecheck {leasecheck.__version__}\n" and proc.stderr == ""


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_a_help_text_and_says_its_default(command: str) -> None:
    parser = COMMANDS[command]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.option_strings or action.dest}: no help text"
        if not action.option_strings or action.required or isinstance(action, argparse._VersionAction):
            continue
        help_text = " ".join(parser._get_formatter()._expand_help(action).split())
        assert "default" in help_text, f"{command} {action.option_strings[0]}: the help does not say its default"


@pytest.mark.parametrize("command", sorted(FORMATS))
def test_format_is_declared_from_the_registry(command: str) -> None:
    (action,) = [a for a in COMMANDS[f"leasecheck {command}"]._actions if "--format" in a.option_strings]
    assert tuple(action.choices) == tuple(FORMATS[command]) and action.default == next(iter(FORMATS[command]))


def test_every_command_with_a_format_is_in_the_registry() -> None:
    with_format = {name.split()[-1] for name, p in COMMANDS.items()
                   if any("--format" in a.option_strings for a in p._actions)}
    assert with_format == set(FORMATS)


@pytest.mark.parametrize("argv", [
    ["check", "--timeout", "0"],
    ["check", "--certificate", "x.smt2"],
    ["check", "--trace-out", "no-such-folder/x.itf.json"],
    ["sweep", "--sizes", "0x0"],
    ["sweep", "--executor", "local", "--scheduler", "tcp://x:1"],
    ["conform", "--scenario", "kb"],
    ["conform", "--pcap", "no-such.pcap"],
    ["prove", "--property", "kb_symptom"],
    ["replay", "no-such.itf.json"],
    ["certificate", "check", "no-such.smt2"],
    ["graph", "--out", "x.txt"],
    ["frobnicate"],
    [],
])
def test_every_error_has_the_one_prefix(argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*argv)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("leasecheck: ") and not re.match(r"leasecheck: (leasecheck|[a-z]+:)", err), err


def test_a_file_written_is_announced_and_quiet_says_nothing(tmp_path: Path) -> None:
    trace, chart = tmp_path / "deadlock.itf.json", tmp_path / "deadlock.svg"
    code, _, err = run("check", "--property", "recovery", "--trace-out", str(trace), "--chart", str(chart))
    assert code == 1 and err.splitlines() == [f"leasecheck: wrote {trace} (recovery, client 0, ITF)",
                                              f"leasecheck: wrote {chart} (recovery, client 0, chart)"]
    code, _, err = run("check", "--property", "recovery", "--trace-out", str(trace), "--quiet")
    assert code == 1 and err == ""


@pytest.mark.parametrize("argv, name", [
    (["export", "--promela", "--out"], "model.pml"),
    (["graph", "--out"], "graph.svg"),
    (["replay", "tests/data/old-format-nt35-recovery.itf.json", "--format", "text", "--chart"], "replayed.svg"),
])
def test_each_command_announces_its_file(argv: list[str], name: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = tmp_path / name
    code, _, err = run(*argv, str(path))
    assert code == 0 and path.exists() and err.startswith(f"leasecheck: wrote {path}") and err.count("\n") == 1, err
    path.unlink()
    code, _, err = run(*argv, str(path), "--quiet")
    assert code == 0 and path.exists() and err == ""


def test_sweep_announces_the_results_file_it_creates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("sweep", "--policies", "nt40", "--sizes", "1x1", "--deletes", "0", "--losses", "0",
                       "--reboots", "0", "--restart", "off", "--csv", "sweep.csv")
    assert code == 0
    assert "leasecheck: wrote leasecheck-sweep.jsonl (results, one point a line)" in err.splitlines()
    assert "leasecheck: wrote sweep.csv (CSV)" in err.splitlines()
    assert all(line.startswith("leasecheck: ") for line in err.splitlines()), err


def test_an_interruption_with_json_is_one_json_document(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import leasecheck.checker.cli.sweep as sweep

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    code, out, err = run("sweep", "--format", "json", "--sizes", "1x1")
    assert code == 130 and err.count("\n") == 1 and "interrupted" in err
    doc = json.loads(out)
    assert doc["command"] == "sweep" and doc["exit_status"] == 130 and doc["error"].startswith("interrupted")


def test_an_internal_error_with_json_is_one_json_document_and_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr("leasecheck.checker.cli.main._check", broken)
    code, out, err = run("check", "--format", "json")
    assert code == 70 and "Traceback" in err and "RuntimeError: a bug" in err
    assert json.loads(out) == {"command": "check", "exit_status": 70,
                               "error": "internal error (a bug in leasecheck; please report it)"}


def test_a_json_document_already_printed_gets_no_second_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leasecheck.checker.cli.outputs as outputs

    def full(*args: object) -> None:
        raise outputs.OutputError("cannot write the certificate: No space left on device")

    monkeypatch.setattr(outputs, "save_certificates", full)
    code, out, err = run("check", "--engine", "z3", "--variant", "nt40", "--property", "single_binding",
                         "--certificate", str(tmp_path / "c.smt2"), "--format", "json")
    assert code == 2 and json.loads(out)["results"][0]["verdict"] == "holds" and err.count("\n") == 1


CONFIG_KEYS = [f.name for f in dataclasses.fields(Config)]


@pytest.mark.parametrize("argv", [
    [],
    ["--client-nak", "ignore-while-renewing", "--client-reboot", "forget", "--variant", "nt40"],
])
def test_the_json_config_has_every_key_whatever_the_values(argv: list[str]) -> None:
    _, out, _ = run("check", "--property", "single_binding", "--format", "json", *argv)
    assert list(json.loads(out)["config"]) == CONFIG_KEYS


def test_the_json_config_is_the_same_when_the_check_stops_before_it_begins() -> None:
    _, out, _ = run("check", "--property", "single_binding", "--format", "json", "--timeout", "1e-9")
    assert list(json.loads(out)["config"]) == CONFIG_KEYS


def test_docs_json_lists_every_config_key_and_the_error_document() -> None:
    text = (ROOT / "docs" / "json.md").read_text()
    for key in [*CONFIG_KEYS, "exit_status", "error", "command", "stop_reason"]:
        assert f"`{key}`" in text, key


def test_an_unwritable_home_gives_no_matplotlib_warning(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env["HOME"] = "/dev/null/home"  # a home under a file: nothing can be made there, even by root
    out = tmp_path / "graph.svg"
    proc = subprocess.run([sys.executable, "-m", "leasecheck", "graph", "--out", str(out)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0 and out.exists()
    assert proc.stderr.splitlines() == [line for line in proc.stderr.splitlines() if line.startswith("leasecheck: ")]
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_matplotlibs_folder_is_set_only_when_unset_and_the_default_cannot_be_written(tmp_path: Path) -> None:
    env = {"HOME": "/dev/null/home"}
    folder = matplotlib_config_dir(env)
    assert folder is not None and env["MPLCONFIGDIR"] == folder and Path(folder).is_dir()
    mine = {"HOME": "/dev/null/home", "MPLCONFIGDIR": str(tmp_path)}
    assert matplotlib_config_dir(mine) is None and mine["MPLCONFIGDIR"] == str(tmp_path)
    writable = {"HOME": str(tmp_path)}
    assert matplotlib_config_dir(writable) is None and "MPLCONFIGDIR" not in writable
    assert not (tmp_path / ".config").exists()  # nothing is made in the user's home


def _schema() -> dict[str, object]:
    text = (ROOT / "docs" / "json.md").read_text()
    block = text[text.index("## Schema"):]
    return json.loads(block[block.index("```json") + len("```json"):block.index("\n```", block.index("```json"))])


@pytest.mark.parametrize("argv", [
    ["check", "--property", "recovery"],
    ["check", "--variant", "nt40", "--client-nak", "ignore-while-renewing", "--property", "single_binding"],
    ["check", "--engine", "both", "--variant", "nt40", "--property", "single_binding"],
    ["check", "--timeout", "1e-9"],
    ["check", "--max-states", "3"],
    ["check", "--timeout", "-1"],
    ["sweep", "--workers", "0"],
    ["prove", "--property", "kb_symptom"],
], ids=["violated", "options", "both", "deadline", "limit", "usage", "sweep-usage", "prove-usage"])
def test_what_check_prints_and_every_error_follow_the_schema_in_docs_json(argv: list[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _, out, _ = run(*argv, "--format", "json")
    jsonschema.validate(json.loads(out), _schema())


def test_a_file_name_that_is_not_utf_8_is_written_and_announced_escaped(tmp_path: Path) -> None:
    name = str(tmp_path / "trace-\udcff.itf.json")  # the byte 0xff, as Python reads it from argv
    code, _, err = run("check", "--property", "recovery", "--trace-out", name)
    assert code == 1 and os.path.exists(os.fsencode(name))
    assert err.count("\n") == 1 and "\\udcff" in err and err.startswith("leasecheck: wrote ")


@pytest.mark.parametrize("variant", ["nt35", "nt40"])
def test_holds_is_a_verdict_never_a_noun_in_the_reasons(variant: str) -> None:
    _, out, _ = run("check", "--variant", variant, "--restart", "--format", "json")
    reasons = [r["reason"] for r in json.loads(out)["results"]]
    assert reasons and not [r for r in reasons if re.search(r"\b(reach|reaches|to|avoiding) holds\b", r)], reasons
