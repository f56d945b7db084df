"""docs/model.md section 8: the reachable state counts a correct model reproduces exactly."""

from __future__ import annotations

import pytest

from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system

REFERENCE = [
    # clients, addresses, deletes, losses, reboots, variant, restart, states
    (1, 1, 1, 0, 0, "nt35", False, 65),
    (1, 1, 1, 0, 0, "nt40", False, 55),
    (1, 1, 1, 0, 0, "rfc2131", False, 58),
    (1, 1, 1, 0, 0, "authoritative", False, 46),
    (2, 2, 1, 0, 0, "nt35", False, 5_288),
    (2, 2, 1, 0, 0, "nt40", False, 4_084),
    (2, 2, 1, 0, 0, "rfc2131", False, 5_968),
    (2, 2, 1, 0, 0, "nt35", True, 10_616),
    (2, 2, 1, 1, 1, "nt40", True, 66_436),
]


@pytest.mark.parametrize("C, A, D, L, R, variant, restart, states", REFERENCE)
def test_reachable_state_count_matches_the_reference(C, A, D, L, R, variant, restart, states):
    graph = explore(dhcp_system(Config(clients=C, addresses=A, variant=variant, deletes=D, losses=L, reboots=R, restart=restart)))
    assert graph.complete
    assert len(graph.states) == states


@pytest.mark.sweep  # 441,151 states through the scalar explorer: the README's test command counts them with the vector explorer (tests/test_vector.py) and the compiled one (tests/test_compiled.py)
@pytest.mark.slow
def test_three_clients_three_addresses_nt40():
    graph = explore(dhcp_system(Config(clients=3, addresses=3, variant="nt40", deletes=1)))
    assert len(graph.states) == 441_151


@pytest.mark.parametrize("variant", ["nt35", "nt40", "rfc2131", "dnsmasq", "authoritative"])
def test_no_reachable_state_is_a_deadlock(variant):
    graph = explore(dhcp_system(Config(clients=2, addresses=2, variant=variant, deletes=1, losses=1, reboots=1, restart=True)))
    assert all(graph.offsets[i] < graph.offsets[i + 1] for i in range(graph.expanded))
