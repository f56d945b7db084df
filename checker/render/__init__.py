"""Everything that turns results into something to read (``leasecheck.checker.render``).

Owns: terminal text (:mod:`.text`), the JSON contract of ``--format json`` (:mod:`.jsondoc`),
trace files in the Informal Trace Format (:mod:`.itf`), input files read within limits (:mod:`.inputfile`), what a step means in DHCP terms
(:mod:`.narrate`), message sequence charts as data and as pictures (:mod:`.msc`, :mod:`.chart`),
state-graph pictures (:mod:`.stategraph`), JUnit XML (:mod:`.junit`), the claims catalogue as text
and JSON (:mod:`.claims`), the model described (:mod:`.describe`), the model as Promela for SPIN
(:mod:`.promela`), and files written whole or not at all (:mod:`.files`).

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker,
leasecheck.checker.explicit.
"""
