"""A certificate's text read strictly: the S-expressions of SMT-LIB's subset that certificates
use, each atom with its position, and JSON that refuses duplicate keys.

What is read: parentheses, comments, simple symbols, keywords, numerals, decimals,
``#b``/``#x`` literals, string literals of printable characters without quotes, and one quoted
symbol: the value of the header ``(set-info :leasecheck-certificate |...|)``, which is data and
never reaches a solver. Anything else, every other quoted symbol included, is refused with its
line and column (:class:`NotACertificate`, a user error). Nothing here is ever printed back for a
solver: the terms are built from these nodes by :mod:`.terms`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from leasecheck.errors import UserError

#: the deepest nesting read (the terms leasecheck writes nest a few dozen deep)
MAX_DEPTH = 400
HEADER_KEY = ":leasecheck-certificate"


class NotACertificate(UserError):
    """The text is not a certificate (exit status 2): what is wrong, and where."""


@dataclass(frozen=True)
class Atom:
    """One token: ``kind`` is ``symbol``, ``keyword``, ``numeral``, ``decimal``, ``binary``,
    ``hexadecimal``, ``string`` (its text without the quotes) or ``quoted`` (the header's value)."""

    kind: str
    text: str
    at: str = field(default="", compare=False)


@dataclass(frozen=True)
class Node:
    items: tuple[Atom | Node, ...]
    at: str = field(default="", compare=False)


Expr = Atom | Node

SYMBOL = r"[A-Za-z~!$%^&*_+=<>.?/-][A-Za-z0-9~!@$%^&*_+=<>.?/-]*"
_TOKENS = [
    ("space", r"[ \t\r\n]+"), ("comment", r";[^\n]*"), ("open", r"\("), ("close", r"\)"),
    ("string", r'"[ !#-~]*"'), ("quoted", r"\|[ -\[\]-{}~]*\|"), ("keyword", r":[A-Za-z][A-Za-z0-9_.-]*"),
    ("decimal", r"(?:0|[1-9][0-9]*)\.[0-9]+"), ("numeral", r"0|[1-9][0-9]*"),
    ("binary", r"#b[01]+"), ("hexadecimal", r"#x[0-9a-fA-F]+"), ("symbol", SYMBOL),
]
_TOKEN = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _TOKENS))
_DELIMITER = re.compile(r"[ \t\r\n();]|$")


def read(text: str) -> list[Expr]:
    """The top-level S-expressions of ``text``; :class:`NotACertificate` names the first thing that is
    not of the subset, by line and column."""
    stack: list[tuple[list[Expr], str]] = [([], "")]
    pos, line, line_at = 0, 1, 0  # the line of ``pos`` and the offset where that line starts
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        at = f"line {line}, column {pos - line_at + 1}"
        if m is None or m.lastgroup is None:
            raise NotACertificate(f"{at}: {text[pos:pos + 20]!r} is not SMT-LIB that a certificate uses")
        kind, tok, pos = m.lastgroup, m.group(), m.end()
        if kind not in ("space", "comment", "open", "close") and not _DELIMITER.match(text, pos):
            raise NotACertificate(f"{at}: {text[m.start():pos + 10]!r} is not one token")
        if kind in ("space", "comment"):
            if "\n" in tok:
                line, line_at = line + tok.count("\n"), m.start() + tok.rindex("\n") + 1
            continue
        if kind == "open":
            if len(stack) > MAX_DEPTH:
                raise NotACertificate(f"{at}: its S-expressions nest deeper than {MAX_DEPTH}")
            stack.append(([], at))
        elif kind == "close":
            if len(stack) == 1:
                raise NotACertificate(f"{at}: an unbalanced ')'")
            items, start = stack.pop()
            stack[-1][0].append(Node(tuple(items), start))
        else:
            stack[-1][0].append(Atom(kind, tok[1:-1] if kind in ("string", "quoted") else tok, at))
    if len(stack) != 1:
        raise NotACertificate(f"{stack[-1][1]}: this '(' is never closed")
    for item in stack[0][0]:
        _only_header_quoted(item, top=True)
    return stack[0][0]


def _only_header_quoted(e: Expr, top: bool) -> None:
    if isinstance(e, Atom):
        if e.kind == "quoted":
            raise NotACertificate(f"{e.at}: a quoted symbol |...| (certificates use only simple symbols)")
        return
    header = (top and len(e.items) == 3 and e.items[0] == Atom("symbol", "set-info")
              and e.items[1] == Atom("keyword", HEADER_KEY) and isinstance(e.items[2], Atom))
    for item in e.items[:2] if header else e.items:
        _only_header_quoted(item, top=False)


class DuplicateKey(NotACertificate):
    """A JSON object names a key twice (a reader keeping the first and one keeping the last
    would see two different documents)."""


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"the key {key!r} appears twice in one JSON object")
        out[key] = value
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def strict_json(text: str) -> object:
    """JSON as the standard reads it, refusing duplicate keys and NaN or infinities
    (:class:`DuplicateKey`, or ``ValueError`` for text that is not JSON)."""
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)


def show(e: Expr) -> str:
    """The node as text, for messages (never for a solver: :func:`.terms.smtlib` is that)."""
    if isinstance(e, Atom):
        return {"string": f'"{e.text}"', "quoted": f"|{e.text}|"}.get(e.kind, e.text)
    return "(" + " ".join(show(x) for x in e.items) + ")"
