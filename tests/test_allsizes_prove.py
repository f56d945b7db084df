"""`leasecheck prove`: the decidable-fragment check, the learned invariants, the verdicts and exit statuses."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pytest

from leasecheck import check_certificate
from leasecheck.checker.allsizes import safety
from leasecheck.checker.allsizes.effort import Effort, Query
from leasecheck.checker.allsizes.epr import FragmentError, fragment_report, require_epr
from leasecheck.checker.allsizes.fo import (
    EqT,
    FieldFn,
    Quant,
    Rel,
    Var,
    command_formula,
    first_order_system,
    initial_formula,
    neg,
    rename_post,
    well_formed,
)
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.interp import holds
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE
from leasecheck.properties.spec import Invariant


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- the fragment --------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["nt35", "nt40", "authoritative"])
def test_every_step_query_of_the_model_is_in_the_fragment(variant: str) -> None:
    fs = first_order_system(SIDE, Config(variant=variant, restart=True, losses=1, reboots=1))
    prop = fs.invariant("single_binding")
    for cmd in fs.commands:
        parts = [("wf", well_formed(fs)), ("inv", prop), ("step", command_formula(fs, cmd)), ("goal", neg(rename_post(prop)))]
        assert require_epr(fs, parts).ok
    assert require_epr(fs, [("init", initial_formula(fs)), ("goal", neg(prop))]).ok


def test_a_cycle_through_a_quantifier_is_refused_and_named() -> None:
    fs = first_order_system(SIDE, Config(variant="nt40"))
    a, c = Var("a_t", "address"), Var("c_t", "client")
    # for every address some client owns it: address -> client, while addr.value goes client -> address
    bad = Quant("forall", (a,), Quant("exists", (c,), Rel("db", "client", a, c, False)))
    with pytest.raises(FragmentError) as info:
        require_epr(fs, [("the owner lemma", bad)])
    text = str(info.value)
    assert "exists c_t: client" in text and "forall a_t: address" in text and "the owner lemma" in text
    assert "the function " in text and "from client to address" in text


def test_a_negated_existential_is_universal_and_stays_in_the_fragment() -> None:
    fs = first_order_system(SIDE, Config(variant="nt40"))
    a, c = Var("a_u", "address"), Var("c_u", "client")
    # not (forall a exists c): exists a forall c, no Skolem function
    fine = neg(Quant("forall", (a,), Quant("exists", (c,), Rel("db", "client", a, c, False))))
    assert fragment_report(fs, [("x", fine)]).ok
    # not (exists a forall c): forall a exists c, an edge from address to client: a cycle
    assert not fragment_report(fs, [("x", neg(Quant("exists", (a,), Quant("forall", (c,), Rel("db", "client", a, c, False)))))]).ok


def test_a_function_back_from_address_to_client_would_be_named() -> None:
    fs = first_order_system(SIDE, Config(variant="nt40"))
    a = Var("a_v", "address")
    c = Var("c_v", "client")
    # addr.value(c) is a function client -> address; an existential client under a universal address closes it
    f = Quant("forall", (a,), Quant("exists", (c,), EqT(FieldFn("addr", "", c, False, "address"), a)))
    report = fragment_report(fs, [("the surjection", f)])
    assert not report.ok
    assert {e.source for e in report.cycle} == {"client", "address"}


# -- the properties' first-order form --------------------------------------------------------------


@cache  # explored once for both properties
def every_seventh_reachable_state(cfg: Config) -> list[tuple[int, ...]]:
    graph = explore(dhcp_system(cfg))
    return [tuple(graph.states[i]) for i in range(0, len(graph.states), 7)]


@pytest.mark.parametrize("name", ["single_binding", "no_duplicate_address"])
@pytest.mark.parametrize("variant", ["nt35", "authoritative"])
def test_the_first_order_property_is_the_finite_property_in_reachable_states(name: str, variant: str) -> None:
    for c, a in ((2, 2), (3, 2)):
        cfg = Config(clients=c, addresses=a, variant=variant, deletes=1)
        system = dhcp_system(cfg)
        fs = first_order_system(SIDE, cfg)
        reading = FiniteReading(fs, c, a, system=system)
        fo = fs.invariant(name)
        finite = dhcp_properties(system, cfg, [name])[0]
        assert isinstance(finite, Invariant)
        seen = set()
        for s in every_seventh_reachable_state(cfg):
            got = reading.holds(fo, s)
            assert got == holds(finite.good, s), system.decode(s)
            seen.add(got)
        if name == "no_duplicate_address":
            assert seen == {True, False}  # D=1 breaks it, so both answers are met


# -- proofs and their honesty --------------------------------------------------------------------


def test_the_recheck_asks_each_group_from_itself_first_and_the_whole_invariant_only_when_that_is_not_enough() -> None:
    # single_binding: every step keeps it from itself alone, so no question carries more
    fs = first_order_system(SIDE, Config(variant="nt40", deletes=1))
    asked: list[Query] = []
    assert safety.recheck(fs, fs.invariant("single_binding"), [], Effort(trace=asked.append)) == (True, "")
    steps = [q for q in asked if q.what != "the re-check of initiation"]
    assert len(steps) == len(fs.commands) and all(q.what.endswith("from themselves") and q.result == "unsat"
                                                  for q in steps)
    # no_duplicate_address alone: a step breaks it from itself, and that "sat" is not the answer
    # (a state of the conjuncts alone need not satisfy the whole invariant): the question with the
    # whole invariant is asked, and its counterexample is
    fs = first_order_system(SIDE, Config(variant="nt40", deletes=0))
    asked = []
    ok, why = safety.recheck(fs, fs.invariant("no_duplicate_address"), [], Effort(trace=asked.append))
    alone, whole = asked[-2:]
    assert not ok and "RecvAck" in why
    assert alone.what.endswith("from themselves") and alone.result == "sat"
    assert whole.what == alone.what.removesuffix(" from themselves") and whole.result == "sat"


def test_the_search_asks_each_group_for_every_network_from_itself_first() -> None:
    # single_binding is kept by every step from itself alone: no question for every network
    # carries more (and no finite network has a counterexample to induction either)
    fs = first_order_system(SIDE, Config(variant="nt40", deletes=1))
    asked: list[Query] = []
    proof = safety.prove_invariant(fs, fs.invariant("single_binding"), [], Effort(trace=asked.append), final=False)
    assert proof.verdict == "holds" and not proof.clauses
    every = [q for q in asked if "in every network" in q.what]
    assert len(every) == len(fs.commands) and all(q.what.endswith("from themselves") and q.result == "unsat"
                                                  for q in every)


def test_the_property_alone_is_not_inductive_for_no_duplicate_address() -> None:
    fs = first_order_system(SIDE, Config(variant="nt40", deletes=0))
    prop = fs.invariant("no_duplicate_address")
    ok, why = safety.recheck(fs, prop, [])
    assert not ok and "is not shown to keep" in why
    # without candidates the learner cannot close it: unknown, never holds
    proof = safety.prove_invariant(fs, prop, [], deadline=1e18)
    assert proof.verdict == "unknown" and "no learned clause excludes" in proof.reason


def test_single_binding_for_every_network_and_json() -> None:
    code, out, _ = run("prove", "--variant", "nt40", "--property", "single_binding", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "holds" and doc["sizes"] == "all" and doc["rechecked"]
    assert doc["candidates"] > 100 and len(doc["learned_from"]) == 2


#: the certificate of single_binding for every budget, as the test below writes it
ANY_BUDGET = Path(__file__).resolve().parent / "data" / "any-budget" / "nt35-single_binding-restart.smt2"


def test_the_committed_certificate_for_every_budget_is_valid() -> None:
    result = check_certificate(ANY_BUDGET)
    assert result.valid and result.header.any_budget and len(result.obligations) > 30  # type: ignore[union-attr]
    assert result.solvers == ("z3", "cvc5")
    assert result.claim.startswith("single_binding holds for every number of clients and addresses")


@pytest.mark.proofs  # learning from two explored networks: a quarter of a minute
@pytest.mark.slow
def test_single_binding_for_every_budget_writes_the_committed_certificate(tmp_path) -> None:
    cert = tmp_path / "sb.smt2"
    code, out, _ = run("prove", "--variant", "nt35", "--property", "single_binding", "--any-budget",
                       "--restart", "--certificate", str(cert))
    assert code == 0, out
    assert "every budget" in out and "holds" in out
    assert cert.read_text() == ANY_BUDGET.read_text()


# the proof of no_duplicate_address without deletes for every network, learned again with its
# certificate checked by the kernel, is tests/test_proofs_committed.py's (its invariant is
# committed there and re-checked by the README's test command)


def test_a_recheck_after_its_deadline_is_unknown_not_holds() -> None:
    fs = first_order_system(SIDE, Config(variant="nt40"))
    prop = fs.invariant("single_binding")
    assert safety.recheck(fs, prop, [])[0]  # inductive on its own
    ok, why = safety.recheck(fs, prop, [], deadline=0.0)
    assert not ok and why == "the time ran out during the re-check"


def test_a_recheck_past_the_run_s_limit_of_work_says_so_not_that_the_time_ran_out() -> None:
    from leasecheck.checker.allsizes.effort import Effort, WorkMeter

    fs = first_order_system(SIDE, Config(variant="nt40"))
    meter = WorkMeter(limit=1)
    meter.add(1)  # the run has spent its work before the re-check
    ok, why = safety.recheck(fs, fs.invariant("single_binding"), [], Effort(meter=meter))
    assert not ok and why.startswith("the run's limit of work (1 units) was spent before "), why
    assert "re-check" in why and "time" not in why


def test_the_nt35_control_fails_with_its_lasso() -> None:
    code, out, _ = run("prove", "--variant", "nt35", "--property", "recovery", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "violated" and doc["sizes"] is None
    trace = doc["counterexample"]["result"]["trace"]
    assert trace["loop_start"] is not None


def test_a_finite_counterexample_refutes_no_duplicate_address_with_deletes() -> None:
    code, out, _ = run("prove", "--variant", "nt40", "--property", "no_duplicate_address", "--deletes", "1")
    assert code == 1 and "violated in the network of 2 clients" in out


def test_recovery_cut_short_is_unknown_not_holds() -> None:
    code, out, _ = run("prove", "--variant", "nt40", "--property", "recovery", "--timeout", "3")
    assert code == 3 and out.splitlines()[0].endswith(": unknown") and "no proof for every network" in out


def test_recovery_for_every_budget_is_refuted_by_the_kb_lasso_for_nt35() -> None:
    # a counterexample with one delete refutes "after any number of disturbances"
    code, out, _ = run("prove", "--variant", "nt35", "--property", "recovery", "--any-budget")
    assert code == 1 and out.startswith("recovery for nt35, every budget, every number of clients C >= 1 and addresses A >= C: violated")
    assert "violated in the network of 1 clients and 1 addresses" in out and "-- loop:" in out


@pytest.mark.parametrize("argv", [
    ("--variant", "nt99", "--property", "single_binding"),
    ("--variant", "nt40", "--property", "kb_symptom"),
    ("--variant", "nt40", "--property", "single_binding", "--deletes", "-1"),
    ("--variant", "nt40", "--property", "single_binding", "--timeout", "0"),
    ("--variant", "nt40", "--property", "single_binding", "--timeout", "nan"),
])
def test_a_wrong_argument_is_a_usage_error(argv: tuple[str, ...]) -> None:
    code, out, err = run("prove", *argv)
    assert code == 2 and out == "" and err.strip()
