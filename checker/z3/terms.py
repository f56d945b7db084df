"""N-ary boolean connectives built directly with Z3's C API.

``z3.And`` and ``z3.Or`` coerce and sort-check every argument in Python, which costs more than
the solver itself when the engine builds disjunctions of thousands of cubes or candidate
indicators. :func:`conj` and :func:`disj` take booleans the engine built itself (the same
context, boolean sort) and make one node, with Z3's own meaning for zero and one argument.
"""

from __future__ import annotations

from collections.abc import Iterable

import z3


def _nary(make: object, unit: bool, args: Iterable[z3.BoolRef]) -> z3.BoolRef:
    items = list(args)
    if not items:
        return z3.BoolVal(unit)
    if len(items) == 1:
        return items[0]
    ctx = items[0].ctx
    arr = (z3.Ast * len(items))()
    for i, a in enumerate(items):
        arr[i] = a.as_ast()
    return z3.BoolRef(make(ctx.ref(), len(items), arr), ctx)  # type: ignore[operator]


def conj(args: Iterable[z3.BoolRef]) -> z3.BoolRef:
    """The conjunction of ``args`` (true when there are none)."""
    return _nary(z3.Z3_mk_and, True, args)


def disj(args: Iterable[z3.BoolRef]) -> z3.BoolRef:
    """The disjunction of ``args`` (false when there are none)."""
    return _nary(z3.Z3_mk_or, False, args)
