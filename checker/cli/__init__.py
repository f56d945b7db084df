"""The ``leasecheck`` command line (``leasecheck.checker.cli``).

Owns: argument parsing, the progress line and the mapping of exceptions to exit statuses
(:mod:`.main`), the shared option vocabulary (:mod:`.options`), the standard streams made safe
(:mod:`.streams`), output paths checked and announced (:mod:`.paths`), the process environment
(:mod:`.environ`), the file outputs of the commands (:mod:`.outputs`), ``leasecheck conform`` (:mod:`.conform`), ``leasecheck sweep`` (:mod:`.sweep`), ``leasecheck prove``
(:mod:`.prove`) and its table of every policy (:mod:`.prove_table`). Engines are reached through
:func:`leasecheck.checker.run.run_check` only.

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker,
leasecheck.checker.explicit, leasecheck.checker.render, leasecheck.checker.conform, leasecheck.checker.sweep,
leasecheck.api.
"""
