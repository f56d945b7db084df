"""Terms built from the reader's nodes, never from text: sorts, definitions and the core, bit-vector
and integer operators that certificates use, each application checked for its arity and sorts.

:func:`define` builds a ``define-fun`` whose body may speak only of its formals, of the
definitions it is given and of the operators below; :func:`term` builds one term; an unknown
symbol, a wrong arity or sort, a literal out of range or a formal that shadows a name is refused
with its position (:class:`~.reader.NotACertificate`). :func:`smtlib` prints a node that was built
here, for cvc5: the only text a solver reads is printed from nodes the kernel validated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import z3

from leasecheck.checker.kernel.reader import Atom, Expr, Node, NotACertificate, show

MAX_WIDTH = 64
MAX_DIGITS = 20


@dataclass(frozen=True)
class Definition:
    """A definition built by the kernel: its formals, its body over them, and its validated node."""

    name: str
    formals: tuple[z3.ExprRef, ...]
    body: z3.ExprRef
    node: Node


def _need(ok: bool, at: str, why: str) -> None:
    if not ok:
        raise NotACertificate(f"{at}: {why}")


def _bools(args: Sequence[z3.ExprRef], at: str, op: str) -> list[z3.BoolRef]:
    _need(all(z3.is_bool(a) for a in args), at, f"{op} takes Booleans")
    return list(args)  # type: ignore[arg-type]


def _same(args: Sequence[z3.ExprRef], at: str, op: str) -> Sequence[z3.ExprRef]:
    _need(all(a.sort().eq(args[0].sort()) for a in args), at, f"the arguments of {op} differ in sort")
    return args


def _bvs(args: Sequence[z3.ExprRef], at: str, op: str) -> Sequence[z3.ExprRef]:
    _need(all(z3.is_bv(a) for a in args), at, f"{op} takes bit-vectors")
    return _same(args, at, op)


def _ints(args: Sequence[z3.ExprRef], at: str, op: str) -> Sequence[z3.ExprRef]:
    _need(all(z3.is_int(a) for a in args), at, f"{op} takes integers")
    return args


def _chain(rel: Callable[[z3.ExprRef, z3.ExprRef], z3.BoolRef], args: Sequence[z3.ExprRef]) -> z3.BoolRef:
    pairs = [rel(a, b) for a, b in zip(args, args[1:], strict=False)]
    return pairs[0] if len(pairs) == 1 else z3.And(pairs)


#: name -> (least arity, most arity or None, builder of the checked arguments and the position)
Op = tuple[int, int | None, Callable[[Sequence[z3.ExprRef], str], z3.ExprRef]]
OPS: dict[str, Op] = {
    "not": (1, 1, lambda a, at: z3.Not(_bools(a, at, "not")[0])),
    "and": (1, None, lambda a, at: z3.And(_bools(a, at, "and"))),
    "or": (1, None, lambda a, at: z3.Or(_bools(a, at, "or"))),
    "xor": (2, 2, lambda a, at: z3.Xor(*_bools(a, at, "xor"))),
    "=>": (2, None, lambda a, at: reduce(lambda r, p: z3.Implies(p, r), reversed(_bools(a, at, "=>")[:-1]), a[-1])),
    "=": (2, None, lambda a, at: _chain(lambda x, y: x == y, _same(a, at, "="))),  # type: ignore[arg-type,return-value]
    "distinct": (2, None, lambda a, at: z3.Distinct(*_same(a, at, "distinct"))),
    "ite": (3, 3, lambda a, at: z3.If(_bools(a[:1], at, "ite's condition")[0], *_same(a[1:], at, "ite"))),
    "bvult": (2, 2, lambda a, at: z3.ULT(*_bvs(a, at, "bvult"))),
    "bvule": (2, 2, lambda a, at: z3.ULE(*_bvs(a, at, "bvule"))),
    "bvugt": (2, 2, lambda a, at: z3.UGT(*_bvs(a, at, "bvugt"))),
    "bvuge": (2, 2, lambda a, at: z3.UGE(*_bvs(a, at, "bvuge"))),
    "bvadd": (2, 2, lambda a, at: _bvs(a, at, "bvadd")[0] + a[1]),
    "bvsub": (2, 2, lambda a, at: _bvs(a, at, "bvsub")[0] - a[1]),
    "<": (2, None, lambda a, at: _chain(lambda x, y: x < y, _ints(a, at, "<"))),  # type: ignore[arg-type,operator]
    "<=": (2, None, lambda a, at: _chain(lambda x, y: x <= y, _ints(a, at, "<="))),  # type: ignore[arg-type,operator]
    ">": (2, None, lambda a, at: _chain(lambda x, y: x > y, _ints(a, at, ">"))),  # type: ignore[arg-type,operator]
    ">=": (2, None, lambda a, at: _chain(lambda x, y: x >= y, _ints(a, at, ">="))),  # type: ignore[arg-type,operator]
    "+": (2, None, lambda a, at: z3.Sum(*_ints(a, at, "+"))),
    "*": (2, None, lambda a, at: z3.Product(*_ints(a, at, "*"))),
    "-": (1, None, lambda a, at: -_ints(a, at, "-")[0] if len(a) == 1  # type: ignore[operator]
          else reduce(lambda x, y: x - y, _ints(a, at, "-"))),  # type: ignore[operator]
}
#: names no formal, binding or definition may take
RESERVED = frozenset(OPS) | {"true", "false", "let", "_", "!", "forall", "exists", "as", "match", "Bool", "Int",
                             "BitVec"}


def symbol(e: Expr, what: str) -> str:
    if not (isinstance(e, Atom) and e.kind == "symbol"):
        raise NotACertificate(f"{e.at}: {what} must be a simple symbol, not {show(e)[:40]}")
    _need(e.text not in RESERVED, e.at, f"{what} {e.text} is a reserved name")
    return e.text


def sort(e: Expr, sorts: Mapping[str, z3.SortRef] | None = None) -> z3.SortRef:
    """``Bool``, ``Int``, ``(_ BitVec N)`` with 1 <= N <= 64, or one of ``sorts`` (uninterpreted)."""
    if isinstance(e, Atom) and e.kind == "symbol":
        if e.text == "Bool":
            return z3.BoolSort()
        if e.text == "Int":
            return z3.IntSort()
        if sorts and e.text in sorts:
            return sorts[e.text]
    if isinstance(e, Node) and len(e.items) == 3 and e.items[:2] == (Atom("symbol", "_"), Atom("symbol", "BitVec")):
        w = e.items[2]
        if isinstance(w, Atom) and w.kind == "numeral" and len(w.text) <= 2 and 1 <= int(w.text) <= MAX_WIDTH:
            return z3.BitVecSort(int(w.text))
    raise NotACertificate(f"{e.at}: {show(e)[:40]} is not a sort a certificate uses")


#: definitions applied to arguments, built once per audit: (name, the arguments' ids) -> (the
#: arguments, kept alive so that no id is reused while its entry stands, and the term built)
Applied = dict[tuple[str, tuple[int, ...]], tuple[tuple[z3.ExprRef, ...], z3.ExprRef]]


def node_expr(a: z3.Ast, ctx: z3.Context) -> z3.ExprRef:
    """Z3's node ``a`` as the Python API's term."""
    return z3.z3._to_expr_ref(a, ctx)  # type: ignore[no-any-return]


def node_array(args: Sequence[z3.ExprRef]) -> Any:
    """The nodes of ``args`` as the array Z3's calls take."""
    return (z3.Ast * len(args))(*(a.as_ast() for a in args))


def sort_ids(args: Sequence[z3.ExprRef]) -> list[int]:
    """Each argument's sort, as the identity of Z3's one node for that sort (Z3 shares every sort,
    so two sorts are equal exactly when these are)."""
    return [z3.Z3_get_sort_id(a.ctx_ref(), z3.Z3_get_sort(a.ctx_ref(), a.as_ast())) for a in args]


def _apply(d: Definition, args: Sequence[z3.ExprRef], at: str, applied: Applied | None) -> z3.ExprRef:
    """``d`` applied to ``args`` (checked for their number and sorts): its body with each formal
    replaced by its argument."""
    name = d.name
    _need(len(args) == len(d.formals), at, f"{name} takes {len(d.formals)} arguments, not {len(args)}")
    if not args:
        return d.body
    key = (name, tuple(a.get_id() for a in args))
    if applied is not None and key in applied:
        return applied[key][1]  # the same arguments: their sorts were checked when it was built
    _need(sort_ids(args) == sort_ids(d.formals), at, f"an argument of {name} has the wrong sort")
    if all(a.eq(f) for a, f in zip(args, d.formals, strict=True)):
        out = d.body  # the formals themselves: substituting them changes nothing
    else:
        ctx = d.body.ctx
        old, new = node_array(d.formals), node_array(args)
        out = node_expr(z3.Z3_substitute(ctx.ref(), d.body.as_ast(), len(args), old, new), ctx)
    if applied is not None:
        applied[key] = (tuple(args), out)
    return out


def term(e: Expr, env: Mapping[str, z3.ExprRef], defs: Mapping[str, Definition],
         fixed: frozenset[str] = frozenset(), applied: Applied | None = None) -> z3.ExprRef:
    """The term ``e`` over the variables ``env`` and the definitions ``defs`` (a let may not
    rebind the names ``fixed``: the formals); ``applied``: the definitions applied so far in the
    same audit, each built once."""
    if isinstance(e, Atom):
        if e.kind == "symbol":
            if e.text in env:
                return env[e.text]
            if e.text in ("true", "false"):
                return z3.BoolVal(e.text == "true")
            if e.text in defs and not defs[e.text].formals:
                return defs[e.text].body
            raise NotACertificate(f"{e.at}: unknown symbol {e.text}")
        if e.kind == "numeral":
            _need(len(e.text) <= MAX_DIGITS, e.at, "a numeral too large")
            return z3.IntVal(int(e.text))
        if e.kind in ("binary", "hexadecimal"):
            digits = e.text[2:]
            bits = len(digits) * (1 if e.kind == "binary" else 4)
            _need(bits <= MAX_WIDTH, e.at, f"a bit-vector literal wider than {MAX_WIDTH}")
            return z3.BitVecVal(int(digits, 2 if e.kind == "binary" else 16), bits)
        raise NotACertificate(f"{e.at}: {show(e)[:40]} is not a term")
    if not (e.items and isinstance(e.items[0], Atom) and e.items[0].kind == "symbol"):
        raise NotACertificate(f"{e.at}: {show(e)[:40]} is not an application")  # shown only when refused
    head = e.items[0]
    assert isinstance(head, Atom)
    name, rest = head.text, e.items[1:]
    if name == "_":
        lit, width = (rest[0], rest[1]) if len(rest) == 2 else (Atom("", ""), Atom("", ""))
        ok = (isinstance(lit, Atom) and lit.kind == "symbol" and lit.text[:2] == "bv" and lit.text[2:].isdigit()
              and len(lit.text) <= MAX_DIGITS + 2 and (lit.text[2:] == "0" or lit.text[2] != "0")
              and isinstance(width, Atom) and width.kind == "numeral" and len(width.text) <= 2
              and 1 <= int(width.text) <= MAX_WIDTH)
        _need(ok, e.at, f"{show(e)[:40]} is not a bit-vector literal")
        assert isinstance(lit, Atom) and isinstance(width, Atom)
        _need(int(lit.text[2:]) < 2 ** int(width.text), e.at, "a bit-vector literal out of its width")
        return z3.BitVecVal(int(lit.text[2:]), int(width.text))
    if name == "let":
        _need(len(rest) == 2 and isinstance(rest[0], Node) and bool(rest[0].items), e.at,
              "a let is (let ((NAME TERM) ...) TERM)")
        assert isinstance(rest[0], Node)
        inner = dict(env)
        for b in rest[0].items:
            _need(isinstance(b, Node) and len(b.items) == 2, b.at, "a let binding is (NAME TERM)")
            assert isinstance(b, Node)
            bound = symbol(b.items[0], "a let's name")
            _need(bound not in defs and bound not in fixed, b.at, f"the let's name {bound} shadows a name")
            inner[bound] = term(b.items[1], env, defs, fixed, applied)
        return term(rest[1], inner, defs, fixed, applied)
    if name not in defs and name not in OPS:
        raise NotACertificate(f"{head.at}: unknown function {name}")
    args = [term(a, env, defs, fixed, applied) for a in rest]
    if name in defs:
        return _apply(defs[name], args, e.at, applied)
    if name in OPS:
        low, high, build = OPS[name]
        _need(len(args) >= low and (high is None or len(args) <= high), e.at, f"{name} cannot take {len(args)} arguments")
        return build(args, e.at)
    raise NotACertificate(f"{head.at}: unknown function {name}")


def define(node: Expr, defs: Mapping[str, Definition], sorts: Mapping[str, z3.SortRef] | None = None,
           applied: Applied | None = None) -> Definition:
    """``(define-fun NAME ((X S) ...) S BODY)``, its body over its formals and ``defs`` only
    (``applied``: as for :func:`term`)."""
    ok = isinstance(node, Node) and len(node.items) == 5 and node.items[0] == Atom("symbol", "define-fun")
    _need(ok and isinstance(node.items[2], Node), node.at,  # type: ignore[union-attr]
          "a definition is (define-fun NAME ((X S) ...) S BODY)")
    assert isinstance(node, Node) and isinstance(node.items[2], Node)
    name = symbol(node.items[1], "a definition's name")
    _need(name not in defs, node.at, f"{name} is defined twice")
    formals: dict[str, z3.ExprRef] = {}
    for f in node.items[2].items:
        _need(isinstance(f, Node) and len(f.items) == 2, f.at, "a formal is (NAME SORT)")
        assert isinstance(f, Node)
        x = symbol(f.items[0], "a formal")
        _need(x not in formals and x not in defs, f.at, f"the formal {x} shadows a name")
        formals[x] = z3.Const(x, sort(f.items[1], sorts))
    body = term(node.items[4], formals, defs, frozenset(formals), applied)
    _need(body.sort().eq(sort(node.items[3], sorts)), node.at, f"the body of {name} is not of its sort")
    return Definition(name, tuple(formals.values()), body, node)


_PRINTED = ("symbol", "keyword", "numeral", "binary", "hexadecimal")


def smtlib(e: Expr) -> str:
    """A node the kernel built, printed: simple symbols, numerals and literals only."""
    if isinstance(e, Atom):
        if e.kind not in _PRINTED:
            raise AssertionError(f"the kernel does not print a {e.kind}")
        return e.text
    return "(" + " ".join(smtlib(x) for x in e.items) + ")"
