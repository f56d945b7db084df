"""Proofs come with certificates that a fresh solver re-checks, and broken ones are rejected.

A certificate is an inductive invariant: the initial state satisfies it, every command keeps it,
and it implies the property. The SMT-LIB 2 file the CLI saves (docs/certificates.md) passes
``leasecheck certificate check``; tests/test_certificates_tamper.py tampers with such files.
"""

from __future__ import annotations

from functools import cache

import z3

from leasecheck.checker.kernel.verdict import check_certificate_text
from leasecheck.checker.z3 import horn, pdr
from leasecheck.checker.z3.engine import Z3Options, z3_run
from leasecheck.checker.z3.translate import Translator
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.spec import Invariant, Verdict

CFG = Config(clients=2, addresses=2, variant="nt40")


@cache  # one PDR proof for the three tests below (a certificate is immutable: replace gives a new one)
def _proof() -> horn.Certificate:
    system = dhcp_system(CFG)
    (prop,) = dhcp_properties(system, CFG, ["single_binding"])
    assert isinstance(prop, Invariant)
    outcome = pdr.prove_invariant(Translator(system), prop.good, prop.statement, timeout=60)
    assert outcome.proof is not None, outcome.unknown
    return outcome.proof


def test_pdr_proves_single_binding_and_its_invariant_rechecks() -> None:
    assert horn.recheck(_proof()) is None


def test_a_corrupted_certificate_is_rejected() -> None:
    proof = _proof()
    assert horn.recheck(proof.replace(0, z3.BoolVal(True))) == "the certificate fails the clause 'safety'"
    assert horn.recheck(proof.replace(0, z3.BoolVal(False))) == "the certificate fails the clause 'initiation'"


def test_the_smtlib_certificate_answers_unsat_and_a_corrupted_one_does_not() -> None:
    text = horn.certificate_smtlib(_proof())
    assert horn.recheck_smtlib(text) is None
    head, _, rest = text.partition("(define-fun Inv ")
    signature, _, _ = rest.partition("\n")
    corrupted = head + "(define-fun Inv " + signature + "\n  true)\n" + rest[rest.index("(assert"):]
    assert horn.recheck_smtlib(corrupted) == "some clause fails under the certificate"
    assert horn.recheck_smtlib("(assert (") is not None


def test_every_proved_property_of_a_run_carries_a_rechecking_certificate() -> None:
    run = z3_run(dhcp_model(Config(clients=1, addresses=1, variant="nt40")), ["no_duplicate_address", "single_binding"], Z3Options(depth=6, timeout=60))
    assert [r.verdict for r in run.report.results] == [Verdict.HOLDS, Verdict.HOLDS]
    assert len(run.certificates) == 2
    assert all(check_certificate_text(c.smtlib, ["z3"]).valid for c in run.certificates)
