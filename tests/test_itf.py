"""Traces as ITF files: written by `check --trace-out`, read back and replayed by `leasecheck replay`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.render.itf import TraceFileError, itf_document, read_itf
from leasecheck.model.dhcp import Config, dhcp_system

NT35 = Config(variant="nt35")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def recovery_counterexample(cfg: Config = NT35):
    report, _ = explicit_report(cfg, ["recovery"], explorer="scalar")
    (result,) = report.results
    assert result.trace is not None
    return result


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "deadlock.itf.json"
    code, _, err = run("check", "--variant", "nt35", "--property", "recovery", "--quiet", "--trace-out", str(path))
    assert code == 1
    assert str(path) in err
    return path


def test_the_itf_document_has_meta_vars_states_and_loop() -> None:
    result = recovery_counterexample()
    doc = itf_document(dhcp_system(NT35), NT35, result.trace, prop="recovery", client=0, verdict="violated")
    assert doc["#meta"]["format"] == "ITF"
    assert doc["#meta"]["leasecheck"]["config"]["variant"] == "nt35"
    assert doc["vars"] == ["st", "addr", "err", "to_srv", "to_cli", "db", "mem",
                           "deletes_left", "losses_left", "reboots_left"]
    first, delete = doc["states"][0], doc["states"][7]
    assert first["#meta"] == {"index": 0, "action": None}
    assert first["st"] == ["INIT"] and first["addr"] == ["none"] and first["deletes_left"] == 1
    assert delete["#meta"]["action"]["name"] == "AdminDelete"
    assert delete["db"] == ["FREE"]
    assert doc["loop"] == result.trace.loop_start
    assert doc["states"][-1]["st"] == doc["states"][doc["loop"]]["st"]


def test_a_trace_survives_the_round_trip_through_json() -> None:
    result = recovery_counterexample()
    doc = json.loads(json.dumps(itf_document(dhcp_system(NT35), NT35, result.trace, prop="recovery", client=0)))
    back = read_itf(doc)
    assert back.config == NT35
    assert back.trace.steps == result.trace.steps
    assert back.trace.loop_start == result.trace.loop_start
    assert (back.property, back.client) == ("recovery", 0)


def test_a_written_trace_replays(written: Path) -> None:
    code, out, err = run("replay", str(written))
    assert code == 0, err
    assert "15 steps replay in the model" in out
    assert "loop: steps 13–15 repeat forever" in out


def test_several_traces_are_written_one_file_per_result(tmp_path: Path) -> None:
    code, _, _ = run("check", "--variant", "nt35", "--quiet", "--trace-out", str(tmp_path / "t.itf.json"))
    assert code == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "t-recovery-0.itf.json" in names and "t-kb_symptom-0.itf.json" in names
    for name in names:
        assert run("replay", str(tmp_path / name), "--format", "text")[0] == 0


def _edit(path: Path, change) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    edited = path.with_name("edited.itf.json")
    edited.write_text(json.dumps(doc))
    return edited


def _refused(path: Path) -> str:
    code, out, err = run("replay", str(path))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_server_that_answers_a_deleted_lease_is_refused_at_that_step(written: Path) -> None:
    # NT 3.5 stays silent at step 8; a hand-edited ACK there is not a transition of the model.
    def ack_the_renewal(doc: dict) -> None:
        doc["states"][8]["to_cli"] = ["ACK(0)"]

    err = _refused(_edit(written, ack_the_renewal))
    assert "step 8:" in err and "ServeRequest(0)" in err


def test_an_action_that_is_not_enabled_is_refused(written: Path) -> None:
    def t2_while_bound(doc: dict) -> None:
        doc["states"][6]["#meta"]["action"]["name"] = "T2"

    err = _refused(_edit(written, t2_while_bound))
    assert "step 6: T2(0) is not enabled" in err


def test_a_rule_that_does_not_match_the_step_is_refused(written: Path) -> None:
    def other_rule(doc: dict) -> None:
        doc["states"][2]["#meta"]["action"]["rule"] = "silent: no free address"

    assert "step 2:" in _refused(_edit(written, other_rule))


def test_a_loop_that_does_not_close_is_refused(written: Path) -> None:
    def wrong_loop(doc: dict) -> None:
        doc["loop"] = 3

    assert "the loop does not close" in _refused(_edit(written, wrong_loop))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["states"][3].pop("mem"), "state 3 lacks the variables mem"),
        (lambda d: d["states"][3].__setitem__("st", ["DOZING"]), "'DOZING' is not a value"),
        (lambda d: d["states"][3].__setitem__("err", [True]), "true is not a value of the model"),
        (lambda d: d["#meta"]["leasecheck"]["config"].__setitem__("variant", "nt31"), "unknown variant"),
        (lambda d: d.__setitem__("states", []), "non-empty list"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(written: Path, change, message: str) -> None:
    assert message in _refused(_edit(written, change))


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json")
    assert "is not JSON" in _refused(path)


def test_reading_rejects_documents_without_a_configuration() -> None:
    with pytest.raises(TraceFileError, match="no leasecheck configuration"):
        read_itf({"#meta": {"format": "ITF"}, "vars": [], "states": [{}]})


def test_replay_draws_the_chart_it_prints(written: Path, tmp_path: Path) -> None:
    picture = tmp_path / "replayed.svg"
    code, out, _ = run("replay", str(written), "--format", "chart", "--chart", str(picture))
    assert code == 0
    assert "client 0" in out and "server" in out and "admin" in out and "initial state" not in out
    assert picture.read_text().lstrip().startswith("<?xml")
