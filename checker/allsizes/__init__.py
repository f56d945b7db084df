"""The all-sizes prover: claims for every number of clients and addresses, over uninterpreted sorts.

:mod:`.fo` traces the model's action bodies into first-order logic (a whitelist of what tracing
may see); :mod:`.fo_finite` evaluates that reading in one finite network and :mod:`.fo_z3` turns
it into Z3 terms; :mod:`.epr` checks that every query stays in the decidable fragment;
:mod:`.learn` learns candidate clauses from finite networks, :mod:`.safety` proves invariants
with them, :mod:`.ghost` and :mod:`.recovery` prove recovery by a ranking over one client's view;
:mod:`.effort` makes and asks every solver, each query limited by the solver's count of
work (never by the clock, which only ends a run); :mod:`.certificate` writes a proof as an
all-sizes certificate for the kernel (:mod:`leasecheck.checker.kernel.allsizes`) to check;
:mod:`.fo_check` holds the safety nets that ``prove`` runs besides the proof. It imports ``z3``
itself (its terms are over uninterpreted sorts, unlike the fixed-size engine's).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.kernel.
"""
