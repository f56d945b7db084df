"""Unbounded proofs of invariants by PDR: Spacer on the Horn clauses of the transition relation.

The clauses over the unknown invariant ``Inv`` are: the initial state satisfies it; for every
guarded command, a state satisfying it steps to a state satisfying it; it implies the property.
A solution is an inductive invariant, i.e. a proof; it is re-checked with a fresh solver
(:func:`.horn.recheck`) before anyone may call the property proved.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from model.lang import Expr

from .horn import Clause, HornOutcome, HornProblem, Predicate, Unknown, solve
from .translate import State, Translator


def invariant_problem(tr: Translator, good: Expr, statement: str) -> HornProblem:
    """Horn clauses whose solutions are inductive invariants implying ``good``."""
    return exclusion_problem(tr, lambda xs: z3.Not(tr.holds(good, xs)), statement)


def exclusion_problem(tr: Translator, bad: Callable[[State], z3.BoolRef], statement: str) -> HornProblem:
    """Horn clauses whose solutions are inductive invariants that no ``bad`` state satisfies."""
    formals = tr.state("inv")
    x, y = tr.state("x"), tr.state("y")

    def build(inv: Predicate) -> list[Clause]:
        clauses = [Clause("initiation", x, tr.initial(x), inv(*x))]
        for cmd in tr.system.commands:
            body = z3.And(tr.in_range(x), inv(*x), tr.command(cmd, x, y))
            clauses.append(Clause(f"consecution {cmd.action}{cmd.params} {cmd.label}".rstrip(), x + y, body, inv(*y)))
        clauses.append(Clause("safety", x, z3.And(tr.in_range(x), inv(*x), bad(x)), z3.BoolVal(False)))
        return clauses

    return HornProblem((Unknown("Inv", formals),), build, statement)


def prove_invariant(tr: Translator, good: Expr, statement: str, timeout: float | None = None) -> HornOutcome:
    return solve(invariant_problem(tr, good, statement), timeout)
