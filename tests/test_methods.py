"""How a verdict was reached is data on its result, and in the JSON.

- At 1x1, for nt35 and nt40 with restart on (so that every property applies), each property
  kind's verdict carries the method of the explicit engine that settled it: the same with both
  explorers and, marked ``quotient``, with symmetry reduction.
- The verdicts a kind reaches otherwise carry theirs too: a broken invariant a shortest path, a
  failed workaround a fair cycle, AG EF refuted by backward reachability.
- An exploration cut short gives ``limit`` for every verdict it leaves unknown.
- ``--format json`` carries ``method``, ``quotient`` and ``renamed_from`` for every result.
- The Z3 engine at 1x1 names its searches and proofs (the others are in tests/test_z3_*.py).
"""

from __future__ import annotations

import io
import json

import pytest

from leasecheck import Config, Method, Verdict, check
from leasecheck.checker.cli.main import main
from leasecheck.model.dhcp import dhcp_system
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_properties

H, V = Verdict.HOLDS, Verdict.VIOLATED

#: (variant) -> property -> (kind, verdict, method), at 1x1 with restart on
EXPECTED: dict[str, dict[str, tuple[str, Verdict, Method]]] = {
    "nt35": {
        "recovery": ("Recovery", V, Method.FAIR_CYCLE),
        "recoverable": ("Recoverable", H, Method.BACKWARD),
        "no_duplicate_address": ("Invariant", H, Method.EXHAUSTIVE),
        "single_binding": ("Invariant", H, Method.EXHAUSTIVE),
        "kb_symptom": ("Reachable", H, Method.SHORTEST_PATH),
        "kb_release_workaround": ("AfterAction", H, Method.BACKWARD),
        "kb_restart_workaround": ("AfterAction", H, Method.BACKWARD),
        "kb_stuck_after_expiry": ("StuckReachable", H, Method.BACKWARD),
    },
    "nt40": {
        "recovery": ("Recovery", H, Method.EXHAUSTIVE),
        "recoverable": ("Recoverable", H, Method.BACKWARD),
        "no_duplicate_address": ("Invariant", H, Method.EXHAUSTIVE),
        "single_binding": ("Invariant", H, Method.EXHAUSTIVE),
        "kb_symptom": ("Reachable", V, Method.EXHAUSTIVE),
        "kb_release_workaround": ("AfterAction", H, Method.BACKWARD),
        "kb_restart_workaround": ("AfterAction", H, Method.BACKWARD),
        "kb_stuck_after_expiry": ("StuckReachable", V, Method.BACKWARD),
    },
}

#: methods whose verdict comes with a trace (the state, path or loop found)
WITH_TRACE = {Method.SHORTEST_PATH, Method.FAIR_CYCLE, Method.DEADLOCK}


def _kinds(cfg: Config) -> dict[str, str]:
    return {p.name: type(p).__name__ for p in dhcp_properties(dhcp_system(cfg), cfg, PROPERTY_NAMES)}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
@pytest.mark.parametrize("explorer", ["vector", "scalar"])
def test_each_kinds_verdict_at_1x1_carries_the_explicit_engines_method(variant: str, explorer: str) -> None:
    cfg = Config(clients=1, addresses=1, variant=variant, restart=True)
    want = EXPECTED[variant]
    assert {name: kind for name, (kind, _, _) in want.items()} == _kinds(cfg)
    run = check(cfg, properties=PROPERTY_NAMES, explorer=explorer)
    assert {r.property: (r.verdict, r.method) for r in run.results} == {n: (v, m) for n, (_, v, m) in want.items()}
    for r in run.results:
        assert not r.quotient and r.renamed_from is None
        if r.method in WITH_TRACE:
            assert r.trace is not None and r.trace.is_lasso is (r.method is Method.FAIR_CYCLE)
        if r.method is Method.EXHAUSTIVE:
            assert r.trace is None


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_on_the_symmetry_quotient_the_methods_are_the_same_and_marked(variant: str) -> None:
    cfg = Config(clients=1, addresses=1, variant=variant, restart=True)
    run = check(cfg, properties=PROPERTY_NAMES, symmetry=True)
    assert {r.property: r.method for r in run.results} == {n: m for n, (_, _, m) in EXPECTED[variant].items()}
    assert all(r.quotient and r.renamed_from is None for r in run.results)


def test_the_other_verdicts_of_each_kind_carry_their_methods() -> None:
    cases = [
        (Config(clients=2, addresses=1, variant="nt40"), "no_duplicate_address", V, Method.SHORTEST_PATH),  # a deleted lease handed out again
        (Config(clients=2, addresses=1, variant="nt40"), "recovery", V, Method.FAIR_CYCLE),  # one address: the other client keeps it
        (Config(clients=1, addresses=1, variant="nt35", losses=1), "kb_release_workaround", V, Method.FAIR_CYCLE),  # the RELEASE is lost
        (Config(clients=1, addresses=1, variant="nt35"), "recoverable", V, Method.BACKWARD),  # without a restart nothing helps
    ]
    for cfg, name, verdict, method in cases:
        results = check(cfg, properties=[name]).results
        assert {(r.verdict, r.method) for r in results} == {(verdict, method)}, (cfg.describe(), name)
        assert all(r.trace is not None for r in results)


def test_an_exploration_cut_short_leaves_unknown_by_a_limit() -> None:
    for symmetry in (False, True):
        run = check(Config(clients=1, addresses=1, variant="nt35", restart=True), properties=PROPERTY_NAMES, max_states=10, symmetry=symmetry)
        assert not run.report.stats.complete
        # a witness or counterexample found before the limit still counts; nothing else is decided
        for r in run.results:
            assert (r.verdict is Verdict.UNKNOWN) is (r.method is Method.LIMIT), (r.property, r.verdict, r.method)
        assert not any(r.verdict is H and r.trace is None for r in run.results)


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_the_json_carries_each_results_method(variant: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["check", "--variant", variant, "--restart", "--format", "json"]
    argv += [a for name in PROPERTY_NAMES for a in ("--property", name)]
    main(argv, out, err)
    doc = json.loads(out.getvalue())
    got = {r["property"]: r["method"] for r in doc["results"]}
    assert got == {n: m.value for n, (_, _, m) in EXPECTED[variant].items()}
    assert all(r["quotient"] is False and r["renamed_from"] is None for r in doc["results"])
    assert all({"property", "client", "verdict", "reason", "trace"} <= r.keys() for r in doc["results"])


def test_every_method_is_named_once() -> None:
    assert len({m.value for m in Method}) == len(Method)
    assert all(str(m) == m.value and m.value == m.value.lower() for m in Method)


#: (variant) -> property -> (verdict, method) of the Z3 engine, at 1x1 with restart on
Z3_EXPECTED: dict[str, dict[str, tuple[Verdict, Method]]] = {
    "nt35": {"recovery": (V, Method.LASSO_SEARCH), "single_binding": (H, Method.INDUCTION),
             "kb_symptom": (H, Method.BMC), "recoverable": (Verdict.UNKNOWN, Method.UNSUPPORTED)},
    "nt40": {"recovery": (H, Method.RANKING), "single_binding": (H, Method.INDUCTION),
             "kb_symptom": (V, Method.PDR), "recoverable": (Verdict.UNKNOWN, Method.UNSUPPORTED)},
}


@pytest.mark.parametrize("variant", sorted(Z3_EXPECTED))
def test_the_z3_engine_at_1x1_names_its_search_or_proof(variant: str) -> None:
    want = Z3_EXPECTED[variant]
    run = check(Config(clients=1, addresses=1, variant=variant, restart=True), properties=list(want), engine="z3", depth=16)
    assert {r.property: (r.verdict, r.method) for r in run.results} == want
    assert all(not r.quotient and r.renamed_from is None for r in run.results)


def test_when_the_first_brief_pdr_gives_up_backward_reachability_proves_the_target_unreachable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from leasecheck.checker.z3 import engine

    monkeypatch.setattr(engine, "FIRST_PDR", 0.001)  # Spacer cannot finish in a millisecond
    run = check(Config(clients=1, addresses=1, variant="nt40", restart=True), properties=["kb_symptom"], engine="z3", depth=16)
    (result,) = run.results
    assert (result.verdict, result.method) == (V, Method.BACKWARD), result.reason
    assert "include no initial state, re-checked" in result.reason
