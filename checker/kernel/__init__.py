"""The certificate checker's trusted kernel: everything ``leasecheck certificate check`` relies on
to call a proof valid, kept apart and small (docs/certificates.md, "What the checker trusts").

:mod:`.reader` reads a certificate's text strictly (SMT-LIB's subset that certificates use, with
positions in every refusal, no quoted symbols, JSON without duplicate keys); :mod:`.terms` builds
every term the solvers see from that reader's validated syntax, and prints the only text cvc5
reads; :mod:`.fixed` rebuilds a fixed-size certificate's model part and obligations from its
header and proof rule, takes from the file only the proof's definitions, and discharges the
obligations with Z3 and cvc5; :mod:`.allsizes` does the same for a proof for every number of
clients and addresses, over the first-order model traced again from its header (through the
first-order side of the model family it names, :mod:`leasecheck.properties.families`) (checking each
obligation is in the decidable fragment before a solver sees it); :mod:`.verdict` gives a certificate's verdict from the audit and each
solver's answers, and :mod:`.cvc5_check` says whether cvc5 is installed (it is imported only
when asked for). Outside the kernel, the writer (:mod:`leasecheck.checker.z3.certificate`) and the
verdict's rendering are not trusted: a certificate they got wrong is refused, never accepted.

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.z3.translate,
leasecheck.checker.z3.solver, leasecheck.checker.allsizes.fo, leasecheck.checker.allsizes.fo_z3,
leasecheck.checker.allsizes.ghost, leasecheck.checker.allsizes.recovery.
"""
