"""The vectorised explorer builds the scalar explorer's graph and gets the same verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.checker.explicit.keytable import KeyTable
from leasecheck.checker.explicit.pack import layout, pack, unpack
from leasecheck.checker.explicit.vanalysis import VectorAnalysis
from leasecheck.checker.explicit.vector import Program, successors
from leasecheck.checker.explicit.vexplore import explore_vector
from leasecheck.model import interp
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_properties
from leasecheck.properties.spec import Recovery, Verdict

from .test_reference_counts import REFERENCE  # noqa: E402 (docs/model.md section 8)


def edges(graph) -> set[tuple[tuple[int, ...], int, tuple[int, ...]]]:
    states = list(graph.states)
    return {(states[i], graph.cmd[e], states[graph.dst[e]]) for i in range(graph.expanded) for e in graph.out_edges(i)}


@pytest.mark.parametrize("C, A, D, L, R, variant, restart, states", REFERENCE)
def test_the_vector_explorer_reaches_the_reference_count_and_the_scalar_graph(C, A, D, L, R, variant, restart, states):
    system = dhcp_system(Config(clients=C, addresses=A, variant=variant, deletes=D, losses=L, reboots=R, restart=restart))
    vector, scalar = explore_vector(system), explore(system)
    assert vector.complete and len(vector.states) == states
    assert set(vector.states) == set(scalar.states)
    assert vector.transitions == scalar.transitions


# every budget: the README's test command at 2x1, the sweep tier at 2x2 too (tens of seconds)
@pytest.mark.parametrize("cfg", [Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
                                 pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
                                              marks=pytest.mark.sweep)], ids=str)
def test_every_transition_is_the_scalar_explorers_transition(cfg):
    system = dhcp_system(cfg)
    assert edges(explore_vector(system)) == edges(explore(system))


def test_parent_links_are_shortest_paths():
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=0))
    vector, scalar = explore_vector(system), explore(system)

    def depths(graph) -> dict[tuple[int, ...], int]:
        return {graph.states[i]: len(graph.path_to(i)) for i in range(len(graph.states))}

    assert depths(vector) == depths(scalar)


@pytest.mark.parametrize("cfg", [
    Config(clients=1, addresses=1, variant="nt35"), Config(clients=1, addresses=1, variant="nt40"), Config(clients=1, addresses=1, variant="dnsmasq"), Config(clients=1, addresses=1, variant="authoritative", reboots=1),
    Config(clients=2, addresses=2, variant="nt35"), Config(clients=2, addresses=2, variant="nt40"), Config(clients=2, addresses=2, variant="nt35", restart=True), Config(clients=2, addresses=1, variant="rfc2131"),
])
def test_verdicts_are_those_of_the_scalar_explorer(cfg):
    system = dhcp_system(cfg)
    names = [n for n in PROPERTY_NAMES if cfg.restart or n != "kb_restart_workaround"]
    props = dhcp_properties(system, cfg, names)
    fast = VectorAnalysis(explore_vector(system))
    slow = GraphAnalysis(explore(system))
    for p in props:
        a, b = decide(fast, p), decide(slow, p)
        assert (p.name, p.client, a.verdict) == (p.name, p.client, b.verdict)
        assert (a.trace is None) == (b.trace is None)
        if a.trace is not None and b.trace is not None and not a.trace.is_lasso:
            assert len(a.trace) == len(b.trace)  # both shortest


def test_vectorised_fair_components_are_the_loop_versions():
    cfg = Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0)
    system = dhcp_system(cfg)
    graph = explore_vector(system)
    for p in dhcp_properties(system, cfg, ["recovery"]):
        assert isinstance(p, Recovery)
        _, fair_a, dead_a = VectorAnalysis(graph).fair_components(p.goal)
        _, fair_b, dead_b = GraphAnalysis(graph).fair_components(p.goal)
        assert sorted(map(sorted, fair_a)) == sorted(map(sorted, fair_b))
        assert dead_a == dead_b
        assert fair_a  # the KB's deadlock is there to find


def test_a_state_limit_keeps_exactly_that_many_states_and_is_never_holds():
    cfg = Config(clients=2, addresses=2, variant="nt40")
    system = dhcp_system(cfg)
    graph = explore_vector(system, Limits(max_states=1000))
    assert not graph.complete and len(graph.states) == 1000 and "state limit of 1000" in graph.stop_reason
    assert graph.expanded < 1000 and len(graph.offsets) == graph.expanded + 1
    assert all(0 <= d < 1000 for d in graph.dst)
    an = VectorAnalysis(graph)
    assert all(decide(an, p).verdict is not Verdict.HOLDS for p in dhcp_properties(system, cfg))


def test_a_timeout_stops_the_search_incomplete():
    graph = explore_vector(dhcp_system(Config(clients=3, addresses=3, variant="nt40")), Limits(timeout=0.05))
    assert not graph.complete and graph.stop_reason.startswith("timeout after 0.05 s")
    assert 0 < len(graph.states) < 441_151


def test_packing_is_a_bijection_on_reachable_states():
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True))
    lay = layout(system)
    states: np.ndarray = np.asarray(list(explore(system).states))
    keys = pack(lay, states)
    assert (unpack(lay, keys) == states).all()
    assert len({k.tobytes() for k in keys}) == len(states)


def test_a_predicates_mask_reads_only_its_variables_and_is_the_scalar_explorers():
    cfg = Config(clients=2, addresses=2, variant="nt35")
    system = dhcp_system(cfg)
    lay = layout(system)
    states: np.ndarray = np.asarray(list(explore(system).states))
    keys = pack(lay, states)
    some = [1, 4, len(lay.width) - 1]
    part = unpack(lay, keys, some)
    assert (part[:, some] == states[:, some]).all()
    assert not np.delete(part, some, axis=1).any()  # the columns not asked for are left 0
    graph = explore_vector(system)
    for prop in dhcp_properties(system, cfg):
        if isinstance(prop, Recovery):
            want = bytearray(int(interp.holds(prop.goal, s)) for s in graph.states)  # state by state
            assert graph.states.mask(prop.goal) == want


def test_four_clients_need_two_words():
    assert layout(dhcp_system(Config(clients=4, addresses=3, variant="nt40"))).words == 2


def test_the_key_table_numbers_distinct_keys_in_order_and_finds_them_again():
    table = KeyTable(2)
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 50, size=(20_000, 2)).astype(np.uint64)  # many duplicates in one batch
    added = table.find_or_add(keys)
    distinct = {tuple(k) for k in keys.tolist()}
    assert table.n == len(distinct)
    assert {tuple(table.stored()[i]) for i in range(table.n)} == distinct
    assert all(tuple(table.stored()[added.ids[r]]) == tuple(keys[r]) for r in range(0, 20_000, 97))
    assert sorted(added.ids[added.first].tolist()) == list(range(table.n))
    again = table.find_or_add(keys[::-1].copy())
    assert again.first.size == 0 and (again.ids[::-1] == added.ids).all()


@pytest.mark.parametrize("cfg", [Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), Config(clients=3, addresses=2, variant="authoritative", deletes=2, losses=0, reboots=1)], ids=str)
def test_successors_of_arbitrary_states_agree_with_the_reference_interpreter(cfg):
    """Random states, reachable or not: every guard and update evaluated over arrays as by leasecheck.model.interp."""
    system = dhcp_system(cfg)
    program, lay = Program(system), layout(system)
    rng = np.random.default_rng(5)
    sizes = [len(v.domain) for v in system.variables]
    states: np.ndarray = np.stack([rng.integers(0, n, size=3000) for n in sizes], axis=1).astype(lay.dtype)
    batch = successors(program, lay, pack(lay, states))
    got: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for row, k, nxt in zip(batch.source.tolist(), batch.command.tolist(), unpack(lay, batch.keys).tolist(), strict=True):
        got.setdefault(row, []).append((k, tuple(nxt)))
    for row, state in enumerate(states.tolist()):
        assert sorted(got.get(row, [])) == sorted(interp.successors(system, state))


def test_three_clients_three_addresses_nt40_has_the_reference_count():
    graph = explore_vector(dhcp_system(Config(clients=3, addresses=3, variant="nt40")))
    assert graph.complete and len(graph.states) == 441_151
