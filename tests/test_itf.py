"""Traces as ITF files: written by `check --trace-out`, read back and replayed by `leasecheck replay`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import itf_py
import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.render.itf import TraceFileError, itf_document, read_itf
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model

NT35 = Config(variant="nt35")
#: a trace file written before format version 2 (string values, the loop's first state repeated)
OLD_FORMAT = Path(__file__).parent / "data" / "old-format-nt35-recovery.itf.json"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def recovery_counterexample(cfg: Config = NT35):
    report, _ = explicit_report(dhcp_model(cfg), ["recovery"])
    (result,) = report.results
    assert result.trace is not None
    return result


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "deadlock.itf.json"
    code, _, err = run("check", "--variant", "nt35", "--property", "recovery", "--quiet", "--trace-out", str(path))
    assert code == 1
    assert path.exists(), err
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
    none = {"tag": "NONE", "value": {}}
    assert first["st"] == ["INIT"] and first["addr"] == [none] and first["deletes_left"] == 1
    assert first["to_srv"] == [none] and first["db"] == [{"tag": "FREE", "value": {}}]
    assert doc["states"][3]["to_srv"] == [{"tag": "REQUEST", "value": {"kind": "SELECTING", "addr": 0}}]
    assert doc["states"][3]["addr"] == [{"tag": "SOME", "value": {"addr": 0}}]
    assert delete["#meta"]["action"]["name"] == "AdminDelete"
    assert delete["db"] == [{"tag": "FREE", "value": {}}]
    # the loop: the last state steps back to the state of index "loop", which is not repeated
    assert doc["loop"] == result.trace.loop_start
    assert len(doc["states"]) == len(result.trace.steps) - 1
    assert doc["#meta"]["leasecheck"]["loop_action"]["name"] == result.trace.steps[-1].action
    assert doc["#meta"]["source"].startswith("leasecheck")
    assert doc["params"] == ["clients", "addresses", "variant", "deletes", "losses", "reboots", "restart",
                             "client_nak", "client_reboot"]
    assert all(s["variant"] == "nt35" and s["clients"] == 1 for s in doc["states"])
    assert set(doc["#meta"]["varTypes"]) == {*doc["params"], *doc["vars"]}
    assert doc["#meta"]["varTypes"]["to_cli"] == "Seq(OFFER({addr: Int}) | ACK({addr: Int}) | NAK(UNIT) | NONE(UNIT))"


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


def _edit(path: Path, change, folder: Path | None = None) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    edited = (folder or path.parent) / "edited.itf.json"
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
        doc["states"][8]["to_cli"] = [{"tag": "ACK", "value": {"addr": 0}}]

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


def test_a_loop_that_does_not_close_is_refused(written: Path, tmp_path: Path) -> None:
    def wrong_loop(doc: dict) -> None:
        doc["loop"] = 3

    # the last state steps back to state 3 by the recorded action, which leads elsewhere
    assert "step 15: Timeout(0) does not lead to the state given" in _refused(_edit(written, wrong_loop))
    # in a file of format version 1 the last state repeats the loop's first state, which it is not
    assert "the loop does not close" in _refused(_edit(OLD_FORMAT, wrong_loop, tmp_path))


def test_a_loop_action_without_a_loop_is_refused(written: Path) -> None:
    def no_loop(doc: dict) -> None:
        del doc["loop"]

    assert "\"loop_action\" belongs to a trace with a \"loop\"" in _refused(_edit(written, no_loop))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["states"][3].pop("mem"), "state 3 lacks the variables mem"),
        (lambda d: d["states"][3].__setitem__("st", ["DOZING"]), '"DOZING" is not a value'),
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


# -- every trace leasecheck writes, read by itf-py and round-tripped -------------------------------

WRITTEN = {
    "recovery lasso, nt35": ("--variant", "nt35", "--property", "recovery"),
    "kb_symptom witness": ("--variant", "nt35", "--property", "kb_symptom"),
    "no_duplicate_address at 2x2": ("--variant", "nt35", "--property", "no_duplicate_address",
                                    "--clients", "2", "--addresses", "2"),
    "z3 lasso": ("--variant", "nt35", "--property", "recovery", "--engine", "z3"),
    "symmetry-reduced lasso": ("--variant", "nt35", "--property", "recovery", "--clients", "2", "--symmetry"),
}


@pytest.fixture(scope="module", params=list(WRITTEN))
def written_file(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("written") / "t.itf.json"
    code, _, err = run("check", *WRITTEN[request.param], "--quiet", "--trace-out", str(path))
    assert code in (0, 1), err
    assert path.exists(), err
    return path


def test_itf_py_reads_every_trace_leasecheck_writes(written_file: Path) -> None:
    doc = json.loads(written_file.read_text())
    trace = itf_py.trace_from_json(doc)
    assert trace.vars == doc["vars"] and trace.params == doc["params"] and trace.loop == doc.get("loop")
    assert trace.meta["varTypes"].keys() == {*trace.params, *trace.vars}
    assert len(trace.states) == len(doc["states"])
    first = trace.states[0].values
    cfg = doc["#meta"]["leasecheck"]["config"]
    assert {name: first[name] for name in trace.params} == cfg
    # messages and leases are variants, addresses options: tuples named by their tag
    assert [type(m).__name__ for m in first["to_srv"]] == ["NONE"] * cfg["clients"]
    assert [type(x).__name__ for x in first["db"]] == ["FREE"] * cfg["addresses"]
    assert all(isinstance(n, int) for s in trace.states for n in s.values["err"])
    tags = {type(x).__name__ for s in trace.states for g in ("to_srv", "to_cli", "db", "addr", "mem")
            for x in s.values[g]}
    assert tags <= {"NONE", "SOME", "DISCOVER", "REQUEST", "RELEASE", "OFFER", "ACK", "NAK", "FREE", "OFFERED",
                    "BOUND"}
    if trace.loop is not None:  # the last state steps back to the state of index loop, not repeated
        assert 0 <= trace.loop < len(trace.states)
        assert trace.states[-1].values != trace.states[trace.loop].values


def test_every_written_trace_round_trips_through_the_reader_and_replay(written_file: Path) -> None:
    doc = json.loads(written_file.read_text())
    back = read_itf(doc)
    again = itf_document(dhcp_system(back.config), back.config, back.trace, prop=back.property,
                         client=back.client, verdict=back.verdict, description=back.description)
    assert again == doc
    code, out, err = run("replay", str(written_file), "--format", "text")
    assert code == 0, err
    assert f"{len(back.trace)} steps replay in the model" in out


def test_a_trace_written_again_by_itf_py_still_replays(written_file: Path, tmp_path: Path) -> None:
    # itf-py writes every integer as {"#bigint": ...} and a tag without data with "value": null
    rewritten = tmp_path / "rewritten.itf.json"
    rewritten.write_text(json.dumps(itf_py.trace_to_json(itf_py.trace_from_json(json.loads(written_file.read_text())))))
    assert read_itf(json.loads(rewritten.read_text())).trace == read_itf(json.loads(written_file.read_text())).trace
    code, _, err = run("replay", str(rewritten))
    assert code == 0, err


def test_a_trace_file_of_format_version_1_still_replays() -> None:
    doc = json.loads(OLD_FORMAT.read_text())
    assert "format_version" not in doc["#meta"]["leasecheck"] and "params" not in doc
    assert doc["states"][-1]["st"] == doc["states"][doc["loop"]]["st"]  # the loop's first state repeated
    code, out, err = run("replay", str(OLD_FORMAT), "--format", "text")
    assert code == 0, err
    assert "15 steps replay in the model" in out and "format version 1" in out
    assert "loop: steps 13 to 15 repeat forever" in out
    old = read_itf(doc)
    assert old.format_version == 1
    # it reads into the same trace as the same steps written in today's format
    new = read_itf(json.loads(json.dumps(itf_document(dhcp_system(old.config), old.config, old.trace, prop="recovery"))))
    assert new.format_version == 2
    assert (old.config, old.trace.steps, old.trace.loop_start) == (new.config, new.trace.steps, new.trace.loop_start)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["#meta"]["leasecheck"].__setitem__("format_version", 3), "the format version is 3"),
        (lambda d: d["#meta"]["leasecheck"].__setitem__("format_version", True), "the format version is true"),
        (lambda d: d.__setitem__("params", ["clients"]), "\"params\" must list the configuration's fields"),
        (lambda d: d["states"][2].__setitem__("deletes", 2), "state 2, deletes: the parameter is 1"),
        (lambda d: d["states"][2].__setitem__("restart", 0), "state 2, restart: the parameter is false"),
        (lambda d: d["states"][4].pop("variant"), "state 4 lacks the parameters variant"),
        (lambda d: d["#meta"]["varTypes"].__setitem__("st", "Seq(Int)"), "varTypes must give the types"),
        (lambda d: d["#meta"].pop("varTypes"), "varTypes must give the types"),
        (lambda d: d["states"][3].__setitem__("to_srv", ["REQUEST(SELECTING,0)"]),
         "state 3, to_srv[0]: \"REQUEST(SELECTING,0)\" is not a value"),
        (lambda d: d["states"][3].__setitem__("addr", ["none"]), "state 3, addr[0]: \"none\" is not a value"),
        (lambda d: d["states"][3].__setitem__("addr", [0]), "state 3, addr[0]: 0 is not a value"),
        (lambda d: d["states"][3]["to_srv"][0]["value"].__setitem__("kind", "DOZING"), "state 3, to_srv[0]"),
        (lambda d: d["states"][3]["to_srv"][0].__setitem__("extra", 1), "state 3, to_srv[0]"),
        (lambda d: d["states"][3]["db"][0].__setitem__("tag", "LEASED"), "state 3, db[0]"),
        (lambda d: d["#meta"]["leasecheck"]["loop_action"].__setitem__("name", "Sleep"),
         "loop_action: the model has no action \"Sleep\""),
        (lambda d: d["#meta"]["leasecheck"].pop("loop_action"), "\"loop_action\" belongs to a trace"),
    ],
)
def test_entries_of_format_version_2_are_checked(written: Path, change, message: str) -> None:
    assert message in _refused(_edit(written, change))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.__setitem__("params", []), "the trace: unknown entry \"params\""),
        (lambda d: d["#meta"].__setitem__("varTypes", {}), "\"#meta\": unknown entry \"varTypes\""),
        (lambda d: d["#meta"]["leasecheck"].__setitem__("loop_action", None), "unknown entry \"loop_action\""),
        (lambda d: d["states"][3].__setitem__("to_srv", [{"tag": "NONE", "value": {}}]), "state 3, to_srv[0]"),
    ],
)
def test_a_version_1_file_with_entries_of_version_2_is_refused(tmp_path: Path, change, message: str) -> None:
    assert message in _refused(_edit(OLD_FORMAT, change, tmp_path))
