"""The Z3 engine proves recovery with a ranking of helpful actions, and finds the nt35 lasso.

- The mined invariant is inductive, and true in every state the explicit engine reaches.
- The ranking covers every reachable state outside ``holds(c)`` for nt40; its certificate
  re-checks, and a certificate with a level dropped, emptied or the invariant weakened does not.
- For nt35 the ranking leaves reachable states over, and the lasso it then finds replays.
- On recovery, both engines agree for nt40 at 2x2 (at 1x1, on every configuration of the sweep:
  ``tests/test_sweep.py``).
"""

from __future__ import annotations

import functools

import pytest
import z3

from leasecheck.checker.compare import compare
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.results import Method
from leasecheck.checker.z3 import horn, houdini, liveness, pdr, ranking
from leasecheck.checker.z3.cubes import CubeSets, union_formula
from leasecheck.checker.z3.engine import Z3Options, z3_report, z3_run
from leasecheck.checker.z3.translate import Translator
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.spec import Recovery, Verdict

OPTIONS = Z3Options(depth=16, timeout=120)


def _setup(cfg: Config) -> tuple[Translator, Recovery, houdini.MinedInvariant]:
    system = dhcp_system(cfg)
    (prop, *_) = dhcp_properties(system, cfg, ["recovery"])
    assert isinstance(prop, Recovery)
    tr = Translator(system)
    mined = houdini.mine(tr, timeout=60).invariant
    assert mined is not None
    return tr, prop, mined


@functools.cache
def _ranked(cfg: Config) -> tuple[Translator, Recovery, houdini.MinedInvariant, ranking.RankingOutcome]:
    tr, prop, mined = _setup(cfg)
    xs = tr.state("r")
    sets = CubeSets(tr, z3.And(tr.in_range(xs), mined.formula(xs)), xs, timeout=60)
    return tr, prop, mined, ranking.rank(sets, tr.holds(prop.goal, xs))


def _certificate(cfg: Config) -> horn.Certificate:
    tr, prop, mined, ranked = _ranked(cfg)
    assert ranked.complete
    xs = tr.state("r")
    problem = ranking.ranking_problem(tr, prop.goal, ranked.levels, prop.statement)
    return horn.Certificate(problem, (mined.formula(xs), *(union_formula(lv.cubes, xs) for lv in ranked.levels)))


@pytest.mark.parametrize("shape", [(1, 1), pytest.param((2, 2), marks=pytest.mark.sweep)])
def test_the_mined_invariant_is_inductive_and_true_in_every_reachable_state(shape: tuple[int, int]) -> None:
    cfg = Config(clients=shape[0], addresses=shape[1], variant="nt40")
    tr, _, mined = _setup(cfg)
    graph = explore(tr.system)
    assert graph.complete
    for state in graph.states:
        assert all(c.holds_in(state) for c in mined.clauses), state
    xs = tr.state("inv")
    problem = pdr.exclusion_problem(tr, lambda ys: z3.BoolVal(False), "the mined invariant is inductive")
    assert horn.recheck(horn.Certificate(problem, (mined.formula(xs),))) is None


def test_the_mined_invariant_excludes_unreachable_states() -> None:
    # not a trivial invariant: at 1x1 the clauses leave far fewer states than the type allows
    tr, _, mined = _setup(Config(clients=1, addresses=1, variant="nt40"))
    xs = tr.state("x")
    solver = z3.Solver()
    solver.add(tr.in_range(xs), mined.formula(xs))
    count = 0
    while solver.check() == z3.sat and count < 1000:
        count += 1
        solver.add(z3.Not(tr.is_state(xs, tr.decode(solver.model(), xs))))
    assert 55 <= count < 1000  # 55 states are reachable (docs/model.md section 8)


@pytest.mark.parametrize("shape", [(1, 1), pytest.param((2, 2), marks=pytest.mark.sweep)])
def test_nt40_recovery_ranking_is_complete_and_its_certificate_rechecks(shape: tuple[int, int]) -> None:
    cert = _certificate(Config(clients=shape[0], addresses=shape[1], variant="nt40"))
    assert horn.recheck(cert) is None
    assert horn.recheck_smtlib(horn.certificate_smtlib(cert)) is None


def test_a_corrupted_ranking_certificate_is_rejected() -> None:
    cert = _certificate(Config(clients=1, addresses=1, variant="nt40"))
    levels = len(cert.formulas) - 1
    assert horn.recheck(cert.replace(0, z3.BoolVal(True))) is not None  # the invariant weakened
    emptied = horn.recheck(cert.replace(levels, z3.BoolVal(False)))  # the last level's states dropped
    assert emptied == "the certificate fails the clause 'every state outside the goal is in a level'"
    # the lowest level claimed to hold every state: its helpful step no longer always leads down
    assert horn.recheck(cert.replace(1, z3.BoolVal(True))) is not None


def test_nt35_ranking_leaves_reachable_states_and_the_lasso_replays() -> None:
    cfg = Config(clients=1, addresses=1, variant="nt35")
    tr, prop, _, ranked = _ranked(cfg)
    assert not ranked.complete and ranked.remainder
    left = functools.partial(union_formula, ranked.remainder)
    assert horn.solve(pdr.exclusion_problem(tr, left, "left over states are unreachable"), 60).reachable
    found = liveness.find_loop_then_path(tr, prop.goal, left, 16, 60)
    assert found.trace is not None and found.trace.is_lasso
    (result,) = z3_report(dhcp_model(cfg), ["recovery"], OPTIONS).results  # the engine replays what it reports
    assert result.verdict is Verdict.VIOLATED and result.trace is not None


@pytest.mark.sweep
def test_nt40_recovery_is_proved_at_2x2_for_every_client() -> None:
    run = z3_run(dhcp_model(Config(clients=2, addresses=2, variant="nt40")), ["recovery"], OPTIONS)
    assert [r.verdict for r in run.report.results] == [Verdict.HOLDS, Verdict.HOLDS]
    assert len(run.certificates) == 2


@pytest.mark.parametrize(("timeout", "search_time"), [(0.001, None), (0.5, 0.5), (60, 0.2)])
def test_a_recovery_proof_cut_short_is_unknown_never_holds(timeout: float, search_time: float | None) -> None:
    options = Z3Options(depth=16, timeout=timeout, search_time=search_time)
    (result,) = z3_report(dhcp_model(Config(clients=1, addresses=1, variant="nt40")), ["recovery"], options).results
    assert result.verdict is Verdict.UNKNOWN and result.method is Method.LIMIT


def test_a_search_of_many_calls_gets_ten_times_the_time_of_one_unless_told() -> None:
    assert Z3Options(timeout=6).search_limit == 60
    assert Z3Options(timeout=6, search_time=7).search_limit == 7
    assert Z3Options(timeout=None).search_limit is None
    # the sweep's defaults: a minute per call, ten for the ranking of a recovery proof
    assert Z3Options().search_limit == 600


@pytest.mark.long
@pytest.mark.parametrize("variant", ["rfc2131", "dnsmasq", "authoritative", "nt35"])
def test_recovery_verdicts_agree_at_2x2(variant: str) -> None:
    cfg = Config(clients=2, addresses=2, variant=variant)
    options = Z3Options(depth=24, timeout=300)
    comparison = compare(explicit_report(dhcp_model(cfg), ["recovery"])[0], z3_report(dhcp_model(cfg), ["recovery"], options))
    assert not comparison.disagreements
    if variant != "nt35":  # the proof closes for every recovering variant; the nt35 lasso may take longer
        assert all(p.second.verdict is Verdict.HOLDS for p in comparison.pairs), [p.second.reason for p in comparison.pairs]
