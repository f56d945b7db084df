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
from dataclasses import dataclass, field, fields

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


#: the fast scan's tokens: blanks, a comment, a parenthesis, a string, a quoted symbol, or a run of
#: other characters (an atom when it is one of the kinds below, whole)
_SCAN = re.compile(r'[ \t\r\n]+|;[^\n]*|[()]|"[ !#-~]*"|\|[ -\[\]-{}~]*\||[^ \t\r\n();]+')
_ATOM = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _TOKENS if name not in ("space", "comment", "open", "close")))
_DELIMITERS = frozenset(" \t\r\n();")


def read(text: str) -> list[Expr]:
    """The top-level S-expressions of ``text``; :class:`NotACertificate` names the first thing that is
    not of the subset, by line and column."""
    items = _read_fast(text)
    return _read(text) if items is None else items


def _read_fast(text: str) -> list[Expr] | None:
    """What :func:`_read` reads, in one scan of ``text``; None at the first thing that is not plainly
    of the subset (:func:`_read` then reads it again, to accept it or to name what is wrong).

    The tokens found are gapless exactly when their lengths add up to the text's. A run of
    characters between delimiters is one atom exactly when the first of the token patterns that
    matches at its start matches all of it; that is the first pattern matching all of it (their
    first characters set them apart, and a decimal's run is no numeral's), which :data:`_ATOM`
    finds. A string or a quoted symbol found is one (the pattern for runs comes after theirs), and
    must be followed by a delimiter, as every token must."""
    stack: list[list[Expr]] = [[]]
    starts: list[str] = [""]
    kinds: dict[str, str] = {}  # each run's kind, "" for none
    quoted = False
    line, line_at, pos, n = 1, 0, 0, len(text)
    for tok in _SCAN.findall(text):
        start, pos = pos, pos + len(tok)
        c = tok[0]
        if c == "(":
            if len(stack) > MAX_DEPTH:
                return None
            stack.append([])
            starts.append(f"line {line}, column {start - line_at + 1}")
        elif c == ")":
            if len(stack) == 1:
                return None
            items = stack.pop()
            stack[-1].append(_node(tuple(items), starts.pop()))
        elif c in " \t\r\n":
            if "\n" in tok:
                line, line_at = line + tok.count("\n"), start + tok.rindex("\n") + 1
        elif c != ";":
            kind = kinds.get(tok)
            if kind is None:
                m = _ATOM.fullmatch(tok)
                kinds[tok] = kind = m.lastgroup or "" if m is not None else ""
            if not kind or pos < n and text[pos] not in _DELIMITERS:
                return None
            if kind in ("string", "quoted"):
                quoted = quoted or kind == "quoted"
                tok = tok[1:-1]
            stack[-1].append(_atom(kind, tok, f"line {line}, column {start - line_at + 1}"))
    if pos != n or len(stack) != 1:
        return None
    if quoted:
        for item in stack[0]:
            _only_header_quoted(item, top=True)
    return stack[0]


def _atom(kind: str, text: str, at: str) -> Atom:
    """``Atom(kind, text, at)``, its fields filled directly: half the cost of the dataclass's own
    constructor, which sets each field through ``object.__setattr__``; the instance is the same."""
    out = object.__new__(Atom)
    d = out.__dict__
    d["kind"], d["text"], d["at"] = kind, text, at
    return out


def _node(items: tuple[Expr, ...], at: str) -> Node:
    """``Node(items, at)``, likewise."""
    out = object.__new__(Node)
    d = out.__dict__
    d["items"], d["at"] = items, at
    return out


if [f.name for f in fields(Atom)] != ["kind", "text", "at"] or [f.name for f in fields(Node)] != ["items", "at"]:
    raise AssertionError("the reader's constructors fill other fields than Atom's and Node's")


def _read(text: str) -> list[Expr]:
    """:func:`read`, one token at a time: the reading that names what is wrong."""
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
