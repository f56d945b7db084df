"""k-induction for invariants: the property holds on every path of k states it starts.

For k = 1, 2, ...: if no path of ``k`` good states followed by a bad one exists (the step case)
and no bad state is reachable within ``k - 1`` steps (the base case, which the bounded search
establishes first), the invariant holds. Paths in the step case start anywhere, not only at the
initial state, and are required to visit distinct states, which makes the method complete on a
finite system. A 1-inductive property is its own inductive invariant and becomes a certificate
(:mod:`.pdr`'s clauses with ``Inv`` = the property); a proof at a larger ``k`` is not a
one-state invariant, so the engine goes on to PDR for the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.translate import Translator
from leasecheck.model.lang import Expr


@dataclass(frozen=True)
class InductionOutcome:
    """``k`` is the depth at which the step case closed, or None (``unknown`` says why)."""

    k: int | None
    unknown: str = ""


def step_case(tr: Translator, good: Expr, k: int, timeout: Timeout = None) -> bool | None:
    """True when no simple path of k good states steps to a bad state; None when Z3 cannot say."""
    solver = tr.solver(timeout)
    xs = [tr.state(f"k{n}") for n in range(k + 1)]
    for n in range(k):
        solver.add(tr.in_range(xs[n]), tr.holds(good, xs[n]), tr.step(xs[n], xs[n + 1], tr.fire(f"k{n}")))
    solver.add(z3.Not(tr.holds(good, xs[k])))
    for i in range(k + 1):
        for j in range(i + 1, k + 1):
            solver.add(z3.Not(tr.equal(xs[i], xs[j])))
    answer = solver.check()
    if answer.unsat:
        return True
    if answer.sat:
        return False
    return None


def k_induction(tr: Translator, good: Expr, max_k: int, base_depth: int, timeout: Timeout = None) -> InductionOutcome:
    """The smallest k <= ``max_k`` whose step case closes, given a bad-free base up to ``base_depth``."""
    for k in range(1, min(max_k, base_depth + 1) + 1):
        closed = step_case(tr, good, k, timeout)
        if closed is None:
            return InductionOutcome(None, f"Z3 could not decide the {k}-induction step")
        if closed:
            return InductionOutcome(k)
    return InductionOutcome(None, f"not {max_k}-inductive")
