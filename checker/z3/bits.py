"""Formulas over integer states carried over to bit-vector states, exactly.

The engine's searches and covers run on bit-vector states, which Z3's finite-domain solver
bit-blasts to SAT; Spacer (PDR) works on integer states. An invariant Spacer finds is a formula
of linear integer arithmetic over the integer constants; :func:`to_bitvectors` rewrites it over
the bit-vector constants of the same state: each integer constant becomes its bit-vector twin,
zero-extended to a signed width wide enough that no sum or product in the formula can overflow
(checked with interval bounds on every subterm), and each comparison its signed bit-vector
counterpart. The result means the same as the original on every state. Anything outside that
fragment (division, non-linear products, quantifiers) is refused with :class:`NotCarried`.
"""

from __future__ import annotations

from collections.abc import Sequence

import z3

from leasecheck.errors import Signal

#: the signed width the arithmetic is carried out in; every subterm's bounds must fit in it
WIDTH = 32
_LIMIT = 1 << (WIDTH - 2)


class NotCarried(Signal):
    """The formula uses something that has no exact bit-vector counterpart here."""


def to_bitvectors(formula: z3.BoolRef, ints: Sequence[z3.ExprRef], bits: Sequence[z3.ExprRef]) -> z3.BoolRef:
    """``formula`` over the integer constants ``ints``, rewritten over the bit-vector constants ``bits``."""
    twins = {x.get_id(): b for x, b in zip(ints, bits, strict=True)}
    return _Carrier(twins).boolean(formula)


class _Carrier:
    def __init__(self, twins: dict[int, z3.BitVecRef]):
        self._twins = twins
        self._memo: dict[int, object] = {}

    def boolean(self, e: z3.ExprRef) -> z3.BoolRef:
        key = e.get_id()
        if key not in self._memo:
            self._memo[key] = self._boolean(e)
        return self._memo[key]  # type: ignore[return-value]

    def _boolean(self, e: z3.ExprRef) -> z3.BoolRef:
        if z3.is_true(e) or z3.is_false(e):
            return e  # type: ignore[return-value]
        if not z3.is_app(e) or not z3.is_bool(e):
            raise NotCarried(f"not a quantifier-free formula: {e}")
        k, args = e.decl().kind(), e.children()
        if k == z3.Z3_OP_AND:
            return z3.And([self.boolean(a) for a in args])
        if k == z3.Z3_OP_OR:
            return z3.Or([self.boolean(a) for a in args])
        if k == z3.Z3_OP_NOT:
            return z3.Not(self.boolean(args[0]))
        if k == z3.Z3_OP_IMPLIES:
            return z3.Implies(self.boolean(args[0]), self.boolean(args[1]))
        if k == z3.Z3_OP_XOR:
            return z3.Xor(self.boolean(args[0]), self.boolean(args[1]))
        if k == z3.Z3_OP_ITE:
            return z3.If(self.boolean(args[0]), self.boolean(args[1]), self.boolean(args[2]))
        if k in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT) and all(z3.is_bool(a) for a in args):
            bs = [self.boolean(a) for a in args]
            return bs[0] == bs[1] if k == z3.Z3_OP_EQ else z3.Distinct(*bs)
        compare = {z3.Z3_OP_EQ: lambda a, b: a == b, z3.Z3_OP_LE: lambda a, b: a <= b,
                   z3.Z3_OP_LT: lambda a, b: a < b, z3.Z3_OP_GE: lambda a, b: a >= b,
                   z3.Z3_OP_GT: lambda a, b: a > b}
        if k in compare and len(args) == 2 and all(z3.is_int(a) for a in args):
            return compare[k](self.term(args[0])[0], self.term(args[1])[0])  # signed comparisons
        if k == z3.Z3_OP_DISTINCT and all(z3.is_int(a) for a in args):
            return z3.Distinct(*(self.term(a)[0] for a in args))
        raise NotCarried(f"no bit-vector counterpart for {e.decl().name()}")

    def term(self, e: z3.ExprRef) -> tuple[z3.BitVecRef, int, int]:
        """The term, and bounds on its value over every state."""
        key = e.get_id()
        if key not in self._memo:
            out = self._term(e)
            if not (-_LIMIT < out[1] <= out[2] < _LIMIT):
                raise NotCarried(f"a term may not fit in {WIDTH} bits: {e}")
            self._memo[key] = out
        return self._memo[key]  # type: ignore[return-value]

    def _term(self, e: z3.ExprRef) -> tuple[z3.BitVecRef, int, int]:
        if z3.is_int_value(e):
            v = e.as_long()  # type: ignore[attr-defined]
            return z3.BitVecVal(v, WIDTH), v, v
        if e.get_id() in self._twins:
            b = self._twins[e.get_id()]
            return z3.ZeroExt(WIDTH - b.size(), b), 0, (1 << b.size()) - 1
        if not z3.is_app(e):
            raise NotCarried(f"not a term of the state: {e}")
        k, args = e.decl().kind(), e.children()
        if k == z3.Z3_OP_ADD:
            parts = [self.term(a) for a in args]
            total = parts[0][0]
            for p in parts[1:]:
                total = total + p[0]
            return total, sum(p[1] for p in parts), sum(p[2] for p in parts)
        if k == z3.Z3_OP_SUB:
            parts = [self.term(a) for a in args]
            total, lo, hi = parts[0]
            for p in parts[1:]:
                total, lo, hi = total - p[0], lo - p[2], hi - p[1]
            return total, lo, hi
        if k == z3.Z3_OP_UMINUS:
            t, lo, hi = self.term(args[0])
            return -t, -hi, -lo
        if k == z3.Z3_OP_MUL:
            parts = [self.term(a) for a in args]
            if sum(1 for p in parts if p[1] != p[2]) > 1:
                raise NotCarried(f"a non-linear product: {e}")
            total, lo, hi = parts[0]
            for t, a, b in parts[1:]:
                corners = [lo * a, lo * b, hi * a, hi * b]
                total, lo, hi = total * t, min(corners), max(corners)
            return total, lo, hi
        if k == z3.Z3_OP_ITE:
            c = self.boolean(args[0])
            then, orelse = self.term(args[1]), self.term(args[2])
            return z3.If(c, then[0], orelse[0]), min(then[1], orelse[1]), max(then[2], orelse[2])
        raise NotCarried(f"no bit-vector counterpart for {e.decl().name()}")
