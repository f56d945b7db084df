"""The reality matrix without daemons: scenarios as data, the resumable results file,
an unavailable cell reported with its reason, and the three outputs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform import matrix as M
from leasecheck.checker.conform.matrix_render import label, matrix_markdown, write_outputs
from leasecheck.checker.conform.runner import RunResult, Scenario, _Cell
from leasecheck.checker.conform.scenarios import OPERATIONS, SCENARIO_NAMES, SCENARIOS, scenario
from leasecheck.model.dhcp import CLIENT_NAK_MODES

DATA = Path(__file__).parent / "data"


def test_every_scenario_step_is_an_operation_of_the_runner() -> None:
    for s in SCENARIOS:
        assert s.steps and all(step in OPERATIONS for step in s.steps)
        for step in s.steps:
            assert callable(getattr(_Cell, "op_" + step.replace("-", "_")))
        assert s.model_actions, s.name
    assert set(OPERATIONS) == {step for s in SCENARIOS for step in s.steps}
    assert len(SCENARIO_NAMES) == len(set(SCENARIO_NAMES)) == 5


def test_a_scenario_with_an_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown harness operations"):
        M.MatrixScenario("x", "x", ("AdminDelete",), ("delete", "teleport"))


def _recorded(server: str, client: str) -> RunResult:
    pcap = DATA / f"{server}-{client}.pcap"
    meta = json.loads((DATA / f"{server}-{client}.pcap.json").read_text())
    return RunResult(Scenario(server, client), pcap.read_bytes(), meta["delete_time"], meta["leased_address"],
                     meta["client_mac"], True, 4.0, (("delete", meta["delete_time"]),))


def test_run_cell_judges_the_capture_under_every_client_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "missing_prerequisites", lambda s, c: [])
    cell = M.run_cell("dnsmasq", "dhcpcd", "delete-renew", tmp_path,
                      150, runner=lambda sc: _recorded("dnsmasq", "dhcpcd"))
    assert cell.status == M.MEASURED
    assert [e.client_mode for e in cell.explanations] == list(CLIENT_NAK_MODES)
    assert cell.best() is not None and cell.best()[0] == "ignore-while-renewing"  # no loss needed
    assert "dnsmasq" in cell.explained("ignore-while-renewing")
    assert label(cell).endswith("[ignore-while-renewing]")
    ignoring = next(e for e in cell.explanations if e.client_mode == "ignore-while-renewing")
    assert "Expire" in ignoring.timer_events  # the model's consequence: recovery only at expiry
    assert (tmp_path / "dnsmasq-dhcpcd-delete-renew.pcap").exists()
    sidecar = json.loads((tmp_path / "dnsmasq-dhcpcd-delete-renew.pcap.json").read_text())
    assert sidecar["scenario"] == "delete-renew"


def test_a_cell_that_cannot_run_is_reported_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "missing_prerequisites", lambda s, c: ["missing Debian packages: apt-get install -y connman"])
    cell = M.run_cell("kea", "connman", "lost-ack", tmp_path, 150, runner=lambda sc: pytest.fail("must not run"))
    assert (cell.status, cell.reason) == (M.UNAVAILABLE, "missing Debian packages: apt-get install -y connman")


def test_the_matrix_resumes_from_its_results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "missing_prerequisites", lambda s, c: [])
    runs: list[tuple[str, str, str]] = []

    def runner(sc: Scenario) -> RunResult:
        runs.append((sc.server, sc.client, sc.name))
        return _recorded("dnsmasq", "udhcpc")

    cells = [("dnsmasq", "udhcpc", "delete-renew"), ("dnsmasq", "udhcpc", "reboot-after-delete")]
    results = tmp_path / "results.jsonl"
    lines: list[str] = []
    first = M.run_matrix(cells[:1], results, tmp_path / "captures", 150, lines.append, runner)
    assert [c.key for c in first] == cells[:1] and runs == cells[:1]
    both = M.run_matrix(cells, results, tmp_path / "captures", 150, lines.append, runner)
    assert runs == cells  # the first cell was not run again
    assert [c.key for c in both] == cells
    assert any("1 of 2 cells already in" in line for line in lines)
    assert len(results.read_text().splitlines()) == 2
    assert M.read_results(results) == both  # a cell survives the round trip through its JSON line


def test_a_results_file_that_is_not_cells_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "results.jsonl"
    bad.write_text('{"server": "dnsmasq"}\n')
    with pytest.raises(M.MatrixError, match="line 1 is not a matrix cell"):
        M.read_results(bad)


def test_a_cell_that_gives_a_key_twice_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "results.jsonl"
    bad.write_text('{"server": "dnsmasq", "server": "kea"}\n')
    with pytest.raises(M.MatrixError, match="twice"):
        M.read_results(bad)


def test_the_outputs_are_json_markdown_and_a_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "missing_prerequisites", lambda s, c: [])
    measured = M.run_cell("dnsmasq", "udhcpc", "delete-renew", tmp_path, 150,
                          runner=lambda sc: _recorded("dnsmasq", "udhcpc"))
    failed = M.CellResult("kea", "udhcpc", "delete-renew", M.FAILED, "timed out waiting for udhcpc to be bound")
    paths = write_outputs([measured, failed], tmp_path / "out", {"dnsmasq": "2.90"})
    doc = json.loads(paths[0].read_text())
    assert [c["status"] for c in doc["cells"]] == ["measured", "failed"]
    assert doc["cells"][0]["label"] == "nt40, dnsmasq"
    md = paths[1].read_text()
    assert "| dnsmasq | udhcpc | nt40, dnsmasq; 4.0 s; model: T1 |" in md
    assert "**failed**: timed out waiting for udhcpc to be bound" in md
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2 cells: 1 measured, 1 failed, 0 unavailable" in matrix_markdown([measured, failed], {})


def test_scenario_option_goes_with_matrix() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["conform", "--server", "dnsmasq", "--client", "udhcpc", "--scenario", "lost-ack"], out, err) == 2
    assert "--scenario goes with --matrix" in err.getvalue()
    assert main(["conform", "--matrix", "--scenario", "nope"], out, err) == 2
    assert scenario("lost-ack").has_delete is False


def test_rejudge_derives_the_verdicts_from_the_capture_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr(M, "missing_prerequisites", lambda s, c: [])
    cell = M.run_cell("dnsmasq", "udhcpc", "delete-renew", tmp_path, 150, runner=lambda sc: _recorded("dnsmasq", "udhcpc"))
    stale = dataclasses.replace(cell, observed="?", explanations=())
    unavailable = M.CellResult("kea", "connman", "lost-ack", M.UNAVAILABLE, "no connman")
    assert M.rejudge([stale, unavailable], tmp_path) == [cell, unavailable]
    results = tmp_path / "results.jsonl"
    M.rewrite_results(results, [cell, unavailable])
    assert M.read_results(results) == [cell, unavailable]
