"""Recovery for every network: the ghost map, the view of one client, the ranking, and `prove`."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
import z3

from leasecheck import check_certificate
from leasecheck.checker.allsizes import recovery, safety
from leasecheck.checker.allsizes.fo import EqT, Var, conj, first_order_system, initial_formula, neg, quant, well_formed
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import Vocabulary
from leasecheck.checker.allsizes.ghost import GHOST, ghost_lemmas, with_ghost
from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- the ghost map -------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["nt40", "authoritative"])
def test_the_ghost_changes_no_step_of_the_model(variant: str) -> None:
    """Every command keeps its guard and its updates; the ghost only adds its own update."""
    fs = first_order_system(SIDE, Config(variant=variant))
    ghosted = with_ghost(fs)
    assert len(ghosted.commands) == len(fs.commands)
    added = 0
    for plain, cmd in zip(fs.commands, ghosted.commands, strict=True):
        assert (cmd.action, cmd.label, cmd.guard, cmd.bound) == (plain.action, plain.label, plain.guard, plain.bound)
        extra = [u for u in cmd.updates if u.group == GHOST]
        assert [u for u in cmd.updates if u.group != GHOST] == list(plain.updates)
        assert len(extra) <= 1 and all(u.every for u in extra)
        added += len(extra)
    # the writes of an entry naming a client: offer a free address, ACK (and re-create, authoritative)
    assert added == {"nt40": 5, "authoritative": 8}[variant]


@pytest.mark.parametrize(("clients", "addresses", "exists"), [(1, 1, True), (2, 2, True), (2, 3, True),
                                                               (2, 1, False), (3, 2, False)])
def test_an_injective_ghost_exists_exactly_when_there_are_enough_addresses(clients: int, addresses: int,
                                                                         exists: bool) -> None:
    ghosted = with_ghost(first_order_system(SIDE, Config(variant="nt40")))
    vocab = Vocabulary(ghosted, z3.Context(), {"client": clients, "address": addresses})
    s = z3.Solver(ctx=vocab.ctx)
    s.add(vocab.formula(initial_formula(ghosted)))
    assert (s.check() == z3.sat) is exists


def test_the_ghost_lemmas_and_single_binding_are_inductive_for_every_network() -> None:
    ghosted = with_ghost(first_order_system(SIDE, Config(variant="nt40")))
    base = conj(*(f for _, f in ghost_lemmas(ghosted)), ghosted.invariant("single_binding"))
    ok, why = safety.recheck(ghosted, base, [])
    assert ok, why


# -- the view of one client ----------------------------------------------------------------------

def test_each_part_of_the_view_takes_exactly_one_option_in_every_reachable_state() -> None:
    cfg = Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1)
    fs = first_order_system(SIDE, cfg)
    comps = recovery.components(with_ghost(fs))
    reading = FiniteReading(fs, 2, 2)
    graph = explore(dhcp_system(cfg))
    fns = [[reading.compile_formula(f, [fs.participant]) for _, f in comp.options] for comp in comps]
    for state in list(graph.states)[::7]:
        S = reading.structure(state)
        for c in range(2):
            for comp, opts in zip(comps, fns, strict=True):
                assert sum(bool(fn(S, reading.sizes, c)) for fn in opts) == 1, comp.name


def _graph(edges: dict[str, list[tuple[str, str]]], enabled: dict[str, set[str]], goal: set[str]) -> recovery.ViewGraph:
    g = recovery.ViewGraph()
    names = {n: (i,) for i, n in enumerate(sorted(set(edges) | {w for es in edges.values() for _, w in es}))}
    for n, v in names.items():
        g.add_view(v, enabled.get(n, set()), n in goal)
    for n, es in edges.items():
        for label, w in es:
            g.add_edge(names[n], label, names[w])
    return g


def test_levels_follow_the_helpful_actions_back_from_the_goal() -> None:
    # init -Discover-> selecting -ServeDiscover-> offered -RecvOffer-> goal; others may only wait
    g = _graph({"init": [("Discover", "selecting"), ("", "init")], "selecting": [("ServeDiscover", "offered")],
                "offered": [("RecvOffer", "goal"), ("", "offered")], "goal": []},
               {"init": {"Discover"}, "selecting": {"ServeDiscover"}, "offered": {"RecvOffer"}}, {"goal"})
    levels, rest = recovery.rank_views(g, ("Discover", "ServeDiscover", "RecvOffer"))
    assert not rest
    assert [lv.helpful for lv in levels] == ["RecvOffer", "ServeDiscover", "Discover"]


def test_a_step_that_leads_back_up_leaves_the_views_unranked() -> None:
    # another client's step takes "offered" back to "init": no level may hold both
    g = _graph({"init": [("Discover", "offered")], "offered": [("RecvOffer", "goal"), ("", "init")], "goal": []},
               {"init": {"Discover"}, "offered": {"RecvOffer"}}, {"goal"})
    levels, rest = recovery.rank_views(g, ("Discover", "RecvOffer"))
    assert len(rest) == 2 and not levels


def test_an_action_of_c0_is_read_as_enabled_in_a_solver_s_state_where_its_guard_holds() -> None:
    """A view found by the solver (a state no finite network showed) enters the view graph with the
    client's actions enabled in it: each guard is read with its quantifiers expanded over the
    model's universes, as the view is. Z3's own evaluation leaves ServeDiscover's guard (an
    existential, and "some entry names c0" inside it) unevaluated in some of these models; read as
    "disabled", it left "SELECTING with its DISCOVER on the way" without a level."""
    ghosted = with_ghost(first_order_system(SIDE, Config(variant="authoritative")))
    comps = recovery.components(ghosted)
    vocab = Vocabulary(ghosted, z3.Context())
    views = recovery._Views(ghosted, vocab, comps)
    option = {(comp.name, word): views.pre[k][m] for k, comp in enumerate(comps) for m, (word, _) in enumerate(comp.options)}
    actions = recovery.own_fair_actions(ghosted)
    terms = {h: recovery._enabled(ghosted, vocab, h) for h in actions}
    c0, d, a, b = ghosted.participant, Var("d", "client"), Var("a", "address"), Var("b", "address")
    for seed in range(6):  # models of the same state, with another client and two addresses
        s = z3.Solver(ctx=vocab.ctx)
        s.set("random_seed", seed)
        s.add(vocab.formula(well_formed(ghosted)), *views.defs)
        s.add(option[("st", "SELECTING")], option[("to_srv", "DISCOVER")], option[("to_cli", "none")],
              option[("an entry names c0", "yes")])
        s.add(vocab.formula(quant("exists", (d, a, b), conj(neg(EqT(d, c0)), neg(EqT(a, b))))))
        assert s.check() == z3.sat
        assert views.enabled(s.model(), terms, post=False) == {"ServeDiscover"}, seed


# -- prove ---------------------------------------------------------------------------------------

@pytest.mark.long  # about ten minutes alone (benchmarks/README.md); under load its solver calls may time out
def test_nt40_recovery_holds_for_every_network_and_its_certificate_is_valid(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert = tmp_path / "recovery.smt2"
    code, out, _ = run("prove", "--variant", "nt40", "--property", "recovery", "--format", "json",
                       "--certificate", str(cert), "--timeout", "1800")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "holds" and doc["sizes"] == "all", doc["reason"]
    assert doc["needs_addresses_at_least_clients"] and doc["rechecked"]
    assert doc["ranking"] and all(level["views"] for level in doc["ranking"])
    assert {level["helpful"] for level in doc["ranking"]} >= {"ServeDiscover(c0)", "RecvAck(c0)", "ServeRequest(c0)"}
    result = check_certificate(cert, solvers=["z3"], timeout=600)
    assert result.valid and result.header.rule == "ranking" and len(result.header.levels) == len(doc["ranking"])


#: the committed recovery certificates for every budget (docs/allsizes.md, "What is proved"): each
#: proved again in a fresh process. RFC 2131's with restarts (about a minute and a half of CPU) in the
#: proofs tier, where the certificate must come out byte for byte as committed (the path depends on
#: no clock, docs/allsizes.md "Limits"); the others, one and a half to six minutes each, in long,
#: where a certificate written by an earlier version of the search may differ and must then be valid
ANY_BUDGET = [pytest.param(variant, restart, marks=pytest.mark.proofs if (variant, restart) == ("rfc2131", True)
                           else pytest.mark.long, id=f"{variant}{'-restart' if restart else ''}")
              for variant in ("nt40", "dnsmasq", "rfc2131", "authoritative") for restart in (False, True)]


@pytest.mark.slow(first=True)
@pytest.mark.parametrize(("variant", "restart"), ANY_BUDGET)
def test_recovery_for_every_budget_proved_again_is_the_committed_certificate(tmp_path, variant: str,  # type: ignore[no-untyped-def]
                                                                             restart: bool, request) -> None:
    import subprocess
    import sys
    from pathlib import Path

    name = f"{variant}-recovery-any{'-restart' if restart else ''}.smt2"
    committed = Path(__file__).resolve().parent / "data" / "certificates" / name
    cert = tmp_path / name
    proc = subprocess.run([sys.executable, "-m", "leasecheck", "prove", "--variant", variant, "--property", "recovery",
                           "--any-budget", *(["--restart"] if restart else []), "--format", "json", "--quiet",
                           "--certificate", str(cert), "--timeout", "5400"], capture_output=True, text=True, check=False)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["verdict"] == "holds" and doc["budgets"] == "any", (doc["reason"], proc.stderr)
    assert doc["sizes"] == "all" and doc["restart"] == restart and doc["rechecked"]
    head = [line for line in committed.read_text().splitlines() if line.startswith("(set-info :leasecheck-certificate")]
    assert head == [line for line in cert.read_text().splitlines() if line.startswith("(set-info :leasecheck-certificate")]
    if request.node.get_closest_marker("proofs") is not None:
        assert cert.read_text() == committed.read_text(), "the same command took another path"
    elif cert.read_text() != committed.read_text():  # written by an earlier search: another path, also valid
        assert check_certificate(cert, solvers=["z3"], timeout=600).valid


@pytest.mark.proofs
@pytest.mark.slow
def test_the_ranking_does_not_prove_recovery_for_nt35() -> None:
    """The negative control of the first-order proof itself, without the finite search first."""
    import time

    cfg = Config(variant="nt35")
    fs = first_order_system(SIDE, cfg)
    ghosted = with_ghost(fs)
    comps = recovery.components(ghosted)
    graph = recovery.ViewGraph()
    net = dataclasses.replace(cfg, clients=2, addresses=2)
    explored = explore(dhcp_system(net))
    recovery.read_views(fs, FiniteReading(first_order_system(SIDE, net), 2, 2), explored, comps, graph)
    base = conj(*(f for _, f in ghost_lemmas(ghosted)), ghosted.invariant("single_binding"))
    proof = recovery.prove_recovery(ghosted, base, [], graph, comps, time.monotonic() + 120)
    assert proof.verdict == "unknown"
    assert "no ranking" in proof.reason


def test_views_no_network_reaches_are_said_to_be_not_excluded_by_the_invariant() -> None:
    """A view left unranked that only the solver's counterexamples showed is a weakness of the
    invariant found, not a fair run that stays: the reason says which is which."""
    from leasecheck.checker.allsizes.fo import TRUE_F

    comps = (recovery.Component("st", (("INIT", TRUE_F), ("BOUND", TRUE_F))),)
    why = recovery.unranked_reason(comps, {(0,)}, reached=set())
    assert why.startswith("1 views have no ranking and are not excluded by the invariant found")
    assert "st = INIT" in why and "fair run" not in why
    why = recovery.unranked_reason(comps, {(0,), (1,)}, reached={(1,)})
    assert "not excluded by the invariant found" in why.split("; and ")[0] and "st = INIT" in why.split("; and ")[0]
    assert "of reachable states" in why.split("; and ")[1] and "st = BOUND" in why.split("; and ")[1]


# -- for every budget: the steps that spend a budget may lead up ---------------------------------

def test_the_view_for_every_budget_has_no_budget_part() -> None:
    names = {c.name for c in recovery.components(with_ghost(first_order_system(SIDE, Config(variant="nt40"))))}
    every = {c.name for c in recovery.components(with_ghost(first_order_system(SIDE, Config(variant="nt40"), unbounded=True)))}
    assert {"deletes_left", "losses_left", "reboots_left"} <= names and names - every == {"deletes_left", "losses_left", "reboots_left"}


def test_a_disturbance_may_lead_up_in_the_levels_any_other_step_may_not() -> None:
    # A: Timeout leads to the goal, a step leads to B; B: Discover leads to A. With the step to B a
    # disturbance, A is the lowest level and B the next; with any other step, neither is ranked
    G, A, B = (0,), (1,), (2,)
    for label, ranked in ((recovery.DISTURBANCE, True), ("", False)):
        g = recovery.ViewGraph()
        g.add_view(G, set(), True)
        g.add_view(A, {"Timeout"}, False)
        g.add_view(B, {"Discover"}, False)
        g.add_edge(A, "Timeout", G)
        g.add_edge(A, label, B)
        g.add_edge(B, "Discover", A)
        levels, rest = recovery.rank_views(g, ["Timeout", "Discover"])
        if ranked:
            assert [(lv.helpful, set(lv.views)) for lv in levels] == [("Timeout", {A}), ("Discover", {B})] and not rest
        else:
            assert levels == [] and rest == {A, B}


def test_the_steps_that_spend_a_budget_are_disturbances_of_the_view_graph_for_every_budget_only() -> None:
    cfg = Config(variant="nt40", deletes=1, losses=1, reboots=1)
    explored = explore(dhcp_system(cfg))
    reading = FiniteReading(first_order_system(SIDE, cfg), 1, 1)
    for unbounded in (False, True):
        fs = first_order_system(SIDE, cfg, unbounded=unbounded)
        assert recovery.disturbing_actions(fs) == (
            {"AdminDelete", "Reboot", "LoseToServer", "LoseToClient"} if unbounded else frozenset())
        graph = recovery.ViewGraph()
        recovery.read_views(fs, reading, explored, recovery.components(with_ghost(fs)), graph)
        labels = {lab for edges in graph.edges.values() for lab, _ in edges}
        assert (recovery.DISTURBANCE in labels) is unbounded
