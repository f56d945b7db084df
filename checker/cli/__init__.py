"""The ``leasecheck`` command line (``leasecheck.checker.cli``).

Owns: argument parsing, the progress line and the mapping of exceptions to exit statuses
(:mod:`.main`), the standard streams made safe (:mod:`.streams`), the file outputs of the commands
(:mod:`.outputs`) and ``leasecheck conform`` (:mod:`.conform`). Engines are reached through
:func:`leasecheck.checker.run.run_check` only.

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker,
leasecheck.checker.explicit, leasecheck.checker.render, leasecheck.checker.conform, leasecheck.api.
"""
