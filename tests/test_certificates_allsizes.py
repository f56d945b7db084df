"""All-sizes certificates (``leasecheck prove --certificate FILE``) are checked as strictly as
fixed-size ones: the checker traces the first-order model again from the header, writes every
obligation itself and takes from the file only the proof's definition, so a genuine certificate
is valid with Z3 and with cvc5, and a tampered one is refused or refuted, never valid
(docs/certificates.md, "All-sizes certificates").

The certificates under tests/data/certificates/ name the first-order model by its fingerprint: a
change to the model's rules makes them refused until they are written again, e.g.
``leasecheck prove --variant nt40 --property single_binding --deletes 1 --certificate
tests/data/certificates/nt40-single_binding-D1.smt2`` (the ``proofs`` tier does it and compares).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leasecheck import check_certificate
from leasecheck.checker.allsizes.fo import fingerprint, first_order_system
from leasecheck.checker.cli.main import main
from leasecheck.checker.kernel import allsizes as allsizes_kernel
from leasecheck.checker.kernel.allsizes import AllSizesHeader
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE

DATA = Path(__file__).resolve().parent / "data" / "certificates"
#: NT 4.0's single_binding with one delete: the property alone is inductive (33 obligations)
SINGLE = DATA / "nt40-single_binding-D1.smt2"
#: NT 4.0's no_duplicate_address without deletes: the property and the learned clauses it needs
NO_DUP = DATA / "nt40-no_duplicate_address-D0.smt2"
#: NT 4.0's recovery with one delete, for every network with A >= C: the ranking rule
RECOVERY = DATA / "nt40-recovery-D1.smt2"
#: RFC 2131's recovery with one delete, for every network with A >= C: the ranking rule, its
#: invariant with clauses on a client's whole local state (a silent server's renewal)
RFC2131_RECOVERY = DATA / "rfc2131-recovery-D1.smt2"


def check(tmp_path: Path, text: str, *options: str) -> tuple[int, str, str]:
    path = tmp_path / "certificate.smt2"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = main(["certificate", "check", str(path), *options], out, err)
    return code, out.getvalue(), err.getvalue()


def header(text: str) -> dict:
    return json.loads(re.search(r"\(set-info :leasecheck-certificate \|(.*)\|\)", text).group(1))  # type: ignore[union-attr]


def with_header(text: str, doc: dict | str) -> str:
    value = doc if isinstance(doc, str) else json.dumps(doc)
    return re.sub(r"\(set-info :leasecheck-certificate \|.*\|\)", lambda _: f"(set-info :leasecheck-certificate |{value}|)", text)


def inv_conjuncts(text: str) -> list[str]:
    body = text.split("(define-fun Inv () Bool (and\n", 1)[1].rsplit("\n))", 1)[0]
    return [line.strip() for line in body.splitlines()]


def with_conjuncts(text: str, conjuncts: list[str]) -> str:
    head = text.split("(define-fun Inv () Bool (and\n", 1)[0]
    return head + "(define-fun Inv () Bool (and\n" + "\n".join(f"  {c}" for c in conjuncts) + "\n))\n"


# -- genuine certificates -------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_genuine_certificate_is_valid_with_each_solver(tmp_path: Path, solver: str) -> None:
    code, out, err = check(tmp_path, SINGLE.read_text(), "--solver", solver)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[1].startswith("claim: single_binding holds for every number of clients and addresses: for every client c")
    assert lines[-1] == f"valid: all 33 obligations discharged (unsat) by {solver}"
    assert "initiation" in out and "safety" in out and "consecution AdminDelete" in out


@pytest.mark.proofs
@pytest.mark.slow(first=True)  # 645 obligations, each asked of both solvers: about 160 s of CPU
def test_nt40_recovery_for_every_network_is_a_valid_certificate_for_both_solvers() -> None:
    result = check_certificate(RECOVERY)
    assert isinstance(result.header, AllSizesHeader) and result.header.property == "recovery"
    assert result.solvers == ("z3", "cvc5") and result.valid, result.failed("sat") + result.failed("unknown")


@pytest.mark.long  # 879 obligations, each asked of both solvers: minutes of CPU (the default tier checks its start)
def test_rfc2131_recovery_for_every_network_is_a_valid_certificate_for_both_solvers() -> None:
    result = check_certificate(RFC2131_RECOVERY)
    assert isinstance(result.header, AllSizesHeader) and result.header.property == "recovery"
    assert result.header.config.variant == "rfc2131"
    assert result.solvers == ("z3", "cvc5") and result.valid, result.failed("sat") + result.failed("unknown")


def test_rfc2131_recovery_certificate_is_for_today_s_model_and_its_ranking_starts_sound() -> None:
    """The committed certificate of RFC 2131's recovery names the first-order model traced today (the
    kernel refuses another fingerprint), its definitions are the ranking rule's, and Z3 discharges
    its initiation and the obligations of the lowest level (the whole check is the proofs tier's)."""
    audited = allsizes_kernel.audit(RFC2131_RECOVERY.read_text())
    assert audited.refusals == (), audited.refusals
    assert audited.header.property == "recovery" and audited.header.config.variant == "rfc2131"
    first = tuple(g for g in audited.goals if g[0] == "initiation" or g[0].startswith("level 1 "))
    assert first
    answers = allsizes_kernel.discharge_z3(dataclasses.replace(audited, goals=first), None)
    assert [a.answer for a in answers] == ["unsat"] * len(first), answers


# -- recovery for every budget: the committed certificates -----------------------------------------

#: recovery for every budget (after any number of disturbances), for every network with A >= C
ANY_BUDGET_RECOVERY = [DATA / f"{variant}-recovery-any{restart}.smt2"
                       for variant in ("nt40", "dnsmasq", "rfc2131", "authoritative") for restart in ("", "-restart")]


# the proofs tier's: a quarter of a minute each (the README's test command audits RFC 2131's ranking
# above, and reads which obligations the kernel spares for every budget below)
@pytest.mark.proofs
@pytest.mark.parametrize("path", ANY_BUDGET_RECOVERY, ids=[p.stem for p in ANY_BUDGET_RECOVERY])
def test_a_recovery_certificate_for_every_budget_is_for_today_s_model_and_its_ranking_starts_sound(path: Path) -> None:
    """The committed certificate names the reading for every budget traced today, its definitions
    are the ranking rule's, the steps that spend a budget have no "no increase" obligation, and Z3
    discharges its initiation and the obligations of its lowest level (the whole check is the
    proofs tier's)."""
    audited = allsizes_kernel.audit(path.read_text())
    assert audited.refusals == (), audited.refusals
    assert audited.header.any_budget and audited.header.rule == "ranking" and audited.header.property == "recovery"
    spared = {"AdminDelete", "Reboot", "LoseToServer", "LoseToClient"}
    names = [name for name, _ in audited.goals]
    assert not any(n.startswith("no increase: ") and n.split()[2] in spared for n in names)
    assert any(n.startswith("no increase: Release") for n in names)
    first = tuple(g for g in audited.goals if g[0] == "initiation" or g[0].startswith("level 1 "))
    answers = allsizes_kernel.discharge_z3(dataclasses.replace(audited, goals=first), None)
    assert [a.answer for a in answers] == ["unsat"] * len(first), answers


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.parametrize("path", ANY_BUDGET_RECOVERY, ids=[p.stem for p in ANY_BUDGET_RECOVERY])
def test_a_recovery_certificate_for_every_budget_is_valid_for_both_solvers(path: Path) -> None:
    # every obligation asked of Z3 and cvc5: many minutes of CPU each (a few "no increase"
    # obligations take Z3 tens of seconds each, docs/allsizes.md), so the long tier's; the
    # default tier audits nt40's and checks its lowest level, the proofs tier the others
    result = check_certificate(path, timeout=600)
    assert isinstance(result.header, AllSizesHeader) and result.header.any_budget
    assert result.claim.startswith("recovery holds for every number of clients and addresses with A >= C")
    assert result.solvers == ("z3", "cvc5") and result.valid, result.failed("sat") + result.failed("unknown")


@pytest.mark.proofs  # cvc5 asked each obligation four ways: a quarter of a minute
@pytest.mark.slow
def test_obligations_over_every_address_are_decided_by_cvc5_too() -> None:
    """A silent server ("no free address") makes obligations say something of every address; in the
    decidable fragment cvc5 decides them, and finite model finding, complete there, is asked of
    whatever its default instantiation leaves undecided."""
    audited = allsizes_kernel.audit(RECOVERY.read_text())
    silent = tuple(g for g in audited.goals if "silent: no free address" in g[0] and "conjuncts 1 to" not in g[0])
    assert len(silent) >= 3
    silent_only = dataclasses.replace(audited, goals=silent)
    answers = allsizes_kernel.discharge_cvc5(silent_only, None)
    assert [a.answer for a in answers] == ["unsat"] * len(silent), answers
    # finite model finding alone decides them (it is complete in the fragment), and a first way that
    # gives up (here: a resource limit too small for anything) hands each obligation on to it
    fmf = {"finite-model-find": "true"}
    assert [a.answer for a in allsizes_kernel.discharge_cvc5(silent_only, None, ways=(fmf,))] == ["unsat"] * len(silent)
    starved = allsizes_kernel.discharge_cvc5(silent_only, None, ways=({"rlimit-per": "1"},))
    assert [a.answer for a in starved] == ["unknown"] * len(silent), starved
    again = allsizes_kernel.discharge_cvc5(silent_only, None, ways=({"rlimit-per": "1"}, fmf))
    assert [a.answer for a in again] == ["unsat"] * len(silent), again


def test_the_header_fingerprints_the_model_the_checker_traces() -> None:
    doc = header(SINGLE.read_text())
    assert doc["kind"] == "all-sizes" and doc["rule"] == "invariant"
    assert doc["model"] == fingerprint(first_order_system(SIDE, Config(variant="nt40", deletes=1)))
    assert doc["model"] != fingerprint(first_order_system(SIDE, Config(variant="nt35", deletes=1)))


# -- tampered certificates: refused or refuted, never valid ------------------------------------


@pytest.mark.sweep  # every obligation asked of Z3: a quarter of a minute
@pytest.mark.slow
def test_a_clause_the_invariant_needs_deleted_is_refuted(tmp_path: Path) -> None:
    text = NO_DUP.read_text()
    conjuncts = inv_conjuncts(text)
    # "if addr[c] = a then db[a] names c", the clause the property needs first (two clients bound at
    # one address would need one record naming both): without it consecution fails
    needed = conjuncts.index("(forall ((c client) (a address)) (or (db.client a c) "
                             "(not (and (= (addr c) addr=address) (= (addr.value c) a)))))")
    code, out, _ = check(tmp_path, with_conjuncts(text, conjuncts[:needed] + conjuncts[needed + 1:]), "--solver", "z3")
    assert code == 1 and "invalid: refuted (sat): consecution" in out


def test_the_property_alone_of_a_learned_invariant_is_refuted(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, with_conjuncts(NO_DUP.read_text(), inv_conjuncts(NO_DUP.read_text())[:1]), "--solver", "z3")
    assert code == 1 and "invalid: refuted (sat): consecution" in out and "initiation" not in out.splitlines()[-1]


def test_the_property_deleted_from_the_invariant_is_refuted(tmp_path: Path) -> None:
    text = SINGLE.read_text().replace(inv_conjuncts(SINGLE.read_text())[0], "true")
    code, out, _ = check(tmp_path, text)
    assert code == 1 and out.splitlines()[-1] == "invalid: refuted (sat): safety"


@pytest.mark.parametrize("change, why", [
    ({"config": {"variant": "nt35"}}, "is not the first-order model of its configuration"),
    ({"config": {"deletes": 0}}, "is not the first-order model of its configuration"),
    ({"model": "sha256:" + "0" * 64}, "is not the first-order model of its configuration"),
    ({"any_budget": True}, "is not the first-order model of its configuration"),
])
def test_a_changed_header_is_refused(tmp_path: Path, change: dict, why: str) -> None:
    doc = header(SINGLE.read_text())
    for key, value in change.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) else value
    code, out, _ = check(tmp_path, with_header(SINGLE.read_text(), doc))
    assert code == 1 and why in out and "valid:" not in out


def test_a_relabelled_property_is_refuted(tmp_path: Path) -> None:
    doc = {**header(SINGLE.read_text()), "property": "no_duplicate_address"}
    code, out, _ = check(tmp_path, with_header(SINGLE.read_text(), doc), "--solver", "z3")
    assert code == 1 and out.splitlines()[-1] == "invalid: refuted (sat): safety"


def test_a_file_of_assert_false_is_not_a_certificate(tmp_path: Path) -> None:
    code, out, err = check(tmp_path, "(assert false)\n" * 32)
    assert code == 2 and "is not a leasecheck certificate: it has no (set-info" in err and out == ""


def test_the_old_list_of_obligations_without_a_header_is_not_a_certificate(tmp_path: Path) -> None:
    old = "; obligation: initiation (expected: unsat)\n(push)\n(declare-sort client 0)\n(assert false)\n(check-sat)\n(pop)\n"
    code, _, err = check(tmp_path, old * 3)
    assert code == 2 and "it has no (set-info :leasecheck-certificate" in err


@pytest.mark.parametrize("extra", ["(assert false)", "(push 1)", "(set-option :produce-models true)",
                                   "(declare-fun st (client) Bool)", "(set-logic QF_UF)", "(check-sat)"])
def test_an_extra_command_is_refused_with_its_position(tmp_path: Path, extra: str) -> None:
    text = SINGLE.read_text() + extra + "\n"
    code, out, _ = check(tmp_path, text)
    line = len(SINGLE.read_text().splitlines()) + 1
    assert code == 1 and f"refused: line {line}, column 1: a command that is no part of an all-sizes certificate" in out


@pytest.mark.parametrize("definition, why", [
    ("(define-fun Lemma () Bool true)", "it defines Lemma (the invariant rule's definitions are Inv)"),
    ("(define-fun Inv () Bool true)", "it defines Inv twice"),
])
def test_an_extra_definition_is_refused(tmp_path: Path, definition: str, why: str) -> None:
    code, out, _ = check(tmp_path, SINGLE.read_text() + definition + "\n")
    assert code == 1 and why in out


def test_a_missing_invariant_is_refused(tmp_path: Path) -> None:
    text = SINGLE.read_text().split("(define-fun Inv", 1)[0]
    code, out, _ = check(tmp_path, text)
    assert code == 1 and "refused: it lacks the proof's definition Inv" in out


@pytest.mark.parametrize("conjunct, why", [
    ("(forall ((c Int)) (= (st c) st=BOUND))", "a bound variable is (NAME client) or (NAME address)"),
    ('(forall ((c "client")) (= (st c) st=BOUND))', "a bound variable is (NAME client) or (NAME address)"),
    ("(forall ((a address)) (= (st a) st=BOUND))", "an argument of st has the wrong sort"),
    ("(forall ((c client)) (= (st.next c) st=BOUND))", "unknown function st.next"),
    ("(forall ((c client)) (= (st c) db=FREE))", "is not a well-sorted first-order term"),
    ("(forall ((c client)) (= (st c) |st=BOUND|))", "a quoted symbol"),
    ("(forall ((st client)) true)", "st shadows a name"),
    ("(forall ((c client)) (! (= (st c) st=BOUND) :weight 1))", "unknown function !"),
    ("(forall ((c client)) (=> (= (st c) st=BOUND)))", "is not a well-sorted first-order term"),
    ("(exists ((c client) (c client)) true)", "c shadows a name"),
    ("(let ((x true)) x)", "unknown function let"),
    ("(+ 1 2)", "unknown function +"),
    ("(forall ((c client)) (= (st c) 3))", "3 is not a term of a first-order proof"),
])
def test_an_ill_formed_invariant_is_not_a_certificate(tmp_path: Path, conjunct: str, why: str) -> None:
    code, out, err = check(tmp_path, with_conjuncts(SINGLE.read_text(), [*inv_conjuncts(SINGLE.read_text()), conjunct]))
    assert code == 2 and why in err and "line " in err and "valid" not in out, err


def test_a_quoted_symbol_carrying_commands_is_not_a_certificate(tmp_path: Path) -> None:
    forged = "|true)) (assert false) (define-fun unused () Bool (and true|"
    code, out, err = check(tmp_path, with_conjuncts(SINGLE.read_text(), [forged]))
    assert code == 2 and "a quoted symbol" in err and out == ""


@pytest.mark.parametrize("duplicate", [
    '{"format": 2, "format": 2, ',
    '{"kind": "all-sizes", ',
])
def test_a_header_naming_a_key_twice_is_not_a_certificate(tmp_path: Path, duplicate: str) -> None:
    raw = re.search(r"\|(\{.*\})\|", SINGLE.read_text()).group(1)  # type: ignore[union-attr]
    code, _, err = check(tmp_path, with_header(SINGLE.read_text(), duplicate + raw[1:]))
    assert code == 2 and "appears twice in one JSON object" in err


@pytest.mark.parametrize("change", [{"kind": "fixed"}, {"format": 1}, {"format": 2.0}, {"rule": "ranking"},
                                    {"property": "recovery"}, {"config": {"variant": "nt99"}}, {"extra": 1}])
def test_a_header_that_is_not_the_format_is_not_a_certificate(tmp_path: Path, change: dict) -> None:
    doc = header(SINGLE.read_text())
    for key, value in change.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) else value
    code, out, err = check(tmp_path, with_header(SINGLE.read_text(), doc))
    assert code == 2 and "is not a leasecheck certificate" in err and "valid" not in out


def test_an_obligation_outside_the_decidable_fragment_is_refused_before_any_solver(tmp_path: Path) -> None:
    # every address is some client's (address -> client) while addr.value goes client -> address: a cycle
    onto = "(forall ((a address)) (exists ((c client)) (= (addr.value c) a)))"
    code, out, _ = check(tmp_path, with_conjuncts(SINGLE.read_text(), [*inv_conjuncts(SINGLE.read_text()), onto]))
    assert code == 1 and "is outside the decidable fragment: its sorts form a cycle" in out
    assert "address -> client" in out and "client -> address" in out and "unsat" not in out


def test_an_existential_in_the_fragment_is_decided(tmp_path: Path) -> None:
    # some address is BOUND: a Skolem constant where it is assumed, a universal where it is negated
    some = "(exists ((a address)) (= (db a) db=BOUND._))"
    code, out, _ = check(tmp_path, with_conjuncts(SINGLE.read_text(), [*inv_conjuncts(SINGLE.read_text()), some]), "--solver", "z3")
    refuted = out.splitlines()[-1]
    assert code == 1 and "decidable fragment" not in out and refuted.startswith("invalid: refuted (sat): ")
    assert "initiation" in refuted.split(": ", 2)[2].split(", ")


# -- the committed certificates are what prove writes today ---------------------------------------


@pytest.mark.proofs
@pytest.mark.slow
@pytest.mark.parametrize("path, argv", [
    # NO_DUP is proved again, and both it and the certificate written are checked with both solvers,
    # by tests/test_proofs_committed.py (one proof of it in the tier)
    (SINGLE, ("--variant", "nt40", "--property", "single_binding", "--deletes", "1")),
])
def test_a_committed_certificate_is_what_prove_writes(tmp_path: Path, path: Path, argv: tuple[str, ...]) -> None:
    out, err = io.StringIO(), io.StringIO()
    written = tmp_path / "written.smt2"
    assert main(["prove", *argv, "--quiet", "--timeout", "1800", "--certificate", str(written)], out, err) == 0, out.getvalue()
    assert header(written.read_text()) == header(path.read_text())  # the model and the claim are the same
    if written.read_text() != path.read_text():  # another invariant (the search met other solver limits): also valid
        assert check_certificate(written, solvers=["z3"]).valid


# -- the ranking rule (recovery), on a tiny ranking -------------------------------------------------


def tiny_ranking(levels: list[tuple[str, str]], inv: str = "true", any_budget: bool = False,
                 cfg: Config | None = None) -> str:
    """A recovery certificate for NT 4.0 (D=1, or every budget) over the model with the ghost map,
    whose invariant and levels are the given formulas (in the certificate's symbols)."""
    from leasecheck.checker.allsizes.certificate import ranking_certificate
    from leasecheck.checker.allsizes.fo import TRUE_F
    from leasecheck.checker.allsizes.ghost import with_ghost

    cfg = cfg or Config(variant="nt40")
    fs = with_ghost(first_order_system(SIDE, cfg, unbounded=any_budget))
    text = ranking_certificate(fs, cfg, [TRUE_F], [(h, TRUE_F) for h, _ in levels], any_budget=any_budget)
    text = text.replace("(define-fun Inv () Bool (and\n  true\n))", f"(define-fun Inv () Bool (and\n  {inv}\n))")
    for i, (_, body) in enumerate(levels, 1):
        text = text.replace(f"(define-fun Level{i} () Bool\n  true)", f"(define-fun Level{i} () Bool\n  {body})")
    return text


def test_a_ranking_certificate_names_its_levels_and_the_sizes_it_needs(tmp_path: Path) -> None:
    text = tiny_ranking([("Discover", "true")])
    doc = header(text)
    assert doc["rule"] == "ranking" and doc["property"] == "recovery" and doc["levels"] == ["Discover"]
    code, out, _ = check(tmp_path, text, "--solver", "z3")
    assert out.splitlines()[1].startswith("claim: recovery holds for every number of clients and addresses with A >= C")
    # one level, every state, Discover(c0): not enabled where c0 is BOUND, so refuted
    assert code == 1 and "level 1 enabled: Discover(c0)" in out.split("invalid: refuted (sat): ")[1]


def test_a_ranking_whose_helpful_step_does_not_go_down_is_refuted(tmp_path: Path) -> None:
    # level 1: c0 is in INIT; Discover(c0) leads to SELECTING, in no lower level and not the goal
    text = tiny_ranking([("Discover", "(= (st c0) st=INIT)")])
    code, out, _ = check(tmp_path, text, "--solver", "z3")
    refuted = out.splitlines()[-1].split("invalid: refuted (sat): ")[1].split(", ")
    assert code == 1 and "level 1 progress: Discover" in refuted and "cover" in refuted


@pytest.mark.parametrize("helpful, why", [
    ("AdminDelete", "level 1's helpful action 'AdminDelete' is not a fair action of one client"),
    ("Release", "level 1's helpful action 'Release' is not a fair action of one client"),
    ("Nothing", "level 1's helpful action 'Nothing' is not a fair action of one client"),
])
def test_a_level_whose_helpful_action_is_not_fair_or_unknown_is_refused(tmp_path: Path, helpful: str, why: str) -> None:
    code, out, _ = check(tmp_path, tiny_ranking([(helpful, "true")]))
    assert code == 1 and f"refused: {why}" in out


def test_a_level_deleted_or_added_is_refused(tmp_path: Path) -> None:
    text = tiny_ranking([("Discover", "true"), ("Timeout", "true")])
    without = text.split("; level 2:")[0]
    code, out, _ = check(tmp_path, without)
    assert code == 1 and "refused: it lacks the proof's definition Level2" in out
    code, out, _ = check(tmp_path, text + "(define-fun Level3 () Bool true)\n")
    assert code == 1 and "it defines Level3 (the ranking rule's definitions are Inv, Level1, Level2)" in out


def test_a_ranking_header_without_levels_or_rule_is_not_a_certificate(tmp_path: Path) -> None:
    text = tiny_ranking([("Discover", "true")])
    for change in ({"levels": None}, {"rule": "invariant"}):
        doc = {**header(text), **change}
        doc = {k: v for k, v in doc.items() if v is not None}
        code, _, err = check(tmp_path, with_header(text, doc))
        assert code == 2 and "is not a leasecheck certificate" in err, change
    # the ranking's model has the ghost map: the invariant model's fingerprint is not it
    doc = {**header(text), "model": header(SINGLE.read_text())["model"]}
    code, out, _ = check(tmp_path, with_header(text, doc))
    assert code == 1 and "is not the first-order model of its configuration" in out


# -- the ranking for every budget: only the steps that spend a budget may lead up ------------------

#: c0 has an entry in the lease table (offered or bound)
HAS_ENTRY = "(exists ((a address)) (and (or (= (db a) db=OFFERED._) (= (db a) db=BOUND._)) (db.client a c0)))"


def test_a_ranking_for_every_budget_spares_only_the_steps_that_spend_a_budget() -> None:
    """The checker finds the disturbances in the model it traces, by the budget counters they
    write: AdminDelete (a delete), Reboot (a reboot), LoseToServer and LoseToClient (a loss). Every
    other step, the unfair Release and AdminRestart among them, must not lead up."""
    cfg = Config(variant="nt40", deletes=1, losses=1, reboots=1, restart=True)
    every = allsizes_kernel.audit(tiny_ranking([("Discover", "true")], any_budget=True, cfg=cfg))
    assert every.refusals == () and every.header.any_budget and "every budget" in every.header.describe()
    steps = {c.action for c in first_order_system(SIDE, cfg, unbounded=True).commands}
    asked = {name.split(": ", 1)[1].split()[0] for name, _ in every.goals if name.startswith("no increase: ")}
    assert {"Release", "AdminRestart", "ExpireLease", "ServeDiscover"} <= asked
    assert steps - asked == {"AdminDelete", "Reboot", "LoseToServer", "LoseToClient"}
    # cover, enabled and progress are asked as with fixed budgets
    assert {"cover", "level 1 enabled: Discover(c0)", "level 1 progress: Discover"} <= {n for n, _ in every.goals}


def no_increase(audited: allsizes_kernel.Audit) -> dict[str, str]:
    """Z3's answer to each "no increase" obligation, by its step's action."""
    goals = tuple(g for g in audited.goals if g[0].startswith("no increase: "))
    answers = allsizes_kernel.discharge_z3(dataclasses.replace(audited, goals=goals), None)
    out: dict[str, str] = {}
    for a in answers:
        action = a.obligation.split(": ", 1)[1].split()[0]
        out[action] = "sat" if "sat" in (out.get(action), a.answer) else a.answer
    return out


@pytest.mark.proofs  # Z3 asks every "no increase" of two certificates: seconds (the default tier checks
# which of them the checker writes, above)
def test_a_ranking_for_every_budget_whose_other_step_leads_up_is_refuted() -> None:
    # level 1: c0 has an entry; level 2: every state. A delete takes c0's entry away (up: spared
    # for every budget), and so does the server's own ExpireLease, which is no disturbance
    levels = [("ServeRequest", HAS_ENTRY), ("Discover", "true")]
    every = no_increase(allsizes_kernel.audit(tiny_ranking(levels, any_budget=True)))
    assert every["ExpireLease"] == "sat" and "AdminDelete" not in every
    fixed = no_increase(allsizes_kernel.audit(tiny_ranking(levels)))
    assert fixed["AdminDelete"] == "sat" and fixed["ExpireLease"] == "sat"


def test_a_header_switching_any_budget_is_refused(tmp_path: Path) -> None:
    # the reading for every budget is another model: its fingerprint is not the header's
    for any_budget in (False, True):
        text = tiny_ranking([("Discover", "true")], any_budget=any_budget)
        doc = {**header(text), "any_budget": not any_budget}
        code, out, _ = check(tmp_path, with_header(text, doc))
        assert code == 1 and "refused" in out and "is not the first-order model of its configuration" in out


def _discover_with_a_delete_left(body, s, c) -> None:  # type: ignore[no-untyped-def]
    from leasecheck.model import dhcp

    s.require(dhcp._positive(s.deletes_left))
    body(s, c)


def _greedy_actions(cfg, variables=None):  # type: ignore[no-untyped-def]
    """DHCP whose client discovers only while the administrator has a delete left."""
    import functools

    from leasecheck.model import dhcp

    vs, actions = dhcp.dhcp_actions(cfg, variables)
    return vs, [dataclasses.replace(a, body=functools.partial(_discover_with_a_delete_left, a.body))
                if a.name == "Discover" else a for a in actions]


def test_a_ranking_for_every_budget_of_a_model_whose_fair_action_reads_a_budget_is_refused() -> None:
    # in the reading for every budget a delete is always left, so Discover would be enabled where a
    # run of a finite budget has it disabled: the rule does not apply, and the checker says so
    from leasecheck.checker.allsizes.certificate import ranking_certificate
    from leasecheck.checker.allsizes.fo import TRUE_F
    from leasecheck.checker.allsizes.ghost import with_ghost
    from leasecheck.properties.families import DEFAULT_FAMILY

    greedy = dataclasses.replace(SIDE, actions=_greedy_actions)
    families = {"greedy": dataclasses.replace(DEFAULT_FAMILY, first_order=greedy)}
    cfg = Config(variant="nt40")
    for any_budget in (False, True):
        fs = with_ghost(first_order_system(greedy, cfg, unbounded=any_budget))
        text = ranking_certificate(fs, cfg, [TRUE_F], [("Discover", TRUE_F)], family="greedy", any_budget=any_budget)
        refusals = allsizes_kernel.audit(text, families).refusals
        reads = [r for r in refusals if r.startswith("the fair action Discover reads the budget deletes_left")]
        assert refusals == tuple(reads) and len(reads) == any_budget, refusals


def test_every_obligation_of_a_ranking_over_every_helpful_action_is_in_the_fragment() -> None:
    from leasecheck.checker.kernel.allsizes import audit

    # ServeDiscover's "offer a free address" guard says "no entry names c" beside its choice of a
    # free address: asked as "for every choice, not the guard", the first would put an existential
    # address under a universal one (a cycle); the kernel keeps it outside the choice
    helpful = ["Discover", "RecvOffer", "RecvAck", "RecvNak", "Discard", "T1", "T2", "Expire", "Timeout",
               "ServeRelease", "ServeDiscover", "ServeRequest"]
    audited = audit(tiny_ranking([(h, "true") for h in helpful]))
    assert audited.refusals == ()
    names = [name for name, _ in audited.goals]
    assert "level 11 enabled: ServeDiscover(c0)" in names and "cover" in names
    assert sum(name.startswith("no increase: ") for name in names) == len(first_order_system(SIDE, Config(variant="nt40")).commands)


def test_the_file_holds_no_model_and_no_obligation_to_drop(tmp_path: Path) -> None:
    # the model's steps, their frame conditions and the obligations are the checker's own: a
    # certificate is its header and the proof's definitions, nothing a forger could drop or weaken
    from leasecheck.checker.kernel.reader import read

    for path in (SINGLE, NO_DUP):
        commands = [(n.items[0].text, n.items[1].text) for n in read(path.read_text())]  # type: ignore[union-attr]
        assert commands == [("set-info", ":leasecheck-certificate"), ("set-info", ":smt-lib-version"),
                            ("set-logic", "ALL"), ("define-fun", "Inv")]


hostile = st.sampled_from([
    "|x|", '"x"', "(assert false)", "(push 1)", "(! true :named n)", "(let ((x true)) x)", "st.next", "c0", "q1",
    "(forall ((x Int)) true)", "(exists ((x client)) (= (st x) st=BOUND))", "0", "#b0", "false", "(st c c)",
    "(db.client a)", "Inv", "(_ bv0 1)", "(lambda ((x client)) true)", "(forall ((a address)) (exists ((c client)) (db.client a c)))",
])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_hostile_token_in_place_of_any_atom_is_never_valid(tmp_path: Path, data: st.DataObject) -> None:
    text = SINGLE.read_text()
    inv = inv_conjuncts(text)[0]
    atoms = [m for m in re.finditer(r"[^\s()]+", inv)]
    m = data.draw(st.sampled_from(atoms))
    forged = with_conjuncts(text, [inv[:m.start()] + data.draw(hostile) + inv[m.end():]])
    code, out, err = check(tmp_path, forged, "--solver", "z3")
    assert "valid: all" not in out and "Traceback" not in err
    # a token that still makes a closed formula may be refuted (exit 1); else it is refused (2)
    assert code in (1, 2), out + err
