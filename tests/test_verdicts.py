"""docs/model.md section 7: every property gets its expected verdict, per variant, at 1x1 and 2x2."""

from __future__ import annotations

import pytest

from leasecheck.checker.claims import check_claims
from leasecheck.checker.explicit.decide import decide
from leasecheck.model.dhcp import Config
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import Verdict

from .conftest import analysis

HOLDS, VIOLATED = Verdict.HOLDS, Verdict.VIOLATED
SIZES = [(1, 1), (2, 2)]


def verdicts(cfg: Config, name: str) -> list[Verdict]:
    an = analysis(cfg)
    return [decide(an, p).verdict for p in dhcp_properties(an.graph.system, cfg, [name])]


@pytest.mark.parametrize("C, A", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_recovery_fails_only_for_nt35_after_a_delete(variant, C, A):
    expected = VIOLATED if variant == "nt35" else HOLDS
    assert verdicts(Config(clients=C, addresses=A, variant=variant, deletes=1), "recovery") == [expected] * C


@pytest.mark.parametrize("C, A", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_recovery_holds_for_every_variant_without_deletes(variant, C, A):
    assert verdicts(Config(clients=C, addresses=A, variant=variant, deletes=0), "recovery") == [HOLDS] * C


@pytest.mark.parametrize("C, A", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_recoverable_fails_only_for_nt35_without_restart(variant, C, A):
    expected = VIOLATED if variant == "nt35" else HOLDS
    assert verdicts(Config(clients=C, addresses=A, variant=variant), "recoverable") == [expected] * C


@pytest.mark.parametrize("C, A", SIZES)
def test_a_service_restart_makes_nt35_recoverable(C, A):
    assert verdicts(Config(clients=C, addresses=A, variant="nt35", restart=True), "recoverable") == [HOLDS] * C


@pytest.mark.parametrize("C, A", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_duplicate_addresses_need_a_delete_and_two_clients(variant, C, A):
    assert verdicts(Config(clients=C, addresses=A, variant=variant, deletes=0), "no_duplicate_address") == [HOLDS]
    expected = VIOLATED if C >= 2 else HOLDS
    assert verdicts(Config(clients=C, addresses=A, variant=variant, deletes=1), "no_duplicate_address") == [expected]


@pytest.mark.parametrize("C, A", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_single_binding_holds(variant, C, A):
    assert verdicts(Config(clients=C, addresses=A, variant=variant, deletes=1, losses=1, reboots=1, restart=True), "single_binding") == [HOLDS]


@pytest.mark.parametrize("C, A", SIZES)
def test_kb_claims_about_nt35(C, A):
    cfg = Config(clients=C, addresses=A, variant="nt35")
    assert verdicts(cfg, "kb_symptom") == [HOLDS] * C
    assert verdicts(cfg, "kb_release_workaround") == [HOLDS] * C
    assert verdicts(cfg, "kb_stuck_after_expiry") == [HOLDS] * C
    assert verdicts(Config(clients=C, addresses=A, variant="nt35", restart=True), "kb_restart_workaround") == [HOLDS] * C


def test_the_kb_symptom_needs_a_silent_server():
    # NT 4.0 answers the renewal with a NAK, so without message loss the error never shows
    assert verdicts(Config(clients=1, addresses=1, variant="nt40"), "kb_symptom") == [VIOLATED]
    # ... but a lost renewal shows the same message on any server
    assert verdicts(Config(clients=1, addresses=1, variant="nt40", losses=1), "kb_symptom") == [HOLDS]


def test_release_works_around_the_deadlock_once_the_deletes_are_spent():
    # The claim speaks of the states after the last delete: with two deletes a release
    # between them can be undone by the second, but after both it always recovers.
    assert verdicts(Config(clients=1, addresses=1, variant="nt35", deletes=2), "kb_release_workaround") == [HOLDS]
    assert verdicts(Config(clients=1, addresses=1, variant="nt35", deletes=2), "recovery") == [VIOLATED]


def test_the_claims_catalogue_is_all_as_expected():
    report = check_claims()
    assert report.results, "the catalogue is empty"
    wrong = [r for r in report.results if not r.ok]
    assert not wrong, [(r.claim.property, r.claim.config, r.computed) for r in wrong]


def test_the_release_workaround_needs_the_release_to_arrive():
    # DHCPRELEASE is never acknowledged (RFC 2131 4.4.6). If it is lost, NT 3.5 keeps its stale
    # record and the client deadlocks again: the KB's workaround holds on a lossless network only.
    cfg = Config(clients=1, addresses=1, variant="nt35", deletes=1, losses=1)
    an = analysis(cfg)
    (prop,) = dhcp_properties(an.graph.system, cfg, ["kb_release_workaround"])
    result = decide(an, prop)
    assert result.verdict is VIOLATED
    actions = [s.action for s in result.trace.steps]
    release = actions.index("Release")
    assert actions[release + 1:].count("LoseToServer") == 1
    assert "ServeRelease" not in actions[release + 1:]
    assert result.trace.is_lasso
