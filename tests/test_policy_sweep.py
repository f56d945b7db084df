"""`leasecheck sweep`: the policy space decided point by point, resumable, the same on every executor."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from leasecheck import check, recovery_after_delete
from leasecheck.checker.cli.main import main
from leasecheck.checker.sweep import task as task_module
from leasecheck.checker.sweep.executors import DaskExecutor, LocalExecutor, make_executor
from leasecheck.checker.sweep.grid import (
    Grid,
    Point,
    SweepError,
    grid,
    parse_policies,
    parse_range,
    parse_restart,
    parse_sizes,
)
from leasecheck.checker.sweep.store import CSV_COLUMNS, HEADER, ResultsFile, csv_text
from leasecheck.checker.sweep.sweep import run_sweep
from leasecheck.checker.sweep.task import PROPERTIES, run_point
from leasecheck.errors import ExitStatus
from leasecheck.model.dhcp import Config
from leasecheck.model.policy import ALIASES
from leasecheck.model.values import VARIANTS

SMALL = Grid(tuple(VARIANTS), ((1, 1),), deletes=(0, 1), losses=(0,), reboots=(0, 1), restart=(False,))
LIMITS: dict[str, Any] = {"timeout": None, "max_states": None, "max_memory": None}


def without_times(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in records), key=lambda r: r["key"])


def records_of(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == HEADER
    return [json.loads(line) for line in lines[1:]]


# -- the grid ---------------------------------------------------------------------------------


def test_the_grid_is_every_combination_policies_outermost():
    points = grid(SMALL)
    assert len(points) == 5 * 1 * 2 * 1 * 2 * 1
    assert [p.policy for p in points[:4]] == ["nt35"] * 4
    assert len({p.key for p in points}) == len(points)
    assert all(not p.symmetry for p in points)
    big = grid(Grid(("nt40",), ((2, 2), (3, 3)), (1,), (0,), (0,), (False,)))
    assert [p.symmetry for p in big] == [False, True]  # auto: symmetry from 3x3 on


def test_the_whole_space_is_54_policies():
    assert len(parse_policies("all")) == 54
    assert parse_policies("named") == tuple(VARIANTS)
    assert parse_policies(f"nt40; {ALIASES['nt40'].spec()}; dnsmasq") == ("nt40", "dnsmasq")


@pytest.mark.parametrize("fn, text, message", [
    (parse_sizes, "2by2", "CLIENTSxADDRESSES"),
    (parse_sizes, "0x1", "from 1 to 64"),
    (lambda t: parse_range(t, "--deletes"), "2..1", "empty range"),
    (lambda t: parse_range(t, "--deletes"), "a,b", "a range such as 0..1"),
    (lambda t: parse_range(t, "--deletes"), "0..5000", "from 0 to 1,000"),
    (parse_restart, "sometimes", "both, on or off"),
    (parse_policies, "nt31", "unknown variant 'nt31'"),
    (parse_policies, " ; ", "names no policy"),
])
def test_a_bad_grid_is_refused_in_words(fn, text, message):
    with pytest.raises(SweepError, match=message):
        fn(text)


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "2by2"], "CLIENTSxADDRESSES"),
    (["--policies", "renewing=nak"], "leaves out"),
    (["--workers", "0"], "at least 1"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler goes with --executor dask"),
    (["--picture", "map.gif"], "use a file ending in"),
    (["--timeout", "0"], "more than 0"),
])
def test_the_command_refuses_bad_options_with_one_line_and_exit_2(tmp_path, capsys, argv, message):
    code = main(["sweep", "--results", str(tmp_path / "r.jsonl"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "r.jsonl").exists()  # refused before any work


# -- one point --------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_point_has_the_verdicts_check_gives_and_the_timelines_latency(variant):
    point = Point(variant, 2, 2, 1, 0, 0, False, False)
    record = run_point(point.as_dict(), LIMITS)
    assert record["status"] == "done" and record["key"] == point.key
    run = check(Config(clients=2, addresses=2, variant=variant, deletes=1, losses=0, reboots=0, restart=False), properties=list(PROPERTIES))
    for name in PROPERTIES:
        verdicts = {r.verdict.value for r in run.report.results if r.property == name}
        expected = "violated" if "violated" in verdicts else "unknown" if "unknown" in verdicts else "holds"
        assert record["verdicts"][name] == expected
    assert record["states"] == run.report.stats.states
    assert record["latency"] == recovery_after_delete(Config(clients=2, addresses=2, variant=variant, deletes=1)).timer_events
    assert (record["latency"] is None) == (variant == "nt35")


def test_a_point_that_a_limit_cuts_short_is_unknown_never_holds():
    record = run_point(Point("nt40", 2, 2, 1, 0, 0, False, False).as_dict(), {**LIMITS, "max_states": 50})
    assert set(record["verdicts"].values()) <= {"unknown", "violated"}
    assert not record["complete"] and record["latency"] is None


def test_a_point_that_fails_is_recorded_and_the_sweep_says_so(tmp_path, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(task_module, "run_check", broken)
    record = run_point(Point("nt40", 1, 1, 0, 0, 0, False, False).as_dict(), LIMITS)
    assert record["status"] == "failed" and "RuntimeError: a bug" in record["error"]

    class InProcess:
        description = "in process"

        def run(self, tasks):
            for t in tasks:
                yield run_point(*t)

    results = ResultsFile(tmp_path / "r.jsonl")
    outcome = run_sweep(grid(SMALL)[:2], results, InProcess(), LIMITS)  # type: ignore[arg-type]
    assert outcome.exit_status == ExitStatus.INTERNAL and len(outcome.failed) == 2
    monkeypatch.undo()
    again = run_sweep(grid(SMALL)[:2], results, InProcess(), LIMITS)  # type: ignore[arg-type]
    assert again.ran == 2 and again.exit_status == ExitStatus.OK  # failed points are run again


# -- resuming ---------------------------------------------------------------------------------


def test_an_interrupted_sweep_keeps_what_it_finished_and_goes_on_from_there(tmp_path):
    points = grid(SMALL)

    class StopsAfterThree:
        description = "stops"

        def run(self, tasks):
            for n, t in enumerate(tasks):
                if n == 3:
                    raise KeyboardInterrupt
                yield run_point(*t)

    path = tmp_path / "r.jsonl"
    first = run_sweep(points, ResultsFile(path), StopsAfterThree(), LIMITS)  # type: ignore[arg-type]
    assert first.interrupted and first.exit_status == ExitStatus.INTERRUPTED and len(first.records) == 3
    assert len(records_of(path)) == 3
    with path.open("a") as f:  # a record cut short as the process was killed
        f.write('{"key": "nt40|1x1')
    second = run_sweep(points, ResultsFile(path), LocalExecutor(1), LIMITS)
    assert second.resumed == 3 and second.ran == len(points) - 3 and second.exit_status == ExitStatus.OK
    fresh = run_sweep(points, ResultsFile(tmp_path / "fresh.jsonl"), LocalExecutor(1), LIMITS)
    assert without_times(second.ordered) == without_times(fresh.ordered)
    assert len(records_of(path)) == len(points)  # the cut line is gone


def test_a_file_that_is_not_a_sweeps_is_refused(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    with pytest.raises(SweepError, match="not a leasecheck sweep results file"):
        ResultsFile(other).load()
    edited = tmp_path / "r.jsonl"
    edited.write_text(json.dumps(HEADER) + "\nnot json\n" + json.dumps({"key": "k", "status": "done"}) + "\n")
    with pytest.raises(SweepError, match="line 2 of"):
        ResultsFile(edited).load()
    assert other.read_text() == "my notes\n"


def test_a_record_that_gives_a_key_twice_is_refused(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(HEADER) + '\n{"key": "k", "status": "done", "status": "failed"}\n')
    with pytest.raises(SweepError, match="line 2 of"):
        ResultsFile(path).load()


# -- executors --------------------------------------------------------------------------------


def test_two_local_workers_give_one_workers_records(tmp_path):
    points = grid(SMALL)[:8]
    one = run_sweep(points, ResultsFile(tmp_path / "one.jsonl"), LocalExecutor(1), LIMITS)
    two = run_sweep(points, ResultsFile(tmp_path / "two.jsonl"), LocalExecutor(2), LIMITS)
    assert len(one.records) == 8
    assert without_times(one.ordered) == without_times(two.ordered)


@pytest.mark.sweep  # starting a Dask cluster takes seconds: the README's test command keeps the two local workers above
def test_a_local_dask_cluster_gives_one_workers_records(tmp_path):
    pytest.importorskip("distributed", reason="the test extra installs Dask's distributed scheduler")
    points = grid(SMALL)[:8]
    one = run_sweep(points, ResultsFile(tmp_path / "one.jsonl"), LocalExecutor(1), LIMITS)
    dask = run_sweep(points, ResultsFile(tmp_path / "dask.jsonl"), DaskExecutor(2), LIMITS)
    assert len(one.records) == 8
    assert without_times(one.ordered) == without_times(dask.ordered)
    assert dask.executor.startswith("dask")


@pytest.mark.sweep
def test_an_unreachable_scheduler_is_a_user_error(tmp_path):
    pytest.importorskip("distributed", reason="the test extra installs Dask's distributed scheduler")
    executor = dataclasses.replace(make_executor("dask", 1, "tcp://127.0.0.1:9"), connect_timeout=2.0)
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler"):
        run_sweep(grid(SMALL)[:1], ResultsFile(tmp_path / "r.jsonl"), executor, LIMITS)


# -- the command ------------------------------------------------------------------------------


def test_the_command_writes_results_csv_picture_and_json(tmp_path, capsys):
    results, table, picture = tmp_path / "r.jsonl", tmp_path / "r.csv", tmp_path / "r.png"
    argv = ["sweep", "--policies", "named", "--sizes", "1x1", "--deletes", "1", "--losses", "0", "--reboots", "0",
            "--restart", "off", "--results", str(results), "--csv", str(table), "--picture", str(picture),
            "--format", "json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sweep"]["points"] == 5 and doc["sweep"]["ran"] == 5 and doc["exit_status"] == 0
    by_policy = {p["policy"]: p for p in doc["policies"]}
    assert by_policy["nt35"]["violated"]["recovery"] == 1 and by_policy["nt40"]["holds"]["recovery"] == 1
    assert by_policy["nt40"]["latency"] == 1 and by_policy["rfc2131"]["latency"] == 3
    assert by_policy["nt35"]["latency"] is None and by_policy["nt35"]["latency_note"].startswith("never")
    rows = table.read_text().splitlines()
    assert rows[0].split(",")[: len(CSV_COLUMNS)] == list(CSV_COLUMNS) and len(rows) == 6
    assert csv_text(doc["records"]) == table.read_text()
    assert picture.read_bytes()[:4] == b"\x89PNG"
    assert main(argv[:-2]) == 0  # again: everything comes from the results file
    out = capsys.readouterr().out
    assert "5 from the results file, 0 run now" in out and "class 1:" in out


# -- docs/policies.md --------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"


def committed(name: str) -> list[dict[str, Any]]:
    return records_of(DOCS / "policies" / name)


def test_the_documented_tables_are_what_the_committed_records_give():
    from leasecheck.checker.render.sweep import class_table, classes, summarise

    text = (DOCS / "policies.md").read_text()
    shown = re.findall(r"<!-- sweep table: policies/(\S+) -->\n```\n(.*?)```", text, flags=re.S)
    assert shown
    for name, table in shown:
        assert class_table(classes(summarise(committed(name)))) + "\n" == table, name


COMMITTED = {"sweep-1x1-2x2.jsonl": 1728, "sweep-3x3.jsonl": 864}


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_the_documented_findings_hold_in_the_committed_records(name):
    from leasecheck.model.policy import parse_policy

    records = committed(name)
    assert len(records) == COMMITTED[name] and all(r["status"] == "done" and r["complete"] for r in records)
    assert len({r["key"] for r in records}) == len(records)
    for r in records:
        p, v = r["point"], r["verdicts"]
        policy = parse_policy(p["policy"])
        deadlock = policy.keeps_record and p["deletes"] >= 1
        assert (v["recovery"] == "violated") == deadlock
        assert (v["recoverable"] == "violated") == (deadlock and not p["restart"])
        assert (v["no_duplicate_address"] == "violated") == (p["clients"] >= 2 and p["deletes"] >= 1)
        assert v["single_binding"] == "holds"
        if p["clients"] == 1 and p["deletes"] == 1 and not deadlock and (p["losses"], p["reboots"]) == (0, 0):
            expected = 1 if policy.renewing != "silent" else 2 if policy.rebinding != "silent" else 3
            assert r["latency"] == expected, r["key"]


@pytest.mark.slow
def test_a_sample_of_the_committed_records_is_what_the_model_gives_today():
    """The committed records are the model's: a fixed sample is decided again and compared."""
    small = committed("sweep-1x1-2x2.jsonl")[::97]
    quick = [r for r in committed("sweep-3x3.jsonl") if r["seconds"] < 3][::40]
    sample = small + quick
    assert len(small) >= 15 and len(quick) >= 3
    again = [run_point(r["point"], LIMITS) for r in sample]
    assert without_times(again) == without_times(sample)


def test_a_results_file_of_another_version_or_cut_at_its_header_is_handled(tmp_path):
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({**HEADER, "version": "0.0.1"}) + "\n")
    with pytest.raises(SweepError, match="records of leasecheck 0.0.1"):
        ResultsFile(old).load()
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps(HEADER))  # no line end: appending must not join the first record to it
    results = ResultsFile(bare)
    assert results.load() == {}
    results.append({"key": "k", "status": "done"})
    assert list(ResultsFile(bare).load()) == ["k"]


def test_a_latency_not_measured_is_drawn_as_no_dot_never_as_never():
    from leasecheck.checker.render.sweep import draw_sweep

    whole = draw_sweep(committed("sweep-1x1-2x2.jsonl"))
    assert len(whole.axes[1].collections) == 4  # latencies 1, 2, 3 and never
    quotient = draw_sweep(committed("sweep-3x3.jsonl"))
    assert not quotient.axes[1].collections  # 3x3: not measured, so no dot at all
