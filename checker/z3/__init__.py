"""The Z3 engine: bounded model checking, k-induction, PDR (Spacer) and liveness proofs.

Only this package, the all-sizes prover and the certificate kernel import ``z3``; here only :mod:`.translate` (the model's guarded
commands as Z3 terms) and :mod:`.solver` (the one solver wrapper) touch the z3 API directly for
building and checking formulas; the algorithms are written over those two. Certificates are
written here (:mod:`.certificate`) and checked by the trusted kernel apart
(:mod:`leasecheck.checker.kernel`); the all-sizes prover is a package of its own
(:mod:`leasecheck.checker.allsizes`).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.results,
leasecheck.checker.replay, leasecheck.checker.symmetry, leasecheck.checker.budget, leasecheck.checker.kernel.
"""
