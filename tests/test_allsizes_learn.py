"""Learned clauses: what the data keep, that a clause's formula says what its data test said, its words."""

from __future__ import annotations

import random

from leasecheck.checker.allsizes import safety
from leasecheck.checker.allsizes.fo import first_order_system
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.learn import StateMatrix
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE


def _pool(variant: str) -> tuple:
    cfg = Config(clients=2, addresses=2, variant=variant, deletes=1)
    system = dhcp_system(cfg)
    graph = explore(system)
    fs = first_order_system(SIDE, cfg)
    reading = FiniteReading(fs, 2, 2, system=system)
    states = [tuple(s) for s in graph.states]
    return fs, reading, states, safety.learn_pool(fs, [StateMatrix(reading, states)])


def test_the_pool_holds_a_known_invariant_and_not_a_false_one() -> None:
    _, _, _, pool = _pool("nt40")
    texts = {c.text() for c in pool}
    assert "for every client c: if st[c] = INIT then addr[c] = none" in texts
    assert "for every client c: if st[c] = BOUND then addr[c] = an address" in texts
    assert not any(t.endswith("if st[c] = BOUND then false") for t in texts)  # BOUND is reachable


def test_each_clause_formula_holds_where_its_data_said_so() -> None:
    fs, reading, states, pool = _pool("nt35")
    rng = random.Random(17)
    some_states = rng.sample(states, 40)
    for clause in rng.sample(pool, 60):
        f = clause.formula()
        assert all(reading.holds(f, s) for s in some_states), clause.text()


def test_a_clause_the_data_refute_is_not_kept() -> None:
    fs, reading, states, pool = _pool("nt35")
    # "no client is ever BOUND" is false in the 2x2 network: no clause saying it may be kept
    bound = [s for s in states if "BOUND" in dhcp_system(Config(clients=2, addresses=2, variant="nt35", deletes=1)).decode(s)["st"]]
    assert bound
    for clause in pool:
        assert all(reading.holds(clause.formula(), s) for s in bound[:5]), clause.text()


def test_a_recovery_pool_has_clauses_on_a_client_s_whole_local_state() -> None:
    """RFC 2131's server is silent to a renewal it has no record of, so a RENEWING client whose
    request was answered by silence (no message either way) has no entry: four literals, which
    only the premise of the client's state and both message kinds gives."""
    cfg = Config(clients=2, addresses=2, variant="rfc2131", deletes=1)
    system = dhcp_system(cfg)
    fs = first_order_system(SIDE, cfg)
    reading = FiniteReading(fs, 2, 2, system=system)
    states = [tuple(s) for s in explore(system).states]
    sample = [StateMatrix(reading, states)]
    wanted = ("for every client c and address a: if st[c] = RENEWING and to_srv[c] = none and to_cli[c] = none "
              "and db[a] names c then false")
    assert wanted not in {c.text() for c in safety.learn_pool(fs, sample, budgets=True)}
    pool = safety.learn_pool(fs, sample, budgets=True, local=True)
    assert wanted in {c.text() for c in pool}
    wide = [c for c in pool if len(c.literals) == 4]
    assert wide and all(all(reading.holds(c.formula(), s) for s in states[::7]) for c in wide)
