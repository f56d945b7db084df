"""The first-order form of the model, instantiated in finite networks, is the explicit engine's model.

For a configuration the explicit engine explores the reachable graph; the first-order commands of
the same variant and budgets (checker/allsizes/fo.py, traced from the one model) are evaluated in the
network of that size (checker/allsizes/fo_finite.py). In each state checked, the set of (action
instance, next state) pairs the first-order commands allow must be the set of the graph's edges
out of that state; the first-order initial condition must hold in the initial state and in no
other reachable state. Checked in every reachable state, that makes the reachable states and
transitions the same (by induction from the initial state); in a sample, it checks those states.

What runs: the README's test command, every variant at 1x1, 1x2, 2x1, 2x2 (D=1) in every state,
and at 2x2 with D=L=R=1 and restart in a fixed sample of states (each state at a fixed stride
through the graph, and the deepest ones); the sweep tier (``pytest -m sweep``), samples of every
variant at 3x3 with D=1 and with D=0, and of nt35 and nt40 at 3x3 with L=R=1 and restart; the long
tier (``pytest -m long``), every state of 3x3 with D=0 and of 2x2 with D=L=R=1 and restart (each
variant several minutes: a Python evaluation of the first-order commands per state).
"""

from __future__ import annotations

import pytest

from leasecheck.checker.allsizes.fo import first_order_system
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.explicit.explore import StateGraph, explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE


def _edges(graph: StateGraph, i: int) -> set:
    system = graph.system
    out = set()
    for e in graph.out_edges(i):
        cmd = system.commands[graph.cmd[e]]
        out.add((cmd.action, cmd.params, tuple(graph.states[graph.dst[e]])))
    return out


def _compare(cfg: Config, sample: int | None) -> int:
    system = dhcp_system(cfg)
    graph = explore(system)
    assert graph.complete
    reading = FiniteReading(first_order_system(SIDE, cfg), cfg.clients, cfg.addresses, system=system)
    n = len(graph.states)
    if sample is None or sample >= n:
        chosen = range(n)
    else:
        stride = max(1, n // sample)
        chosen = sorted({*range(0, n, stride), *range(n - 50, n)})
    init_ok = reading.initial([tuple(graph.states[i]) for i in chosen])
    assert init_ok == [system.initial]
    for i in chosen:
        state = tuple(graph.states[i])
        mine = reading.successors(state)
        theirs = _edges(graph, i)
        assert mine == theirs, (cfg.describe(), system.decode(state), sorted(map(str, mine ^ theirs))[:4])
    return len(chosen)


SMALL = [(v, c, a) for v in VARIANTS for c, a in ((1, 1), (1, 2), (2, 1), (2, 2))]


@pytest.mark.parametrize(("variant", "clients", "addresses"),
                         [p if p[1:] != (2, 2) else pytest.param(*p, marks=pytest.mark.sweep) for p in SMALL])
def test_every_state_of_the_small_networks(variant: str, clients: int, addresses: int) -> None:
    # every state up to 2x1 and 1x2 in the README's test command (2x2's every state, a third of a
    # minute for the five variants, in the sweep tier; a sample of it just below)
    checked = _compare(Config(clients=clients, addresses=addresses, variant=variant, deletes=1), None)
    assert checked > 10


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_sample_of_the_2x2_networks(variant: str) -> None:
    assert _compare(Config(clients=2, addresses=2, variant=variant, deletes=1), 1_000) >= 1_000


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_sample_of_2x2_with_every_budget_and_restart(variant: str) -> None:
    assert _compare(Config(clients=2, addresses=2, variant=variant, deletes=1, losses=1, reboots=1, restart=True), 600) >= 600


@pytest.mark.sweep
@pytest.mark.parametrize(("variant", "budgets"), [*((v, (1, 0, 0)) for v in VARIANTS),
                                                 ("nt35", (0, 1, 1)), ("nt40", (0, 1, 1))])
def test_a_sample_of_3x3(variant: str, budgets: tuple[int, int, int]) -> None:
    assert _compare(Config(clients=3, addresses=3, variant=variant, **dict(zip(("deletes", "losses", "reboots"), budgets, strict=True)),
                           restart=budgets[0] == 0), 400) >= 400


def test_the_client_nak_mode_too() -> None:
    _compare(Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=0, reboots=0, client_nak="ignore-while-renewing"), None)


@pytest.mark.sweep
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_sample_of_3x3_without_deletes(variant: str) -> None:
    assert _compare(Config(clients=3, addresses=3, variant=variant, deletes=0, losses=0, reboots=0), 2_000) >= 2_000


@pytest.mark.long  # the sweep tier compares a sample of these states (above)
@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_state_of_3x3_without_deletes(variant: str) -> None:
    _compare(Config(clients=3, addresses=3, variant=variant, deletes=0, losses=0, reboots=0), None)


@pytest.mark.long  # the README's test command compares a sample of these states (above)
@pytest.mark.slow
@pytest.mark.parametrize("variant", ["nt35", "nt40"])
def test_every_state_of_2x2_with_every_budget_and_restart(variant: str) -> None:
    _compare(Config(clients=2, addresses=2, variant=variant, deletes=1, losses=1, reboots=1, restart=True), None)


def test_an_unbounded_budget_keeps_the_guards_open() -> None:
    fs = first_order_system(SIDE, Config(variant="nt35", deletes=1), unbounded=True)
    assert fs.groups["deletes_left"].keys == (("atom", float("inf")),)
    assert {c.action for c in fs.commands} >= {"AdminDelete", "LoseToServer", "Reboot"}
