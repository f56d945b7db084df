"""The model seam: the engines, replay, symmetry, comparison and the generic renderers read a
:class:`~leasecheck.properties.model.Model` and know no DHCP; a model unlike DHCP, built through
the same seam, is checked by the same engines.

The second model is a lock that processes contend for: each process asks for it (Request),
takes it when it is free (Acquire), and gives it back (Release), all under weak fairness. Weak
fairness is not enough to take the lock: Acquire(p) is disabled whenever another process holds
the lock, so a fair run may hand the lock back and forth among the others forever while p waits.
With one process there is no one to starve it.

The lock goes through every engine: the explicit one (with symmetry reduction), Z3, replay, trace
files, the timeline, the renderers (``describe``, the Promela export, the state-graph picture) and
the all-sizes prover, by both of its rules: mutual exclusion by an inductive invariant, and "a
process gives the lock back" by a ranking of its own helpful actions (starvation freedom has
none: a waiting process's Acquire is disabled while another holds the lock).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import pickle
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from leasecheck.checker.allsizes import fo_check, recovery, safety
from leasecheck.checker.allsizes.certificate import invariant_certificate, level_formula, ranking_certificate
from leasecheck.checker.allsizes.fo import budget_counters, conj, disturbances, first_order_system
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.ghost import GHOST, with_ghost
from leasecheck.checker.allsizes.learn import StateMatrix
from leasecheck.checker.compare import compare
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.explicit.timeline import recovery_after_delete
from leasecheck.checker.kernel import cvc5_check
from leasecheck.checker.kernel.allsizes import rules
from leasecheck.checker.kernel.reader import NotACertificate
from leasecheck.checker.kernel.verdict import check_certificate_text
from leasecheck.checker.render.describe import describe_model, render_description
from leasecheck.checker.render.itf import TraceFileError, itf_document, read_itf, replay_trace_file
from leasecheck.checker.render.jsondoc import report_json
from leasecheck.checker.render.promela import promela_model
from leasecheck.checker.render.stategraph import state_graph_view
from leasecheck.checker.render.text import render_report
from leasecheck.checker.replay import ClaimNotShown, check_claim, replay
from leasecheck.checker.results import Method
from leasecheck.checker.run import CheckOptions, run_check
from leasecheck.checker.symmetry import Symmetry, SymmetryError, client_swap
from leasecheck.errors import InternalError, UserError
from leasecheck.model.dhcp import Config
from leasecheck.model.lang import (
    BOOL,
    Action,
    Domain,
    Sort,
    StateView,
    System,
    TraceError,
    Variable,
    build_system,
    predicate,
)
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER
from leasecheck.properties.families import FAMILIES as SHIPPED
from leasecheck.properties.firstorder import (
    FirstOrder,
    FirstOrderInvariant,
    FirstOrderRecovery,
    FirstOrderTable,
    FirstOrderView,
)
from leasecheck.properties.model import Disruption, Model, ModelFamily, Narration
from leasecheck.properties.spec import (
    GoalWords,
    Invariant,
    Property,
    PropertyInfo,
    Reachable,
    Recoverable,
    Recovery,
    Verdict,
)

ROOT = Path(__file__).resolve().parent.parent

# --- the import rule -----------------------------------------------------------------------------

#: the modules that must read the model through the seam only
SEAM_SIDE = (
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "checker" / "explicit").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "checker" / "z3").glob("*.py")),
    "checker/run.py", "checker/results.py", "checker/replay.py", "checker/symmetry.py", "checker/compare.py",
    "checker/render/text.py", "checker/render/jsondoc.py", "checker/render/claims.py", "checker/render/junit.py",
    "checker/render/narrate.py", "checker/render/itf.py",
)

#: what only a model's own builder and its own tools may import
DHCP_MODULES = ("leasecheck.model.dhcp", "leasecheck.model.values", "leasecheck.model.policy",
                "leasecheck.properties.dhcp", "leasecheck.properties.dhcp_fo", "leasecheck.properties.claims")

#: the certificate kernel's modules, which may not import the DHCP model either
NO_DHCP = (
    "checker/kernel/fixed.py", "checker/kernel/reader.py", "checker/kernel/terms.py", "checker/kernel/verdict.py",
    "checker/kernel/cvc5_check.py", "checker/kernel/allsizes.py",
)

#: the all-sizes prover, which reads a model's first-order side (its family's ``first_order``)
#: and never the DHCP model's modules: the ghost map and the recovery's view of one client read
#: the table, the view and the ghost's statements off the side's recovery
ALLSIZES = tuple(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "checker" / "allsizes").glob("*.py")))
DHCP_MODEL = ("leasecheck.model.dhcp", "leasecheck.properties.dhcp", "leasecheck.properties.dhcp_fo")

#: the one module through which the generic side may reach the DHCP model without being handed it
#: (the families leasecheck ships), and who does: the trace file's reader and the fixed-size
#: certificate's checker, whose files record a configuration and no family, and the all-sizes
#: certificate's checker, whose headers name a family or none (DHCP's)
FAMILIES = "leasecheck.properties.families"
FAMILY_DEFAULT_USERS = ["checker/kernel/allsizes.py", "checker/kernel/fixed.py", "checker/render/itf.py"]


def dhcp_imports(path: str, modules: Sequence[str] = DHCP_MODULES) -> list[str]:
    """The DHCP modules ``path`` imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    tree = ast.parse((ROOT / path).read_text(), path)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found += [n for n in names if n in modules]
    return found


@pytest.mark.parametrize("path", [*SEAM_SIDE, *NO_DHCP])
def test_the_generic_side_reads_the_model_through_the_seam(path: str) -> None:
    assert not dhcp_imports(path), f"{path} imports the DHCP model: read it from the Model instead"


@pytest.mark.parametrize("path", ALLSIZES)
def test_the_all_sizes_prover_reads_the_model_s_first_order_side(path: str) -> None:
    assert not dhcp_imports(path, DHCP_MODEL), f"{path} imports the DHCP model: read the FoSystem's side instead"
    assert not dhcp_imports(path, (FAMILIES,)), f"{path} finds a family itself: it is handed the model's side"


def test_only_the_readers_of_files_without_a_family_default_to_a_shipped_one() -> None:
    users = sorted(p for p in (*SEAM_SIDE, *NO_DHCP, *ALLSIZES) if dhcp_imports(p, (FAMILIES,)))
    assert users == FAMILY_DEFAULT_USERS


#: every module that must not import the DHCP model: the engines (explicit, Z3, all sizes), the
#: results, replay, symmetry reduction, the comparison, the front door into the engines, and every
#: renderer; found by their folders, so that a module added there is held to the rule at once
GENERIC = (
    *(str(p.relative_to(ROOT)) for folder in ("explicit", "z3", "allsizes", "render")
      for p in sorted((ROOT / "checker" / folder).glob("*.py"))),
    "checker/run.py", "checker/results.py", "checker/replay.py", "checker/symmetry.py", "checker/compare.py",
)
#: the DHCP model: its system, its values, its properties and its first-order side
THE_DHCP_MODEL = ("leasecheck.model.dhcp", "leasecheck.model.values", "leasecheck.properties.dhcp",
                  "leasecheck.properties.dhcp_fo")


@pytest.mark.parametrize("path", GENERIC)
def test_no_engine_and_no_renderer_imports_the_dhcp_model(path: str) -> None:
    assert not dhcp_imports(path, THE_DHCP_MODEL), \
        f"{path} imports the DHCP model: read it from the Model (or the family's first-order side) it is handed"


def test_the_rule_sees_every_module_it_names() -> None:
    assert all((ROOT / p).is_file() for p in (*SEAM_SIDE, *NO_DHCP, *ALLSIZES, *GENERIC))
    assert {p for p in SEAM_SIDE if "/render/" in p} < {p for p in GENERIC if "/render/" in p}
    assert {p.name for p in (ROOT / "checker" / "kernel").glob("*.py")} - {"__init__.py"} == \
        {Path(p).name for p in NO_DHCP}
    assert len([p for p in SEAM_SIDE if "checker/explicit/" in p]) >= 10 and len(ALLSIZES) >= 12


# --- a second model: processes contending for a lock ----------------------------------------------

IDLE, WAITING, CRITICAL = "idle", "waiting", "critical"


def lock_actions(cfg: LockConfig, variables: list[Variable] | None = None, *,
                 guarded: bool = True) -> tuple[list[Variable], list[Action]]:
    """The lock's state variables and untraced actions (a first-order trace passes the variables
    as an action body sees them); without ``guarded``, a mutant whose Acquire does not wait for
    the lock to be free."""
    if variables is None:
        pc = Domain("process state", (IDLE, WAITING, CRITICAL))
        variables = [Variable(f"pc[{p}]", pc, IDLE, "pc", p) for p in range(cfg.processes)]
        variables.append(Variable("locked", BOOL, False, "locked", None))

    def request(s: StateView, p: int) -> None:
        s.require(s.pc[p] == IDLE)
        s.pc[p] = WAITING

    def acquire(s: StateView, p: int) -> None:
        if guarded:
            s.require(s.pc[p] == WAITING, s.locked == False)  # noqa: E712
        else:
            s.require(s.pc[p] == WAITING)
        s.pc[p] = CRITICAL
        s.locked = True

    def release(s: StateView, p: int) -> None:
        s.require(s.pc[p] == CRITICAL)
        s.pc[p] = IDLE
        s.locked = False

    actions = [Action(name, ("process",), body, True, "process")
               for name, body in (("Request", request), ("Acquire", acquire), ("Release", release))]
    return variables, actions


def lock_system_of(cfg: LockConfig, *, guarded: bool = True) -> System:
    variables, actions = lock_actions(cfg, guarded=guarded)
    return build_system(f"lock[{cfg.processes}]", variables, actions, {"process": tuple(range(cfg.processes))},
                        (Sort("process", cfg.processes, ("pc",), plural_name="processes"),))


def lock_system(processes: int) -> System:
    return lock_system_of(LockConfig(processes=processes))


CATALOGUE = (
    PropertyInfo("mutual_exclusion", False, "invariant", "no two processes are critical at once"),
    PropertyInfo("enters", True, "reachability", "a state with pc[p]=critical is reachable"),
    PropertyInfo("starvation_free", True, "liveness", "in every fair run, pc[p]=critical infinitely often"),
    PropertyInfo("can_enter", True, "AG EF", "from every reachable state, some run reaches pc[p]=critical"),
)


def critical_words(p: int) -> GoalWords:
    return GoalWords(goal=f"critical({p})", holds="enters its critical section",
                     held="the process is in its critical section",
                     not_held="the process is not in its critical section", without="without the critical section",
                     get="get the process into its critical section", gets="gets the process into its critical section",
                     thing="the critical section")


def lock_properties(processes: int, system: System, name: str) -> Sequence[Property]:
    var = system.variables
    info = next(i for i in CATALOGUE if i.name == name)
    if name == "mutual_exclusion":
        good = predicate(var, lambda s: ~functools.reduce(
            lambda a, b: a | b, [(s.pc[p] == CRITICAL) & (s.pc[q] == CRITICAL)
                                 for p in range(processes) for q in range(p + 1, processes)], BOOL.const(False)))
        return [Invariant(name, None, info.statement, good)]
    out: list[Property] = []
    for p in range(processes):
        goal = predicate(var, lambda s, p=p: s.pc[p] == CRITICAL)
        text = info.statement.replace("[p]", f"[{p}]")
        kind = {"enters": Reachable, "starvation_free": Recovery, "can_enter": Recoverable}[name]
        out.append(kind(name, p, text, goal, words=critical_words(p)))
    return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class LockConfig:
    """The lock model's one parameter."""

    processes: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.processes, bool) or not isinstance(self.processes, int) or not 1 <= self.processes <= 4:
            raise UserError(f"processes must be a whole number from 1 to 4, not {self.processes!r}")


def lock_of(cfg: LockConfig) -> Model:
    return lock_model(cfg.processes)


#: what the all-sizes prover reads of the lock: one sort, processes; mutual exclusion as an
#: invariant; no recovery (weak fairness lets a process starve)
def lock_sized(cfg: LockConfig, sizes: Sequence[int]) -> LockConfig:
    return LockConfig(processes=sizes[0])


def lock_recorded(recorded: dict[str, object]) -> LockConfig:
    return LockConfig(**recorded)  # type: ignore[arg-type]


def lock_described(cfg: LockConfig, any_budget: bool) -> str:
    return "a lock"


def not_both_critical(s: StateView, p: int, q: int) -> object:
    return ~(p != q) | ~((s.pc[p] == CRITICAL) & (s.pc[q] == CRITICAL))


LOCK_FIRST_ORDER = FirstOrder(
    sorts=("process",),
    actions=lock_actions,
    system=lock_system_of,
    sized=lock_sized,
    index_sorts={"pc": "process"},
    bare_number_sorts={},
    visible=(),
    recorded=(),
    config_of=lock_recorded,
    describe=lock_described,
    sizes="every number of processes",
    invariants=(FirstOrderInvariant(
        "mutual_exclusion", "for every processes p, q (all different): not (pc[p] and pc[q] are critical)",
        (("p", "process"), ("q", "process")), not_both_critical),),
)

#: every lock: how a trace file's recorded configuration becomes a lock model again
LOCK = ModelFamily("lock", LockConfig, lock_of, first_order=LOCK_FIRST_ORDER)
#: a process that gives the lock back waits for it again: counted in its requests
GIVES_BACK = Disruption("Release", "", "starvation_free", ("Request",), ("Acquire",))


def lock_model(processes: int) -> Model:
    return Model(
        trace=functools.partial(lock_system, processes),
        instances=functools.partial(lock_properties, processes),
        catalogue=CATALOGUE,
        defaults=tuple(i.name for i in CATALOGUE),
        description=f"a lock, {processes} processes",
        title=f"lock {processes}",
        parameters=(("processes", processes),),
        narration=Narration((("Acquire", "the process takes the lock"),)),
        config=LockConfig(processes=processes),
        disruption=GIVES_BACK,
        family=LOCK,
    )


def verdicts(model: Model, **options: object) -> dict[tuple[str, int | None], Verdict]:
    report, _ = explicit_report(model, **options)  # type: ignore[arg-type]
    return {(r.property, r.client): r.verdict for r in report.results}


def test_one_process_alone_always_gets_the_lock_again() -> None:
    assert set(verdicts(lock_model(1)).values()) == {Verdict.HOLDS}


def test_weak_fairness_lets_the_others_starve_a_process() -> None:
    model = lock_model(2)
    report, graph = explicit_report(model)
    assert graph is not None and len(graph.states) == 8  # idle/waiting pairs with the lock free, and 2x2 held
    by = {(r.property, r.client): r for r in report.results}
    assert {k: r.verdict for k, r in by.items()} == {
        ("mutual_exclusion", None): Verdict.HOLDS,
        ("enters", 0): Verdict.HOLDS, ("enters", 1): Verdict.HOLDS,
        ("starvation_free", 0): Verdict.VIOLATED, ("starvation_free", 1): Verdict.VIOLATED,
        ("can_enter", 0): Verdict.HOLDS, ("can_enter", 1): Verdict.HOLDS,
    }
    starved = by["starvation_free", 0]
    assert starved.method is Method.FAIR_CYCLE and starved.trace is not None and starved.trace.is_lasso
    # the reason speaks the property's own words, and nothing of leases
    assert starved.reason.startswith("a fair run never again enters its critical section: a ")
    assert not re.search(r"\blease\b", render_report(report))
    # in the loop process 1 takes and gives back the lock while process 0 waits
    loop = starved.trace.steps[starved.trace.loop_start + 1:]
    assert {s.instance for s in loop} >= {"Acquire(1)", "Release(1)"}
    assert all(model.system.decode(s.state)["pc"][0] == WAITING for s in loop)


def test_the_lock_models_traces_replay_and_its_claims_are_held_to_them() -> None:
    model = lock_model(2)
    report, _ = explicit_report(model, ["starvation_free"])
    trace = report.results[0].trace
    assert trace is not None
    replay(model.system, trace)
    assert check_claim(model, "starvation_free", 0, "violated", trace) is not None
    with pytest.raises(ClaimNotShown, match="critical"):
        check_claim(model, "can_enter", 0, "violated", trace)  # critical(0) can still be reached
    with pytest.raises(ClaimNotShown, match="no such property"):
        check_claim(model, "recovery", 0, "violated", trace)


def test_symmetry_reduction_reads_the_sorts_the_lock_declares() -> None:
    model = lock_model(3)
    full = explore(model.system)
    assert [(s.name, s.indexes) for s in model.sorts] == [("process", ("pc",))]
    sym = Symmetry(model.system)
    assert sym.describe() == "every renaming of processes"
    # the classes, counted independently of the canonical form: the multiset of process states
    # (process 0's own kept apart when a property speaks of process 0)
    decoded = [model.system.decode(s) for s in full.states]
    classes = {(tuple(sorted(d["pc"])), d["locked"]) for d in decoded}
    fixing_0 = {(d["pc"][0], tuple(sorted(d["pc"][1:])), d["locked"]) for d in decoded}
    alone, graph = explicit_report(model, ["mutual_exclusion"], symmetry=True)
    assert graph is not None and len(graph.states) == len(classes) == 7 < len(full.states)
    assert alone.engine == "explicit, symmetry reduced (every renaming of processes)"
    reduced, graph = explicit_report(model, explorer="vector", symmetry=True)
    assert graph is not None and len(graph.states) == len(fixing_0) == 13
    assert reduced.engine == "explicit, symmetry reduced (every renaming of the processes other than 0)"
    assert {(r.property, r.client): r.verdict for r in reduced.results} == {
        ("mutual_exclusion", None): Verdict.HOLDS, ("enters", 0): Verdict.HOLDS,
        ("starvation_free", 0): Verdict.VIOLATED, ("can_enter", 0): Verdict.HOLDS,
    }
    assert "(by symmetry, the same for every process)" in reduced.results[1].reason
    swap = client_swap(model.system, 2)
    assert swap.state(model.system.encode({"pc": [CRITICAL, IDLE, WAITING], "locked": True})) == \
        model.system.encode({"pc": [WAITING, IDLE, CRITICAL], "locked": True})


def test_the_front_door_and_the_z3_engine_take_the_lock_too() -> None:
    run = run_check(lock_model(2), CheckOptions(("mutual_exclusion", "starvation_free"), engine="both", depth=8,
                                                timeout=120))
    assert run.comparison is not None and not run.comparison.disagreements
    z3 = run.reports[1]
    assert z3.symbolic and {(r.property, r.client): r.verdict for r in z3.results} == {
        ("mutual_exclusion", None): Verdict.HOLDS,
        ("starvation_free", 0): Verdict.VIOLATED, ("starvation_free", 1): Verdict.VIOLATED,
    }
    assert report_json(z3)["config"] == {"processes": 2}
    with pytest.raises(Exception, match="unknown property 'recovery'; choose from mutual_exclusion"):
        run_check(lock_model(2), CheckOptions(("recovery",)))


@pytest.mark.parametrize("processes", [2, 3])
def test_every_explorer_takes_the_lock_and_decides_as_the_others(processes: int) -> None:
    """The compiled explorer, generated from the lock's guarded commands as from DHCP's, decides
    every property as the scalar and the vector explorers, and reduces by the lock's own sort."""
    model = lock_model(processes)
    scalar, vector, compiled = (verdicts(model, explorer=e) for e in ("scalar", "vector", "compiled"))
    assert scalar == vector == compiled
    assert compiled[("starvation_free", 0)] is Verdict.VIOLATED and compiled[("mutual_exclusion", None)] is Verdict.HOLDS
    reduced, _ = explicit_report(model, explorer="compiled", symmetry=True)
    assert {(r.property, r.client): r.verdict for r in reduced.results} == {
        key: verdict for key, verdict in compiled.items() if key[1] in (None, 0)}


def test_a_model_is_compared_with_itself_verdict_by_verdict() -> None:
    first, _ = explicit_report(lock_model(2), explorer="scalar")
    second, _ = explicit_report(lock_model(2), explorer="vector")
    assert not compare(first, second).disagreements and len(compare(first, second).pairs) == 7


def test_symmetry_refuses_a_declaration_its_exact_form_does_not_cover() -> None:
    # a lock that records its holder: a scalar whose value is a process id, which no key holds
    pc = Domain("process state", (IDLE, WAITING, CRITICAL))
    holder = Domain("holder", (None, 0, 1))
    variables = [Variable(f"pc[{p}]", pc, IDLE, "pc", p) for p in range(2)] + [Variable("holder", holder, None, "holder", None)]
    system = build_system("lock with holder", variables, [], {}, (Sort("process", 2, ("pc",), valued=("holder",)),))
    with pytest.raises(SymmetryError, match="holder names ids of a sort but belongs to none"):
        Symmetry(system)
    undeclared = build_system("lock without sorts", variables, [], {})
    with pytest.raises(SymmetryError, match="declares no interchangeable ids"):
        Symmetry(undeclared)


def test_a_report_crosses_to_another_process_with_its_model() -> None:
    # process pools (the sweep, the tests' own) send models and reports across: no traced state goes
    report, _ = explicit_report(lock_model(2), ["starvation_free"])
    again = pickle.loads(pickle.dumps(report))
    assert [(r.property, r.client, r.verdict, r.reason) for r in again.results] == \
        [(r.property, r.client, r.verdict, r.reason) for r in report.results]
    assert again.model.select(["starvation_free"])[0].words == critical_words(0)


# --- the lock through the trace file and the timeline ---------------------------------------------


def starved_trace(model: Model):  # noqa: ANN201
    report, _ = explicit_report(model, ["starvation_free"])
    trace = report.results[0].trace
    assert trace is not None and trace.is_lasso
    return trace


def test_the_lock_is_written_as_a_trace_file_and_read_back_as_a_lock() -> None:
    model = lock_model(2)
    trace = starved_trace(model)
    doc = json.loads(json.dumps(itf_document(model.system, model.config, trace, prop="starvation_free", client=0,
                                             verdict="violated")))
    assert doc["params"] == ["processes"] and doc["vars"] == ["pc", "locked"]
    assert doc["#meta"]["varTypes"] == {"processes": "Int", "pc": "Seq(Str)", "locked": "Bool"}
    assert doc["#meta"]["leasecheck"]["config"] == {"processes": 2}
    assert doc["states"][0] == {"#meta": {"index": 0, "action": None}, "processes": 2, "pc": ["idle", "idle"],
                                "locked": False}
    back = read_itf(doc, LOCK)
    assert back.config == LockConfig(processes=2)
    assert (back.trace.steps, back.trace.loop_start) == (trace.steps, trace.loop_start)
    assert back.model is not None and back.model.names == model.names
    assert replay_trace_file(back).name == "lock[2]"
    # the lock's own names are what the reader holds a lock's file to
    doc["#meta"]["leasecheck"]["client"] = 2
    with pytest.raises(TraceFileError, match="the client is 2, not a client of the configuration"):
        read_itf(doc, LOCK)
    doc["#meta"]["leasecheck"].update(client=0, config={"processes": 9})
    with pytest.raises(TraceFileError, match="processes must be a whole number from 1 to 4"):
        read_itf(doc, LOCK)


def test_a_lock_trace_file_is_not_read_as_dhcp() -> None:
    model = lock_model(2)
    doc = itf_document(model.system, model.config, starved_trace(model))
    with pytest.raises(TraceFileError, match="unknown fields: \"processes\""):
        read_itf(doc)


def test_the_lock_is_described_exported_to_spin_and_pictured() -> None:
    model = lock_model(2)
    text = render_description(describe_model(model))
    assert text.startswith("leasecheck describe: the traced model lock[2]\n")
    assert "processes  2" in text and "Acquire(process)" in text and not re.search(r"\blease\b", text)
    pml = promela_model(model)
    assert pml.claims == ("mutual_exclusion",) and "active proctype lock() {" in pml.text
    assert pml.text.startswith("/*\n   leasecheck export --promela: the lock model, lock 2.\n")
    assert pml.names == ("pc_0", "pc_1", "locked")
    # the picture marks the recovery the lock's disruption names: a process may starve, and is
    # never stuck (it can always still get the lock)
    view = state_graph_view(model)
    assert view.title == "lock 2" and view.states == 8 and view.loop and not view.stuck
    assert view.words.holding == "the process is in its critical section (for some id)"
    assert "critical" in view.words.loop and not re.search(r"\blease\b", " ".join(dataclasses.astuple(view.words)))


def test_the_timeline_measures_the_lock_s_way_back_in_its_own_events() -> None:
    run = recovery_after_delete(lock_model(2), 0)
    assert run.config == LockConfig(processes=2)
    assert run.trace.steps[run.delete_step].instance == "Release(0)"
    assert run.timer_events == 1 and run.timers == ("Request",)
    assert run.trace.steps[-1].instance == "Acquire(0)"
    replay(lock_model(2).system, run.trace)
    with pytest.raises(ValueError, match="names no disruption"):
        recovery_after_delete(dataclasses.replace(lock_model(2), disruption=None))


# --- the lock through the all-sizes prover --------------------------------------------------------


def lock_proof(side: FirstOrder, prop: str = "mutual_exclusion", seconds: float = 120.0):  # noqa: ANN201
    """The all-sizes prover on the lock, as ``prove`` runs it on DHCP: the first-order model traced
    from the lock's first-order side, candidate clauses learned from the reachable states of 2 and 3
    processes, an invariant grown from the property and re-checked by a fresh solver."""
    fs = first_order_system(side, LockConfig())
    samples = []
    for n in (2, 3):
        net = side.sized(fs.cfg, (n,))
        graph = explore(side.system(net))
        samples.append(StateMatrix(FiniteReading(first_order_system(side, net), n), list(graph.states)))
    pool = safety.learn_pool(fs, samples, budgets=True)  # the scalar `locked` is an atom too
    prop_formula = fs.invariant(prop)
    return fs, prop_formula, safety.prove_invariant(fs, prop_formula, pool, time.monotonic() + seconds)


def test_the_lock_s_first_order_model_is_its_model() -> None:
    side = LOCK_FIRST_ORDER
    assert fo_check.template_disagreement(side, LockConfig()) is None
    for n in (2, 3, 4):
        net = LockConfig(processes=n)
        states = list(explore(lock_system(n)).states)
        assert fo_check.relation_disagreement(side, net, (n,), states) is None


def test_mutual_exclusion_holds_for_every_number_of_processes_and_the_kernel_agrees() -> None:
    fs, prop, proof = lock_proof(LOCK_FIRST_ORDER)
    assert proof.verdict == "holds" and proof.rechecked, proof.reason
    # the property alone is not inductive: a process critical while the lock is free would let another in
    assert proof.clauses and any("locked" in c.text() for c in proof.clauses)
    invariant = [prop, *(c.formula() for c in proof.clauses)]
    assert fo_check.undischarged(fs, conj(*invariant)) is None
    text = invariant_certificate(fs, fs.cfg, False, "mutual_exclusion", invariant, family="lock")
    assert '"family": "lock"' in text and "mutual_exclusion holds for every number of processes: " in text
    solvers = ("z3", "cvc5") if cvc5_check.available() else ("z3",)
    checked = check_certificate_text(text, solvers, families={"lock": LOCK})
    assert checked.status == 0 and not checked.refusals and checked.answers
    assert all(a.answer == "unsat" for per in checked.answers for a in per)
    # the lock is not a family leasecheck ships: without it, the kernel refuses the file
    with pytest.raises(NotACertificate, match="family 'lock'"):
        check_certificate_text(text, ("z3",))
    # a header names a family the kernel is given, and only a family other than the default one
    for named in ('"family": "dhcp"', '"family": ""', '"family": 5', '"family": "Lock"'):
        with pytest.raises(NotACertificate, match="is not a family of models with a first-order side"):
            check_certificate_text(text.replace('"family": "lock"', named), ("z3",), families={"lock": LOCK, **SHIPPED})
    # the property alone is no proof: the kernel finds a step that breaks it
    alone = invariant_certificate(fs, fs.cfg, False, "mutual_exclusion", [prop], family="lock")
    assert check_certificate_text(alone, ("z3",), families={"lock": LOCK}).status != 0


#: the lock whose Acquire does not wait for the lock to be free
UNGUARDED = dataclasses.replace(LOCK_FIRST_ORDER, actions=functools.partial(lock_actions, guarded=False),
                                system=functools.partial(lock_system_of, guarded=False))


def test_a_lock_without_the_free_guard_is_never_proved() -> None:
    # two processes waiting both take the lock: the explicit engine sees it in the 2-process network
    graph = explore(UNGUARDED.system(LockConfig(processes=2)))
    assert any(d["pc"] == [CRITICAL, CRITICAL] for d in map(graph.system.decode, graph.states))
    fs, prop, proof = lock_proof(UNGUARDED, seconds=60)
    assert proof.verdict == "unknown" and not proof.rechecked
    # the invariant that proves the lock, claimed of the mutant, is refused: another model, and
    # with the mutant's fingerprint, a step the kernel shows to break it
    good_fs, good_prop, good = lock_proof(LOCK_FIRST_ORDER)
    invariant = [good_prop, *(c.formula() for c in good.clauses)]
    forged = invariant_certificate(good_fs, good_fs.cfg, False, "mutual_exclusion", invariant, family="lock")
    mutant = {"lock": dataclasses.replace(LOCK, first_order=UNGUARDED)}
    refused = check_certificate_text(forged, ("z3",), families=mutant)
    assert refused.status != 0 and any("is not the first-order model" in r for r in refused.refusals)
    claimed = invariant_certificate(fs, fs.cfg, False, "mutual_exclusion", invariant, family="lock")
    assert check_certificate_text(claimed, ("z3",), families=mutant).status != 0


def test_the_prover_claims_no_liveness_of_the_lock() -> None:
    # the lock's first-order side offers no recovery rule (weak fairness lets a process starve:
    # the explicit engine shows the lasso above), so no proof of it can be asked for or checked
    fs = first_order_system(LOCK_FIRST_ORDER, LockConfig())
    assert rules(LOCK_FIRST_ORDER) == {"mutual_exclusion": "invariant"}
    with pytest.raises(TraceError, match="offers no recovery"):
        fs.participant  # noqa: B018
    text = invariant_certificate(fs, fs.cfg, False, "mutual_exclusion", [fs.invariant("mutual_exclusion")],
                                 family="lock").replace('"property": "mutual_exclusion", "rule": "invariant"',
                                                        '"property": "starvation_free", "rule": "ranking", "levels": []')
    with pytest.raises(NotACertificate, match="is not a property and rule"):
        check_certificate_text(text, ("z3",), families={"lock": LOCK})


# --- the lock through the all-sizes prover's recovery rule ----------------------------------------


def not_critical(s: StateView, p: int) -> object:
    return ~(s.pc[p] == CRITICAL)


def critical(s: StateView, p: int) -> object:
    return s.pc[p] == CRITICAL


#: what one process sees: its own state, and the lock (the scalars are always part of a view);
#: no table of resources and no ghost map
PROCESS_VIEW = FirstOrderView(own=("pc",))
#: a process in its critical section gives the lock back: its own Release is enabled until it does
GIVES_BACK_SIDE = dataclasses.replace(LOCK_FIRST_ORDER, recovery=FirstOrderRecovery(
    "gives_back", "for every process p0, in every weakly fair run: infinitely often pc[p0] is not critical",
    ("p0", "process"), not_critical, goal_name="not critical(p0)", view=PROCESS_VIEW))
#: starvation freedom as a ranking: no level can hold a waiting process whose lock another holds
#: (its Acquire is disabled there, and only another's Release helps)
ENTERS_SIDE = dataclasses.replace(GIVES_BACK_SIDE, recovery=dataclasses.replace(
    GIVES_BACK_SIDE.recovery, name="starvation_free", goal=critical, goal_name="critical(p0)",  # type: ignore[arg-type]
    statement="for every process p0, in every weakly fair run: infinitely often pc[p0] is critical"))


def lock_ranking(side: FirstOrder, seconds: float = 60.0):  # noqa: ANN201
    """The recovery rule on the lock, as ``prove`` runs it on DHCP: the views of one process read
    from the networks of 1 and 2 processes, candidate clauses learned from them, and the levels
    checked in the first-order model."""
    fs = first_order_system(side, LockConfig())
    comps = recovery.components(with_ghost(fs))
    graph = recovery.ViewGraph()
    samples = []
    for n in (1, 2):
        net = LockConfig(processes=n)
        reading = FiniteReading(first_order_system(side, net), n)
        explored = explore(side.system(net))
        recovery.read_views(fs, reading, explored, comps, graph)
        samples.append(StateMatrix(reading, list(explored.states)))
    pool = safety.learn_pool(fs, samples, budgets=True)
    base = fs.invariant("mutual_exclusion")
    return fs, base, recovery.prove_recovery(fs, base, pool, graph, comps, time.monotonic() + seconds)


def test_a_process_gives_the_lock_back_for_every_number_of_processes_and_the_kernel_agrees() -> None:
    fs, base, proof = lock_ranking(GIVES_BACK_SIDE)
    assert GHOST not in with_ghost(fs).groups  # the lock's recovery asks for no ghost map
    assert [c.name for c in proof.components] == ["pc", "locked"]
    assert proof.verdict == "holds", proof.reason
    assert proof.reason.endswith("a ranking of the process's helpful actions, re-checked")
    assert recovery.level_data(proof) == [{"helpful": "Release(p0)", "views": [{"pc": "critical", "locked": "True"}]}]
    options = [(c.name, c.options) for c in proof.components]
    levels = [(lv.helpful, level_formula(options, sorted(lv.views))) for lv in proof.levels]
    invariant = [base, *(k.formula() for k in proof.invariant)]
    text = ranking_certificate(fs, fs.cfg, invariant, levels, family="lock")
    assert "a ranking of p0's helpful actions" in text and "ghost" not in text
    family = {"lock": dataclasses.replace(LOCK, first_order=GIVES_BACK_SIDE)}
    solvers = ("z3", "cvc5") if cvc5_check.available() else ("z3",)
    checked = check_certificate_text(text, solvers, families=family)
    assert checked.status == 0 and not checked.refusals, checked.refusals
    assert all(a.answer == "unsat" for per in checked.answers for a in per)
    # a level that claims Acquire helps instead is refused: its step leaves the process critical
    forged = text.replace('"levels": ["Release"]', '"levels": ["Acquire"]')
    assert check_certificate_text(forged, ("z3",), families=family).status != 0


def test_the_ranking_rule_does_not_prove_that_no_process_starves() -> None:
    # the explicit engine shows the lasso (above): the prover finds no ranking, and says why
    _, _, proof = lock_ranking(ENTERS_SIDE)
    assert proof.verdict == "unknown"
    assert "views of reachable states have no ranking" in proof.reason and "pc = waiting" in proof.reason
    assert "as the view of one process tells" in proof.reason


def test_a_ghost_map_is_added_only_over_a_table_and_for_the_sizes_the_claim_names() -> None:
    # the ghost's initial assumption (injective) holds only with as many resources as ids: a
    # recovery that asks for one must name the table it maps into and say so in its condition
    rec = GIVES_BACK_SIDE.recovery
    assert rec is not None
    no_table = dataclasses.replace(GIVES_BACK_SIDE, recovery=dataclasses.replace(rec, ghost=("one", "two")))
    with pytest.raises(InternalError, match="names no table of resources"):
        with_ghost(first_order_system(no_table, LockConfig()))
    table = FirstOrderTable("pc", "process", IDLE, (("CRITICAL", CRITICAL),))
    every_size = dataclasses.replace(no_table, recovery=dataclasses.replace(rec, ghost=("one", "two"), table=table))
    with pytest.raises(InternalError, match="claims every size"):
        with_ghost(first_order_system(every_size, LockConfig()))


def test_only_the_scalars_a_model_names_as_budgets_are_read_for_every_budget() -> None:
    """The lock's `locked` is a scalar but no budget: the reading for every budget keeps its values
    and no step of the lock is a disturbance; DHCP names its three counters, each spent by its own."""
    lock = first_order_system(LOCK_FIRST_ORDER, LockConfig(), unbounded=True)
    assert budget_counters(lock) == frozenset() and disturbances(lock) == ()
    assert lock.groups["locked"].keys == first_order_system(LOCK_FIRST_ORDER, LockConfig()).groups["locked"].keys
    dhcp = first_order_system(DHCP_FIRST_ORDER, Config(variant="nt40"), unbounded=True)
    assert budget_counters(dhcp) == {"deletes_left", "losses_left", "reboots_left"}
    assert {c.action for c in disturbances(dhcp)} == {"AdminDelete", "LoseToServer", "LoseToClient", "Reboot"}
