"""First-order formulas of :mod:`.fo` as Z3 terms over uninterpreted sorts ``client`` and ``address``.

One :class:`Vocabulary` per first-order system declares the sorts, an enumerated sort of
constructors per array, the kind and field symbols of the state before a step and after it.
The sorts have no size: a query Z3 finds unsatisfiable is unsatisfiable in every network.
"""

from __future__ import annotations

import itertools
from typing import Any

import z3
from z3.z3 import _to_expr_ref  # the wrapper the API gives an application (its sort decides its class)

from leasecheck.checker.allsizes.fo import (
    And,
    BoolConst,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Iff,
    Kind,
    Not,
    Or,
    Quant,
    Rel,
    Same,
    Term,
    Var,
)


def _array(args: list[z3.ExprRef]) -> Any:
    arr = (z3.Ast * len(args))()
    for i, a in enumerate(args):
        arr[i] = a.as_ast()
    return arr


def _and(ctx: z3.Context, args: list[z3.BoolRef]) -> z3.BoolRef:
    """``z3.And(args)`` without its checks and conversions: the same term, built in fewer calls
    (the terms of a proof are built hundreds of thousands of times)."""
    return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(args), _array(args)), ctx)


def _or(ctx: z3.Context, args: list[z3.BoolRef]) -> z3.BoolRef:
    """``z3.Or(args)``, as :func:`_and`."""
    return z3.BoolRef(z3.Z3_mk_or(ctx.ref(), len(args), _array(args)), ctx)


def _eq(ctx: z3.Context, a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    """``a == b`` for terms of one sort, as :func:`_and`."""
    return z3.BoolRef(z3.Z3_mk_eq(ctx.ref(), a.as_ast(), b.as_ast()), ctx)


def _app(decl: z3.FuncDeclRef, *args: z3.ExprRef) -> z3.ExprRef:
    """``decl(*args)`` for arguments of its domain, as :func:`_and`."""
    return _to_expr_ref(z3.Z3_mk_app(decl.ctx_ref(), decl.ast, len(args), _array(list(args))), decl.ctx)


def key_label(key: tuple) -> str:
    """A constructor key in the model's notation: ``none``, ``BOUND``, ``REQUEST(RENEWING,·)``."""
    if key[0] == "none":
        return "none"
    if key[0] == "atom":
        return str(key[1])
    if key[0] == "index":
        return key[1]
    plain = ",".join(str(v) for _, v in key[2])
    return f"{key[1].upper()}({plain + ',' if plain else ''}·)"


class Vocabulary:
    """The Z3 symbols of one first-order system, in one Z3 context."""

    def __init__(self, fs: FoSystem, ctx: z3.Context | None = None, sizes: dict[str, int] | None = None):
        self.fs = fs
        self.ctx = ctx or z3.Context()
        #: With ``sizes``, one finite network: each sort an enumeration, each quantifier expanded.
        self.sizes = sizes
        self.elements: dict[str, list[z3.ExprRef]] = {}
        if sizes is None:
            self.sorts = {s: z3.DeclareSort(s, self.ctx) for s in fs.sorts}
        else:
            self.sorts = {}
            for s in fs.sorts:
                srt, elems = z3.EnumSort(s, [f"{s}{i}" for i in range(sizes[s])], ctx=self.ctx)
                self.sorts[s], self.elements[s] = srt, list(elems)
        self._env: dict[tuple[str, str], z3.ExprRef] = {}
        self.enum: dict[str, tuple[z3.SortRef, dict[tuple, z3.ExprRef]]] = {}
        self.kind: dict[tuple[str, bool], Any] = {}
        self.field: dict[tuple[str, str, bool], z3.FuncDeclRef] = {}
        for g in fs.groups.values():
            # ASCII names (Z3's SMT-LIB reader takes no other), so a certificate reads back
            labels = [f"{g.name}={key_label(k).replace('·', '_')}" for k in g.keys]
            sort, consts = z3.EnumSort(f"{g.name}_kind", labels, ctx=self.ctx)
            self.enum[g.name] = (sort, dict(zip(g.keys, consts, strict=True)))
            for post in (False, True):
                tick = ".next" if post else ""  # ASCII, no quote: SMT-LIB readers take it
                if g.index is None:
                    self.kind[(g.name, post)] = z3.Const(f"{g.name}{tick}", sort)
                else:
                    self.kind[(g.name, post)] = z3.Function(f"{g.name}{tick}", self.sorts[g.index], sort)
                for n, fsort, how in g.fields:
                    assert g.index is not None
                    name = f"{g.name}.{n or 'value'}{tick}"
                    if how == "function":
                        decl = z3.Function(name, self.sorts[g.index], self.sorts[fsort])
                    else:
                        decl = z3.Function(name, self.sorts[g.index], self.sorts[fsort], z3.BoolSort(self.ctx))
                    self.field[(g.name, n, post)] = decl
        self._vars: dict[tuple[str, str], z3.ExprRef] = {}
        self._cache: dict[int, tuple[Formula, z3.BoolRef]] = {}

    def var(self, v: Var) -> z3.ExprRef:
        bound = self._env.get((v.name, v.sort))
        if bound is not None:
            return bound
        got = self._vars.get((v.name, v.sort))
        if got is None:
            got = self._vars[(v.name, v.sort)] = z3.Const(v.name, self.sorts[v.sort])
        return got

    def term(self, t: Term) -> z3.ExprRef:
        if isinstance(t, Var):
            return self.var(t)
        if isinstance(t, FieldFn):
            return _app(self.field[(t.group, t.name, t.post)], self.term(t.index))
        raise TypeError(t)

    def same(self, group: str, index: Term | None) -> z3.BoolRef:
        g = self.fs.groups[group]
        if index is None:
            return self.kind[(group, True)] == self.kind[(group, False)]
        i = self.term(index)
        parts = [self.kind[(group, True)](i) == self.kind[(group, False)](i)]
        for n, sort, how in g.fields:
            new, old = self.field[(group, n, True)], self.field[(group, n, False)]
            if how == "function":
                parts.append(new(i) == old(i))
            elif self.sizes is not None:
                parts.extend(new(i, z) == old(i, z) for z in self.elements[sort])
            else:
                z = z3.FreshConst(self.sorts[sort], "z")
                parts.append(z3.ForAll([z], new(i, z) == old(i, z)))
        return z3.And(parts)

    def formula(self, f: Formula) -> z3.BoolRef:
        """``f`` as a Z3 term; a formula asked for again (the same object) is translated once."""
        if self._env:
            return self._translate(f)
        got = self._cache.get(id(f))
        if got is None or got[0] is not f:
            got = self._cache[id(f)] = (f, self._translate(f))  # the formula kept alive: its id stays its own
        return got[1]

    def expanded(self, f: Formula, universes: dict[str, list[z3.ExprRef]]) -> z3.BoolRef:
        """``f`` with every quantifier expanded over the given elements of each sort (to evaluate it
        in a model whose universes are those elements)."""
        saved = self.sizes, self.elements
        self.sizes, self.elements = {k: len(v) for k, v in universes.items()}, universes
        try:
            return self._translate(f)
        finally:
            self.sizes, self.elements = saved

    def _translate(self, f: Formula) -> z3.BoolRef:
        formula = self._translate
        ctx = self.ctx
        if isinstance(f, BoolConst):
            return z3.BoolVal(f.value, ctx)
        if isinstance(f, Kind):
            sym = self.kind[(f.group, f.post)]
            cell = sym if f.index is None else _app(sym, self.term(f.index))
            return _eq(ctx, cell, self.enum[f.group][1][f.key])
        if isinstance(f, Rel):
            return _app(self.field[(f.group, f.name, f.post)], self.term(f.index), self.term(f.value))
        if isinstance(f, EqT):
            return _eq(ctx, self.term(f.left), self.term(f.right))
        if isinstance(f, Same):
            return self.same(f.group, f.index)
        if isinstance(f, Not):
            return z3.BoolRef(z3.Z3_mk_not(ctx.ref(), formula(f.arg).as_ast()), ctx)
        if isinstance(f, And):
            return _and(ctx, [formula(a) for a in f.args])
        if isinstance(f, Or):
            return _or(ctx, [formula(a) for a in f.args])
        if isinstance(f, Iff):
            return formula(f.left) == formula(f.right)
        if isinstance(f, Quant) and self.sizes is not None:
            out = []
            for values in itertools.product(*(self.elements[v.sort] for v in f.vars)):
                saved = {(v.name, v.sort): self._env.get((v.name, v.sort)) for v in f.vars}
                for v, e in zip(f.vars, values, strict=True):
                    self._env[(v.name, v.sort)] = e
                out.append(formula(f.body))
                for k, old in saved.items():
                    if old is None:
                        self._env.pop(k, None)
                    else:
                        self._env[k] = old
            return z3.And(out) if f.kind == "forall" else z3.Or(out)
        if isinstance(f, Quant):
            vs = [self.var(v) for v in f.vars]
            body = formula(f.body)
            return z3.ForAll(vs, body) if f.kind == "forall" else z3.Exists(vs, body)
        raise TypeError(f)
