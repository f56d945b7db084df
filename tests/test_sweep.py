"""Soundness sweep: every property, every variant, every small configuration, against SEMANTICS.md.

Configurations: 1 or 2 clients, 1 or 2 addresses, every budget (deletes, losses, reboots) in 0..1,
restart on and off, all five variants. Each verdict is compared with SEMANTICS.md section 6's
expectation where that table states one; every trace was already replayed by the engine.
"""

from __future__ import annotations

import itertools

import pytest

from checker.run import explicit_report
from model.dhcp import Config
from model.values import VARIANTS
from properties.dhcp import PROPERTY_NAMES
from properties.spec import Verdict

H, X = Verdict.HOLDS, Verdict.VIOLATED


def sweep_configs() -> list[Config]:
    return [
        Config(C, A, v, D, L, R, restart)
        for C, A in ((1, 1), (1, 2), (2, 1), (2, 2))
        for D, L, R in itertools.product((0, 1), repeat=3)
        for restart in (False, True)
        for v in VARIANTS
    ]


def expected(name: str, cfg: Config) -> Verdict | None:
    """SEMANTICS.md section 6, row by row; None where the table says nothing for ``cfg``."""
    nt35, D = cfg.variant == "nt35", cfg.deletes
    if name == "recovery":
        if nt35 and D >= 1:
            return X
        # every variant recovers once deletes are spent, given an address for every client
        return H if cfg.addresses >= cfg.clients else None
    if name == "recoverable":
        return X if nt35 and D >= 1 and not cfg.restart else (H if nt35 or cfg.addresses >= cfg.clients else None)
    if name == "no_duplicate_address":
        return H if D == 0 or cfg.clients == 1 else X
    if name == "single_binding":
        return H
    if nt35 and D >= 1 and name in ("kb_symptom", "kb_stuck_after_expiry"):
        return H
    if nt35 and D >= 1 and name == "kb_release_workaround":
        # DHCPRELEASE is never acknowledged (RFC 2131 4.4.6): when it is lost, the stale record
        # stays and the deadlock returns. SEMANTICS.md states the claim for a lossless network.
        # With fewer addresses than clients another client may take the released address.
        if cfg.addresses < cfg.clients:
            return None
        return H if cfg.losses == 0 else X
    if nt35 and D >= 1 and cfg.restart and name == "kb_restart_workaround":
        return H if cfg.addresses >= cfg.clients else None
    return None


def _names(cfg: Config) -> list[str]:
    return [n for n in PROPERTY_NAMES if n != "kb_restart_workaround" or cfg.restart]


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1, 1), (1, 2), (2, 1), (2, 2)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_explicit_engine_meets_semantics_everywhere(size):
    checked = 0
    for cfg in sweep_configs():
        if (cfg.clients, cfg.addresses) != size:
            continue
        report, _ = explicit_report(cfg, _names(cfg))
        assert report.stats.complete
        for r in report.results:
            want = expected(r.property, cfg)
            if want is not None:
                assert r.verdict is want, (cfg.describe(), r.property, r.client, r.reason)
                checked += 1
    assert checked > 100


def _verdicts(report) -> dict[tuple[str, int | None], Verdict]:
    return {(r.property, r.client): r.verdict for r in report.results}


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1, 1), (1, 2), (2, 1), (2, 2)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_explorers_and_symmetry_agree_everywhere(size):
    from checker.explorers import check_report

    compared = 0
    for cfg in sweep_configs():
        if (cfg.clients, cfg.addresses) != size:
            continue
        names = _names(cfg)
        scalar, _ = check_report(cfg, names, explorer="scalar")
        vector, vgraph = check_report(cfg, names, explorer="vector")
        reduced, _ = check_report(cfg, names, explorer="vector", symmetry=True)
        assert scalar.stats.states == vector.stats.states == len(vgraph.states)
        assert _verdicts(vector) == _verdicts(scalar), cfg.describe()
        full = _verdicts(scalar)
        for (name, client), verdict in _verdicts(reduced).items():
            assert client in (0, None)
            assert verdict is full[(name, client)], (cfg.describe(), name)
            compared += 1
    assert compared > 100
