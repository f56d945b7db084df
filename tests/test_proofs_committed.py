"""The longer all-sizes proofs are committed (tests/data/proofs/) and re-checked by a fresh solver in
seconds; ``pytest -m proofs`` checks the certificate committed beside each with the certificate
kernel, and ``pytest -m long`` learns them again from scratch (``leasecheck prove``, as a user runs
it), compares, and checks the certificate it writes.

A committed proof is the text of each clause of its invariant, as ``leasecheck prove --format
json`` writes it, and is read as if an adversary wrote it: the texts only choose clauses from the
candidates that the prover itself builds for the current model (the same networks, the same
learning), every text must name one of them, and the chosen clauses must pass the prover's
re-check (initiation, consecution for every command, the property) against today's model. A
text that names no candidate, or an invariant that no longer holds, is refused.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from functools import cache
from pathlib import Path

import pytest

from leasecheck import check_certificate
from leasecheck.checker.allsizes import safety
from leasecheck.checker.allsizes.fo import first_order_system
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.learn import Clause, StateMatrix
from leasecheck.checker.cli.main import main
from leasecheck.checker.cli.prove import _learning_networks
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE

PROOFS = Path(__file__).resolve().parent / "data" / "proofs"
#: the committed all-sizes certificates, named as the proofs are (tests/test_certificates_allsizes.py)
CERTIFICATES = Path(__file__).resolve().parent / "data" / "certificates"
COMMITTED = sorted(PROOFS.glob("*.json"))


def _config(doc: dict) -> Config:
    b = doc["budgets"]
    return Config(variant=doc["variant"], deletes=b["deletes"], losses=b["losses"], reboots=b["reboots"],
                  restart=doc["restart"])


@cache
def candidates(cfg: Config) -> list[Clause]:
    """The candidate clauses the prover learns for ``cfg`` (checker/cli/prove.py, without --any-budget);
    built once per configuration, as both re-checks of the proofs tier read them."""
    fs = first_order_system(SIDE, cfg)
    samples = []
    for c, a, budgets in _learning_networks(cfg, False):
        net = dataclasses.replace(cfg, clients=c, addresses=a, deletes=budgets[0], losses=budgets[1],
                                  reboots=budgets[2], restart=budgets[3])
        graph = explore(dhcp_system(net), Limits(max_states=2_000_000))
        assert graph.complete, net.describe()
        samples.append(StateMatrix(FiniteReading(first_order_system(SIDE, net), c, a), list(graph.states)))
    return safety.learn_pool(fs, samples)


def recheck(doc: dict) -> tuple[bool, str]:
    """Whether the committed invariant of ``doc`` proves its property of today's model, and why not."""
    cfg = _config(doc)
    by_text: dict[str, list[Clause]] = {}
    for clause in candidates(cfg):
        by_text.setdefault(clause.text(), []).append(clause)
    unknown = [text for text in doc["invariant"] if text not in by_text]
    if unknown:
        return False, f"names no candidate clause: {unknown[0]!r}"
    chosen = [clause for text in doc["invariant"] for clause in by_text[text]]
    fs = first_order_system(SIDE, cfg)
    ok, why = safety.recheck(fs, fs.invariant(doc["property"]), chosen)
    return ok, why


@pytest.mark.slow
@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_a_committed_proof_rechecks_against_the_model(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert len(doc["invariant"]) > 50  # the property alone is not inductive (tests/test_allsizes_prove.py)
    assert recheck(doc) == (True, "")


def test_a_committed_proof_without_a_needed_clause_or_with_a_foreign_one_is_refused() -> None:
    doc = json.loads(COMMITTED[0].read_text())
    foreign = {**doc, "invariant": [*doc["invariant"], "for every client c: st[c] = BOUND"]}
    assert recheck(foreign) == (False, "names no candidate clause: 'for every client c: st[c] = BOUND'")
    ok, _ = recheck({**doc, "invariant": doc["invariant"][:5]})
    assert not ok


@pytest.mark.proofs
@pytest.mark.slow(first=True)  # every obligation asked of both solvers: most of a minute, started at once
@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_the_committed_certificate_of_a_committed_proof_is_valid_with_both_solvers(path: Path) -> None:
    """The certificate committed beside the proof is checked whole by the kernel: it traces the model
    again and asks Z3 and cvc5 every obligation it writes itself (learning the proof again, which
    writes the same claim, is the ``long`` tier's, below)."""
    result = check_certificate(CERTIFICATES / f"{path.stem}.smt2")
    assert result.valid and len(result.obligations) > 100, result.failed("sat") + result.failed("unknown")
    assert result.solvers == ("z3", "cvc5")
    assert result.header.property == json.loads(path.read_text())["property"]  # type: ignore[union-attr]


@pytest.mark.long  # learning the proof again from scratch: four to five minutes of CPU
@pytest.mark.slow(first=True)
@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_the_proof_learned_again_agrees_with_the_committed_one_and_its_certificate_is_valid(
        path: Path, tmp_path: Path) -> None:
    """Proved again from scratch, the property holds for every size, re-checked, as committed. The
    clauses learned may differ from the committed ones (an earlier search may have taken another
    path), so both invariants must pass the same re-check against today's model. The certificate
    the proof writes is valid: the kernel traces the model again and discharges every obligation
    it writes itself with Z3 and cvc5."""
    doc = json.loads(path.read_text())
    b = doc["budgets"]
    cert = tmp_path / "proof.smt2"
    argv = ["prove", "--variant", doc["variant"], "--property", doc["property"], "--deletes", str(b["deletes"]),
            "--losses", str(b["losses"]), "--reboots", str(b["reboots"]), *(["--restart"] if doc["restart"] else []),
            "--format", "json", "--certificate", str(cert), "--timeout", "1800"]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    run = json.loads(out.getvalue())
    assert code == 0 and run["verdict"] == "holds" and run["sizes"] == "all" and run["rechecked"], run["reason"]
    assert len(run["invariant"]) > 50  # the property alone is not inductive (tests/test_allsizes_prove.py)
    assert recheck({**doc, "invariant": list(run["invariant"])}) == (True, "")
    assert recheck(doc) == (True, "")
    result = check_certificate(cert)
    assert result.valid and len(result.obligations) > 100 and result.solvers == ("z3", "cvc5")
    # the committed certificate of the same claim is what the proof writes today: the same header
    # (model fingerprint, configuration, claim), and either the same text, so that the check above
    # is its check too, or another invariant that must be valid with both solvers as well
    committed = CERTIFICATES / f"{path.stem}.smt2"
    if committed.exists():
        assert _header(cert.read_text()) == _header(committed.read_text())
        if cert.read_text() != committed.read_text():
            again = check_certificate(committed)
            assert again.valid and again.solvers == ("z3", "cvc5"), again.failed("sat") + again.failed("unknown")


def _header(text: str) -> dict:
    """The JSON header of an all-sizes certificate."""
    match = re.search(r"\(set-info :leasecheck-certificate \|(.*)\|\)", text)
    assert match, "no leasecheck header"
    return json.loads(match.group(1))
