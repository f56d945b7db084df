"""The engines that answer, and what they answer with (``leasecheck.checker``).

Owns, in its top-level modules: results as frozen data (:mod:`.results`), trace replay through
the reference interpreter (:mod:`.replay`), renamings of clients and addresses (:mod:`.symmetry`),
two engines' reports compared (:mod:`.compare`), the claims catalogue decided (:mod:`.claims`),
and the one way into the engines (:mod:`.run`). Its sub-packages: :mod:`.explicit` (explicit-state
exploration and graph analyses), :mod:`.z3` (the symbolic engine), :mod:`.render` (text, JSON,
trace files, charts, pictures), :mod:`.conform` (real DHCP daemons and captures), :mod:`.sweep` (the server
policy space swept), :mod:`.cli` (the command line).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.explicit,
leasecheck.checker.z3.
"""
