"""A certificate's verdict: the kernel's audit against the model of its configuration, then
every obligation discharged by each solver asked for, on terms the kernel built (Z3 through its
Python API; cvc5, when installed, through its own parser reading text the kernel printed).

:func:`check_certificate_text` returns :class:`CertificateCheck`, frozen data: the header, the
refusals (the file differs from what its configuration and rule demand: no solver is asked),
and each solver's answer per obligation. Its :attr:`~CertificateCheck.status` is 0 when every
obligation is discharged (``unsat``) by every solver, 1 when the certificate is refused or some
obligation refuted (``sat``), 3 when a solver could not decide one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leasecheck.checker.kernel import allsizes, cvc5_check, fixed
from leasecheck.checker.kernel.allsizes import AllSizesHeader
from leasecheck.checker.kernel.fixed import Header, SolverAnswer
from leasecheck.checker.kernel.reader import NotACertificate, read
from leasecheck.errors import ExitStatus, UserError
from leasecheck.properties.model import ModelFamily

SOLVERS = ("z3", "cvc5")


class SolverChoiceError(UserError):
    """A solver that is not known or not installed."""


@dataclass(frozen=True)
class CertificateCheck:
    header: Header | AllSizesHeader
    refusals: tuple[str, ...]
    solvers: tuple[str, ...]
    #: per solver (in the order of ``solvers``), its answer to each obligation
    answers: tuple[tuple[SolverAnswer, ...], ...]
    #: what the certificate proves when valid, in words
    claim: str = ""

    @property
    def obligations(self) -> tuple[str, ...]:
        return tuple(a.obligation for a in self.answers[0]) if self.answers else ()

    def failed(self, outcome: str) -> tuple[tuple[str, SolverAnswer], ...]:
        return tuple((s, a) for s, per in zip(self.solvers, self.answers, strict=True) for a in per if a.answer == outcome)

    @property
    def status(self) -> ExitStatus:
        if self.refusals or self.failed("sat"):
            return ExitStatus.VIOLATED
        if self.failed("unknown"):
            return ExitStatus.UNKNOWN
        return ExitStatus.OK

    @property
    def valid(self) -> bool:
        return self.status is ExitStatus.OK


def default_solvers() -> tuple[str, ...]:
    """Both solvers when cvc5 is installed, else Z3 alone."""
    return SOLVERS if cvc5_check.available() else ("z3",)


def check_certificate_text(text: str, solvers: Sequence[str] | None = None,
                           timeout: float | None = 60.0,
                           families: Mapping[str, ModelFamily] | None = None) -> CertificateCheck:
    """Audit the certificate ``text`` and discharge its obligations with ``solvers`` (default:
    :func:`default_solvers`); ``timeout``: seconds per obligation and solver; ``families``: the
    model families an all-sizes certificate may name (default: those leasecheck ships)."""
    chosen = tuple(dict.fromkeys(solvers)) if solvers else default_solvers()
    for s in chosen:
        if s not in SOLVERS:
            raise SolverChoiceError(f"unknown solver {s!r}; choose from {', '.join(SOLVERS)}")
    if "cvc5" in chosen and not cvc5_check.available():
        raise SolverChoiceError("cvc5 is not installed: pip install 'leasecheck[certificates]'")
    audited: fixed.Audit | allsizes.Audit
    kernel: Any
    try:
        kernel = allsizes if allsizes.is_all_sizes(read(text)) else fixed
    except RecursionError:
        raise NotACertificate("it nests terms deeper than the checker reads") from None
    audited = allsizes.audit(text, families) if kernel is allsizes else fixed.audit(text)
    if audited.refusals:
        return CertificateCheck(audited.header, audited.refusals, chosen, (), audited.claim)
    answers = [kernel.discharge_z3(audited, timeout) if s == "z3" else kernel.discharge_cvc5(audited, timeout)
               for s in chosen]
    if any(len(per) != len(audited.goals) for per in answers):
        raise AssertionError("a solver answered another number of obligations")
    return CertificateCheck(audited.header, (), chosen, tuple(answers), audited.claim)
