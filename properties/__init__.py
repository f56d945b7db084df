"""What is asked of the model (``leasecheck.properties``).

Owns: the property kinds as data (:mod:`.spec`: invariants, reachability, recovery under weak
fairness, AG EF, after-action, stuck-reachable, each with its wording), the model as every
engine reads it (:mod:`.model`: the seam), the DHCP properties over one traced system and the
DHCP model built from a configuration (:mod:`.dhcp`), the model families leasecheck ships
(:mod:`.families`), and the claims catalogue with its expected verdicts (:mod:`.claims`).

May import: leasecheck.errors, leasecheck.model.
"""
