"""The Z3 engine's verdict for each property, with traces confirmed and proofs re-checked.

For an invariant (and, negated, for a reachability target): k-induction (a 1-inductive property
is its own certificate), then bounded model checking up to ``depth`` steps for a shortest
counterexample, then PDR for an inductive invariant. For recovery: the lasso search
up to ``depth`` steps, then the liveness-to-safety proof. A proof becomes "holds" only after
:func:`.horn.recheck` has confirmed its certificate with a fresh solver; every trace is passed
through :func:`checker.replay.confirm`. A bounded search that finds nothing within ``depth``
steps gives "unknown", even when PDR showed that a counterexample exists further away. Property kinds the engine
does not decide (AG EF, after-action, stuck-reachable) are "unknown" with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from model.dhcp import Config, dhcp_system
from model.lang import Expr, System, not_
from properties.dhcp import dhcp_properties
from properties.spec import Invariant, Property, Reachable, Recovery, Verdict

from ..replay import confirm
from ..results import CheckResult, Report, Stats, Trace
from . import bmc, horn, induction, liveness, pdr
from .translate import Translator


@dataclass(frozen=True)
class Z3Options:
    """``depth`` bounds the bounded searches; ``timeout`` (seconds) bounds each solver call.

    ``max_k`` bounds k-induction; ``rounds`` lists the bounds the recovery proof tries in turn.
    """

    depth: int = 20
    timeout: float | None = 60.0
    max_k: int = 3
    rounds: tuple[int, ...] = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class ProvedCertificate:
    """A re-checked certificate of one property, as an SMT-LIB 2 script."""

    property: str
    client: int | None
    smtlib: str


@dataclass(frozen=True)
class Z3Run:
    report: Report
    certificates: tuple[ProvedCertificate, ...]


@dataclass(frozen=True)
class _Decision:
    result: CheckResult
    certificate: horn.Certificate | None = None


def z3_run(cfg: Config, names: Sequence[str] | None = None, options: Z3Options = Z3Options()) -> Z3Run:
    """Decide the named properties of ``cfg`` symbolically."""
    start = time.perf_counter()
    system = dhcp_system(cfg)
    tr = Translator(system)
    decisions = [decide(tr, p, options) for p in dhcp_properties(system, cfg, names)]
    certs = tuple(
        ProvedCertificate(d.result.property, d.result.client,
                          horn.certificate_smtlib(d.certificate, (f"{d.result.property}"
                                                  + ("" if d.result.client is None else f" for client {d.result.client}")
                                                  + f", {cfg.describe()}",)))
        for d in decisions if d.certificate is not None
    )
    stats = Stats(0, 0, time.perf_counter() - start, True, "")
    return Z3Run(Report(cfg, "z3", stats, tuple(d.result for d in decisions)), certs)


def z3_report(cfg: Config, names: Sequence[str] | None = None, options: Z3Options = Z3Options()) -> Report:
    return z3_run(cfg, names, options).report


def decide(tr: Translator, prop: Property, options: Z3Options) -> _Decision:
    if isinstance(prop, Invariant):
        return _safety(tr, prop, prop.good, options)
    if isinstance(prop, Reachable):
        return _safety(tr, prop, not_(prop.target), options)
    if isinstance(prop, Recovery):
        return _recovery(tr, prop, options)
    kind = type(prop).__name__
    return _Decision(_result(tr.system, prop, Verdict.UNKNOWN,
                             f"the z3 engine does not decide {kind} properties; use --engine explicit"))


def _result(system: System, prop: Property, verdict: Verdict, reason: str, trace: Trace | None = None) -> CheckResult:
    if trace is not None:
        confirm(system, prop, verdict, trace)
    return CheckResult(prop.name, prop.client, verdict, reason, trace)


def _safety(tr: Translator, prop: Invariant | Reachable, good: Expr, options: Z3Options) -> _Decision:
    """Invariants directly; a reachability target as the invariant "never the target"."""
    reach = isinstance(prop, Reachable)
    found, bad = (Verdict.HOLDS, Verdict.VIOLATED) if reach else (Verdict.VIOLATED, Verdict.HOLDS)
    bad_expr = not_(good)

    def witness(outcome: bmc.BmcOutcome) -> _Decision:
        assert outcome.trace is not None
        n = len(outcome.trace)
        why = f"reached in {n} steps (a shortest witness)" if reach else f"a reachable state breaks it, {n} steps from the start"
        return _Decision(_result(tr.system, prop, found, why, outcome.trace))

    proof_text = "no reachable state is such a state" if reach else "true in every reachable state"
    problem = pdr.invariant_problem(tr, good, f"{prop.name}: {prop.statement}")
    base = bmc.shortest_path(tr, bad_expr, options.max_k - 1, options.timeout)
    if base.trace is not None:
        return witness(base)
    kind = induction.k_induction(tr, good, options.max_k, base.depth, options.timeout) if not base.unknown else None
    if kind is not None and kind.k == 1:
        cert = horn.Certificate(problem, (tr.holds(good, problem.unknowns[0].formals),))
        return _proved(tr, prop, bad, cert, f"{proof_text}: the property is inductive (1-induction), re-checked", options)
    searched = bmc.shortest_path(tr, bad_expr, options.depth, options.timeout)
    if searched.trace is not None:
        return witness(searched)
    outcome = horn.solve(problem, options.timeout)
    if outcome.proof is not None:
        how = f"{kind.k}-induction, and PDR's inductive invariant" if kind is not None and kind.k else "PDR: an inductive invariant"
        return _proved(tr, prop, bad, outcome.proof, f"{proof_text}: {how}, re-checked", options)
    if outcome.reachable:
        return _Decision(_result(tr.system, prop, Verdict.UNKNOWN,
                                 f"PDR shows {'a target' if reach else 'a bad'} state reachable, but no path within "
                                 f"--depth {options.depth} steps; raise --depth for the {'witness' if reach else 'counterexample'}"))
    stopped = f"bounded search stopped at depth {searched.depth}: {searched.unknown}" if searched.unknown else f"nothing within {options.depth} steps"
    return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, f"{stopped}; no proof: {outcome.unknown}"))


def _proved(tr: Translator, prop: Property, verdict: Verdict, cert: horn.Certificate, why: str, options: Z3Options) -> _Decision:
    failed = horn.recheck(cert, options.timeout)
    if failed is not None:
        raise RuntimeError(f"internal error: {prop.name}: a proof's certificate does not re-check: {failed}")
    return _Decision(_result(tr.system, prop, verdict, why), cert)


def _recovery(tr: Translator, prop: Recovery, options: Z3Options) -> _Decision:
    def lasso(outcome: liveness.LassoOutcome) -> _Decision:
        trace = outcome.trace
        assert trace is not None
        if trace.loop_start is None:
            return _Decision(_result(tr.system, prop, Verdict.VIOLATED, "a run ends in a deadlock where the client does not hold a lease", trace))
        loop = len(trace) - trace.loop_start
        why = f"a fair run never again holds a lease: a {loop}-step loop after a {trace.loop_start}-step prefix"
        return _Decision(_result(tr.system, prop, Verdict.VIOLATED, why, trace))

    searched = liveness.find_lasso(tr, prop.goal, options.depth, options.timeout)
    if searched.trace is not None:
        return lasso(searched)
    if searched.unknown:
        return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, f"lasso search stopped at depth {searched.depth}: {searched.unknown}"))
    statement = f"{prop.name}: {prop.statement}"
    last = ""
    for bound in options.rounds:
        outcome = horn.solve(liveness.recovery_problem(tr, prop.goal, statement, bound), options.timeout)
        if outcome.proof is not None:
            why = f"no fair loop avoids holds: at most {bound} fair rounds outside it (k-liveness proof by PDR), re-checked"
            return _proved(tr, prop, Verdict.HOLDS, outcome.proof, why, options)
        if not outcome.reachable:
            last = f"the {bound}-round proof: {outcome.unknown}"
            break
        last = f"more than {options.rounds[-1] if bound == options.rounds[-1] else bound} fair rounds outside holds are possible"
    return _Decision(_result(tr.system, prop, Verdict.UNKNOWN,
                             f"no fair lasso within {options.depth} steps; no proof: {last}"))
