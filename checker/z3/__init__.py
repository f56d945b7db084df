"""The Z3 engine: bounded model checking, k-induction, PDR (Spacer) and liveness proofs.

Only this package imports ``z3``, and within it only :mod:`.translate` (the model's guarded
commands as Z3 terms) and :mod:`.solver` (the one solver wrapper) touch the z3 API directly for
building and checking formulas; the algorithms are written over those two. Certificates are
written here (:mod:`.certificate`) and checked by the trusted kernel apart (:mod:`.kernel`: the
strict reader, the terms it builds, the obligations it generates), whose verdict
:mod:`.certcheck` returns; cvc5, the second solver, is imported only by the kernel, and only when
asked for (:mod:`.cvc5_check` says whether it is installed).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.results,
leasecheck.checker.replay, leasecheck.checker.symmetry, leasecheck.checker.budget, leasecheck.checker.explicit.compile.
"""
