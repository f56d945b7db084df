"""The traced model against an independent reading of docs/model.md, on random walks.

``tests/spec_oracle.py`` restates section 4 in plain Python over decoded states. Hypothesis
drives random walks (environment actions and message loss included); at every state the
model's transitions must be exactly the oracle's, the compiled successor function must agree
with the reference interpreter, and ``single_binding`` must hold.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck.model import interp
from leasecheck.model.compile import compile_successors
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.values import VARIANTS, Bound, Offered

from . import spec_oracle

configs = st.builds(
    Config,
    clients=st.integers(1, 3),
    addresses=st.integers(1, 3),
    variant=st.sampled_from(VARIANTS),
    deletes=st.integers(0, 2),
    losses=st.integers(0, 2),
    reboots=st.integers(0, 2),
    restart=st.booleans(),
)


def model_moves(cfg: Config, state: tuple[int, ...]) -> set[tuple[str, tuple[int, ...], tuple]]:
    system = dhcp_system(cfg)
    out = set()
    for k, nxt in interp.successors(system, state):
        cmd = system.commands[k]
        out.add((cmd.action, cmd.params, spec_oracle.freeze(system.decode(nxt))))
    return out


def single_binding(cfg: Config, decoded: dict) -> bool:
    return all(
        sum(decoded["db"][a] in (Offered(c), Bound(c)) for a in range(cfg.addresses)) <= 1
        for c in range(cfg.clients)
    )


def _test_random_walks_take_only_the_transitions_semantics_allows(cfg, choices):
    system = dhcp_system(cfg)
    compiled = compile_successors(system)
    state = system.initial
    for choice in choices:
        decoded = system.decode(state)
        assert single_binding(cfg, decoded)
        expected = spec_oracle.successors_of(decoded, cfg)
        assert model_moves(cfg, state) == expected
        assert sorted(compiled(state)) == sorted(interp.successors(system, state))
        successors = interp.successors(system, state)
        assert successors, "docs/model.md: no state of this system is a deadlock"
        state = successors[choice % len(successors)][1]


#: the README's test command takes 50 random walks, the sweep tier 150
_RANDOM_WALKS = given(cfg=configs, choices=st.lists(st.integers(0, 10_000), min_size=1, max_size=60))
test_random_walks_take_only_the_transitions_semantics_allows = settings(max_examples=50, deadline=None)(
    _RANDOM_WALKS(_test_random_walks_take_only_the_transitions_semantics_allows))
test_random_walks_take_only_the_transitions_semantics_allows_150_times = pytest.mark.sweep(settings(max_examples=150, deadline=None)(
    _RANDOM_WALKS(_test_random_walks_take_only_the_transitions_semantics_allows)))


@pytest.mark.parametrize(
    "cfg",
    [
        # nt35 at 2x2 (tens of seconds) in the sweep tier: the README's test command keeps every reachable state of
        # authoritative at 2x1 with every budget (below) and the random walks over every variant (above)
        pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=0, reboots=1, restart=True), marks=pytest.mark.sweep),
        pytest.param(Config(clients=2, addresses=2, variant="dnsmasq", deletes=1, losses=1, reboots=0), marks=pytest.mark.sweep), Config(clients=2, addresses=1, variant="authoritative", deletes=1, losses=1, reboots=1, restart=True)],
    ids=str,
)
def test_every_reachable_state_agrees_with_the_oracle(cfg):
    visited, disagreement = spec_oracle.first_disagreement(dhcp_system(cfg), cfg)
    assert disagreement is None
    assert visited > 20_000
