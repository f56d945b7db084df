"""Both engines give the same verdicts, and counterexamples of the same length.

Invariants and reachability targets are decided by both engines on the variant matrix at 2x2
(at 1x1, every configuration of the sweep: ``tests/test_sweep.py``); where both find a path, the lengths agree (both return a shortest one). For recovery,
the Z3 engine's lasso (the fewest steps) is never longer than the explicit engine's.

The README's test command compares the invariants at 2x2 for nt35 and the KB's symptom at 1x1; the
sweep tier (``pytest -m sweep``) the invariants for every variant, and for nt40 without deletes, and
the KB's symptom at 2x2.
"""

from __future__ import annotations

import pytest

from leasecheck.checker.compare import compare
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.results import Method
from leasecheck.checker.z3.engine import Z3Options, z3_report
from leasecheck.model.dhcp import Config
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import dhcp_model
from leasecheck.properties.spec import Verdict

SAFETY = ["no_duplicate_address", "single_binding"]
OPTIONS = Z3Options(depth=14, timeout=60)


def agree(cfg: Config, names: list[str], options: Z3Options = OPTIONS) -> None:
    explicit, _ = explicit_report(dhcp_model(cfg), names)
    symbolic = z3_report(dhcp_model(cfg), names, options)
    comparison = compare(explicit, symbolic)
    assert not comparison.disagreements
    for pair in comparison.pairs:
        # the Z3 engine decides invariants, reachability and recovery: it must give a verdict on
        # each of them here (these configurations are within its budget), the explicit engine's
        assert pair.first.verdict is not Verdict.UNKNOWN, (pair.name, pair.first.reason)
        if pair.second.method is not Method.UNSUPPORTED:
            assert pair.second.verdict is pair.first.verdict, (pair.name, pair.second.reason)
        if pair.first.trace is not None and not pair.first.trace.is_lasso:
            assert pair.second.trace is not None
            assert len(pair.second.trace) == len(pair.first.trace)


@pytest.mark.parametrize("variant", [v if v == "nt35" else pytest.param(v, marks=pytest.mark.sweep) for v in VARIANTS])
def test_safety_verdicts_agree_at_2x2(variant: str) -> None:
    # the README's test command: nt35 (the KB's); the other variants in the sweep tier
    agree(Config(clients=2, addresses=2, variant=variant), SAFETY)


@pytest.mark.sweep  # the README's test command has Z3's invariants at 2x2 without deletes in tests/test_sweep.py
def test_safety_verdicts_agree_at_2x2_without_deletes() -> None:
    agree(Config(clients=2, addresses=2, variant="nt40", deletes=0), SAFETY)


@pytest.mark.sweep
def test_invariants_that_pdr_did_not_prove_are_proved_with_the_mined_invariant() -> None:
    for cfg, name in ((Config(clients=2, addresses=2, variant="authoritative"), "single_binding"), (Config(clients=2, addresses=2, variant="nt40", deletes=0), "no_duplicate_address")):
        (result,) = z3_report(dhcp_model(cfg), [name], OPTIONS).results
        assert result.verdict is Verdict.HOLDS and result.method is Method.MINED_INVARIANT, (cfg.describe(), result.reason)


# 2x2 (tens of seconds) in the sweep tier: the README's test command keeps 1x1, and the sweep at 1x1 in tests/test_sweep.py
@pytest.mark.parametrize("shape", [(1, 1), pytest.param((2, 2), marks=pytest.mark.sweep)])
def test_kb_symptom_witness_has_the_explicit_engines_length(shape: tuple[int, int]) -> None:
    agree(Config(clients=shape[0], addresses=shape[1], variant="nt35"), ["kb_symptom"])


@pytest.mark.long
def test_safety_verdicts_agree_at_2x3() -> None:
    agree(Config(clients=2, addresses=3, variant="nt40"), SAFETY + ["kb_symptom"])


def test_nt35_recovery_lasso_replays_and_is_no_longer_than_the_explicit_one() -> None:
    cfg = Config(clients=1, addresses=1, variant="nt35")
    explicit, _ = explicit_report(dhcp_model(cfg), ["recovery"])
    symbolic = z3_report(dhcp_model(cfg), ["recovery"], Z3Options(depth=16, timeout=60))
    (mine,), (theirs,) = symbolic.results, explicit.results
    assert mine.verdict is theirs.verdict is Verdict.VIOLATED
    assert mine.trace is not None and mine.trace.is_lasso and theirs.trace is not None
    assert len(mine.trace) <= len(theirs.trace)
    # the KB's symptom is the loop: the client keeps asking and the stale record keeps silent
    start = mine.trace.loop_start
    assert start is not None
    loop = {s.action for s in mine.trace.steps[start + 1:]}
    assert {"Discover", "ServeDiscover", "Timeout"} <= loop


def test_a_lasso_too_long_for_the_depth_gives_unknown_not_holds() -> None:
    (result,) = z3_report(dhcp_model(Config(clients=1, addresses=1, variant="nt35")), ["recovery"], Z3Options(depth=5, timeout=20)).results
    assert result.verdict is Verdict.UNKNOWN and result.method is Method.LIMIT
    assert "5 steps" in result.reason  # the reason names the depth the search stopped at


def test_properties_the_engine_does_not_decide_are_unknown_and_unsupported() -> None:
    report = z3_report(dhcp_model(Config(clients=1, addresses=1, variant="nt35")), ["recoverable", "kb_release_workaround", "kb_stuck_after_expiry"])
    assert all(r.verdict is Verdict.UNKNOWN and r.method is Method.UNSUPPORTED for r in report.results)
