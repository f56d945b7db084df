"""The Z3 engine's verdict for each property, with traces confirmed and proofs re-checked.

For an invariant (and, negated, for a reachability target): a short bounded search and
k-induction (a 1-inductive property is its own certificate), then the property together with the
mined invariant of :mod:`.houdini` (often inductive, and then the certificate), then bounded
model checking up to ``depth`` steps for a shortest counterexample, then PDR for an inductive
invariant with each call cut to ``FIRST_PDR`` seconds, then backward reachability within the
mined invariant (:mod:`.backward`), then PDR with the whole call. For
recovery: a ranking of helpful actions over a mined invariant (:mod:`.ranking`, :mod:`.houdini`),
strengthened by PDR when states are left over; when no ranking exists, or none
was found, the lasso search up to ``depth`` steps. A proof becomes "holds" only after
:func:`.horn.recheck` has confirmed its certificate with a fresh solver; every trace is passed
through :func:`leasecheck.checker.replay.confirm`. A bounded search that finds nothing within ``depth``
steps gives "unknown", even when PDR showed that a counterexample exists further away.
Property kinds the engine does not decide (AG EF, after-action, stuck-reachable) are "unknown"
with that reason. With several clients, client ``c``'s result for a per-client property is
client 0's under the renaming that swaps the two, re-checked or replayed. Each result's
:class:`~leasecheck.checker.results.Method` names the search or proof that settled it (a renamed
result keeps client 0's, with ``renamed_from``).

A run's :class:`~leasecheck.checker.budget.Budget` (``Z3Options.budget``) bounds every solver
call by what is left of the run and stops the engine when a signal or the deadline says so: the
property under way and those after it are then "unknown" (``Method.LIMIT``) with the reason, and
the report's ``stop_reason`` says "interrupted" or which timeout. A call cut short is never a step
of a proof.

The searches, covers and certificates are over bit-vector states (``Translator(bitvectors=True)``,
Z3's SAT-based finite-domain solver); mining and PDR are over integer states, and PDR's
invariants are carried over by :mod:`.bits`.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import z3

from leasecheck.checker.budget import INTERRUPTED, Budget, Interrupted, OutOfTime
from leasecheck.checker.replay import confirm
from leasecheck.checker.results import CheckResult, Engine, Method, Report, Stats, Trace
from leasecheck.checker.z3 import backward, bits, bmc, horn, houdini, induction, liveness, pdr, ranking, sample
from leasecheck.checker.z3.cubes import Cube, CubeSets, Undecided, union_formula
from leasecheck.checker.z3.paths import SearchOutcome, trace_of
from leasecheck.checker.z3.translate import State, Substitution, Translator
from leasecheck.errors import InternalError
from leasecheck.model.lang import Expr, System, not_
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Invariant, Property, Reachable, Recovery, Verdict

if TYPE_CHECKING:
    from leasecheck.checker.symmetry import ClientRenaming


@dataclass(frozen=True)
class Z3Options:
    """``depth`` bounds the bounded searches; ``timeout`` (seconds) bounds each solver call;
    ``search_time`` (seconds) bounds each search made of many calls: mining the invariant, ranking
    the states, backward reachability (None: ten times ``timeout``, no bound without one).
    ``budget``: the whole run's deadline and cancellation, which cut every limit above short.

    ``max_k`` bounds k-induction; ``strengthenings`` bounds how often the recovery proof may ask
    PDR for a stronger invariant.
    """

    depth: int = 20
    timeout: float | None = 60.0
    max_k: int = 3
    strengthenings: int = 8
    search_time: float | None = None
    budget: Budget | None = None

    @property
    def search_limit(self) -> float | None:
        if self.search_time is not None:
            return self.search_time
        return None if self.timeout is None else 10 * self.timeout

    @property
    def call(self) -> float | Budget | None:
        """What each solver is given: the per-call limit, within the run's budget when there is one."""
        if self.budget is None:
            return self.timeout
        return dataclasses.replace(self.budget, per_call=self.timeout)


@dataclass(frozen=True)
class ProvedCertificate:
    """A re-checked certificate of one property; :attr:`smtlib` writes it as an SMT-LIB 2 script."""

    property: str
    client: int | None
    certificate: horn.Certificate
    title: str
    #: the configuration the model was built from (the certificate's header records it)
    config: Any
    #: a recovery proof's levels (their helpful actions go into the certificate)
    levels: tuple[ranking.Level, ...] = ()

    @builtins.property  # the field above shadows the builtin's name here
    def smtlib(self) -> str:
        """The certificate in the format of docs/certificates.md."""
        from leasecheck.checker.z3.certificate import certificate_text, header_for

        formals = self.certificate.problem.unknowns[0].formals
        header = header_for(self.config, self.property, self.client, "bitvector" if z3.is_bv(formals[0]) else "int",
                            [None if lv.helpful is None else str(lv.helpful) for lv in self.levels])
        return certificate_text(header, self.certificate.formulas, formals, self.title)


@dataclass(frozen=True)
class Z3Run:
    report: Report
    certificates: tuple[ProvedCertificate, ...]


@dataclass(frozen=True)
class _Decision:
    result: CheckResult
    certificate: horn.Certificate | None = None
    #: for a recovery proof: the levels of its certificate
    levels: tuple[ranking.Level, ...] = ()


def z3_run(model: Model, names: Sequence[str] | None = None, options: Z3Options = Z3Options()) -> Z3Run:
    """Decide the named properties of ``model`` symbolically; a stop asked by ``options.budget``
    leaves the properties not yet decided unknown."""
    start = time.perf_counter()
    system = model.system
    props = model.select(names)
    decisions: list[_Decision] = []
    stopped = ""
    budget = options.budget
    if budget is None:
        stopped = _decide_all(system, props, options, decisions)
    else:
        with budget.cancel.shield(), budget.cancel.hook(z3.main_ctx().interrupt):
            stopped = _decide_all(system, props, options, decisions)
    if stopped:
        why = ("interrupted before this property was decided" if stopped == INTERRUPTED
               else f"{stopped} before this property was decided" if stopped == OUT_OF_MEMORY
               else f"stopped by the run's time limit ({stopped}) before this property was decided")
        decisions += [_Decision(_result(system, p, Verdict.UNKNOWN, Method.LIMIT, why)) for p in props[len(decisions):]]
    certs = tuple(
        ProvedCertificate(d.result.property, d.result.client, d.certificate,
                          d.result.property + ("" if d.result.client is None else f" for client {d.result.client}")
                          + f", {model.title}", model.config, d.levels)
        for d in decisions if d.certificate is not None
    )
    stats = Stats(0, 0, time.perf_counter() - start, not stopped, stopped)
    return Z3Run(Report(model, "z3", stats, tuple(d.result for d in decisions), kind=Engine.Z3), certs)


#: the stop reason when Z3 (or Python) ran out of memory: the properties not decided are unknown
OUT_OF_MEMORY = "Z3 ran out of memory"


def _decide_all(system: System, props: Sequence[Property], options: Z3Options, decisions: list[_Decision]) -> str:
    """Decide ``props`` in order into ``decisions``; the stop reason when the budget stopped it
    (nothing decided for the property under way), else ""."""
    try:
        if options.budget is not None:
            options.budget.check()
        tr = Translator(system, bitvectors=True)
        mined = _Mining(Translator(system), options)
        for_client_0: dict[str, _Decision] = {}
        for prop in props:
            decision = _renamed(tr, mined, prop, for_client_0.get(prop.name), options) or decide(tr, prop, options, mined)
            if prop.client == 0:
                for_client_0[prop.name] = decision
            decisions.append(decision)
    except (Interrupted, KeyboardInterrupt):
        return INTERRUPTED
    except OutOfTime:
        assert options.budget is not None
        return options.budget.stop_reason() or f"timeout after {options.budget.timeout:g} s"
    except MemoryError:
        return OUT_OF_MEMORY
    except z3.Z3Exception as exc:
        if "out of memory" in str(exc):
            return OUT_OF_MEMORY
        if "canceled" in str(exc) and options.budget is not None and options.budget.cancel.cause is not None:
            return options.budget.stop_reason() or INTERRUPTED  # a call other than a check, interrupted
        raise
    return ""


def z3_report(model: Model, names: Sequence[str] | None = None, options: Z3Options = Z3Options()) -> Report:
    return z3_run(model, names, options).report


class _Mining:
    """The mined invariant of one run's system, found on first use and shared by its properties;
    and the run's integer translator, which every question to Spacer goes through."""

    def __init__(self, ints: Translator, options: Z3Options):
        self.ints, self._options = ints, options
        self._outcome: houdini.MiningOutcome | None = None
        self._sample: sample.Sample | None = None

    def sample(self) -> sample.Sample:
        """The states met by running the model (:mod:`.sample`), found on first use."""
        if self._sample is None:
            call = self._options.call
            self._sample = sample.sample(self.ints.system, check=call.check if isinstance(call, Budget) else None)
        return self._sample

    def outcome(self) -> houdini.MiningOutcome:
        if self._outcome is None:
            self._outcome = houdini.mine(self.ints, self._options.call, _deadline(self._options), self.sample())
        return self._outcome


def _deadline(options: Z3Options) -> float | None:
    """When a search of many calls that starts now must end (a ``time.monotonic()`` value)."""
    limit = options.search_limit
    own = None if limit is None else time.monotonic() + limit
    run = None if options.budget is None else options.budget.deadline
    return run if own is None else own if run is None else min(own, run)


def decide(tr: Translator, prop: Property, options: Z3Options, mined: _Mining | None = None) -> _Decision:
    """``prop`` decided with the searches, covers and certificates over ``tr``'s states (best
    bit-vectors, for Z3's SAT-based solver), and PDR over integer states."""
    mined = mined or _Mining(Translator(tr.system), options)
    if isinstance(prop, Invariant):
        return _safety(tr, prop, prop.good, options, mined)
    if isinstance(prop, Reachable):
        return _safety(tr, prop, not_(prop.target), options, mined)
    if isinstance(prop, Recovery):
        return _recovery(tr, prop, options, mined)
    kind = type(prop).__name__
    return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, Method.UNSUPPORTED,
                             f"the z3 engine does not decide {kind} properties; use --engine explicit"))


def _result(system: System, prop: Property, verdict: Verdict, method: Method, reason: str,
            trace: Trace | None = None, renamed_from: int | None = None) -> CheckResult:
    if trace is not None:
        confirm(system, prop, verdict, trace)
    return CheckResult(prop.name, prop.client, verdict, reason, trace, method=method, renamed_from=renamed_from)


def _safety(tr: Translator, prop: Invariant | Reachable, good: Expr, options: Z3Options, mined: _Mining) -> _Decision:
    """Invariants directly; a reachability target as the invariant "never the target"."""
    reach = isinstance(prop, Reachable)
    found, bad = (Verdict.HOLDS, Verdict.VIOLATED) if reach else (Verdict.VIOLATED, Verdict.HOLDS)
    bad_expr = not_(good)

    def witness(outcome: SearchOutcome) -> _Decision:
        assert outcome.trace is not None
        n = len(outcome.trace)
        why = f"reached in {n} steps (a shortest witness)" if reach else f"a reachable state breaks it, {n} steps from the start"
        return _Decision(_result(tr.system, prop, found, Method.BMC, why, outcome.trace))

    proof_text = "no reachable state is such a state" if reach else "true in every reachable state"
    statement = f"{prop.name}: {prop.statement}"
    problem = pdr.invariant_problem(tr, good, statement)
    base = bmc.shortest_path(tr, bad_expr, options.max_k - 1, options.call)
    if base.trace is not None:
        return witness(base)
    kind = induction.k_induction(tr, good, options.max_k, base.depth, options.call) if not base.unknown else None
    if kind is not None and kind.k == 1:
        cert = horn.Certificate(problem, (tr.holds(good, problem.unknowns[0].formals),))
        return _proved(tr, prop, bad, Method.INDUCTION, cert,
                       f"{proof_text}: the property is inductive (1-induction), re-checked", options)
    invariant = mined.outcome().invariant
    if invariant is not None:
        formals = problem.unknowns[0].formals
        strengthened = horn.Certificate(problem, (z3.And(invariant.formula(formals), tr.holds(good, formals)),))
        if horn.recheck(strengthened, options.call) is None:
            why = (f"{proof_text}: inductive together with the mined invariant "
                   f"({len(invariant.clauses)} clauses), re-checked")
            return _Decision(_result(tr.system, prop, bad, Method.MINED_INVARIANT, why), strengthened)
    searched = bmc.shortest_path(tr, bad_expr, options.depth, options.call)
    if searched.trace is not None:
        return witness(searched)
    def horn_problem(ints: Translator, assume: pdr.Assumed | None) -> horn.HornProblem:
        return pdr.invariant_problem(ints, good, statement, assume)

    outcome: horn.HornOutcome | None = None
    if invariant is not None:
        # PDR first, briefly: from the mined invariant it is usually quick; backward reachability
        # next (it closes targets PDR cannot within a call), then PDR with the whole call
        brief = _briefer(options, FIRST_PDR)
        outcome = _spacer(mined, horn_problem, brief)
        if outcome.proof is None and not outcome.reachable:
            closed = _backward(tr, prop, bad, problem, bad_expr, invariant, options, proof_text)
            if closed is not None:
                return closed
            if brief.timeout != options.timeout:
                outcome = None
    if outcome is None:
        outcome = _spacer(mined, horn_problem, options)
    if outcome.proof is not None:
        how = f"{kind.k}-induction, and PDR's inductive invariant" if kind is not None and kind.k else "PDR: an inductive invariant"
        return _proved(tr, prop, bad, Method.PDR, outcome.proof, f"{proof_text}: {how}, re-checked", options)
    if outcome.reachable:
        return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, Method.LIMIT,
                                 f"PDR shows {'a target' if reach else 'a bad'} state reachable, but no path within "
                                 f"--depth {options.depth} steps; raise --depth for the {'witness' if reach else 'counterexample'}"))
    stopped = f"bounded search stopped at depth {searched.depth}: {searched.unknown}" if searched.unknown else f"nothing within {options.depth} steps"
    return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, Method.LIMIT, f"{stopped}; no proof: {outcome.unknown}"))


#: the seconds PDR is given per call before backward reachability is tried (then it gets the whole call)
FIRST_PDR = 20.0


def _briefer(options: Z3Options, seconds: float) -> Z3Options:
    """``options`` with each solver call limited to at most ``seconds``."""
    if options.timeout is not None and options.timeout <= seconds:
        return options
    return dataclasses.replace(options, timeout=seconds)


def _backward(tr: Translator, prop: Property, verdict: Verdict, problem: horn.HornProblem, bad: Expr,
              invariant: houdini.MinedInvariant, options: Z3Options, proof_text: str) -> _Decision | None:
    """The proof by backward reachability within the mined invariant (:mod:`.backward`), or
    None when it reached an initial state or ran out of time."""
    xs = problem.unknowns[0].formals
    mined = invariant.formula(xs)  # type: ignore[arg-type]
    sets = CubeSets(tr, z3.And(tr.in_range(xs), mined), xs, options.call, _deadline(options))  # type: ignore[arg-type]
    try:
        closure = backward.backward_closure(sets, tr.holds(bad, xs), tr.initial(xs))  # type: ignore[arg-type]
    except Undecided:
        return None
    if closure is None:
        return None
    cert = horn.Certificate(problem, (z3.And(mined, z3.Not(sets.union(closure))),))
    why = (f"{proof_text}: the states that can reach such a state ({len(closure)} cubes within the mined invariant) "
           "include no initial state, re-checked")
    return _proved(tr, prop, verdict, Method.BACKWARD, cert, why, options)


def _spacer(mined: _Mining, problem: Callable[[Translator, pdr.Assumed | None], horn.HornProblem],
            options: Z3Options) -> horn.HornOutcome:
    """Spacer on ``problem`` over integer states, given the mined invariant (when there is one)
    to start from; a proof is a certificate of the problem without it."""
    invariant = mined.outcome().invariant
    if invariant is None:
        return horn.solve(problem(mined.ints, None), options.call)
    outcome = horn.solve(problem(mined.ints, invariant.formula), options.call)
    return pdr.with_assumed(outcome, problem(mined.ints, None), invariant.formula)


def _proved(tr: Translator, prop: Property, verdict: Verdict, method: Method, cert: horn.Certificate, why: str,
            options: Z3Options) -> _Decision:
    failed = horn.recheck(cert, options.call)
    if failed is not None:
        raise InternalError(f"{prop.name}: a proof's certificate does not re-check: {failed}")
    return _Decision(_result(tr.system, prop, verdict, method, why), cert)


def _recovery(tr: Translator, prop: Recovery, options: Z3Options, mined: _Mining) -> _Decision:
    def lasso(outcome: SearchOutcome) -> _Decision:
        trace = outcome.trace
        assert trace is not None
        if trace.loop_start is None:
            return _Decision(_result(tr.system, prop, Verdict.VIOLATED, Method.LASSO_SEARCH,
                                     f"a run ends in a deadlock where {prop.words.not_held}", trace))
        loop = len(trace) - trace.loop_start
        why = f"a fair run never again {prop.words.holds}: a {loop}-step loop after a {trace.loop_start}-step prefix"
        return _Decision(_result(tr.system, prop, Verdict.VIOLATED, Method.LASSO_SEARCH, why, trace))

    def search(within: Callable[[State], z3.BoolRef] | None, why: str) -> _Decision:
        """The lasso search, when no proof closed: a replayed lasso, or unknown saying why."""
        found = (liveness.find_lasso(tr, prop.goal, options.depth, options.call) if within is None
                 else liveness.find_loop_then_path(tr, prop.goal, within, options.depth, options.call, mined.sample()))
        if found.trace is not None:
            return lasso(found)
        if found.unknown:
            return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, Method.LIMIT, f"{why}; lasso search stopped at depth {found.depth}: {found.unknown}"))
        return _Decision(_result(tr.system, prop, Verdict.UNKNOWN, Method.LIMIT, f"{why}; no fair lasso within {options.depth} steps"))

    invariant = mined.outcome().invariant
    if invariant is None:
        return search(None, f"no proof: {mined.outcome().unknown}")
    xs = tr.state("r")
    care = [tr.in_range(xs), invariant.formula(xs)]
    levels: tuple[ranking.Level, ...] = ()
    for strengthened in range(options.strengthenings + 1):
        sets = CubeSets(tr, z3.And(care), xs, options.call, _deadline(options))
        ranked = ranking.rank(sets, tr.holds(prop.goal, xs), levels)
        if ranked.unknown:
            return search(None, f"no proof: {ranked.unknown}")
        levels = ranked.levels
        if ranked.complete:
            problem = ranking.ranking_problem(tr, prop.goal, levels, f"{prop.name}: {prop.statement}")
            cert = horn.Certificate(problem, (z3.And(care[1:]), *(union_formula(lv.cubes, xs) for lv in levels)))
            stronger = f" and {strengthened} from PDR" if strengthened else ""
            why = (f"every fair run {prop.words.gets}: {len(levels)} levels of helpful actions over an inductive invariant "
                   f"({len(invariant.clauses)} mined clauses{stronger}), re-checked")
            return dataclasses.replace(_proved(tr, prop, Verdict.HOLDS, Method.RANKING, cert, why, options), levels=levels)
        if strengthened == options.strengthenings:
            break
        left = ranked.remainder
        unranked = functools.partial(union_formula, left)
        outcome = _spacer(mined, functools.partial(_exclusion, unranked), options)
        if outcome.reachable:
            return search(functools.partial(_left_over, tr, care, xs, left),
                          "no ranking covers every reachable state (PDR shows an unranked state reachable)")
        if outcome.proof is None:
            return search(None, f"no proof: {len(left)} cubes of states left unranked, and PDR could not show them unreachable: {outcome.unknown}")
        try:
            care.append(bits.to_bitvectors(outcome.proof.formulas[0], outcome.proof.problem.unknowns[0].formals, xs)
                        if tr.bitvectors else Substitution(outcome.proof.problem.unknowns[0].formals, xs).apply(outcome.proof.formulas[0]))
        except bits.NotCarried as exc:
            return search(None, f"no proof: PDR's invariant for the {len(left)} cubes left unranked has no bit-vector form: {exc}")
    return search(None, f"no proof: states were still left unranked after {options.strengthenings} stronger invariants")


def _exclusion(bad: pdr.Assumed, ints: Translator, assume: pdr.Assumed | None) -> horn.HornProblem:
    return pdr.exclusion_problem(ints, bad, "no reachable state is left unranked", assume)


def _left_over(tr: Translator, care: list[z3.BoolRef], xs: State, left: tuple[Cube, ...], ys: State) -> z3.BoolRef:
    """The left-over cubes over ``ys``, within the care set (the cubes say nothing outside it)."""
    return z3.And(Substitution(xs, ys).apply(z3.And(care)), union_formula(left, ys))  # type: ignore[return-value]


def _renamed(tr: Translator, mined: _Mining, prop: Property, first: _Decision | None, options: Z3Options) -> _Decision | None:
    """Client ``c``'s result from client 0's, under the renaming that swaps clients 0 and ``c``
    (clients are interchangeable): a certificate renamed and re-checked for client ``c``'s own
    property, or a trace renamed and replayed. None when there is nothing to rename (client 0, an
    undecided first result, a system without the DHCP model's symmetry); then client ``c`` is
    decided from scratch, as it is when the renamed certificate does not re-check."""
    from leasecheck.checker.symmetry import SymmetryError, client_swap

    if first is None or prop.client in (None, 0) or first.result.verdict is Verdict.UNKNOWN:
        return None
    if not isinstance(prop, Recovery | Invariant | Reachable):
        return None
    try:
        renaming = client_swap(tr.system, prop.client)
    except SymmetryError:
        return None
    via = f" (client 0's result with clients 0 and {prop.client} swapped)"
    base = first.result
    if base.trace is not None:
        states = [renaming.state(step.state) for step in base.trace.steps]
        fired = [(step.action, renaming.params(step.action, step.params))
                 for step in base.trace.steps[1:] if step.action is not None]
        trace = trace_of(tr.system, states, fired, base.trace.loop_start)  # type: ignore[arg-type]
        return _Decision(_result(tr.system, prop, base.verdict, base.method, base.reason + via, trace, renamed_from=0))
    if first.certificate is None:
        return None
    formals = first.certificate.problem.unknowns[0].formals
    own = tr if z3.is_bv(formals[0]) else mined.ints  # the translator the certificate is written in
    inverse = _inverse_terms(own, renaming, formals)
    formulas = tuple(inverse.apply(f) for f in first.certificate.formulas)
    statement = f"{prop.name}: {prop.statement}"
    levels = tuple(ranking.Level(None if lv.helpful is None else tr.system.instance_of(
        lv.helpful.action, renaming.params(lv.helpful.action, lv.helpful.params)),
        tuple(tuple(sorted(renaming.literal(v, a) for v, a in cube)) for cube in lv.cubes)) for lv in first.levels)
    if isinstance(prop, Recovery):
        problem = ranking.ranking_problem(own, prop.goal, levels, statement)
    else:
        problem = pdr.invariant_problem(own, prop.good if isinstance(prop, Invariant) else not_(prop.target), statement)
    cert = horn.Certificate(problem, formulas)  # type: ignore[arg-type]
    if horn.recheck(cert, options.call) is not None:
        return None
    return _Decision(_result(tr.system, prop, base.verdict, base.method, base.reason + via, renamed_from=0), cert, levels)


def _inverse_terms(tr: Translator, renaming: ClientRenaming, xs: Sequence[z3.ExprRef]) -> Substitution:
    """The substitution that turns a formula for a set of states into one for the renamed set:
    each constant becomes the renaming's inverse applied to the renamed variable."""
    terms: list[z3.ExprRef] = []
    for u, table in enumerate(renaming.value):
        t: z3.ExprRef = xs[renaming.variable[u]]
        if table != tuple(range(len(table))):
            target = t
            back = {j: i for i, j in enumerate(table)}
            t = tr.num(back[len(table) - 1])
            for j in range(len(table) - 2, -1, -1):
                t = z3.If(target == j, tr.num(back[j]), t)
        terms.append(t)
    return Substitution(xs, terms)
