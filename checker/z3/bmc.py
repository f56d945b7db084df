"""Bounded model checking: the shortest path from the initial state to a target state.

The unrolling is deepened one step at a time and the target is asked for at the newest state
only, so the first path found is a shortest one (the same length as the explicit engine's
breadth-first counterexample). Finding nothing up to the bound proves nothing by itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import z3

from leasecheck.checker.z3.paths import SearchOutcome, Unrolling
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.translate import State, Translator
from leasecheck.model.lang import Expr


def shortest_path(tr: Translator, target: Expr, depth: int, timeout: Timeout = None) -> SearchOutcome:
    """Search paths of 0, 1, ..., ``depth`` steps for one ending in ``target``."""
    return shortest_path_to(tr, functools.partial(tr.holds, target), depth, timeout)


def shortest_path_to(tr: Translator, target: Callable[[State], z3.BoolRef], depth: int,
                     timeout: Timeout = None) -> SearchOutcome:
    """:func:`shortest_path` for a target given as a Z3 formula of a state."""
    unrolling = Unrolling(tr, timeout)
    for k in range(depth + 1):
        if k > 0:
            unrolling.deepen()
        with unrolling.solver.scope() as s:
            s.add(target(unrolling.states[k]))
            answer = s.check()
            if answer.sat:
                return SearchOutcome(unrolling.trace(k), k)
            if not answer.unsat:
                return SearchOutcome(None, k - 1, answer.reason)
    return SearchOutcome(None, depth)
