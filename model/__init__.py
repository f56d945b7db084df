"""The DHCP lease system and the small language it is written in (``leasecheck.model``).

Owns: the modelling language (:mod:`.lang`: finite domains, traced expressions, guarded
commands), the values DHCP variables range over (:mod:`.values`), the DHCP system itself, written
once (:mod:`.dhcp`), the reference interpreter of the traced form (:mod:`.interp`) and the same
form as generated Python (:mod:`.compile`, checked against the interpreter by the tests).

May import: leasecheck.errors.
"""
