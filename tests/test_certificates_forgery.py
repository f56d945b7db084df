"""Forged certificates are never valid: what a solver sees is built by the checker's kernel, so
text hidden in a quoted symbol, a command slipped between definitions, a header whose JSON says
two things, or any hostile token put in place of any atom of a genuine certificate is refused
(docs/certificates.md, "What the checker trusts").
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leasecheck.checker.cli.main import main
from leasecheck.checker.kernel import verdict
from leasecheck.checker.kernel.reader import NotACertificate, read, strict_json
from leasecheck.checker.z3.certificate import KEY, certificate_text, header_for, parse_sexprs, to_text
from leasecheck.checker.z3.engine import Z3Options, z3_run
from leasecheck.errors import UserError
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model

NT40 = Config(clients=1, addresses=1, variant="nt40")


@cache
def genuine(prop: str) -> str:
    return {c.property: c.smtlib for c in z3_run(dhcp_model(NT40), None, Z3Options(depth=8, timeout=60)).certificates}[prop]


def run(tmp_path: Path, text: str, *options: str) -> tuple[int, str, str]:
    path = tmp_path / "forged.smt2"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = main(["certificate", "check", str(path), *options], out, err)
    return code, out.getvalue(), err.getvalue()


def with_inv_body(text: str, body: str) -> str:
    """``Inv``'s body replaced by ``body``, written verbatim into the file."""
    items = parse_sexprs(text)
    out = []
    for item in items:
        if item[0] == "define-fun" and item[1] == "Inv":
            item = (*item[:4], body)
        out.append(to_text(item))
    return "\n".join(out) + "\n"


# --- text hidden in a quoted symbol ----------------------------------------------------------

SMUGGLED = [
    # an atom starting with '#' was written back unquoted: Z3 crashed (exit 70) and cvc5 said valid
    "(= st.0 |#b0000) ) (assert false) (define-fun q () Bool (= #b0000|)",
    "|true) (assert false) (define-fun unused () Bool true|",
    "|true) (push 1) (define-fun domain () Bool false) (define-fun initial () Bool false) (pop 1|",
    "|false|",
    "|st.0|",
]


@pytest.mark.parametrize("solver", ["z3", "cvc5", "both"])
@pytest.mark.parametrize("body", SMUGGLED)
def test_a_quoted_symbol_anywhere_in_the_proof_is_not_a_certificate(tmp_path: Path, body: str, solver: str) -> None:
    if solver != "z3":
        pytest.importorskip("cvc5")
    text = with_inv_body(genuine("single_binding"), body)
    code, out, err = run(tmp_path, text, "--solver", solver)
    line = text[:text.index("(define-fun Inv")].count("\n") + 1
    assert code == 2 and out == "" and "a quoted symbol" in err and f"line {line}, column " in err, (code, out, err)


def test_a_false_recovery_claim_with_commands_in_a_quoted_symbol_is_not_a_certificate(tmp_path: Path) -> None:
    """NT 3.5 with one delete does not recover (the KB deadlock): a certificate claiming it, whose
    invariant hides commands that would make every obligation unsat, is no certificate."""
    import z3

    cfg = Config(clients=1, addresses=1, variant="nt35", deletes=1)
    h = header_for(cfg, "recovery", 0, "bitvector", (None,))
    xs = [z3.BitVec(f"v{i}", 4) for i in range(len(dhcp_system(cfg).variables))]
    honest = certificate_text(h, [z3.BoolVal(True), z3.BoolVal(True)], xs)
    forged = with_inv_body(honest, "|true) (assert false) (define-fun Inv2 () Bool true|")
    code, out, err = run(tmp_path, forged)
    assert code == 2 and "valid" not in out and "a quoted symbol" in err
    code, out, _ = run(tmp_path, honest, "--solver", "z3")
    assert code == 1 and "invalid: refuted (sat)" in out


# --- commands between the definitions --------------------------------------------------------


@pytest.mark.parametrize("where", ["(declare-const", "(define-fun Inv", "(define-fun step", '(echo "safety")'])
@pytest.mark.parametrize("command", ["(assert false)", "(push 1)", "(reset)", "(set-info :status unsat)",
                                     "(set-option :produce-models false)"])
def test_a_command_slipped_between_the_definitions_is_refused_not_a_crash(tmp_path: Path, where: str,
                                                                       command: str) -> None:
    text = genuine("single_binding")
    at = text.index(where)
    code, out, err = run(tmp_path, text[:at] + command + "\n" + text[at:], "--solver", "z3")
    assert code in (1, 2) and "valid:" not in out, (code, out, err)
    assert code == 2 or "refused:" in out


def test_a_file_of_assertions_only_is_not_a_certificate(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "(assert false)\n" * 32)
    assert code == 2 and "no (set-info" in err


# --- the header's JSON -------------------------------------------------------------------------


def _header_json(text: str) -> str:
    start = text.index(f"(set-info {KEY} |") + len(f"(set-info {KEY} |")
    return text[start:text.index("|)", start)]


@pytest.mark.parametrize(("what", "change"), [
    ("config twice", lambda doc: doc.replace('"config": ', '"config": {"clients": 2}, "config": ', 1)),
    ("a key twice inside config", lambda doc: doc.replace('"variant": "nt40"', '"variant": "nt35", "variant": "nt40"')),
    ("format twice", lambda doc: doc.replace('"format": 2', '"format": 2, "format": 2')),
])
def test_a_header_whose_json_names_a_key_twice_is_not_a_certificate(tmp_path: Path, what: str, change) -> None:
    text = genuine("single_binding")
    doc = _header_json(text)
    forged = text.replace(doc, change(doc))
    assert forged != text
    code, _, err = run(tmp_path, forged)
    assert code == 2 and "appears twice" in err, err


@pytest.mark.parametrize("change", [
    lambda doc: doc.replace('"format": 2', '"format": 2.0'),
    lambda doc: doc.replace('"format": 2', '"format": true'),
    lambda doc: doc.replace('"client": null', '"client": NaN'),
])
def test_a_header_with_numbers_of_another_type_is_not_a_certificate(tmp_path: Path, change) -> None:
    text = genuine("single_binding")
    doc = _header_json(text)
    assert change(doc) != doc
    code, _, _ = run(tmp_path, text.replace(doc, change(doc)))
    assert code == 2


def test_strict_json_refuses_duplicates_at_any_depth() -> None:
    assert strict_json('{"a": [{"b": 1}]}') == {"a": [{"b": 1}]}
    for text in ('{"a": 1, "a": 1}', '{"a": [{"b": 1, "b": 2}]}', '{"a": {"c": {"d": 0, "d": 0}}}'):
        with pytest.raises(NotACertificate, match="twice"):
            strict_json(text)


def test_the_reader_names_the_line_and_column_of_what_it_refuses() -> None:
    for text, where in [("(a\n  |b|)", "line 2, column 3"), ("(a 01)", "line 1, column 4"), ("(a\n\n 'b)", "line 3, column 2"),
                        ('(echo "a""b")', "line 1, column 7"), ("(a b", "line 1, column 1")]:
        with pytest.raises(NotACertificate, match=where):
            read(text)


# --- hostile tokens at every atom of genuine certificates --------------------------------------

HOSTILE = st.sampled_from([
    "|true) (assert false) (|", "|false|", "(assert false)", "(push 1)", "(pop 1)", "(check-sat)", "(reset)",
    '"unsat"', "(! true :named a)", "(define-fun domain ((x Bool)) Bool false)", "(forall ((q Bool)) q)",
    "(let ((domain false)) domain)", "(_ bv99 2)", "00", "1.5", "#b0", "nosuch", "(exit)", "st[0]", "x'",
])


def _atoms(e: object, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    if isinstance(e, str):
        return [path]
    return [p for n, x in enumerate(e) for p in _atoms(x, (*path, n))]  # type: ignore[attr-defined]


def _replace(e: object, path: tuple[int, ...], new: str) -> object:
    if not path:
        return new
    items = list(e)  # type: ignore[call-overload]
    items[path[0]] = _replace(items[path[0]], path[1:], new)
    return tuple(items)


@cache
def _parsed(prop: str) -> tuple:
    return tuple(parse_sexprs(genuine(prop)))


def _hostile_token_at_an_atom(prop: str, pick: int, payload: str) -> None:
    items = _parsed(prop)
    atoms = _atoms(items)
    path = atoms[pick % len(atoms)]
    forged = "\n".join(to_text(i) for i in _replace(items, path, payload)) + "\n"  # type: ignore[union-attr]
    try:
        result = verdict.check_certificate_text(forged, ["z3"])
    except UserError:
        return
    assert not result.valid, (path, payload)


_HOSTILE_TOKENS = given(prop=st.sampled_from(["single_binding", "recovery"]), pick=st.integers(min_value=0), payload=HOSTILE)

#: the README's test command tries 10 hostile tokens (each a whole check of a certificate by Z3);
#: the sweep tier 60
test_a_hostile_token_at_any_atom_of_a_genuine_certificate_is_never_valid = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])(_HOSTILE_TOKENS(_hostile_token_at_an_atom))
test_a_hostile_token_at_any_atom_of_a_genuine_certificate_is_never_valid_60_times = pytest.mark.sweep(settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])(_HOSTILE_TOKENS(_hostile_token_at_an_atom)))


def test_every_atom_of_the_invariant_replaced_by_a_quoted_symbol_is_refused() -> None:
    items = _parsed("single_binding")
    at = next(n for n, i in enumerate(items) if i[0] == "define-fun" and i[1] == "Inv")
    for path in _atoms(items[at]):
        forged = list(items)
        forged[at] = _replace(items[at], path, "|true) (assert false) (|")
        with pytest.raises(NotACertificate, match="quoted symbol"):
            verdict.check_certificate_text("\n".join(to_text(i) for i in forged), ["z3"])  # type: ignore[arg-type]


def test_the_header_written_is_strict_json() -> None:
    doc = strict_json(_header_json(genuine("recovery")))
    assert isinstance(doc, dict) and doc["format"] == 2 and doc == json.loads(_header_json(genuine("recovery")))


def test_the_kernel_is_as_small_as_the_documents_say() -> None:
    root = Path(__file__).resolve().parent.parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in (root / "checker/kernel").glob("*.py")}
    total = sum(sizes.values())
    assert f"`checker/kernel/` ({total} lines)" in (root / "ARCHITECTURE.md").read_text()
    doc = " ".join((root / "docs/certificates.md").read_text().split())
    assert f"`checker/kernel/`: {total} lines" in doc
    for name, n in sizes.items():
        assert f"`{name}` {n}" in doc, name


# --- malformed files are user errors, never a crash; what a valid certificate claims is said ----


def test_a_set_info_without_its_value_is_not_a_crash(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, genuine("single_binding") + "(set-info)\n", "--solver", "z3")
    assert code in (1, 2) and "Traceback" not in err


@pytest.mark.parametrize("body", ["(= (- true false) true)", "(= (- st.0 1) st.0)", "(= (- 1 true) 0)"])
def test_a_subtraction_of_what_is_not_an_integer_is_refused(tmp_path: Path, body: str) -> None:
    code, out, err = run(tmp_path, with_inv_body(genuine("single_binding"), body), "--solver", "z3")
    assert code in (1, 2) and "valid:" not in out and "Traceback" not in err


def test_definitions_out_of_order_are_refused(tmp_path: Path) -> None:
    items = [to_text(i) for i in parse_sexprs(genuine("single_binding"))]
    inv = next(k for k, t in enumerate(items) if t.startswith("(define-fun Inv "))
    first = next(k for k, t in enumerate(items) if t.startswith("(define-fun "))
    items.insert(first, items.pop(inv))
    code, out, _ = run(tmp_path, "\n".join(items) + "\n", "--solver", "z3")
    assert code == 1 and "not in the order" in out


def test_nesting_near_the_readers_limit_never_passes_a_false_invariant(tmp_path: Path) -> None:
    # 389 negations of true: false, as an invariant that no initial state satisfies. Whether the
    # checker builds a term that deep (the reader's limit is 400) or refuses it as deeper than it
    # reads, the file is never valid and never a traceback
    body = "(not " * 389 + "true" + ")" * 389
    code, out, err = run(tmp_path, with_inv_body(genuine("single_binding"), body), "--solver", "z3")
    assert code in (1, 2) and "Traceback" not in err
    assert code == 2 or "invalid: refuted (sat): initiation" in out


def test_nesting_past_the_readers_limit_is_not_a_certificate(tmp_path: Path) -> None:
    body = "(not " * 400 + "true" + ")" * 400
    code, out, err = run(tmp_path, with_inv_body(genuine("single_binding"), body), "--solver", "z3")
    assert code == 2 and "deeper than 400" in err and "Traceback" not in err


def test_a_reachability_certificate_says_that_it_proves_the_property_violated(tmp_path: Path) -> None:
    (cert,) = z3_run(dhcp_model(NT40), ["kb_symptom"], Z3Options(depth=8, timeout=60)).certificates  # unreachable for nt40
    code, out, _ = run(tmp_path, cert.smtlib, "--solver", "z3")
    assert code == 0 and "claim: kb_symptom is violated, the opposite of:" in out
