"""The environment: closed, full and broken output streams, non-UTF-8 encodings, a memory limit,
and files written whole or not at all."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck.checker.explicit import engine as explicit_engine
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import Limits
from leasecheck.checker.results import Method
from leasecheck.checker.run import CheckOptions
from leasecheck.errors import UsageError
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp import dhcp_model
from leasecheck.properties.spec import Verdict

PYTHON = sys.executable
CLI = [PYTHON, "-m", "leasecheck"]
NT35 = ["check", "--variant", "nt35", "--property", "recovery", "--quiet"]  # violated, a trace with arrows
NT40 = ["check", "--variant", "nt40", "--quiet"]  # holds


def _shell(command: str, **kw: object) -> subprocess.CompletedProcess[str]:
    """``command`` through sh, with ``$LC`` standing for the leasecheck command."""
    env = {**os.environ, "LC": " ".join(CLI), **kw.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, timeout=120, **kw)


def _clean(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


# --- standard output ---------------------------------------------------------------------------


def test_a_closed_stdout_is_one_line_and_exit_2():
    r = _shell("$LC check --variant nt40 --quiet >&-")
    assert r.returncode == 2
    assert r.stderr == "leasecheck: cannot write the output: standard output is closed\n"


def test_a_full_stdout_is_one_line_and_exit_2():
    r = _shell("$LC check --variant nt35 --quiet > /dev/full")
    assert r.returncode == 2, r.stderr
    assert r.stderr == "leasecheck: cannot write the output: No space left on device\n"


def test_help_into_a_full_stdout_is_exit_2():
    r = _shell("$LC check --help > /dev/full")
    assert r.returncode == 2
    assert r.stderr == "leasecheck: cannot write the output: No space left on device\n"


def test_a_graph_needs_no_stdout(tmp_path):
    r = _shell(f"$LC graph --out {tmp_path / 'g.svg'} >&-")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "g.svg").stat().st_size > 0


def test_a_reader_that_stops_reading_leaves_the_verdict_status_and_no_noise():
    """The JSON of a 2x2 check is over 100 kB: the reader takes 10 bytes and closes the pipe."""
    r, w = os.pipe()
    proc = subprocess.Popen([*CLI, "check", "--clients", "2", "--addresses", "2", "--format", "json", "--quiet"],
                            stdout=w, stderr=subprocess.PIPE, text=True)
    os.close(w)
    assert len(os.read(r, 10)) == 10
    time.sleep(0.3)
    os.close(r)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=120) == 1  # the verdict (violated), not 0
    assert stderr == ""


def test_a_broken_pipe_inside_a_write_keeps_the_status():
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    from leasecheck.checker.cli.main import main

    err = io.StringIO()
    assert main(NT35, Broken(), err) == 1
    assert err.getvalue() == ""


# --- standard error ----------------------------------------------------------------------------


#: a long answer written to a pipe nobody reads yet, and a signal whose handler lets the run go on
#: (as the command line's does while the verdicts are written) arriving while the write waits
_LONG_ANSWER = """
import signal, sys
from leasecheck.checker.cli.streams import standard_streams
out, err, _ = standard_streams(None, None)
signal.signal(signal.SIGINT, lambda s, f: None)
sys.stderr.write("ready\\n"); sys.stderr.flush()
out.write("é→" * 150_000 + "\\n")
out.flush()
"""


def test_a_signal_while_a_long_answer_waits_for_its_reader_loses_none_of_it():
    proc = subprocess.Popen([sys.executable, "-c", _LONG_ANSWER], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None and proc.stderr.readline() == b"ready\n"
    time.sleep(0.5)  # the pipe (64 KiB) is full long before: the write waits
    proc.send_signal(2)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert out.decode() == "é→" * 150_000 + "\n"


def test_a_closed_stderr_keeps_the_status():
    r = _shell("$LC check --variant nt40 --quiet 2>&-")
    assert r.returncode == 0
    assert "holds" in r.stdout
    r = _shell("$LC check --clients 0 2>&-")
    assert r.returncode == 2


def test_a_full_stderr_keeps_the_status():
    r = _shell("$LC check --clients 0 2>/dev/full")
    assert r.returncode == 2
    r = _shell("$LC check --variant nt35 --property recovery 2>/dev/full")
    assert r.returncode == 1


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env, encoding", [
    ({"PYTHONIOENCODING": "ascii"}, "ascii"),
    ({"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}, "ascii"),
    ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
])
def test_an_encoding_without_arrows_gets_ascii_ones(env, encoding):
    r = subprocess.run([*CLI, *NT35], capture_output=True, env={**os.environ, **env}, timeout=120)
    assert r.returncode == 1, r.stderr
    _clean(r.stderr.decode("ascii", "replace"))
    text = r.stdout.decode(encoding)  # nothing the encoding cannot say
    assert "client 0 -> server: DISCOVER" in text
    assert "st[0] INIT->SELECTING" in text


def test_other_characters_are_escaped():
    from leasecheck.checker.cli.streams import ERRORS

    assert "a → b ☃".encode("ascii", ERRORS) == b"a -> b \\u2603"


# --- memory ------------------------------------------------------------------------------------


def _address_limit(mb: int):  # type: ignore[no-untyped-def]
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))

    return limit


def test_an_address_space_limit_makes_verdicts_unknown_with_json():
    """``ulimit -v 500000``: the exploration stops short of the limit; no exit 70, the JSON parses."""
    r = subprocess.run([*CLI, "check", "--clients", "4", "--addresses", "4", "--variant", "nt40", "--restart",
                        "--property", "recovery", "--property", "single_binding", "--format", "json", "--quiet"],
                       capture_output=True, text=True, timeout=120, preexec_fn=_address_limit(500))
    assert r.returncode == 3, r.stderr[-2000:]
    _clean(r.stderr)
    doc = json.loads(r.stdout)
    assert doc["stats"]["complete"] is False
    assert doc["stats"]["stop_reason"].startswith("memory limit of ")
    assert {x["verdict"] for x in doc["results"]} == {"unknown"}
    assert all(x["method"] == "limit" for x in doc["results"])


@pytest.mark.long
def test_the_issue_example_under_ulimit_v_3000000():
    """About 20 million states before the budget stops it: minutes (pytest -m long)."""
    r = subprocess.run([*CLI, "check", "--clients", "5", "--addresses", "5", "--variant", "nt35", "--restart",
                        "--format", "json", "--quiet"], capture_output=True, text=True, timeout=900,
                       preexec_fn=_address_limit(3000000 >> 10))
    assert r.returncode in (1, 3), r.stderr[-2000:]
    _clean(r.stderr)
    doc = json.loads(r.stdout)
    assert doc["stats"]["stop_reason"].startswith("memory limit of ")
    assert "unknown" in {x["verdict"] for x in doc["results"]}


@pytest.mark.parametrize("explorer", ["compiled", "vector"])
def test_max_memory_stops_the_exploration(explorer):
    # 3x3 nt40 with restarts keeps about 130 MB with the compiled explorer, more with the vector one
    r = subprocess.run([*CLI, "check", "--clients", "3", "--addresses", "3", "--variant", "nt40", "--restart",
                        "--property", "recovery", "--max-memory", "80", "--explorer", explorer, "--format", "json",
                        "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert 1 < doc["stats"]["states"] < 556_231
    assert doc["stats"]["stop_reason"] == "memory limit of 80 MB reached"
    assert all(x["verdict"] == "unknown" and "80 MB" in x["reason"] for x in doc["results"])


@pytest.mark.parametrize("explorer", ["vector", "scalar"])
def test_a_budget_already_spent_stops_both_explorers(explorer):
    report, _ = explicit_report(dhcp_model(Config(variant="nt40", clients=2, addresses=2)), ["recovery"],
                                Limits(max_memory=1), explorer=explorer)
    assert report.stats.stop_reason == "memory limit of 1 MB reached"
    assert [r.verdict for r in report.results] == [Verdict.UNKNOWN, Verdict.UNKNOWN]
    assert all(r.method is Method.LIMIT for r in report.results)


def test_an_analysis_out_of_memory_is_an_unknown_verdict(monkeypatch):
    real = explicit_engine.decide

    def decide(analysis, prop):  # type: ignore[no-untyped-def]
        if prop.name == "recovery":
            raise MemoryError
        return real(analysis, prop)

    monkeypatch.setattr(explicit_engine, "decide", decide)
    report, _ = explicit_report(dhcp_model(Config(variant="nt40")), ["recovery", "no_duplicate_address"])
    first, second = report.results
    assert first.verdict is Verdict.UNKNOWN and first.method is Method.LIMIT
    assert "ran out of memory on 55 states (explored in full)" in first.reason
    assert second.verdict is Verdict.HOLDS


def test_the_default_budget_follows_the_machine():
    from leasecheck.checker.explicit.memory import MemoryBudget, memory_budget

    budget = memory_budget()
    assert budget.resident_mb is not None and budget.resident_mb > 0
    assert memory_budget(64).resident_mb == 64
    assert MemoryBudget(1 << 30).exceeded() == ""


def test_max_memory_is_checked():
    with pytest.raises(UsageError):
        CheckOptions(max_memory=0)
    with pytest.raises(UsageError):
        CheckOptions(max_memory=True)
    with pytest.raises(UsageError):
        CheckOptions(engine="z3", max_memory=100)
    assert CheckOptions(max_memory=100).max_memory == 100


# --- files whole or not at all -----------------------------------------------------------------


def test_a_chart_that_fails_midway_leaves_no_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from leasecheck.checker.render.chart import ChartFileError, save_chart
    from leasecheck.checker.render.msc import build_chart
    from leasecheck.model.dhcp import dhcp_system

    from .test_lasso import recovery_trace

    cfg = Config(variant="nt35")
    chart = build_chart(dhcp_system(cfg), recovery_trace(cfg))

    def half(self, target, **kw):  # type: ignore[no-untyped-def]
        target.write(b"<svg half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", half)
    with pytest.raises(ChartFileError, match="No space left on device"):
        save_chart(chart, tmp_path / "c.svg")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "c.svg").write_text("the old chart")
    with pytest.raises(ChartFileError):
        save_chart(chart, tmp_path / "c.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["c.svg"]
    assert (tmp_path / "c.svg").read_text() == "the old chart"
    monkeypatch.undo()
    save_chart(chart, tmp_path / "c.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["c.svg"]
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")


def test_a_trace_file_that_fails_midway_leaves_no_file(tmp_path, monkeypatch):
    from leasecheck.checker.render import itf

    target = tmp_path / "t.itf.json"
    monkeypatch.setattr(itf.json, "dumps", lambda *a, **k: "x" * 100 + "\udcff")  # cannot be encoded half way
    with pytest.raises(UnicodeEncodeError):
        itf.write_itf(target, {})
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    itf.write_itf(target, {"#meta": {}})
    assert json.loads(target.read_text()) == {"#meta": {}}
    assert [p.name for p in tmp_path.iterdir()] == ["t.itf.json"]


def test_a_trace_written_by_the_cli_is_whole_and_alone(tmp_path):
    r = subprocess.run([*CLI, *NT35, "--trace-out", str(tmp_path / "t.itf.json"), "--chart", str(tmp_path / "t.svg")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.itf.json", "t.svg"]
    assert json.loads((tmp_path / "t.itf.json").read_text())["states"]
    assert oct((tmp_path / "t.svg").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_atomic_write_to_a_device_writes_in_place():
    from leasecheck.checker.render.files import atomic_write

    atomic_write(Path(os.devnull), "nothing")
    assert Path(os.devnull).exists()


def test_a_junit_report_that_fails_midway_leaves_no_file(tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    from leasecheck.checker.claims import ClaimsReport
    from leasecheck.checker.cli.outputs import OutputError
    from leasecheck.checker.render.junit import write_junit

    def half(self, target, **kw):  # type: ignore[no-untyped-def]
        target.write(b"<?xml half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ET.ElementTree, "write", half)
    with pytest.raises(OutputError, match="No space left on device"):
        write_junit(ClaimsReport((), 0.0), tmp_path / "j.xml")
    assert list(tmp_path.iterdir()) == []


# --- generated inputs --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_goes_out_in_ascii(text):
    from leasecheck.checker.cli.streams import ERRORS

    out = text.encode("ascii", ERRORS).decode("ascii")  # never raises
    if text.isascii():
        assert out == text
    else:
        assert len(out) >= len(text)  # every character leaves a mark


@settings(max_examples=50, deadline=None)
@given(old=st.binary(max_size=2000), new=st.binary(max_size=2000), fail_after=st.integers(0, 2000) | st.none())
def test_a_file_is_the_old_one_or_the_new_one(tmp_path_factory, old, new, fail_after):
    from leasecheck.checker.render.files import atomic_file

    folder = tmp_path_factory.mktemp("atomic")
    target = folder / "out.bin"
    target.write_bytes(old)
    try:
        with atomic_file(target, binary=True) as f:
            f.write(new[:fail_after] if fail_after is not None else new)
            if fail_after is not None:
                raise OSError(28, "No space left on device")
    except OSError:
        pass
    assert target.read_bytes() == (old if fail_after is not None else new)
    assert [p.name for p in folder.iterdir()] == ["out.bin"]
