"""The all-sizes table of the server design space (``leasecheck prove --policies``, docs/policies.md
"For every network"): a cell the fixed-size sweeps show violated fails at its smallest network
without a proof, any other is proved with a limit of work; every cell is recorded as it is
decided, and a run goes on from its results file. The committed table is read as an adversary's:
each "holds" names a certificate of that policy's model, each "fails" is what the committed
sweeps show, and (``pytest -m proofs``) every committed certificate is checked again."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import z3

from leasecheck import check_certificate
from leasecheck.checker.allsizes.effort import Effort, OutOfWork, WorkMeter
from leasecheck.checker.cli.main import main
from leasecheck.checker.cli.prove_table import TABLE_BUDGETS, model_fingerprint, sweep_failures
from leasecheck.model.policy import parse_policy, policy_name, policy_space

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "docs" / "policies"
TABLE = POLICIES / "allsizes.jsonl"
SWEEPS = [POLICIES / "sweep-1x1-2x2.jsonl", POLICIES / "sweep-3x3.jsonl"]
#: a small sweep's worth of records: nt35 at 1x1 with one delete, where the KB's deadlock shows
SMALL_SWEEP = ['{"leasecheck": "sweep results", "format": 1, "version": "%s"}',
               '{"key": "nt35|1x1|D1L0R0|no-restart|full", "status": "done", "point": {"policy": "nt35", '
               '"clients": 1, "addresses": 1, "deletes": 1, "losses": 0, "reboots": 0, "restart": false, '
               '"symmetry": false}, "verdicts": {"recovery": "violated", "recoverable": "violated", '
               '"no_duplicate_address": "holds", "single_binding": "holds"}}']


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def _small_sweep(tmp_path: Path) -> Path:
    from leasecheck.version import __version__

    path = tmp_path / "sweep.jsonl"
    path.write_text("\n".join([SMALL_SWEEP[0] % __version__, SMALL_SWEEP[1]]) + "\n")
    return path


def test_a_cell_the_sweep_shows_violated_fails_at_its_smallest_network_without_a_proof(tmp_path):
    results = tmp_path / "table.jsonl"
    t0 = time.monotonic()
    status, out, err = _run("prove", "--policies", "nt35", "--property", "recovery", "--results", str(results),
                            "--sweep-results", str(_small_sweep(tmp_path)))
    assert time.monotonic() - t0 < 30  # no proof was attempted: the records decide it
    assert status == 0, err
    [record] = _records(results)
    assert record["verdict"] == "fails" and record["size"] == "1x1" and record["how"] == "fixed-size sweep"
    assert record["command"] == "leasecheck check --variant nt35 --clients 1 --addresses 1 --deletes 1 --property recovery"
    assert "fails 1x1" in out and "1 taken from fixed-size sweeps, 0 to prove" in err
    # the command it names prints the KB's lasso: the deadlock, exit status 1
    status, out, _ = _run(*record["command"].split()[1:])
    assert status == 1 and "violated" in out


def test_a_rerun_proves_nothing_decided_and_no_run_only_reads(tmp_path):
    results = tmp_path / "table.jsonl"
    sweep = _small_sweep(tmp_path)
    _run("prove", "--policies", "nt35", "--property", "recovery", "--results", str(results), "--sweep-results", str(sweep))
    before = results.read_text()
    status, _, err = _run("prove", "--policies", "nt35", "--property", "recovery", "--results", str(results),
                          "--sweep-results", str(sweep))
    assert status == 0 and results.read_text() == before and "1 of 1 cells decided" in err
    status, out, _ = _run("prove", "--policies", "nt35;nt40", "--property", "recovery", "--results", str(results),
                          "--no-run", "--picture", str(tmp_path / "t.png"))
    assert status == 3 and results.read_text() == before  # nt40's cell is not decided, and is not proved
    assert re.search(r"nt40\s+-", out) and (tmp_path / "t.png").stat().st_size > 0


def test_a_record_cut_short_by_an_interruption_is_dropped_and_the_cell_decided_again(tmp_path):
    results = tmp_path / "table.jsonl"
    sweep = _small_sweep(tmp_path)
    _run("prove", "--policies", "nt35", "--property", "recovery", "--results", str(results), "--sweep-results", str(sweep))
    whole = results.read_text()
    results.write_text(whole[:-20])
    status, _, _ = _run("prove", "--policies", "nt35", "--property", "recovery", "--results", str(results),
                        "--sweep-results", str(sweep))
    assert status == 0 and results.read_text() == whole


def test_a_signal_during_a_cell_leaves_that_cell_unrecorded_even_if_the_proof_went_on(tmp_path, monkeypatch):
    """The explicit engine takes Ctrl-C as "stop exploring here": a proof may go on with less than
    its limits give, so the cell a signal came in is never recorded, and the run says interrupted."""
    import os
    import signal

    import leasecheck.checker.cli.prove_table as table

    def proof_that_swallows_the_signal(policy, prop, *args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        return {"key": table.cell_key(policy, prop), "status": "done", "policy": policy, "property": prop,
                "verdict": "holds", "how": "prover", "fingerprint": "x", "deletes": 0}

    monkeypatch.setattr(table, "decide_cell", proof_that_swallows_the_signal)
    results = tmp_path / "table.jsonl"
    status, _, err = _run("prove", "--policies", "nt40", "--property", "single_binding", "--results", str(results))
    assert status == 130 and "not recorded" in err
    assert _records(results) == []


def test_a_policy_whose_model_is_one_proved_before_shares_that_proof_and_says_whose(tmp_path):
    import leasecheck.checker.cli.prove_table as table

    fp = model_fingerprint("nt40", "single_binding")
    earlier = {"policy": "renewing=nak,rebinding=nak,rebooting=nak,delete=clear-record", "verdict": "holds",
               "reason": "an inductive invariant, re-checked by a fresh solver", "certificate": "c.smt2",
               "work_limit": 5}
    run = table.TableRun(("nt40",), ("single_binding",), tmp_path / "t.jsonl", None, (), {"single_binding": 5}, 1.0)
    record = table.decide_cell("nt40", "single_binding", run, {f"single_binding|{fp}": earlier}, print)
    assert record["how"] == "shared" and record["shares"] == earlier["policy"] and record["verdict"] == "holds"
    assert record["certificate"] == "c.smt2" and record["fingerprint"] == fp


def test_the_models_of_the_54_policies_differ_for_every_column():
    """Why no proof is shared today: even with no delete, a policy that keeps the record is traced
    with its check of a stale record, so the 54 first-order models differ (docs/policies.md)."""
    for prop in TABLE_BUDGETS:
        assert len({model_fingerprint(policy_name(p), prop) for p in policy_space()}) == 54


@pytest.mark.parametrize("argv, message", [
    (["--policies", "all", "--variant", "nt40"], "--variant do not go with --policies"),
    (["--policies", "all", "--deletes", "0"], "--deletes do not go with --policies"),
    (["--policies", "all"], "--policies needs --results"),
    (["--policies", "all", "--results", "x.jsonl", "--format", "json"], "--format json do not go with --policies"),
    (["--policies", "all", "--property", "recoverable", "--results", "x.jsonl"], "unknown property"),
    (["--policies", "renewing=maybe", "--results", "x.jsonl"], "the policy leaves out"),
    (["--variant", "nt40", "--property", "recovery", "--results", "x.jsonl"], "--results go with --policies"),
    (["--variant", "nt40"], "--property is required"),
])
def test_the_table_refuses_what_does_not_go_with_it_in_one_line(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, _, err = _run("prove", *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_no_run_of_a_missing_results_file_is_a_user_error(tmp_path):
    status, _, err = _run("prove", "--policies", "named", "--results", str(tmp_path / "none.jsonl"), "--no-run")
    assert status == 2 and "does not exist" in err and not (tmp_path / "none.jsonl").exists()


def test_a_runs_limit_of_work_stops_it_at_the_next_query_whatever_the_clock():
    meter = WorkMeter(limit=1)
    effort = Effort(meter=meter)
    ctx = z3.Context()
    s = effort.solver(ctx)
    x = z3.Int("x", ctx)
    s.add(x * x == 49, x > 0)
    assert effort.check(s, "a first question") == z3.sat and meter.spent > 0 and meter.queries == 1
    with pytest.raises(OutOfWork, match="limit of work"):
        effort.check(s, "a second question")
    assert meter.exhausted and meter.queries == 1


@pytest.mark.proofs
def test_a_cell_that_holds_is_proved_with_its_certificate_and_one_that_fails_is_taken_from_the_sweep(tmp_path):
    """single_binding of nt40 with no delete is proved in about 5 s of CPU (measured under load)."""
    results, certs = tmp_path / "table.jsonl", tmp_path / "certs"
    status, out, err = _run("prove", "--policies", "nt35;nt40", "--property", "single_binding,recovery",
                            "--results", str(results), "--certificates", str(certs),
                            "--sweep-results", str(_small_sweep(tmp_path)), "--work", "10000000")
    cells = {(r["policy"], r["property"]): r for r in _records(results)}
    assert cells["nt35", "recovery"]["verdict"] == "fails"
    assert cells["nt40", "single_binding"]["verdict"] == "holds"
    assert check_certificate(tmp_path / cells["nt40", "single_binding"]["certificate"]).valid
    # nt40's recovery needs far more work than 10 million units: unknown, at the limit, never holds
    assert cells["nt40", "recovery"]["verdict"] == "unknown" and cells["nt40", "recovery"]["stopped_by"] == "work"
    assert status == 3


# The committed table, read as an adversary's.

def _committed() -> list[dict]:
    return _records(TABLE) if TABLE.exists() else []


def test_the_committed_table_has_one_record_a_cell_of_the_54_policies():
    records = _committed()
    assert records, "docs/policies/allsizes.jsonl is missing"
    names = {policy_name(p) for p in policy_space()}
    keys = [r["key"] for r in records if r["status"] == "done"]
    assert len(keys) == len(set(keys))
    for r in records:
        assert r["policy"] in names and r["property"] in TABLE_BUDGETS and r["deletes"] == TABLE_BUDGETS[r["property"]]
        assert r["verdict"] in ("holds", "fails", "unknown")


def _header(text: str) -> dict:
    match = re.search(r"\(set-info :leasecheck-certificate \|(.*)\|\)", text)
    assert match, "no leasecheck header"
    return json.loads(match.group(1))


def test_each_committed_holds_names_a_certificate_of_that_policys_model():
    held = [r for r in _committed() if r["verdict"] == "holds"]
    for r in held:
        header = _header((TABLE.parent / r["certificate"]).read_text())
        assert header["model"] == model_fingerprint(r["policy"], r["property"]) == r["fingerprint"], r["key"]
        assert header["property"] == r["property"] and header["config"]["deletes"] == r["deletes"]
        assert parse_policy(header["config"]["variant"]) == parse_policy(r.get("shares", r["policy"]))


def test_each_committed_fails_is_what_the_committed_sweeps_show():
    shown = sweep_failures(SWEEPS)
    records = {r["key"]: r for r in _committed() if r["status"] == "done"}
    for key, r in records.items():
        if r["verdict"] == "fails" and r["how"] == "fixed-size sweep":
            assert f"{shown[key]['clients']}x{shown[key]['addresses']}" == r["size"], key
        if r["verdict"] == "fails" and r["how"] == "prover":  # beyond the sweeps: none of them shows it
            assert key not in shown, key
    for key in shown:  # a violation the sweeps show is never a holds or an unknown
        assert key not in records or records[key]["verdict"] == "fails", key


def _proved() -> list[Any]:
    """Every committed certificate, each with its tier: single_binding's (a few seconds each) in
    ``proofs``; recovery's and no_duplicate_address's (one to three minutes of CPU each with both
    solvers, about half an hour in all; the proofs tier checks NT 4.0's of both kinds) in ``long``."""
    return [pytest.param(r, marks=pytest.mark.proofs if r["property"] == "single_binding" else pytest.mark.long,
                         id=r["key"])
            for r in _committed() if r["verdict"] == "holds" and r["how"] == "prover"]


@pytest.mark.parametrize("record", _proved())
def test_each_committed_certificate_is_valid(record):
    result = check_certificate(TABLE.parent / record["certificate"])
    assert result.valid, result.failed("sat") + result.failed("unknown")
