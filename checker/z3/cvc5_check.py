"""Certificate obligations discharged by cvc5, independently of Z3: cvc5's own SMT-LIB parser
reads the certificate's declarations, definitions and obligations (``pip install
'leasecheck[certificates]'``; cvc5 is imported only when asked for)."""

from __future__ import annotations

from leasecheck.checker.z3.certificate import Audit, NotACertificate, SolverAnswer
from leasecheck.errors import UserError


class SolverMissing(UserError):
    """The solver asked for is not installed."""


def available() -> bool:
    try:
        import cvc5  # noqa: F401
    except ImportError:
        return False
    return True


def discharge_cvc5(audited: Audit, timeout: float | None = 60.0) -> tuple[SolverAnswer, ...]:
    """Each obligation's negation checked by cvc5 (``unsat``: discharged)."""
    try:
        import cvc5
    except ImportError:
        raise SolverMissing("cvc5 is not installed: pip install 'leasecheck[certificates]'") from None
    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    solver.setOption("incremental", "true")
    if timeout is not None:
        solver.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    symbols = cvc5.SymbolManager(tm)
    parts = [audited.prelude]
    for _, body in audited.obligations:
        parts += ["(push 1)", f"(assert (not {body}))", "(check-sat)", "(pop 1)"]
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, "\n".join(parts), "certificate")
    answers: list[str] = []
    try:
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            out = command.invoke(solver, symbols).strip()
            if str(command).startswith("(check-sat"):
                answers.append(out)
    except RuntimeError as exc:  # cvc5 reports a parse error as one
        first = (str(exc).strip().splitlines() or ["no reason given"])[0][:200]
        raise NotACertificate(f"cvc5 cannot read it: {first}") from None
    if len(answers) != len(audited.obligations):
        raise NotACertificate("cvc5 read a different number of obligations")
    return tuple(SolverAnswer(name, a if a in ("sat", "unsat") else "unknown",
                              "" if a in ("sat", "unsat") else f"cvc5 could not decide: {a}")
                 for (name, _), a in zip(audited.obligations, answers, strict=True))
