"""The Z3 engine's sample of reachable states: what it claims about reachability is true.

- A complete breadth-first search meets exactly the states the explicit engine reaches, and its
  parent links give shortest paths (the explicit engine's depths) that replay through the model.
- A search stopped short says so, and its random runs only add reachable states.
- The lasso search finds a lasso of the same length with the sample's paths as without them,
  and with a complete sample it runs no path search.
"""

from __future__ import annotations

import pytest
import z3

from leasecheck.checker.explicit.explore import StateGraph, explore
from leasecheck.checker.z3 import houdini, liveness, sample
from leasecheck.checker.z3.cubes import CubeSets, union_formula
from leasecheck.checker.z3.ranking import rank
from leasecheck.checker.z3.translate import Substitution, Translator
from leasecheck.model import interp
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import Recovery


def _depths(graph: StateGraph) -> list[int]:
    return [len(graph.path_to(i)) - 1 for i in range(len(graph.states))]


def test_a_complete_search_meets_every_reachable_state_with_shortest_paths() -> None:
    system = dhcp_system(Config(clients=2, addresses=1, variant="nt35", losses=1))
    found = sample.sample(system)
    graph = explore(system)
    assert found.complete and not found.extra
    assert set(found.states) == set(graph.states)
    depth = dict(zip(graph.states, _depths(graph), strict=True))
    for state in found.states[:: max(1, len(found.states) // 300)]:
        path = found.path_to(system, state)
        assert path is not None
        states, fired = path
        assert len(fired) == depth[state]
        for (action, params), before, after in zip(fired, states[:-1], states[1:], strict=True):
            commands = (system.commands[c] for c, s in interp.successors(system, before) if s == after)
            assert (action, params) in {(cmd.action, cmd.params) for cmd in commands}


def test_a_search_stopped_short_says_so_and_samples_only_reachable_states() -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt40"))
    found = sample.sample(system, searched=500)
    reachable = set(explore(system).states)
    assert not found.complete
    assert len(found.states) >= 500 and found.extra
    assert set(found.all_states()) <= reachable
    # the candidates Houdini starts from hold in every sampled state
    for clause in houdini.candidates(system, found.all_states())[:200]:
        assert all(clause.holds_in(s) for s in found.all_states())


def test_the_lasso_search_finds_as_long_a_lasso_with_the_samples_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(clients=1, addresses=1, variant="nt35")
    system = dhcp_system(cfg)
    (prop, *_) = dhcp_properties(system, cfg, ["recovery"])
    assert isinstance(prop, Recovery)
    tr = Translator(system, bitvectors=True)
    mined = houdini.mine(Translator(system), 60)
    assert mined.invariant is not None
    xs = tr.state("r")
    care = z3.And(tr.in_range(xs), mined.invariant.formula(xs))
    ranked = rank(CubeSets(tr, care, xs, 60), tr.holds(prop.goal, xs))
    assert ranked.remainder

    def within(ys: tuple[z3.ExprRef, ...]) -> z3.BoolRef:
        return z3.And(Substitution(xs, ys).apply(care), union_formula(ranked.remainder, ys))

    alone = liveness.find_loop_then_path(tr, prop.goal, within, 16, 60)

    def no_path_search(*args: object) -> None:
        raise AssertionError("the path search ran although the sample is complete")

    monkeypatch.setattr(liveness.bmc, "shortest_path_to", no_path_search)
    helped = liveness.find_loop_then_path(tr, prop.goal, within, 16, 60, sample.sample(system))
    assert alone.trace is not None and helped.trace is not None and helped.trace.is_lasso
    assert len(helped.trace) == len(alone.trace)
    assert helped.trace.loop_start == alone.trace.loop_start
    # within too small a depth for the path, the sample gives nothing either
    short = liveness.find_loop_then_path(tr, prop.goal, within, 5, 60, sample.sample(system))
    assert short.trace is None


def test_houdinis_drops_from_concrete_steps_leave_the_same_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    # the greatest inductive subset of the candidates is unique: the clauses dropped after a
    # concrete search from each counterexample to induction must all lie outside it
    system = dhcp_system(Config(clients=2, addresses=1, variant="nt40", losses=1))
    found = sample.sample(system)
    helped = houdini.mine(Translator(system), 60, sampled=found).invariant
    monkeypatch.setattr(houdini, "NEARBY", 0)
    alone = houdini.mine(Translator(system), 60, sampled=found).invariant
    assert helped is not None and alone is not None
    assert set(helped.clauses) == set(alone.clauses) and len(helped.clauses) > 50
    assert helped.rounds <= alone.rounds
