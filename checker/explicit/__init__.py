"""The explicit-state engine (``leasecheck.checker.explicit``).

Owns: the scalar breadth-first explorer (over the model's generated successors,
:mod:`leasecheck.model.compile`) and its graph (:mod:`.explore`), the compiled explorer (:mod:`.codegen`, :mod:`.ccanon`,
:mod:`.compiled`), the vectorised explorer (:mod:`.vexplore` over
:mod:`.vector`, :mod:`.pack` and the visited set :mod:`.keytable`), the graph analyses
(:mod:`.analysis`, :mod:`.vanalysis`), verdicts with their traces (:mod:`.decide`), the
symmetry-reduced quotient (:mod:`.reduced`), recovery latency in lease-timer events
(:mod:`.timeline`), and the engine's entry (:mod:`.engine`).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.results,
leasecheck.checker.replay, leasecheck.checker.symmetry, leasecheck.checker.budget.
"""
