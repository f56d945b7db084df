"""Symmetry reduction: exact canonical forms, the reference class counts, sound verdicts."""

from __future__ import annotations

import io
import itertools
import json
import random
from functools import cache

import numpy as np
import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.explicit.vexplore import explore_vector
from leasecheck.checker.symmetry import Symmetry
from leasecheck.model import values as V
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.interp import holds
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.spec import Invariant, Reachable


def rename(system, state, sigma, pi):
    """The state with client c renamed sigma[c] and address a renamed pi[a] (written from docs/model.md)."""
    d = system.decode(state)
    C, A = len(d["st"]), len(d["db"])

    def addr(a):
        return None if a is None else pi[a]

    def msg(m):
        if isinstance(m, V.Request):
            return V.Request(m.kind, pi[m.addr])
        if isinstance(m, V.Release | V.Offer | V.Ack):
            return type(m)(pi[m.addr])
        return m

    def lease(x):
        return type(x)(sigma[x.client]) if isinstance(x, V.Offered | V.Bound) else x

    out = dict(d)
    for group, f in (("st", None), ("err", None), ("addr", addr), ("mem", addr), ("to_srv", msg), ("to_cli", msg)):
        new = [None] * C
        for c in range(C):
            new[sigma[c]] = d[group][c] if f is None else f(d[group][c])
        out[group] = new
    db = [None] * A
    for a in range(A):
        db[pi[a]] = lease(d["db"][a])
    out["db"] = db
    return system.encode(out)


def renamings(C, A, fixed=()):
    for sigma in itertools.permutations(range(C)):
        if all(sigma[c] == c for c in fixed):
            for pi in itertools.permutations(range(A)):
                yield sigma, pi


@pytest.mark.parametrize("variant, classes", [("nt40", 1_046), ("nt35", 1_347)])
def test_two_clients_two_addresses_have_the_reference_number_of_classes(variant, classes):
    system = dhcp_system(Config(clients=2, addresses=2, variant=variant, deletes=1))
    graph = explore_vector(system, canonical=Symmetry(system).canonical)
    assert graph.complete and len(graph.states) == classes


@pytest.mark.parametrize("cfg, fixed", [
    (Config(clients=2, addresses=2, variant="nt40"), ()), (Config(clients=2, addresses=2, variant="nt35"), (0,)), pytest.param(Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=1, restart=True), (), marks=pytest.mark.sweep),
    (Config(clients=3, addresses=1, variant="nt35", deletes=1, losses=0, reboots=1), (0,)),
])
def test_the_reduced_count_is_the_number_of_orbits_of_the_full_graph(cfg, fixed):
    system = dhcp_system(cfg)
    states = set(explore(system).states)
    orbits = set()
    for s in states:
        orbits.add(min(rename(system, s, sg, pi) for sg, pi in renamings(cfg.clients, cfg.addresses, fixed)))
    reduced = explore_vector(system, canonical=Symmetry(system, fixed).canonical)
    assert len(reduced.states) == len(orbits)


@cache
def _reachable(cfg: Config) -> list[tuple[int, ...]]:
    """The reachable states of ``cfg``, explored once for the tests that sample them (the vector
    explorer's states: the scalar explorer's, in the same order, tests/test_exploration_order.py)."""
    return [tuple(s) for s in explore_vector(dhcp_system(cfg)).states.matrix().tolist()]  # type: ignore[attr-defined]


@pytest.mark.parametrize("fixed", [(), (0,)])
def test_the_representative_is_a_renaming_and_the_same_for_the_whole_class(fixed):
    cfg = Config(clients=3, addresses=2, variant="nt35", deletes=1, losses=0, reboots=0, restart=True)
    system = dhcp_system(cfg)
    sym = Symmetry(system, fixed)
    rng = random.Random(7)
    sample = rng.sample(_reachable(cfg), 60)
    for s in sample:
        rep = sym.canonical_state(s)
        orbit = {rename(system, s, sg, pi) for sg, pi in renamings(3, 2, fixed)}
        assert rep in orbit
        for t in rng.sample(sorted(orbit), min(5, len(orbit))):
            assert sym.canonical_state(t) == rep


def test_states_of_different_classes_get_different_representatives():
    cfg = Config(clients=2, addresses=3, variant="nt40")
    system = dhcp_system(cfg)
    states = list(explore(system).states)
    sym = Symmetry(system)
    reps = sym.canonical(np.asarray(states))
    by_rep: dict[tuple[int, ...], tuple[int, ...]] = {}
    for s, r in zip(states, map(tuple, reps.tolist()), strict=True):
        first = by_rep.setdefault(r, s)
        assert any(rename(system, first, sg, pi) == s for sg, pi in renamings(2, 3))


def test_client_zero_predicates_are_invariant_under_the_subgroup_that_fixes_client_zero():
    cfg = Config(clients=3, addresses=2, variant="nt35", deletes=1, losses=0, reboots=1)
    system = dhcp_system(cfg)
    sym = Symmetry(system, (0,))
    states = [tuple(s) for s in explore_vector(system).states.matrix()[::37].tolist()]  # type: ignore[attr-defined]
    reps = [tuple(r) for r in sym.canonical(np.asarray(states)).tolist()]
    for p in dhcp_properties(system, cfg, ["recovery", "kb_symptom", "no_duplicate_address"]):
        if p.client not in (None, 0):
            continue
        e = p.good if isinstance(p, Invariant) else p.target if isinstance(p, Reachable) else p.goal
        assert all(holds(e, s) == holds(e, r) for s, r in zip(states, reps, strict=True))


CONFIGS = [Config(clients=2, addresses=2, variant="nt35"), Config(clients=2, addresses=2, variant="nt40"), Config(clients=2, addresses=2, variant="rfc2131"), Config(clients=2, addresses=2, variant="authoritative"),
           Config(clients=2, addresses=2, variant="nt35", restart=True), Config(clients=2, addresses=2, variant="dnsmasq", deletes=1, losses=1, reboots=0),
           pytest.param(Config(clients=3, addresses=2, variant="nt40"), marks=pytest.mark.sweep)]


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_reduced_verdicts_are_the_full_graphs_verdicts_for_client_zero(cfg):
    names = ["recovery", "recoverable", "no_duplicate_address", "single_binding", "kb_symptom", "kb_stuck_after_expiry",
             "kb_release_workaround"] + (["kb_restart_workaround"] if cfg.restart else [])
    report, _ = explicit_report(dhcp_model(cfg), names, symmetry=True)
    system = dhcp_system(cfg)
    full = GraphAnalysis(explore(system))
    expected = {(p.name, p.client): decide(full, p).verdict for p in dhcp_properties(system, cfg, names)}
    got = {(r.property, r.client): r.verdict for r in report.results}
    assert got == {k: v for k, v in expected.items() if k[1] in (None, 0)}
    # every other client's verdict is client 0's
    for (name, client), verdict in expected.items():
        if client is not None:
            assert verdict == got[(name, 0)]


def test_the_kb_deadlock_is_a_concrete_fair_lasso_under_symmetry():
    report, _ = explicit_report(dhcp_model(Config(clients=2, addresses=2, variant="nt35")), ["recovery"], symmetry=True)
    (r,) = report.results
    assert str(r.verdict) == "violated" and r.trace is not None and r.trace.loop_start is not None
    loop = [s.action for s in r.trace.steps[r.trace.loop_start + 1:]]
    assert {"Discover", "ServeDiscover", "Timeout"} <= set(loop)


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_the_release_workaround_fails_under_symmetry_with_losses_as_without():
    """With a lost message the Release workaround can fail; the reduced engine shows a concrete lasso."""
    report, _ = explicit_report(dhcp_model(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0)), ["kb_release_workaround"], symmetry=True)
    full, _ = explicit_report(dhcp_model(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0)), ["kb_release_workaround"])
    (r,) = report.results
    assert str(r.verdict) == "violated" and r.trace is not None
    assert {str(x.verdict) for x in full.results} == {"violated"}
    assert any(s.action == "Release" and s.params == (0,) for s in r.trace.steps)


def test_symmetry_needs_the_vector_explorer():
    code, out, err = run("check", "--symmetry", "--explorer", "scalar")
    assert code == 2 and err.count("\n") == 1 and "vector explorer" in err


def test_default_properties_under_symmetry_are_decided_for_client_zero():
    code, out, _ = run("check", "--clients", "2", "--addresses", "2", "--symmetry", "--restart")
    assert code == 1  # recovery is violated for nt35
    assert "kb_release_workaround  0       holds" in out
    assert "kb_restart_workaround  0       holds" in out
    assert "recoverable            0       holds" in out


def test_a_state_limit_under_symmetry_is_unknown_never_holds():
    code, out, _ = run("check", "--variant", "nt40", "--clients", "3", "--addresses", "3", "--symmetry",
                       "--max-states", "2000", "--property", "recovery", "--property", "single_binding",
                       "--format", "json")
    doc = json.loads(out)
    assert code == 3
    assert doc["stats"]["states"] == 2000 and doc["stats"]["complete"] is False
    assert {r["verdict"] for r in doc["results"]} == {"unknown"}


@pytest.mark.sweep
@pytest.mark.slow
@pytest.mark.parametrize("variant", ["nt35", "nt40"])
def test_three_by_three_recovery_and_recoverable_agree_with_the_full_graph(variant):
    cfg = Config(clients=3, addresses=3, variant=variant)
    names = ["recovery", "recoverable"]
    report, _ = explicit_report(dhcp_model(cfg), names, symmetry=True)
    full, _ = explicit_report(dhcp_model(cfg), names)
    expected = {(r.property, r.client): r.verdict for r in full.results}
    for r in report.results:
        assert all(v == r.verdict for (name, _), v in expected.items() if name == r.property)
