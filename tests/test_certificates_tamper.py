"""Certificates that outside solvers check: every one leasecheck writes is accepted by Z3 and
cvc5, and every tampered one is refused with its reason (docs/certificates.md).

The genuine certificates: NT 4.0's recovery at 1x1 (the ranking rule, 39 levels), its
single_binding invariant, and NT 3.5's recovery without deletes (D=0) with kb_symptom's
unreachable target. Each tampering is applied to the parsed S-expressions and written back, so a
test says exactly what it changed.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.kernel import verdict
from leasecheck.checker.z3.certificate import (
    KEY,
    Header,
    NotACertificate,
    SolverAnswer,
    Str,
    audit,
    certificate_text,
    parse_sexprs,
    to_text,
)
from leasecheck.checker.z3.engine import ProvedCertificate, Z3Options, z3_run
from leasecheck.errors import ExitStatus
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp import dhcp_model

pytest.importorskip("cvc5")

OPTIONS = Z3Options(depth=8, timeout=60)
NT40 = Config(clients=1, addresses=1, variant="nt40")
NT40_1x2 = Config(clients=1, addresses=2, variant="nt40")  # at 1x1, single_binding is true of every state
NT35_D0 = Config(clients=1, addresses=1, variant="nt35", deletes=0)


NT35 = Config(clients=1, addresses=1, variant="nt35")
#: the properties decided where the tests need fewer than all (deciding every property of nt35
#: takes a lasso search and several reachability questions for the one certificate used)
DECIDED = {NT35: ["no_duplicate_address"]}


@cache
def _proofs(cfg: Config) -> dict[str, ProvedCertificate]:
    return {c.property: c for c in z3_run(dhcp_model(cfg), DECIDED.get(cfg), OPTIONS).certificates}


@cache
def genuine(cfg: Config, prop: str) -> str:
    return _proofs(cfg)[prop].smtlib


def recovery() -> str:
    return genuine(NT40, "recovery")


def invariant() -> str:
    return genuine(NT40_1x2, "single_binding")


Items = list  # the top-level S-expressions of a certificate


def edit(text: str, change: Callable[[Items], Items]) -> str:
    return "\n".join(to_text(i) for i in change(list(parse_sexprs(text)))) + "\n"


def without_obligations(names: Callable[[str], bool]) -> Callable[[Items], Items]:
    def change(items: Items) -> Items:
        out, skip = [], 0
        for item in items:
            if skip:
                skip -= 1
                continue
            if item[0] == "echo" and names(str(item[1])):
                skip = 4
                continue
            out.append(item)
        return out
    return change


def obligation_body(name: str, body: str) -> Callable[[Items], Items]:
    def change(items: Items) -> Items:
        for n, item in enumerate(items):
            if item[0] == "echo" and str(item[1]) == name:
                items[n + 2] = ("assert", ("not", parse_sexprs(body)[0]))
        return items
    return change


def definition(name: str, body: Callable[[object], object] | None) -> Callable[[Items], Items]:
    """The definition ``name`` with its body changed (``None``: removed)."""
    def change(items: Items) -> Items:
        out = []
        for item in items:
            if item[0] == "define-fun" and item[1] == name:
                if body is None:
                    continue
                item = (*item[:4], body(item[4]))
            out.append(item)
        return out
    return change


def header(change_doc: Callable[[dict], None]) -> Callable[[Items], Items]:
    def change(items: Items) -> Items:
        for n, item in enumerate(items):
            if item[0] == "set-info" and item[1] == KEY:
                doc = json.loads(item[2][1:-1])
                change_doc(doc)
                items[n] = ("set-info", KEY, "|" + json.dumps(doc) + "|")
        return items
    return change


def inserted(before: str, *new: str) -> Callable[[Items], Items]:
    def change(items: Items) -> Items:
        at = next(n for n, i in enumerate(items) if i[0] == before)
        return items[:at] + [parse_sexprs(t)[0] for t in new] + items[at:]
    return change


def replaced(body: object, old: str, new: str) -> object:
    text = to_text(body)  # type: ignore[arg-type]
    assert old in text, text[:200]
    return parse_sexprs(text.replace(old, new))[0]


def refusals(text: str) -> tuple[str, ...]:
    return audit(text).refusals


# --- every certificate leasecheck writes is accepted -----------------------------------------


@pytest.mark.parametrize(("cfg", "prop"), [(NT40, "recovery"), (NT40, "single_binding"), (NT40_1x2, "single_binding"),
                                           (NT40_1x2, "no_duplicate_address"),
                                           (NT35_D0, "recovery"), (NT35_D0, "kb_symptom"), (NT35_D0, "single_binding"),
                                           (NT35, "no_duplicate_address")],
                         ids=lambda v: v.describe() if isinstance(v, Config) else v)
def test_every_written_certificate_is_accepted_by_z3_and_cvc5(cfg: Config, prop: str) -> None:
    result = verdict.check_certificate_text(genuine(cfg, prop))
    assert result.solvers == ("z3", "cvc5")
    assert result.refusals == () and result.valid, result.failed("sat")[:3]
    assert all(a.answer == "unsat" for per in result.answers for a in per)
    assert {"domain initial", "initiation"} <= set(result.obligations)


def test_the_file_runs_through_the_z3_command_and_every_obligation_is_unsat(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    z3_binary = shutil.which("z3") or str(Path(sys.executable).parent / "z3")
    if not Path(z3_binary).exists():
        pytest.skip("no z3 command")
    path = tmp_path / "proof.smt2"
    path.write_text(invariant())
    lines = subprocess.run([z3_binary, str(path)], capture_output=True, text=True, check=True).stdout.split()
    assert lines.count("unsat") == len(audit(invariant()).obligations) and "sat" not in lines


# --- tampered certificates are refused, each with its reason ----------------------------------


def _without_domain(text: str) -> str:
    body = dict(audit(text).obligations)["safety"]
    state = body[body.index("(domain ") + 8:body.index(")")]
    assert body == f"(=> (and (domain {state}) (Inv {state})) (goal {state}))"
    return f"(=> (Inv {state}) (goal {state}))"


def _nt35_d1_initial(items: Items) -> Items:
    """The KB's false claim smuggled in: an nt35 D=0 proof relabelled D=1, one delete left."""
    items = header(lambda d: d["config"].update(deletes=1))(items)
    for n, item in enumerate(items):
        if item[0] == "define-fun" and item[1] == "initial":
            items[n] = (*item[:4], replaced(item[4], "(= deletes_left #x0)", "(= deletes_left #x1)"))
    return items


REFUSED = [
    ("the domain-initial obligation removed", recovery, without_obligations(lambda n: n == "domain initial"),
     "lacks the obligation 'domain initial'"),
    ("every domain obligation removed", recovery, without_obligations(lambda n: n.startswith("domain")),
     "lacks the obligation 'domain cmd_0'"),
    ("the initiation obligation removed", recovery, without_obligations(lambda n: n == "initiation"),
     "lacks the obligation 'initiation'"),
    ("one consecution obligation removed", recovery, without_obligations(lambda n: n == "consecution cmd_17"),
     "lacks the obligation 'consecution cmd_17'"),
    ("the cover obligation removed", recovery, without_obligations(lambda n: n == "cover"),
     "lacks the obligation 'cover'"),
    ("a level's enabledness removed", recovery, without_obligations(lambda n: n == "level 3 enabled"),
     "lacks the obligation 'level 3 enabled'"),
    ("a level's progress removed", recovery, without_obligations(lambda n: n == "level 7 progress"),
     "lacks the obligation 'level 7 progress'"),
    ("a level's no-increase removed", recovery, without_obligations(lambda n: n == "level 1 no increase"),
     "lacks the obligation 'level 1 no increase'"),
    ("the safety obligation removed", invariant, without_obligations(lambda n: n == "safety"),
     "lacks the obligation 'safety'"),
    ("an obligation weakened to true", recovery, obligation_body("cover", "true"),
     "its obligation 'cover' differs from the ranking rule's"),
    ("an obligation's domain assumption dropped", invariant,
     lambda items: obligation_body("safety", _without_domain(invariant()))(items),
     "its obligation 'safety' differs from the invariant rule's"),
    ("an unknown obligation added", invariant,
     inserted("echo", '(echo "trust me")', "(push 1)", "(assert (not true))", "(check-sat)", "(pop 1)"),
     "it has an unknown obligation 'trust me'"),
    ("a level's definition dropped", recovery, definition("Level5", None), "it lacks the proof's definition Level5"),
    ("a guard negated (the ACK of a renewal)", recovery, definition("guard_20", lambda b: ("not", b)),
     "its definition of guard_20 differs from the model's"),
    ("an update changed", recovery, definition("cmd_30", lambda b: replaced(b, "(= #x0 deletes_left@next)", "(= deletes_left@next deletes_left)")),
     "its definition of cmd_30 differs from the model's"),
    ("the AdminDelete command removed", recovery, lambda items: definition("guard_30", None)(definition("cmd_30", None)(items)),
     "it lacks the definition cmd_30 (command 30: AdminDelete(0)"),
    ("a command added", recovery,
     inserted("echo", "(define-fun cmd_31 ((st.0 (_ BitVec 4))) Bool true)"),
     "it defines command 31, which the model of nt40 1x1, D=1, L=0, R=0 does not have"),
    ("the step relation without a command", recovery,
     definition("step", lambda b: tuple(x for x in b if not (isinstance(x, tuple) and x[0] == "cmd_30"))),
     "its definition of step differs from the model's"),
    ("the domain widened", invariant, definition("domain", lambda b: "true"),
     "its definition of domain differs from the model's"),
    ("the goal weakened", invariant, definition("goal", lambda b: "true"), "its definition of goal differs from the model's"),
    ("the configuration edited: nt40 to nt35", recovery, header(lambda d: d["config"].update(variant="nt35")),
     "differs from the model's"),
    ("the property relabelled", invariant, header(lambda d: d.update(property="no_duplicate_address")),
     "its definition of goal differs from the model's"),
    ("the initial state edited (nt35 D=0 relabelled D=1)", lambda: genuine(NT35_D0, "recovery"), _nt35_d1_initial,
     "its definition of domain differs from the model's"),
    ("an unfair helpful action", recovery, header(lambda d: d["levels"].__setitem__(0, "AdminDelete(0)")),
     "level 1's helpful action AdminDelete(0) is not fair"),
    ("a helpful action the model lacks", recovery, header(lambda d: d["levels"].__setitem__(0, "Fly(0)")),
     "is not an action of the model"),
    ("the levels under a level widened", recovery, definition("below_5", lambda b: "true"),
     "its definition of below_5 differs from the rule's"),
    ("a level more in the header than defined", recovery, header(lambda d: d["levels"].append(None)),
     "it lacks the proof's definition Level40"),
    ("an assertion outside the obligations", recovery, inserted("echo", "(assert false)"),
     "a command that is no part of a certificate: (assert false)"),
    ("the logic changed", invariant, lambda items: [("set-logic", "QF_BV") if i[0] == "set-logic" else i for i in items],
     "its logic is not ALL"),
    ("an obligation checked outside push and pop", invariant,
     lambda items: [i for i in items if i != ("pop", "1")], "is not (push 1) (assert (not ...)) (check-sat) (pop 1)"),
]


@pytest.mark.parametrize(("what", "source", "change", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_tampered_certificate_is_refused_with_its_reason(what: str, source: Callable[[], str],
                                                          change: Callable[[Items], Items], reason: str) -> None:
    found = refusals(edit(source(), change))
    assert any(reason in r for r in found), found


def test_the_edit_helper_alone_changes_nothing() -> None:
    assert verdict.check_certificate_text(edit(invariant(), lambda items: items), ["z3"]).valid


def _each_removed_is_named(names: list[str]) -> None:
    text = invariant()
    for name in names:
        assert f"it lacks the obligation {name!r}" in refusals(edit(text, without_obligations(lambda n, m=name: n == m)))


def _obligation_names() -> list[str]:
    return [name for name, _ in audit(invariant()).obligations]


@pytest.mark.sweep
def test_one_obligation_of_each_kind_and_every_fifth_removed_is_named() -> None:
    # each kind (the name's first word: initiation, consecution, safety, domain...) and every fifth
    # obligation; every obligation, one at a time, is the long tier's (an audit each: a minute)
    names = _obligation_names()
    first_of_kind = {name.split()[0]: name for name in reversed(names)}
    _each_removed_is_named(sorted(set(first_of_kind.values()) | set(names[::5]), key=names.index))


@pytest.mark.long
def test_each_obligation_removed_is_named() -> None:
    _each_removed_is_named(_obligation_names())


def _with_proof(text: str, cert: ProvedCertificate, formulas: tuple, levels: tuple | None = None,
                config: Config | None = None) -> str:
    """A certificate written by the generator itself (so its model part is the genuine one) with
    another proof or header: what a careful forger would write."""
    h = audit(text).header
    h = dataclasses.replace(h, levels=h.levels if levels is None else levels, config=config or h.config)
    formals = cert.certificate.problem.unknowns[0].formals
    return certificate_text(h, formulas, formals)


REFUTED = [
    ("a level emptied", "Level12", lambda fs, z3: z3.BoolVal(False)),
    ("a level widened", "Level12", lambda fs, z3: z3.BoolVal(True)),
    ("the invariant weakened to true", "Inv", lambda fs, z3: z3.BoolVal(True)),
]


@pytest.mark.parametrize(("what", "which", "replace"), REFUTED, ids=[r[0] for r in REFUTED])
def test_a_forged_proof_is_refuted_by_both_solvers(what: str, which: str, replace: Callable) -> None:
    import z3

    cert = _proofs(NT40)["recovery"]
    formulas = list(cert.certificate.formulas)
    index = 0 if which == "Inv" else int(which[5:])
    formulas[index] = replace(formulas, z3)
    result = verdict.check_certificate_text(_with_proof(recovery(), cert, tuple(formulas)))
    assert result.refusals == () and result.status is ExitStatus.VIOLATED
    assert {s for s, _ in result.failed("sat")} == {"z3", "cvc5"}


def test_a_level_dropped_with_its_obligations_is_refuted() -> None:
    cert = _proofs(NT40)["recovery"]
    h = audit(recovery()).header
    result = verdict.check_certificate_text(_with_proof(recovery(), cert, cert.certificate.formulas[:-1], h.levels[:-1]))
    assert result.refusals == () and "cover" in {a.obligation for _, a in result.failed("sat")}


def test_the_nt35_deadlock_cannot_be_certified_by_relabelling_a_d0_proof() -> None:
    """The header and the whole model part rewritten for D=1, the D=0 proof kept: refuted."""
    cert = _proofs(NT35_D0)["recovery"]
    forged = _with_proof(genuine(NT35_D0, "recovery"), cert, cert.certificate.formulas, config=Config(clients=1, addresses=1, variant="nt35", deletes=1))
    result = verdict.check_certificate_text(forged)
    assert result.refusals == () and result.status is ExitStatus.VIOLATED
    assert {s for s, _ in result.failed("sat")} == {"z3", "cvc5"}


@pytest.mark.parametrize("text", ["", "hello", "(check-sat", "(set-logic ALL)\n(check-sat)\n",
                                  f"(set-info {KEY} |not json|)", f"(set-info {KEY} |{{\"format\": 2}}|)",
                                  f"(set-info {KEY} |[1]|)"])
def test_a_file_that_is_not_a_certificate_is_said_so(text: str) -> None:
    with pytest.raises(NotACertificate):
        audit(text)


def test_a_deeply_nested_term_is_not_a_certificate_and_no_crash(tmp_path: Path) -> None:
    text = invariant()
    at = text.index("(echo")
    path = tmp_path / "deep.smt2"
    path.write_text(text[:at] + "(assert " + "(not " * 100_000 + "true" + ")" * 100_001 + "\n" + text[at:])
    code, _, err = run("certificate", "check", str(path))
    assert code == 2 and "nest deeper than 400" in err


@pytest.mark.parametrize(("what", "body", "reason"), [
    ("an unknown function", ("nosuch", "st.0"), "unknown function nosuch"),
    ("the state constants", ("and", "true", ("=", "st.0@x", "#b0000")), "unknown symbol st.0@x"),
    ("a Boolean compared with a bit-vector", ("=", "true", "st.0"), "differ in sort"),
    ("a literal wider than the state", ("=", "st.0", "#b000000"), "differ in sort"),
    ("a named term", ("!", "true", ":named", "x"), "unknown function !"),
])
def test_a_proof_definition_outside_the_grammar_is_not_a_certificate_and_says_where(
        tmp_path: Path, what: str, body: tuple, reason: str) -> None:
    """The proof's definitions may speak only of their formals, the definitions before them and
    the core, bit-vector and integer operators: anything else is no certificate (exit 2), in one line."""
    path = tmp_path / "proof.smt2"
    text = edit(invariant(), definition("Inv", lambda b: body))
    path.write_text(text)
    line = text[:text.index("(define-fun Inv")].count("\n") + 1
    code, _, err = run("certificate", "check", str(path))
    assert code == 2 and err.count("\n") == 1 and len(err) < 400 and reason in err, err
    assert f"line {line}, column " in err


@pytest.mark.parametrize("content", [b"\xff\xfe(check-sat)", b""])
def test_unreadable_files_are_usage_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "c.smt2"
    path.write_bytes(content)
    code, _, err = run("certificate", "check", str(path))
    assert code == 2 and "is not a leasecheck certificate" in err
    assert run("certificate", "check", str(tmp_path))[0] == 2


def test_cvc5_asked_for_but_missing_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leasecheck.checker.kernel import cvc5_check

    monkeypatch.setattr(cvc5_check, "available", lambda: False)
    path = tmp_path / "c.smt2"
    path.write_text(invariant())
    code, _, err = run("certificate", "check", str(path), "--solver", "cvc5")
    assert code == 2 and "cvc5 is not installed" in err
    assert verdict.default_solvers() == ("z3",)
    code, out, _ = run("certificate", "check", str(path))
    assert code == 0 and "by z3\n" in out


def test_a_header_with_an_impossible_configuration_is_not_a_certificate() -> None:
    def change(doc: dict) -> None:
        doc["config"]["clients"] = 0

    with pytest.raises(NotACertificate, match="clients must be"):
        audit(edit(invariant(), header(change)))


# --- the command line ------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_accepts_refuses_refutes_and_rejects(tmp_path: Path) -> None:
    good, bad, forged, junk = (tmp_path / n for n in ("good.smt2", "bad.smt2", "forged.smt2", "junk.smt2"))
    good.write_text(invariant())
    bad.write_text(edit(invariant(), without_obligations(lambda n: n == "safety")))
    cert = _proofs(NT40_1x2)["single_binding"]
    import z3

    forged.write_text(_with_proof(invariant(), cert, (z3.BoolVal(True),)))
    junk.write_text("(check-sat)\n")
    code, out, _ = run("certificate", "check", str(good))
    assert code == 0 and "valid: all 99 obligations discharged (unsat) by z3 and cvc5" in out
    code, out, _ = run("certificate", "check", str(bad), "--solver", "z3")
    assert code == 1 and "refused: it lacks the obligation 'safety'" in out
    code, out, _ = run("certificate", "check", str(forged), "--solver", "cvc5")
    assert code == 1 and "invalid: refuted (sat): safety" in out
    code, out, err = run("certificate", "check", str(junk))
    assert code == 2 and err.count("\n") == 1 and "is not a leasecheck certificate" in err
    code, _, err = run("certificate", "check", str(tmp_path / "missing.smt2"))
    assert code == 2 and "cannot read" in err


def test_an_undecided_obligation_is_exit_status_3() -> None:
    h = audit(invariant()).header
    undecided = verdict.CertificateCheck(h, (), ("z3",), ((SolverAnswer("safety", "unknown", "timeout"),),))
    assert undecided.status is ExitStatus.UNKNOWN and not undecided.valid


def test_the_saved_certificate_of_check_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "proof.smt2"
    code, _, _ = run("check", "--engine", "z3", "--variant", "nt40", "--property", "recovery", "--quiet",
                     "--certificate", str(path))
    assert code == 0
    code, out, _ = run("certificate", "check", str(path))
    assert code == 0 and out.startswith(f"{path}: certificate of recovery for client 0, nt40 1x1")


def test_header_json_round_trips() -> None:
    h = audit(recovery()).header
    assert Header.from_json(h.as_json()) == h and isinstance(Str("x"), str)


# long: 173 obligations, one audit of the whole certificate each (minutes). The README's test command
# removes one obligation of every kind of this proof (REFUSED above: domain, initiation, consecution,
# cover, a level's enabledness, progress and no-increase), the sweep tier every obligation of the
# invariant's certificate; the kernel names a missing obligation by one rule for all of them.
@pytest.mark.long
@pytest.mark.slow
def test_each_obligation_of_the_recovery_proof_removed_is_named() -> None:
    text = recovery()
    for name, _ in audit(text).obligations:
        assert f"it lacks the obligation {name!r}" in refusals(edit(text, without_obligations(lambda n, m=name: n == m)))


def test_a_certificate_over_integer_states_is_accepted_and_checked_the_same_way() -> None:
    """PDR's invariants are over integer states: the same format, with ``sort`` ``int``."""
    from leasecheck.checker.z3 import pdr
    from leasecheck.checker.z3.certificate import header_for
    from leasecheck.checker.z3.translate import Translator
    from leasecheck.model.dhcp import dhcp_system
    from leasecheck.properties.dhcp import dhcp_properties

    system = dhcp_system(NT40_1x2)
    (prop,) = dhcp_properties(system, NT40_1x2, ["single_binding"])
    outcome = pdr.prove_invariant(Translator(system), prop.good, prop.statement, timeout=60)
    assert outcome.proof is not None
    text = certificate_text(header_for(NT40_1x2, "single_binding", None, "int"), outcome.proof.formulas,
                            outcome.proof.problem.unknowns[0].formals)
    assert "(declare-const st.0@x Int)" in text
    assert verdict.check_certificate_text(text).valid
    assert any("lacks the obligation 'domain initial'" in r
               for r in refusals(edit(text, without_obligations(lambda n: n == "domain initial"))))
