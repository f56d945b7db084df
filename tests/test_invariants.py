"""Facts about every reachable state that explanations elsewhere rely on."""

from __future__ import annotations

import pytest

from leasecheck.checker.explicit.decide import decide
from leasecheck.model.dhcp import Config, waiting
from leasecheck.model.lang import any_, predicate
from leasecheck.model.values import Ack
from leasecheck.properties.spec import Invariant, Verdict

from .conftest import analysis


@pytest.mark.parametrize(
    "cfg",
    [Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=1, restart=True), Config(clients=2, addresses=3, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), Config(clients=1, addresses=3, variant="authoritative", deletes=2, losses=2, reboots=2)],
    ids=str,
)
def test_an_ack_to_a_waiting_client_carries_its_address(cfg):
    an = analysis(cfg)
    variables = an.graph.system.variables
    for c in range(cfg.clients):
        good = predicate(variables, lambda s, c=c: ~waiting(s, c) | ~any_(
            (s.to_cli[c] == Ack(a)) & (s.addr[c] != a) for a in range(cfg.addresses)))
        result = decide(an, Invariant("ack_matches_address", c, "an ACK in flight names the client's address", good))
        assert result.verdict is Verdict.HOLDS, result.reason
