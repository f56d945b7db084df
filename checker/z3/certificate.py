"""Certificates that outside solvers can check, written from the model and the proof
(docs/certificates.md); reading and checking them is the kernel's (:mod:`.kernel`).

A certificate is a self-contained SMT-LIB 2 script. Its header carries, as one line of JSON,
what it claims (:class:`~.kernel.fixed.Header`: the configuration, the property and client, the
proof rule and the helpful action of each level); comments give the legend of the encoding;
named definitions state the model (``domain``, ``initial``, ``goal``, ``guard_K`` and ``cmd_K``
for each guarded command, ``step``) and the proof (``Inv``, ``Level1 .. Levelm``); and each
obligation of the proof rule is one block ``(echo NAME) (push 1) (assert (not BODY))
(check-sat) (pop 1)``: the proof is valid when every answer is ``unsat``.

:func:`certificate_text` writes one, printing what the kernel's :func:`~.kernel.fixed.expected_part`
says a certificate of its header contains. :func:`parse_sexprs` and :func:`to_text` read and
write S-expressions loosely, for editing a certificate (tests tamper with certificates through
them); no checking goes through them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import z3

from leasecheck.checker.kernel.fixed import (
    FORMAT,
    KEY,
    Audit,
    Header,
    ModelMismatch,
    Part,
    SolverAnswer,
    audit,
    command_note,
    expected_part,
    header_for,
    symbol_of,
)
from leasecheck.checker.kernel.reader import MAX_DEPTH, NotACertificate
from leasecheck.checker.z3.translate import Substitution

__all__ = ["FORMAT", "KEY", "Audit", "Header", "ModelMismatch", "NotACertificate", "Part", "SolverAnswer", "Str",
           "audit", "certificate_text", "command_note", "expected_part", "header_for", "parse_sexprs", "symbol_of",
           "to_text"]


# -- writing ----------------------------------------------------------------------------------


def certificate_text(header: Header, formulas: Sequence[z3.BoolRef], formals: Sequence[z3.ExprRef],
                     title: str = "") -> str:
    """The certificate of ``header`` whose proof definitions (``Inv``, ``Level1 ..``) are
    ``formulas`` over the constants ``formals``."""
    part = expected_part(header)
    if len(formulas) != len(part.proof):
        raise ValueError(f"the {header.rule} rule needs {len(part.proof)} definitions, not {len(formulas)}")
    data = header.as_json()
    if "|" in data or "\\" in data:
        raise ValueError("the header cannot be written as an SMT-LIB symbol")
    rename = Substitution(tuple(formals), part.pre)
    lines = [f"; leasecheck certificate, format {FORMAT}: {title or header.describe()}",
             f"; {part.statement}",
             f"; Proof rule: {header.rule}" + (f", {len(header.levels)} levels." if header.rule == "ranking" else "."),
             "; Each obligation below is echoed by name, then checked as (push 1) (assert (not OBLIGATION))",
             "; (check-sat) (pop 1): the proof is valid when every answer is unsat. Check it with",
             "; `leasecheck certificate check FILE`, which also rebuilds the model's definitions from the",
             "; configuration in the header; the format is described in docs/certificates.md.",
             "(set-info :smt-lib-version 2.6)",
             f"(set-info {KEY} |{data}|)",
             "(set-logic ALL)",
             ";",
             *(f"; {line}" for line in part.legend),
             *part.declarations,
             ";",
             "; The model, rebuilt by the checker from the configuration.",
             ]
    for d in part.model:
        lines += [f"; {d.note}", d.text]
    lines += [";", "; The proof."]
    for (name, formals_text), formula in zip(part.proof, formulas, strict=True):
        if name.startswith("Level"):
            helpful = header.levels[int(name[5:]) - 1]
            lines.append(f"; level {name[5:]}: " + (f"{helpful} leads down" if helpful else "every step leads down"))
        else:
            lines.append("; the inductive invariant")
        body = rename.apply(formula).sexpr().replace("\n", "\n  ")
        lines.append(f"(define-fun {name} ({formals_text}) Bool\n  {body})")
    if part.derived:
        lines += [";", "; Derived from the levels, rebuilt by the checker."]
    for d in part.derived:
        lines += [f"; {d.note}", d.text]
    lines += [";", "; The obligations."]
    for name, body in part.obligations:
        lines += [f'(echo "{name}")', "(push 1)", f"(assert (not {body}))", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


# -- editing (not checking) -------------------------------------------------------------------


class Str(str):
    """A string literal of SMT-LIB (a symbol is a plain ``str``, never equal to one)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Str) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


SExpr = str | tuple  # type: ignore[type-arg]
_TOKEN = re.compile(r'\s+|;[^\n]*|\(|\)|"(?:[^"]|"")*"|\|[^|\\]*\||[^\s()";|]+')


def parse_sexprs(text: str) -> list[SExpr]:
    """The top-level S-expressions of an SMT-LIB script, for editing: comments and layout
    dropped; a ``|quoted|`` symbol keeps its bars, so :func:`to_text` writes it back as it was."""
    stack: list[list[SExpr]] = [[]]
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise NotACertificate(f"unreadable SMT-LIB at character {pos}")
        tok = m.group()
        pos = m.end()
        if tok[0].isspace() or tok[0] == ";":
            continue
        if tok == "(":
            if len(stack) > MAX_DEPTH:
                raise NotACertificate(f"its S-expressions nest deeper than {MAX_DEPTH}")
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise NotACertificate(f"an unbalanced ')' at character {pos}")
            done = tuple(stack.pop())
            stack[-1].append(done)
        elif tok[0] == '"':
            stack[-1].append(Str(tok[1:-1].replace('""', '"')))
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise NotACertificate("an unclosed '(' at the end")
    return stack[0]


def to_text(e: SExpr) -> str:
    """An S-expression as :func:`parse_sexprs` read it, written back."""
    if isinstance(e, Str):
        return '"' + e.replace('"', '""') + '"'
    if isinstance(e, str):
        return e
    return "(" + " ".join(to_text(x) for x in e) + ")"
