"""`leasecheck prove`: a property for every number of clients and addresses (docs/safety.md).

First the explicit engine looks for a counterexample in small networks (any finite
counterexample refutes the all-sizes claim). Then, for an invariant, leasecheck learns candidate
clauses from the reachable states of the 2x2 and 3x3 networks and proves an inductive set of them
in the first-order form of the model, which a fresh solver re-checks. For ``recovery`` it proves a
ranking of one arbitrary client's helpful actions over its view, with a ghost map from clients to
addresses for A >= C (:mod:`leasecheck.checker.allsizes.recovery`). Before a proof, safety nets
(:mod:`leasecheck.checker.allsizes.fo_check`): the property in every network explored, the model traced from
two templates, the first-order steps against the explicit engine's in 2x4 and 3x3; after it, the
obligations of ``first()`` discharged by the invariant.

Exit status: 0 the property holds in every network (A >= C where the property needs it); 1 a
finite counterexample refutes it (shown, replayed through the model); 3 neither was found (the
reason is printed); 2 a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leasecheck.checker.allsizes import fo_check, recovery, safety
from leasecheck.checker.allsizes.certificate import invariant_certificate, level_formula, ranking_certificate
from leasecheck.checker.allsizes.effort import Effort, Query, WorkMeter
from leasecheck.checker.allsizes.fo import Formula, conj, first_order_system
from leasecheck.checker.allsizes.fo import FoSystem as FirstOrder
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.ghost import ghost_lemmas, with_ghost
from leasecheck.checker.allsizes.learn import StateMatrix
from leasecheck.checker.cli.options import add_budgets, add_format, add_quiet, seconds, whole
from leasecheck.checker.cli.paths import OutputError, announce, check_output_paths
from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import Limits, StateGraph, explore
from leasecheck.checker.render.files import atomic_write
from leasecheck.checker.render.jsondoc import config_json, result_json
from leasecheck.checker.render.text import render_result_trace
from leasecheck.checker.results import CheckResult
from leasecheck.errors import ExitStatus, UsageError
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE
from leasecheck.properties.spec import Verdict

#: The properties ``prove`` speaks of, and whether each needs A >= C.
PROPERTIES = {"single_binding": False, "no_duplicate_address": False, "recovery": True}
#: The networks searched for a finite counterexample first.
SMALL_NETWORKS = ((1, 1), (1, 2), (2, 1), (2, 2))
#: The time a proof may take unless --timeout says otherwise: an invariant, a ranking.
DEFAULT_TIMEOUT = 300.0
RECOVERY_TIMEOUT = 1200.0
#: The most states a finite network explored for learning may have.
MAX_LEARN_STATES = 2_000_000


@dataclass
class ProofRun:
    """What ``prove`` found: a verdict for every network, a finite counterexample, or neither."""

    config: Config
    prop: str
    any_budget: bool
    verdict: Verdict
    reason: str
    invariant: list[str] = field(default_factory=list)
    counterexample: CheckResult | None = None
    counterexample_config: Config | None = None
    seconds: float = 0.0
    queries: int = 0
    candidates: int = 0
    rechecked: bool = False
    learned_from: list[str] = field(default_factory=list)
    #: for recovery: the lemmas the invariant starts from (the ghost map's, single_binding)
    lemmas: list[str] = field(default_factory=list)
    #: for recovery: the levels, lowest first, each its helpful action and its views
    ranking: list[dict[str, Any]] = field(default_factory=list)
    #: the proof as an all-sizes certificate (docs/certificates.md), when it holds
    certificate: str = ""
    #: the work the proof's queries spent, in Z3's resource units (a count, the same on every machine)
    work: int = 0
    #: whether the run ended at its limit of work or its deadline ("work", "time"), or neither ("")
    stopped_by: str = ""

    @property
    def exit_status(self) -> ExitStatus:
        return {Verdict.HOLDS: ExitStatus.OK, Verdict.VIOLATED: ExitStatus.VIOLATED}.get(self.verdict, ExitStatus.UNKNOWN)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "prove", help="prove a property for every number of clients and addresses",
        description="Look for a counterexample in small networks; then prove the property for every number of "
                    "clients and addresses with a learned quantified invariant, re-checked by a fresh solver "
                    "(docs/safety.md). Exit 0: holds for all sizes; 1: a finite counterexample; 3: neither found. With "
                    "--policies, every policy x property as a resumable table (docs/policies.md): exit 0 when every "
                    "cell holds or fails, 3 when some is unknown or not decided, 130 interrupted.")
    p.add_argument("--variant", default=None,
                   help=f"a variant ({', '.join(VARIANTS)}) or a written policy (default nt35)")
    p.add_argument("--property", dest="prop", metavar="|".join(PROPERTIES),
                   help=f"the property to prove: {', '.join(PROPERTIES)}; with --policies, a comma-separated "
                        f"list (default: all three)")
    add_budgets(p, "DLR")
    p.set_defaults(deletes=None)  # 1, unless --policies (which refuses it)
    p.add_argument("--any-budget", action="store_true",
                   help="prove for every budget of deletes, losses and reboots at once (for recovery: the steps that "
                        "spend a budget may lead up, each run having finitely many; the finite search uses the "
                        "budgets given)")
    p.add_argument("--certificate", metavar="FILE",
                   help="write the proof as an all-sizes certificate that `leasecheck certificate check` "
                        "re-checks (docs/certificates.md; default: none)")
    add_format(p, "prove")
    p.add_argument("--timeout", type=seconds(86_400), default=None, metavar="SECONDS",
                   help=f"the time for the proof (default {DEFAULT_TIMEOUT:.0f}; {RECOVERY_TIMEOUT:.0f} for recovery; "
                        "3600 a cell with --policies)")
    p.add_argument("--work", type=whole(1, 10**15), default=None, metavar="UNITS",
                   help="the most work the proof's solver calls may spend in all, in Z3's resource units (a "
                        "count, the same on every machine; past it the verdict is unknown; default: no limit, "
                        "with --policies each column's own, docs/policies.md)")
    table = p.add_argument_group("every policy at once (docs/policies.md, \"For every network\")")
    table.add_argument("--policies", type=_policies, default=None, metavar="all|named|P;P...",
                       help="prove each property for each of these policies (all: the 54, named: the five variants), "
                            "recovery with D=1 and the invariants with D=0, one record a cell in --results "
                            "(default: one --variant)")
    table.add_argument("--results", metavar="FILE",
                       help="with --policies: the results file (JSON lines), appended to as each cell is decided and "
                            "resumed from (default: none)")
    table.add_argument("--certificates", metavar="DIR",
                       help="with --policies: the folder the certificate of each proof is written into (default: none)")
    table.add_argument("--sweep-results", action="append", metavar="FILE",
                       help="with --policies: a fixed-size sweep's results; a cell they show violated fails at its "
                            "smallest network without a proof (repeatable; default: none)")
    table.add_argument("--no-run", action="store_true",
                       help="with --policies: prove nothing, show the table of --results as it stands")
    table.add_argument("--picture", metavar="FILE",
                       help="with --policies: draw the table (.png, .svg or .pdf; default: none)")
    add_quiet(p)


def _policies(text: str) -> tuple[str, ...]:
    from leasecheck.checker.sweep.grid import SweepError, parse_policies

    try:
        return parse_policies(text)
    except SweepError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def prove(cfg: Config, prop: str, any_budget: bool = False, timeout: float = 300.0,
          progress: Callable[[str], None] | None = None, trace: Callable[[Query], None] | None = None,
          work_limit: int | None = None) -> ProofRun:
    """Decide ``prop`` of ``cfg``'s variant and budgets for every network (its own C and A are not used);
    ``progress`` hears of each round of a recovery proof, ``trace`` of each solver call of the proof
    (what it asked, its answer and its work). Each call's work is limited by a count
    (:mod:`.allsizes.effort`), so ``timeout`` only ends the run: it never changes the path taken.
    ``work_limit`` (Z3's resource units) ends the run "unknown" once its queries have spent that
    much: the same query on every machine."""
    if prop not in PROPERTIES:
        raise UsageError(f"unknown property {prop!r}; choose one of {', '.join(PROPERTIES)}")
    start = time.monotonic()
    meter = WorkMeter(work_limit)
    run = ProofRun(cfg, prop, any_budget, Verdict.UNKNOWN, "")
    try:
        _prove(run, progress, Effort(deadline=start + timeout, trace=trace, meter=meter))
    finally:
        run.seconds = time.monotonic() - start
        run.work = meter.spent
    if run.verdict is Verdict.UNKNOWN and meter.exhausted:
        run.stopped_by = "work"
    elif run.verdict is Verdict.UNKNOWN and time.monotonic() >= start + timeout:
        run.stopped_by = "time"
    return run


def _prove(run: ProofRun, progress: Callable[[str], None] | None, effort: Effort) -> None:
    cfg, prop, any_budget = run.config, run.prop, run.any_budget
    found = _finite_counterexample(cfg, prop)
    if found is not None:
        run.verdict, run.counterexample_config, run.counterexample = Verdict.VIOLATED, found[0], found[1]
        run.reason = f"violated in the network of {found[0].clients} clients and {found[0].addresses} addresses"
        return
    if prop == "recovery":
        _prove_recovery(cfg, run, effort, progress)
        return
    fs = first_order_system(SIDE, cfg, unbounded=any_budget)
    samples = []
    explored: list[tuple[Config, StateGraph]] = []
    for c, a, budgets in _learning_networks(cfg, any_budget):
        net = dataclasses.replace(cfg, clients=c, addresses=a, deletes=budgets[0], losses=budgets[1],
                                  reboots=budgets[2], restart=budgets[3])
        graph = explore(dhcp_system(net), Limits(max_states=MAX_LEARN_STATES))
        explored.append((net, graph))
        if not graph.complete:
            continue
        reading = FiniteReading(first_order_system(SIDE, net), c, a)
        samples.append(StateMatrix(reading, list(graph.states)))
        run.learned_from.append(f"{net.describe()}: {len(graph.states):,} states")
    decided = _safety_nets(cfg, prop, any_budget, explored, run)
    if decided is not None:
        run.reason = decided
        return
    pool = safety.learn_pool(fs, samples)
    prop_formula = fs.invariant(prop)
    proof = safety.prove_invariant(fs, prop_formula, pool, effort)
    run.candidates, run.queries, run.rechecked = proof.candidates, proof.queries, proof.rechecked
    run.invariant = [c.text() for c in proof.clauses]
    run.verdict = Verdict.HOLDS if proof.verdict == "holds" and proof.rechecked else Verdict.UNKNOWN
    run.reason = ("an inductive invariant, re-checked by a fresh solver" if run.verdict is Verdict.HOLDS
                  else proof.reason)
    if run.verdict is Verdict.HOLDS:
        _discharge_first(fs, conj(prop_formula, *(c.formula() for c in proof.clauses)), run, effort)
    if run.verdict is Verdict.HOLDS:
        run.certificate = invariant_certificate(fs, cfg, any_budget, prop, [prop_formula, *(c.formula() for c in proof.clauses)])


#: The network larger than either template (:data:`.fo_check.TEMPLATES`) where the first-order
#: relation is compared with the explicit engine's, besides the 3x3 network explored for learning;
#: its breadth-first prefix of at most this many states is explored, and this many states of each
#: network are compared.
COMPARED_NETWORK = (2, 4)
COMPARED_PREFIX = 30_000
COMPARED_STATES = 300


def _safety_nets(cfg: Config, prop: str, any_budget: bool, explored: list[tuple[Config, StateGraph]],
                 run: ProofRun) -> str | None:
    """Before a proof: the model traced from two templates must agree, the property must hold in
    every finite network explored (a violation is the answer, with its trace), and the first-order
    relation must be the explicit engine's in networks larger than the templates. The reason when
    one of them decided the run (violated, with its counterexample set on ``run``, or unknown),
    else None."""
    why = fo_check.template_disagreement(SIDE, cfg, any_budget)
    if why is not None:
        return f"the first-order model is not the model: {why}"
    c, a = COMPARED_NETWORK
    budgets = _learning_networks(cfg, any_budget)[0][2]
    net = dataclasses.replace(cfg, clients=c, addresses=a, deletes=budgets[0], losses=budgets[1],
                              reboots=budgets[2], restart=budgets[3])
    nets = [*explored, (net, explore(dhcp_system(net), Limits(max_states=COMPARED_PREFIX)))]
    for net, graph in nets:
        if prop == "recovery" and not graph.complete:
            continue
        found = _violation_in(net, graph, prop)
        if found is not None:
            run.verdict, run.counterexample_config, run.counterexample = Verdict.VIOLATED, net, found
            return f"violated in the network of {net.clients} clients and {net.addresses} addresses"
    for net, graph in nets:
        if net.clients * net.addresses <= max(x * y for x, y in fo_check.TEMPLATES):
            continue
        why = fo_check.relation_disagreement(SIDE, net, (net.clients, net.addresses),
                                             fo_check.sample_of(graph.states, COMPARED_STATES))
        if why is not None:
            return f"the first-order model is not the model: {why}"
    return None


def _violation_in(net: Config, graph: StateGraph, prop: str) -> CheckResult | None:
    """The explicit engine's counterexample to ``prop`` in an explored network, if it has one."""
    analysis = GraphAnalysis(graph)
    for p in dhcp_properties(graph.system, net, [prop]):
        result = decide(analysis, p)
        if result.verdict is Verdict.VIOLATED:
            return result
    return None


def _discharge_first(fs: FirstOrder, invariant: Formula, run: ProofRun, effort: Effort) -> None:
    """A proof that relies on ``first()`` holds only if every state of its invariant gives each
    ``first()`` at most one index to choose from."""
    why = fo_check.undischarged(fs, invariant, effort)
    if why is not None:
        run.verdict, run.rechecked = Verdict.UNKNOWN, False
        run.reason = f"no proof for every network: {why}"


#: The networks whose reachable states give the views of one client and the candidate clauses
#: for a proof of recovery (each with the budgets given).
RECOVERY_NETWORKS = ((1, 1), (2, 2))


def _prove_recovery(cfg: Config, run: ProofRun, effort: Effort, progress: Callable[[str], None] | None) -> None:
    """A ranking of one arbitrary client's helpful actions over its view, for every network with A >= C
    (with ``run.any_budget``, for every budget: the steps that spend one may lead up)."""
    any_budget = run.any_budget
    fs = first_order_system(SIDE, cfg, unbounded=any_budget)
    ghosted = with_ghost(fs)
    comps = recovery.components(ghosted)
    graph = recovery.ViewGraph()
    samples = []
    networks: list[tuple[Config, StateGraph]] = []
    budgets = _learning_networks(cfg, any_budget)[0][2]
    for c, a in RECOVERY_NETWORKS:
        net = dataclasses.replace(cfg, clients=c, addresses=a)
        if any_budget:  # the finite networks with every budget 1
            net = dataclasses.replace(net, deletes=budgets[0], losses=budgets[1], reboots=budgets[2])
        explored = explore(dhcp_system(net), Limits(max_states=MAX_LEARN_STATES))
        networks.append((net, explored))
        if not explored.complete:
            continue
        reading = FiniteReading(first_order_system(SIDE, net), c, a)
        recovery.read_views(fs, reading, explored, comps, graph)
        samples.append(StateMatrix(reading, list(explored.states)))
        run.learned_from.append(f"{net.describe()}: {len(explored.states):,} states")
    decided = _safety_nets(cfg, "recovery", any_budget, networks, run)
    if decided is not None:
        run.reason = decided
        return
    pool = safety.learn_pool(fs, samples, budgets=not any_budget, local=True)
    lemmas = [*ghost_lemmas(ghosted), ("single_binding", ghosted.invariant("single_binding"))]
    proof = recovery.prove_recovery(ghosted, conj(*(f for _, f in lemmas)), pool, graph, comps, effort,
                                   progress=progress)
    run.candidates, run.queries = len(pool), proof.queries
    run.rechecked = proof.verdict == "holds"
    run.lemmas = [SIDE.statements.get(text, text) for text, _ in lemmas]
    run.invariant = [k.text() for k in proof.invariant]
    run.ranking = recovery.level_data(proof)
    run.verdict = Verdict.HOLDS if proof.verdict == "holds" else Verdict.UNKNOWN
    run.reason = proof.reason if run.verdict is Verdict.HOLDS else f"no proof for every network: {proof.reason}"
    if run.verdict is Verdict.HOLDS:
        _discharge_first(ghosted, conj(*(f for _, f in lemmas), *(k.formula() for k in proof.invariant)), run, effort)
    if run.verdict is Verdict.HOLDS:
        options = [(c.name, c.options) for c in proof.components]
        levels = [(lv.helpful, level_formula(options, sorted(lv.views))) for lv in proof.levels]
        run.certificate = ranking_certificate(ghosted, cfg, [*(f for _, f in lemmas), *(k.formula() for k in proof.invariant)],
                                              levels, any_budget=any_budget)


def _learning_networks(cfg: Config, any_budget: bool) -> list[tuple[int, int, tuple[int, int, int, bool]]]:
    """The 2x2 network with the budgets given, each capped at 1 (every budget 1 when the proof is for
    every budget), and the 3x3 network with D capped at 1 and no losses, reboots or restart."""
    capped = (min(cfg.deletes, 1), min(cfg.losses, 1), min(cfg.reboots, 1), cfg.restart)
    if any_budget:
        capped = (1, 1, 1, cfg.restart)
    return [(2, 2, capped), (3, 3, (capped[0], 0, 0, False))]


def _finite_counterexample(cfg: Config, prop: str) -> tuple[Config, CheckResult] | None:
    from leasecheck.checker.run import CheckOptions, run_check

    for c, a in SMALL_NETWORKS:
        if PROPERTIES[prop] and a < c:
            continue
        net = dataclasses.replace(cfg, clients=c, addresses=a)
        run = run_check(dhcp_model(net), CheckOptions(properties=(prop,)))
        for r in run.report.results:
            if r.verdict is Verdict.VIOLATED:
                return net, r
    return None


def render_text(run: ProofRun) -> str:
    cfg = run.config
    budgets = "every budget" if run.any_budget else f"D={cfg.deletes}, L={cfg.losses}, R={cfg.reboots}"
    sizes = "every number of clients C >= 1" + (" and addresses A >= C" if PROPERTIES[run.prop] else " and addresses A >= 1")
    head = f"{run.prop} for {cfg.variant}, {budgets}{', restart' if cfg.restart else ''}, {sizes}: {run.verdict}"
    lines = [head, f"  {run.reason} ({run.seconds:.1f} s)"]
    if run.verdict is Verdict.HOLDS and run.prop == "recovery":
        lines.append(f"  the property: {SIDE.statements['recovery']}")
        lines.append("  the invariant: these lemmas and the clauses after them")
        lines += [f"    {t}" for t in run.lemmas]
        lines.append(f"  ({len(run.invariant)} learned clauses, from {run.candidates:,} candidates true in "
                     f"{'; '.join(run.learned_from)}):")
        lines += [f"    {t}" for t in run.invariant]
        higher = "no step but one that spends a budget goes higher" if run.any_budget else "no step goes higher"
        lines.append(f"  the ranking ({len(run.ranking)} levels, lowest first; in each, the helpful action is enabled, "
                     f"its step goes lower, {higher}):")
        for i, level in enumerate(run.ranking, 1):
            lines.append(f"    level {i}: {level['helpful']} leads down, from {len(level['views'])} views:")
            lines += [f"      {recovery.view_text(v)}" for v in level["views"]]
    elif run.verdict is Verdict.HOLDS:
        lines.append(f"  the property: {SIDE.statements[run.prop]}")
        lines.append(f"  the invariant ({len(run.invariant)} clauses besides the property, from {run.candidates:,} "
                     f"candidates true in {'; '.join(run.learned_from)}):")
        lines += [f"    {t}" for t in run.invariant] or ["    (the property alone is inductive)"]
    if run.counterexample is not None and run.counterexample_config is not None:
        lines.append(render_result_trace(dhcp_model(run.counterexample_config), run.counterexample))
    return "\n".join(lines) + "\n"


def render_json(run: ProofRun) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "command": "prove",
        "property": run.prop,
        "variant": run.config.variant,
        "budgets": "any" if run.any_budget else {"deletes": run.config.deletes, "losses": run.config.losses,
                                                  "reboots": run.config.reboots},
        "restart": run.config.restart,
        "sizes": "all" if run.verdict is Verdict.HOLDS else None,
        "needs_addresses_at_least_clients": PROPERTIES[run.prop],
        "verdict": str(run.verdict),
        "reason": run.reason,
        "statement": SIDE.statements.get(run.prop),
        "invariant": run.invariant,
        "candidates": run.candidates,
        "learned_from": run.learned_from,
        "solver_calls": run.queries,
        "rechecked": run.rechecked,
        "seconds": round(run.seconds, 3),
    }
    if run.prop == "recovery":
        doc["lemmas"] = run.lemmas
        doc["ranking"] = run.ranking
    if run.counterexample is not None and run.counterexample_config is not None:
        doc["counterexample"] = {"config": config_json(run.counterexample_config),
                                 "result": result_json(dhcp_system(run.counterexample_config), run.counterexample)}
    return doc


def run_prove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """One policy (``--policies`` goes to :func:`.prove_table.run_table_command`)."""
    table_only = [name for name, value in (("--results", args.results), ("--certificates", args.certificates),
                                           ("--sweep-results", args.sweep_results), ("--no-run", args.no_run),
                                           ("--picture", args.picture)) if value]
    if table_only:
        raise UsageError(f"{', '.join(table_only)} go with --policies")
    if args.prop is None:
        raise UsageError("--property is required: one of " + ", ".join(PROPERTIES))
    if args.prop not in PROPERTIES:
        raise UsageError(f"unknown property {args.prop!r}; choose one of {', '.join(PROPERTIES)}")
    cfg = Config(clients=1, addresses=1, variant=args.variant or "nt35",
                 deletes=1 if args.deletes is None else args.deletes, losses=args.losses, reboots=args.reboots, restart=args.restart, client_nak=args.client_nak)
    check_output_paths(args.certificate)

    def progress(line: str) -> None:
        if not args.quiet:
            err.write(f"leasecheck: prove: {line}\n")
            err.flush()

    timeout = args.timeout or (RECOVERY_TIMEOUT if args.prop == "recovery" else DEFAULT_TIMEOUT)
    run = prove(cfg, args.prop, args.any_budget, timeout, progress=progress, work_limit=args.work)
    if args.certificate and run.certificate:
        text = run.certificate
        try:
            atomic_write(Path(args.certificate), text)
        except OSError as exc:
            raise OutputError(f"cannot write the certificate {args.certificate}: {exc.strerror or exc}") from None
        announce(err, args.quiet, args.certificate, "certificate")
    if args.format == "json":
        out.write(json.dumps(render_json(run), indent=2) + "\n")
    else:
        out.write(render_text(run))
    return int(run.exit_status)
