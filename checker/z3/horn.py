"""Constrained Horn clauses over one unknown predicate, solved by Spacer, certificates re-checked.

A :class:`HornProblem` states clauses ``body => head`` over constants (read as universally
quantified) and one unknown predicate, given as a function from argument terms to a formula so
that the same clauses can be built for Spacer (an uninterpreted function) and for a re-check (the
proposed interpretation substituted). Spacer either finds an interpretation that satisfies every
clause (an inductive invariant: the proof) or derives ``false`` (the bad states are reachable).

A :class:`Certificate` is the interpretation found. :func:`recheck` validates it with a fresh
solver, clause by clause; :func:`certificate_smtlib` writes it as a self-contained SMT-LIB 2
script whose single ``check-sat`` answers ``unsat`` exactly when the certificate is valid, and
:func:`recheck_smtlib` re-checks such a script.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import z3

from leasecheck.checker.z3.solver import Solver, Timeout, horn_solver, state_solver
from leasecheck.checker.z3.translate import Substitution
from leasecheck.errors import InternalError

Predicate = Callable[..., z3.BoolRef]


@dataclass(frozen=True)
class Clause:
    name: str
    variables: tuple[z3.ExprRef, ...]
    body: z3.BoolRef
    head: z3.BoolRef


@dataclass(frozen=True)
class Unknown:
    """One unknown predicate: its name and formal arguments (whose sorts are its signature)."""

    name: str
    formals: tuple[z3.ExprRef, ...]

    def function(self) -> z3.FuncDeclRef:
        return z3.Function(self.name, *(f.sort() for f in self.formals), z3.BoolSort())


@dataclass(frozen=True)
class HornProblem:
    """Clauses over the unknown predicates; ``build`` gets one callable per unknown, in order."""

    unknowns: tuple[Unknown, ...]
    build: Callable[..., list[Clause]]
    statement: str


@dataclass(frozen=True)
class Certificate:
    """An interpretation of each unknown predicate over its formal arguments."""

    problem: HornProblem
    formulas: tuple[z3.BoolRef, ...]

    def predicates(self) -> list[Predicate]:
        def make(u: Unknown, f: z3.BoolRef) -> Predicate:
            return lambda *args: Substitution(u.formals, args).apply(f)  # type: ignore[return-value]

        return [make(u, f) for u, f in zip(self.problem.unknowns, self.formulas, strict=True)]

    def replace(self, index: int, formula: z3.BoolRef) -> Certificate:
        """The same certificate with one interpretation changed (to test that re-checks reject)."""
        formulas = list(self.formulas)
        formulas[index] = formula
        return Certificate(self.problem, tuple(formulas))


@dataclass(frozen=True)
class HornOutcome:
    """``proof`` when Spacer found an invariant; ``reachable`` when it derived false."""

    proof: Certificate | None
    reachable: bool
    unknown: str = ""


def solve(problem: HornProblem, timeout: Timeout = None) -> HornOutcome:
    """Run Spacer on the clauses; a found invariant is returned, not yet re-checked."""
    preds = [u.function() for u in problem.unknowns]
    solver = horn_solver(timeout)
    for clause in problem.build(*preds):
        formula = z3.Implies(clause.body, clause.head)
        solver.add(z3.ForAll(list(clause.variables), formula) if clause.variables else formula)
    answer = solver.check()
    if answer.unsat:
        return HornOutcome(None, True)
    if not answer.sat:
        return HornOutcome(None, False, answer.reason)
    model = solver.model()
    formulas = tuple(_interpretation(model, p, u) for p, u in zip(preds, problem.unknowns, strict=True))
    return HornOutcome(Certificate(problem, formulas), False)


def _interpretation(model: z3.ModelRef, pred: z3.FuncDeclRef, unknown: Unknown) -> z3.BoolRef:
    """The model's interpretation of ``pred`` as a formula over the unknown's formal arguments."""
    interp = model[pred]
    if interp is None:  # the predicate was never needed: any interpretation, e.g. false, will do
        return z3.BoolVal(False)
    if isinstance(interp, z3.FuncInterp):
        if interp.num_entries():
            raise InternalError("Spacer gave a predicate a table, not a formula")
        return z3.substitute_vars(interp.else_value(), *unknown.formals)  # type: ignore[return-value]
    return interp  # type: ignore[return-value]


def recheck(cert: Certificate, timeout: Timeout = None) -> str | None:
    """None when a fresh solver confirms every clause under the certificate, else what failed."""
    # fresh: nothing the search learnt is in it; bit-vector certificates go to the SAT-based solver
    solver = state_solver(_bit_level(cert.problem), timeout)
    for clause in cert.problem.build(*cert.predicates()):
        with solver.scope():
            solver.add(z3.Not(z3.Implies(clause.body, clause.head)))
            answer = solver.check()
        if answer.sat:
            return f"the certificate fails the clause {clause.name!r}"
        if not answer.unsat:
            return f"clause {clause.name!r} could not be re-checked: {answer.reason}"
    return None


def _bit_level(problem: HornProblem) -> bool:
    return all(z3.is_bv(f) for u in problem.unknowns for f in u.formals)


def certificate_smtlib(cert: Certificate, title: Sequence[str] = ()) -> str:
    """The certificate and its clauses as an SMT-LIB 2 script; valid iff it answers ``unsat``."""
    problem = cert.problem
    preds = [u.function() for u in problem.unknowns]
    clauses = problem.build(*preds)
    consts: dict[str, z3.ExprRef] = {}
    for clause in clauses:
        for v in clause.variables:
            consts[str(v)] = v
    lines = [f"; {t}" for t in title]
    lines += [
        f"; {problem.statement}",
        f"; {', '.join(u.name for u in problem.unknowns)}: the certificate's predicates; the script asserts that some clause fails",
        "; under it. The certificate is valid exactly when the answer is unsat.",
        "(set-logic ALL)",
    ]
    for v in consts.values():
        lines.append(f"(declare-const {v.sexpr()} {v.sort().sexpr()})")
    for u, p, formula in zip(problem.unknowns, preds, cert.formulas, strict=True):
        args = " ".join(f"({f.sexpr()} {f.sort().sexpr()})" for f in u.formals)
        lines.append(f"(define-fun {p.name()} ({args}) Bool")
        lines.append(f"  {formula.sexpr()})")
    lines.append("(assert (not (and")
    for clause in clauses:
        lines.append(f"  ; clause {clause.name}")
        lines.append(f"  {z3.Implies(clause.body, clause.head).sexpr()}")
    lines += [")))", "(check-sat)"]
    return "\n".join(lines) + "\n"


def recheck_smtlib(text: str, timeout: Timeout = None) -> str | None:
    """Re-check a script written by :func:`certificate_smtlib`; None when it answers unsat."""
    try:
        assertions = z3.parse_smt2_string(text)
    except z3.Z3Exception as exc:
        return f"the certificate does not parse: {exc}"
    solver = Solver(timeout)
    solver.add(*assertions)
    answer = solver.check()
    if answer.unsat:
        return None
    if answer.sat:
        return "some clause fails under the certificate"
    return f"the certificate could not be re-checked: {answer.reason}"
