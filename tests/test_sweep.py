"""Soundness sweep: every property, every variant, every small configuration, against docs/model.md.

Configurations: 1 or 2 clients, 1 or 2 addresses, every budget (deletes, losses, reboots) in 0..1,
restart on and off, all five variants: 320 in all. Each configuration is explored once by each
of the explicit engine's three explorers (scalar, vectorised, vectorised with symmetry), which
must agree; the scalar explorer's verdicts are compared with docs/model.md section 7's expectation
where that table states one; and the Z3 engine decides the same properties (``--engine both``),
which must agree too, with a Z3 verdict for every property whose kind it decides and
counterexample paths of the same length. Every trace was already replayed by its engine.
One test per size and variant (16 configurations each), and at 2x2 per variant and number of
deletes (8 each), so pytest-xdist can share them out; the 2x2 tests, the longest (most of the
sweep's Z3 time, benchmarks/README.md), start first.

The tiers (tests/conftest.py): the README's test command runs every 1x1 configuration of nt35
through the explicit explorers and one quarter of them with the Z3 engine too. ``pytest -m
sweep`` (in ``.ci/run``) runs every configuration through the explicit explorers, and the Z3
engine on a fraction of the configurations of each size in which each budget value appears: at
1x1 one quarter of each other variant's, at 1x2 and 2x1 the pair with every budget off and every
budget on (deletes, losses, reboots and restart all 0, then all 1), at 2x2 one quarter of those
without a delete; the rest runs under ``pytest -m long``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pytest

from leasecheck.checker.compare import compare
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.results import Report
from leasecheck.checker.z3.engine import Z3Options, z3_report
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_model, dhcp_properties
from leasecheck.properties.spec import Invariant, Reachable, Recovery, Verdict

H, X = Verdict.HOLDS, Verdict.VIOLATED


def sweep_configs() -> list[Config]:
    return [
        Config(clients=C, addresses=A, variant=v, deletes=D, losses=L, reboots=R, restart=restart)
        for C, A in ((1, 1), (1, 2), (2, 1), (2, 2))
        for D, L, R in itertools.product((0, 1), repeat=3)
        for restart in (False, True)
        for v in VARIANTS
    ]


def expected(name: str, cfg: Config) -> Verdict | None:
    """docs/model.md section 7, row by row; None where the table says nothing for ``cfg``."""
    nt35, D = cfg.variant == "nt35", cfg.deletes
    if name == "recovery":
        if nt35 and D >= 1:
            return X
        # every variant recovers once deletes are spent, given an address for every client
        return H if cfg.addresses >= cfg.clients else None
    if name == "recoverable":
        return X if nt35 and D >= 1 and not cfg.restart else (H if nt35 or cfg.addresses >= cfg.clients else None)
    if name == "no_duplicate_address":
        return H if D == 0 or cfg.clients == 1 else X
    if name == "single_binding":
        return H
    if nt35 and D >= 1 and name in ("kb_symptom", "kb_stuck_after_expiry"):
        return H
    if nt35 and D >= 1 and name == "kb_release_workaround":
        # DHCPRELEASE is never acknowledged (RFC 2131 4.4.6): when it is lost, the stale record
        # stays and the deadlock returns. docs/model.md states the claim for a lossless network.
        # With fewer addresses than clients another client may take the released address.
        if cfg.addresses < cfg.clients:
            return None
        return H if cfg.losses == 0 else X
    if nt35 and D >= 1 and cfg.restart and name == "kb_restart_workaround":
        return H if cfg.addresses >= cfg.clients else None
    return None


def _names(cfg: Config) -> list[str]:
    return [n for n in PROPERTY_NAMES if n != "kb_restart_workaround" or cfg.restart]


SIZES = [(1, 1), (1, 2), (2, 1), (2, 2)]

#: the Z3 engine's bounds in the sweep: its defaults (every shortest counterexample here is shorter)
SWEEP_Z3 = Z3Options()


def _verdicts(report) -> dict[tuple[str, int | None], Verdict]:
    return {(r.property, r.client): r.verdict for r in report.results}


def _z3_decides(cfg: Config, names: list[str]) -> set[str]:
    """The properties of ``names`` whose kind the Z3 engine decides (the rest it calls unknown)."""
    kinds = (Invariant, Reachable, Recovery)
    return {p.name for p in dhcp_properties(dhcp_system(cfg), cfg, names) if isinstance(p, kinds)}


@dataclass(frozen=True)
class Tally:
    """What one size of the sweep compared: verdicts against docs/model.md's table, against the
    other explorers (scalar, vector, vector with symmetry), and against the Z3 engine."""

    table: int = 0
    explorers: int = 0
    z3: int = 0
    z3_unknown: tuple[str, ...] = ()


def explicit_agreement(cfg: Config, names: list[str]) -> tuple[Report, int, int]:
    """The scalar explorer's report, after checking it against the table and against the vector
    explorer with and without symmetry; and how many verdicts each check compared."""
    scalar, _ = explicit_report(dhcp_model(cfg), names, explorer="scalar")
    vector, vgraph = explicit_report(dhcp_model(cfg), names, explorer="vector")
    reduced, _ = explicit_report(dhcp_model(cfg), names, explorer="vector", symmetry=True)
    assert scalar.stats.complete
    assert scalar.stats.states == vector.stats.states == len(vgraph.states)
    assert _verdicts(vector) == _verdicts(scalar), cfg.describe()
    full = _verdicts(scalar)
    explorers = 0
    for (name, client), verdict in _verdicts(reduced).items():
        assert client in (0, None)
        assert verdict is full[(name, client)], (cfg.describe(), name)
        explorers += 1
    table = 0
    for r in scalar.results:
        want = expected(r.property, cfg)
        if want is not None:
            assert r.verdict is want, (cfg.describe(), r.property, r.client, r.reason)
            table += 1
    return scalar, table, explorers


def z3_agreement(cfg: Config, names: list[str], explicit: Report, symbolic: Report) -> tuple[int, list[str]]:
    """``--engine both``: no property that one engine says holds and the other violated; where
    both give a path (not a lasso), it has the same length (both are shortest). Returns how many
    verdicts both engines gave, and the properties whose kind Z3 decides that it left unknown."""
    comparison = compare(explicit, symbolic)
    assert not comparison.disagreements, cfg.describe()
    decided = _z3_decides(cfg, names)
    compared, unknown = 0, []
    for pair in comparison.pairs:
        if pair.name in decided:
            if pair.second.verdict is Verdict.UNKNOWN:
                unknown.append(f"{cfg.describe()}: {pair.name} {pair.client}: {pair.second.reason}")
            else:
                assert pair.second.verdict is pair.first.verdict, (cfg.describe(), pair.name, pair.client)
                compared += 1
        mine, theirs = pair.second.trace, pair.first.trace
        if mine is not None and theirs is not None and not theirs.is_lasso:
            assert len(mine) == len(theirs), (cfg.describe(), pair.name)  # both shortest
    return compared, unknown


def _z3_workers() -> int:
    """Worker processes for the Z3 side: two, or one under pytest-xdist with several workers
    (each test worker then runs one Z3 process beside its own exploring, and the machine's two
    cores are not oversubscribed; Z3's timeouts are wall-clock)."""
    return 1 if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1 else 2


def half(cfg: Config) -> int:
    """Which half of a size's configurations ``cfg`` is in: the parity of losses + reboots +
    restart. Each half holds, for every variant and number of deletes, four of the eight
    configurations, and each value of losses, of reboots and of restart twice."""
    return (cfg.losses + cfg.reboots + int(cfg.restart)) % 2


def quarter(cfg: Config) -> int:
    """Which quarter of a size's sixteen configurations per variant ``cfg`` is in: its half, and
    the parity of deletes + losses. Each quarter holds four configurations, each value of
    deletes, losses, reboots and restart twice; quarters 0 and 2 make half 0."""
    return half(cfg) + 2 * ((cfg.deletes + cfg.losses) % 2)


#: the halves, as sets of quarters
HALVES = (frozenset({0, 2}), frozenset({1, 3}))


def extreme(cfg: Config) -> bool:
    """Whether every budget of ``cfg`` is off or every one on (deletes, losses, reboots and restart
    all 0, or all 1): two configurations per size and variant, which between them hold each value
    of each budget once."""
    return cfg.deletes == cfg.losses == cfg.reboots == int(cfg.restart)


#: which configurations the Z3 engine decides: a configuration's test
Chooser = Callable[[Config], bool]


def quarters(which: frozenset[int]) -> Chooser:
    return lambda cfg: quarter(cfg) in which


def sweep(size: tuple[int, int], variant: str, z3: bool = True, deletes: int | None = None,
          z3_on: Chooser | None = None) -> Tally:
    """Every configuration of ``size`` and ``variant`` (and ``deletes``, when given): the explicit
    explorers against the table and each other, and (with ``z3``) the Z3 engine against them, on
    every configuration or, with ``z3_on``, on those it chooses."""
    configs = [cfg for cfg in sweep_configs() if (cfg.clients, cfg.addresses) == size and cfg.variant == variant
               and deletes in (None, cfg.deletes)]
    tally = agreement(configs, [z3 and (z3_on is None or z3_on(cfg)) for cfg in configs])
    # the table states both invariants everywhere; the reduced explorer gives client 0's and the
    # global verdicts of every property
    assert len(configs) == (16 if deletes is None else 8)
    return tally


def agreement(configs: list[Config], z3: list[bool]) -> Tally:
    """The explicit explorers against the table and each other on every configuration of
    ``configs``, and the Z3 engine against them where ``z3`` says so. The Z3 runs go to worker
    processes, a fresh one per configuration, while this process explores."""
    tally = Tally()
    # one fresh process per configuration, as `leasecheck check --engine both` runs: Z3's state
    # (one context per process) then never carries over from one configuration to the next,
    # which would make Spacer's course, and so whether it finishes in time, depend on the order
    with ProcessPoolExecutor(_z3_workers(), mp_context=multiprocessing.get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        runs = [pool.submit(z3_report, dhcp_model(cfg), _names(cfg), SWEEP_Z3) if with_z3 else None
                for cfg, with_z3 in zip(configs, z3, strict=True)]
        for cfg, run in zip(configs, runs, strict=True):
            names = _names(cfg)
            explicit, table, explorers = explicit_agreement(cfg, names)
            compared, unknown = z3_agreement(cfg, names, explicit, run.result()) if run is not None else (0, [])
            tally = Tally(tally.table + table, tally.explorers + explorers, tally.z3 + compared,
                          tally.z3_unknown + tuple(unknown))
    # the table states both invariants everywhere; the reduced explorer gives client 0's and the
    # global verdicts of every property
    assert tally.table >= 2 * len(configs) and tally.explorers >= sum(len(_names(c)) for c in configs)
    return tally


def _z3_agrees_everywhere(size: tuple[int, int], variant: str, deletes: int | None = None,
                          z3_on: Chooser | None = None) -> None:
    tally = sweep(size, variant, deletes=deletes, z3_on=z3_on)
    # within its default bounds the Z3 engine decides every property whose kind it decides:
    # recovery for each client, the two invariants and the kb_symptom target, per configuration
    assert not tally.z3_unknown, "\n".join(tally.z3_unknown)
    chosen = [cfg for cfg in sweep_configs() if (cfg.clients, cfg.addresses) == size and cfg.variant == variant
              and deletes in (None, cfg.deletes) and (z3_on is None or z3_on(cfg))]
    configs = len(chosen)
    assert tally.z3 == configs * (4 if size[0] == 1 else 6)


def _cases(sizes: list[tuple[int, int]]) -> list[object]:
    return [pytest.param(size, v, id=f"{size[0]}x{size[1]}-{v}") for size in sizes for v in VARIANTS]


#: the quarter of the 1x1 configurations the README's test command gives Z3 for nt35, and the
#: sweep tier for the other variants
DEFAULT_1X1 = frozenset({0})


@pytest.mark.slow
@pytest.mark.parametrize("variant", [v if v == "nt35" else pytest.param(v, marks=pytest.mark.sweep)
                                     for v in VARIANTS])
def test_every_engine_agrees_everywhere_at_1x1(variant: str) -> None:
    # the explicit explorers on all 16, the Z3 engine (a fresh process each) on one quarter
    _z3_agrees_everywhere((1, 1), variant, z3_on=quarters(DEFAULT_1X1))


@pytest.mark.long
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_engine_agrees_everywhere_at_1x1_the_other_quarters(variant: str) -> None:
    _z3_agrees_everywhere((1, 1), variant, z3_on=quarters(frozenset({1, 2, 3})))


#: the 2x2 configurations of the README's test command, (deletes, losses, reboots, restart): per
#: variant one without a delete that both engines decide (from the half the sweep tier gives Z3, a
#: few seconds each, benchmarks/README.md; together every value of losses, reboots and restart)
#: and one with a delete for the explicit explorers
FEW_2X2 = {
    "nt35": ((0, 0, 0, False), (1, 1, 1, True)),
    "nt40": ((0, 1, 1, False), (1, 0, 0, False)),
    "rfc2131": ((0, 1, 0, True), (1, 1, 0, False)),
    "dnsmasq": ((0, 0, 1, True), (1, 0, 1, True)),
    "authoritative": ((0, 1, 0, True), (1, 0, 0, True)),
}


@pytest.mark.long  # their configurations are among the sweep tier's 2x2 ones (the explicit side)
@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_engine_agrees_on_a_few_2x2_configurations(variant: str) -> None:
    both, explicit = (Config(clients=2, addresses=2, variant=variant, deletes=D, losses=L, reboots=R, restart=restart) for D, L, R, restart in FEW_2X2[variant])
    tally = agreement([both, explicit], [True, False])
    assert not tally.z3_unknown, "\n".join(tally.z3_unknown)
    assert tally.z3 == 6


@pytest.mark.sweep
@pytest.mark.slow
@pytest.mark.parametrize(("size", "variant"), _cases(SIZES[1:3]))
def test_every_engine_agrees_everywhere(size: tuple[int, int], variant: str) -> None:
    # the explicit explorers on all 16, the Z3 engine on the two with every budget off and every
    # budget on (each budget value once); the other fourteen are the long tier's
    _z3_agrees_everywhere(size, variant, z3_on=extreme)


@pytest.mark.long
@pytest.mark.parametrize(("size", "variant"), _cases(SIZES[1:3]))
def test_every_engine_agrees_everywhere_the_others(size: tuple[int, int], variant: str) -> None:
    _z3_agrees_everywhere(size, variant, z3_on=lambda cfg: not extreme(cfg))


@pytest.mark.sweep
@pytest.mark.slow(first=True)
@pytest.mark.parametrize("deletes", [0, 1], ids=["D0", "D1"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_engine_agrees_everywhere_at_2x2(variant: str, deletes: int) -> None:
    # the Z3 side of the 80 configurations takes about 30 minutes of Z3 time on this machine, most
    # of it with a delete (benchmarks/README.md), so the sweep tier gives Z3 one quarter of those
    # without a delete (no loss; each value of reboots and restart), and the explicit
    # explorers all 80; split by deletes, so no one test holds up the end of the run, and started first
    if deletes == 0:
        _z3_agrees_everywhere((2, 2), variant, deletes, z3_on=quarters(frozenset({0})))
    else:
        sweep((2, 2), variant, z3=False, deletes=deletes)


@pytest.mark.long
@pytest.mark.parametrize("deletes", [0, 1], ids=["D0", "D1"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_engine_agrees_everywhere_at_2x2_the_rest(variant: str, deletes: int) -> None:
    """The 2x2 configurations that the sweep tier gives the explicit explorers only: with a delete, all
    eight; without one, the other three quarters."""
    _z3_agrees_everywhere((2, 2), variant, deletes, z3_on=quarters(frozenset({1, 2, 3})) if deletes == 0 else None)


def test_the_few_2x2_configurations_hold_every_budget_value_and_a_delete_per_variant() -> None:
    both = [Config(clients=2, addresses=2, variant=v, **dict(zip(("deletes", "losses", "reboots", "restart"), FEW_2X2[v][0], strict=True))) for v in VARIANTS]
    assert all(half(cfg) == 0 and cfg.deletes == 0 for cfg in both)
    assert all(FEW_2X2[v][1][0] == 1 for v in VARIANTS)
    for field in ("losses", "reboots", "restart"):
        assert {int(getattr(cfg, field)) for cfg in both} == {0, 1}


def test_the_two_halves_split_every_variant_and_budget_evenly() -> None:
    configs = [cfg for cfg in sweep_configs() if (cfg.clients, cfg.addresses) == (2, 2)]
    for h in (0, 1):
        part = [cfg for cfg in configs if half(cfg) == h]
        assert len(part) == 40
        for variant, deletes in itertools.product(VARIANTS, (0, 1)):
            assert sum(cfg.variant == variant and cfg.deletes == deletes for cfg in part) == 4
        for value in (0, 1):
            for field in ("losses", "reboots", "restart"):
                assert sum(int(getattr(cfg, field)) == value for cfg in part) == 20


def test_each_quarter_holds_each_budget_value_twice_per_variant_and_two_make_a_half() -> None:
    configs = [cfg for cfg in sweep_configs() if (cfg.clients, cfg.addresses) == (2, 1)]
    for q in range(4):
        for variant in VARIANTS:
            part = [cfg for cfg in configs if quarter(cfg) == q and cfg.variant == variant]
            assert len(part) == 4
            for field in ("deletes", "losses", "reboots", "restart"):
                assert sorted(int(getattr(cfg, field)) for cfg in part) == [0, 0, 1, 1], (q, field)
    assert all(quarter(cfg) in HALVES[half(cfg)] for cfg in configs)


def test_the_extreme_pair_holds_each_budget_value_once() -> None:
    for size in SIZES:
        for variant in VARIANTS:
            pair = [cfg for cfg in sweep_configs() if (cfg.clients, cfg.addresses) == size and cfg.variant == variant
                    and extreme(cfg)]
            assert len(pair) == 2
            for field in ("deletes", "losses", "reboots", "restart"):
                assert sorted(int(getattr(cfg, field)) for cfg in pair) == [0, 1]
