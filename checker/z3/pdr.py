"""Unbounded proofs of invariants by PDR: Spacer on the Horn clauses of the transition relation.

The clauses over the unknown invariant ``Inv`` are: the initial state satisfies it; for every
guarded command, a state satisfying it steps to a state satisfying it; it implies the property.
A solution is an inductive invariant, i.e. a proof; it is re-checked with a fresh solver
(:func:`.horn.recheck`) before anyone may call the property proved.

An invariant already proved (the mined one) may be *assumed*: it joins every clause's body, so
Spacer starts from what it says. A solution ``S`` of those clauses is not itself inductive, but
``S and assumed`` is (the assumed formula being inductive), and that conjunction is the
certificate, re-checked against the clauses without the assumption.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from leasecheck.checker.z3.horn import Certificate, Clause, HornOutcome, HornProblem, Predicate, Unknown, solve
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.translate import State, Substitution, Translator
from leasecheck.model.lang import Expr

Assumed = Callable[[State], z3.BoolRef]


def invariant_problem(tr: Translator, good: Expr, statement: str, assume: Assumed | None = None) -> HornProblem:
    """Horn clauses whose solutions are inductive invariants implying ``good``."""
    return exclusion_problem(tr, lambda xs: z3.Not(tr.holds(good, xs)), statement, assume)


def exclusion_problem(tr: Translator, bad: Callable[[State], z3.BoolRef], statement: str,
                      assume: Assumed | None = None) -> HornProblem:
    """Horn clauses whose solutions are inductive invariants that no ``bad`` state satisfies
    (with ``assume``: whose conjunction with that inductive invariant is one)."""
    formals = tr.state("inv")
    x, y = tr.state("x"), tr.state("y")
    care = z3.And(tr.in_range(x), assume(x)) if assume is not None else tr.in_range(x)

    def build(inv: Predicate) -> list[Clause]:
        clauses = [Clause("initiation", x, tr.initial(x), inv(*x))]
        for cmd in tr.system.commands:
            body = z3.And(care, inv(*x), tr.command(cmd, x, y))
            clauses.append(Clause(f"consecution {cmd.action}{cmd.params} {cmd.label}".rstrip(), x + y, body, inv(*y)))
        clauses.append(Clause("safety", x, z3.And(care, inv(*x), bad(x)), z3.BoolVal(False)))
        return clauses

    return HornProblem((Unknown("Inv", formals),), build, statement)


def with_assumed(outcome: HornOutcome, plain: HornProblem, assume: Assumed) -> HornOutcome:
    """A solution found with ``assume`` as the certificate of ``plain`` (the same clauses
    without it): the solution and the assumed invariant together."""
    if outcome.proof is None:
        return outcome
    formals = plain.unknowns[0].formals
    found = Substitution(outcome.proof.problem.unknowns[0].formals, formals).apply(outcome.proof.formulas[0])
    return HornOutcome(Certificate(plain, (z3.And(found, assume(formals)),)), False)


def prove_invariant(tr: Translator, good: Expr, statement: str, timeout: Timeout = None) -> HornOutcome:
    return solve(invariant_problem(tr, good, statement), timeout)
