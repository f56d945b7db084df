"""The compiled explorer (``--explorer compiled``): the model's search generated as C gives the
vector explorer's graph, state for state and edge for edge, so the same verdicts and the same
counterexamples; its build is cached under a key that changes with the model; and without a C
compiler the engine explores with the vector explorer and says so."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import os
import random
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck import Config, check
from leasecheck.checker.budget import DEADLINE, Budget
from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit import ccanon, codegen, compiled, reduced
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import Limits, StateGraph, explore
from leasecheck.checker.explicit.pack import layout, pack, unpack
from leasecheck.checker.explicit.vexplore import explore_vector
from leasecheck.checker.render.jsondoc import run_json
from leasecheck.checker.results import Method
from leasecheck.checker.symmetry import Symmetry
from leasecheck.errors import InternalError
from leasecheck.model.compile import compile_successors
from leasecheck.model.dhcp import dhcp_system
from leasecheck.model.lang import Const, System
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_model, dhcp_properties
from leasecheck.properties.spec import Verdict

CAN_BUILD = compiled.compiler() is not None and importlib.util.find_spec("cffi") is not None
needs_compiler = pytest.mark.skipif(not CAN_BUILD, reason="no C compiler or no cffi here")


@pytest.fixture(autouse=True, scope="module")
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Builds go to a folder of this module's own, not the user's cache."""
    folder = tmp_path_factory.mktemp("compiled-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.CACHE_ENV, str(folder))
        yield folder


def whole_graph(graph: StateGraph) -> tuple:
    """Everything an explorer decides: states in number order, parents, and edges in order."""
    states = graph.states.matrix() if hasattr(graph.states, "matrix") else np.asarray(list(graph.states))
    return (states.tolist(), *(np.asarray(a).tobytes() for a in (graph.parent, graph.parent_cmd, graph.offsets,
                                                                  graph.dst, graph.cmd)), graph.expanded, graph.complete)


CONFIGS = [
    Config(clients=1, addresses=1, variant="nt35"), Config(clients=1, addresses=1, variant="nt40"), Config(clients=1, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
    Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=0, restart=True), Config(clients=2, addresses=2, variant="nt40"), Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=0, reboots=1, restart=True),
    # nt35 at 2x2 with every budget (tens of seconds) in the sweep tier: the README's test command keeps every budget
    # at 1x2, and at 2x1 and 2x2 with some of them
    pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), marks=pytest.mark.sweep),
    Config(clients=2, addresses=3, variant="nt40"), Config(clients=2, addresses=2, variant="rfc2131", deletes=0, losses=1, reboots=0),
]


@needs_compiler
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_compiled_explorer_builds_the_reference_and_the_vector_explorers_graph(cfg: Config) -> None:
    system = dhcp_system(cfg)
    ours, theirs, reference = compiled.explore_compiled(system), explore_vector(system), explore(system)
    assert (len(ours.states), ours.transitions) == (len(theirs.states), theirs.transitions)
    assert np.array_equal(ours.states.keys, theirs.states.keys)  # type: ignore[attr-defined]
    assert whole_graph(ours) == whole_graph(theirs) == whole_graph(reference)
    assert ours.complete and ours.stop_reason == ""


@needs_compiler
@pytest.mark.slow
def test_the_3x3_nt40_graph_has_the_figures_of_the_vector_explorer() -> None:
    system = dhcp_system(Config(clients=3, addresses=3, variant="nt40"))
    ours, theirs = compiled.explore_compiled(system), explore_vector(system)
    assert (len(ours.states), ours.transitions) == (len(theirs.states), theirs.transitions) == (441_151, 2_115_372)
    assert np.array_equal(ours.states.keys, theirs.states.keys)  # type: ignore[attr-defined]
    assert ours.parent == theirs.parent and ours.dst == theirs.dst and ours.cmd == theirs.cmd


@needs_compiler
@pytest.mark.parametrize("limit", [1, 7, 100, 1000])
def test_a_state_limit_keeps_the_first_states_as_the_scalar_explorer_does(limit: int) -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt40"))
    ours, scalar = compiled.explore_compiled(system, Limits(max_states=limit)), explore(system, Limits(max_states=limit))
    assert whole_graph(ours) == whole_graph(scalar)
    assert ours.stop_reason == scalar.stop_reason == f"state limit of {limit} reached"


@needs_compiler
def test_a_state_packed_in_two_words_is_explored_as_the_scalar_explorer_does() -> None:
    system = dhcp_system(Config(clients=4, addresses=2, variant="nt40"))
    assert layout(system).words == 2
    ours, scalar = compiled.explore_compiled(system, Limits(max_states=5000)), explore(system, Limits(max_states=5000))
    assert whole_graph(ours) == whole_graph(scalar) and ours.expanded > 1000


def without_timings(document: dict) -> dict:
    data = json.loads(json.dumps(document, sort_keys=True))

    def strip(node: object) -> None:
        if isinstance(node, dict):
            node.pop("seconds", None)
            for v in node.values():
                strip(v)
        elif isinstance(node, list):
            for v in node:
                strip(v)

    strip(data)
    return data


@needs_compiler
@pytest.mark.parametrize("cfg", [Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=0), Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=0, restart=True)], ids=str)
def test_an_invariants_counterexample_is_the_reference_explorers(cfg: Config) -> None:
    names = [n for n in PROPERTY_NAMES if cfg.restart or n != "kb_restart_workaround"]
    ours = check(cfg, properties=names, explorer="compiled")
    (duplicate,) = [r for r in ours.report.results if r.property == "no_duplicate_address"]
    assert duplicate.verdict.value == "violated" and duplicate.trace is not None
    assert ours.report.engine == "explicit"
    for reference in ("vector", "scalar"):
        assert without_timings(run_json(ours)) == without_timings(run_json(check(cfg, properties=names, explorer=reference)))


@needs_compiler
def test_the_readmes_deadlock_is_found_from_the_command_line() -> None:
    out = io.StringIO()
    assert main(["check", "--explorer", "compiled", "--property", "recovery", "--format", "json"], out, io.StringIO()) == 1
    doc = json.loads(out.getvalue())
    assert doc["engine"] == "explicit" and doc["stats"]["states"] == 65
    assert doc["results"][0]["verdict"] == "violated"


def _altered(system: System) -> System:
    """``system`` with one update of one command changed (a different model)."""
    cmds = list(system.commands)
    k = next(i for i, c in enumerate(cmds) if c.updates)
    var, e = cmds[k].updates[0]
    other = (e.index + 1) % len(e.domain) if isinstance(e, Const) else 0
    cmds[k] = dataclasses.replace(cmds[k], updates=((var, Const(e.domain, other)), *cmds[k].updates[1:]))
    return dataclasses.replace(system, commands=tuple(cmds))


def test_the_cache_key_changes_with_the_model() -> None:
    cc = ["cc"]
    nt35, nt40 = dhcp_system(Config(variant="nt35")), dhcp_system(Config(variant="nt40"))
    key = compiled.source_key(codegen.c_source(nt35), cc)
    assert key == compiled.source_key(codegen.c_source(dhcp_system(Config(variant="nt35"))), cc)
    assert key != compiled.source_key(codegen.c_source(nt40), cc)
    assert key != compiled.source_key(codegen.c_source(_altered(nt35)), cc)
    assert key != compiled.source_key(codegen.c_source(nt35), ["clang"])


@needs_compiler
def test_a_build_is_made_once_and_found_in_the_cache_after(tmp_path: Path) -> None:
    env = {compiled.CACHE_ENV: str(tmp_path), "PATH": os.environ.get("PATH", "")}
    system = dhcp_system(Config(variant="nt35"))
    first, again = compiled.build(system, env), compiled.build(system, env)
    assert first.built and not again.built and first.path == again.path and first.path.parent == tmp_path
    changed = compiled.build(_altered(system), env)
    assert changed.built and changed.path != first.path
    # the altered model's search really is another: it reaches other states
    assert whole_graph(compiled.explore_compiled(_altered(system), env=env)) != \
        whole_graph(compiled.explore_compiled(system, env=env))


def test_without_a_compiler_the_explorer_says_why(tmp_path: Path) -> None:
    env = {compiled.CACHE_ENV: str(tmp_path), "CC": "/nonexistent/cc", "PATH": ""}
    assert compiled.compiler(env) is None
    with pytest.raises(compiled.CompilerUnavailable, match="no C compiler"):
        compiled.build(dhcp_system(Config()), env)
    assert compiled.compiler({"PATH": ""}) is None


def test_without_a_compiler_the_engine_explores_with_the_vector_explorer_and_says_so(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))  # nothing built there
    monkeypatch.setenv("CC", "/nonexistent/cc")
    cfg = Config(clients=2, addresses=1, variant="nt35")
    ours = check(cfg, properties=["no_duplicate_address", "recovery"], explorer="compiled")
    theirs = check(cfg, properties=["no_duplicate_address", "recovery"], explorer="vector")
    assert ours.report.engine == ("explicit, vector explorer (the compiled explorer cannot run here: "
                                  "no C compiler: $CC is '/nonexistent/cc', which is not found)")
    assert ours.report.results == theirs.report.results
    out = io.StringIO()
    assert main(["check", "--explorer", "compiled", "--property", "single_binding"], out, io.StringIO()) == 0
    assert "engine explicit, vector explorer (the compiled explorer cannot run here: no C compiler" in out.getvalue()


@needs_compiler
def test_a_spent_budget_or_a_past_deadline_stops_the_compiled_explorer_with_the_reason() -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt40"))
    graph = compiled.explore_compiled(system, Limits(max_memory=1))
    assert not graph.complete and graph.stop_reason == "memory limit of 1 MB reached"
    assert len(graph.parent) == len(graph.states) and len(graph.offsets) == graph.expanded + 1
    late = compiled.explore_compiled(system, Limits(timeout=0))
    assert not late.complete and late.stop_reason == explore_vector(system, Limits(timeout=0)).stop_reason == "timeout after 0 s"
    assert (len(late.states), late.expanded, late.transitions) == (1, 0, 0)


@needs_compiler
def test_an_exploration_the_deadline_stopped_is_not_analysed_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline passes as the reduced exploration ends: every verdict is unknown at once, for
    the run's time limit, and the partial quotient is not analysed (at 6x6 that took a minute)."""
    real = compiled.explore_compiled
    budget = Budget.start(3600.0)

    def explored_as_the_deadline_passes(system: System, limits: Limits, progress: object = None, **kw: object) -> StateGraph:
        graph = real(system, dataclasses.replace(limits, max_states=300), None, **kw)  # type: ignore[arg-type]
        budget.cancel.cancel(DEADLINE)
        return graph

    def analysed(*args: object) -> None:
        raise AssertionError("the partial graph was analysed after the deadline")

    monkeypatch.setattr(compiled, "explore_compiled", explored_as_the_deadline_passes)
    monkeypatch.setattr(reduced, "decide_reduced", analysed)
    model = dhcp_model(Config(clients=3, addresses=3, variant="nt40"))
    report, graph = explicit_report(model, ["recovery"], Limits(budget=budget), explorer="compiled", symmetry=True)
    assert graph is not None and len(graph.states) == 300 and not report.stats.complete
    assert [(r.verdict, r.method) for r in report.results] == [(Verdict.UNKNOWN, Method.LIMIT)]
    assert "stopped by the run's time limit (timeout after 3600 s)" in report.results[0].reason
    assert "300 states explored" in report.results[0].reason


def test_a_model_of_more_commands_than_an_edge_numbers_is_left_to_the_vector_explorer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An edge's command is kept in 16 bits by the generated search: a model of more commands is
    not generated (the engine explores with the vector explorer and says why)."""
    monkeypatch.setattr(codegen, "MAX_COMMANDS", 3)
    with pytest.raises(compiled.CompilerUnavailable, match=r"commands, more than the 3 the generated search numbers"):
        compiled.build(dhcp_system(Config(clients=1, addresses=1, variant="nt35")))


def test_without_cffi_the_explorer_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cffi", None)  # import cffi now raises ImportError
    with pytest.raises(compiled.CompilerUnavailable, match=r"cffi is not installed: pip install cffi"):
        compiled.explore_compiled(dhcp_system(Config()))
    run = check(Config(), properties=["recovery"], explorer="compiled")
    assert run.report.engine == ("explicit, vector explorer (the compiled explorer cannot run here: "
                                 "cffi is not installed: pip install cffi)")


@needs_compiler
def test_a_cache_that_cannot_be_written_gets_a_build_of_the_runs_own_removed_once_loaded(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    own = tmp_path / "tmp"
    own.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(own))
    env = {compiled.CACHE_ENV: str(blocked / "cache"), "PATH": os.environ.get("PATH", "")}
    system = dhcp_system(Config(variant="nt40"))
    made = compiled.build(system, env)
    assert made.built and made.temporary and made.path.is_file() and made.path.parent.parent == own
    graph = compiled.explore_compiled(system, env=env)
    assert graph.complete and len(graph.states) == len(explore_vector(system).states)
    assert [p.name for p in own.iterdir() if p.name.startswith("leasecheck-compiled-")] == [made.path.parent.name]


def test_a_compiler_that_builds_nothing_makes_the_explorer_unavailable(tmp_path: Path) -> None:
    env = {compiled.CACHE_ENV: str(tmp_path / "cache"), "CC": "false", "PATH": os.environ.get("PATH", "")}
    with pytest.raises(compiled.CompilerUnavailable, match="cannot build a shared library"):
        compiled.build(dhcp_system(Config()), env)
    assert not any((tmp_path / "cache").iterdir())  # nothing half-built left behind


@needs_compiler
def test_generated_c_that_does_not_compile_is_an_internal_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(codegen, "c_source", lambda system, symmetry=None: "this is not C;\n")
    env = {compiled.CACHE_ENV: str(tmp_path), "PATH": os.environ.get("PATH", "")}
    with pytest.raises(InternalError, match="the C compiler failed on the generated search"):
        compiled.build(dhcp_system(Config()), env)


# --- symmetry reduction: the compiled quotient is the vector explorer's -----------------------------

#: configurations whose concrete states are canonicalised both ways (a state limit keeps them quick)
CANONICAL_CONFIGS = [
    (Config(clients=3, addresses=3, variant="nt40"), 60_000), (Config(clients=3, addresses=3, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), 60_000),
    (Config(clients=2, addresses=4, variant="rfc2131", deletes=0, losses=1, reboots=0), None),
    # the larger groups: in the sweep tier (the random runs below check 4x4 in the default one)
    *((cfg, limit, pytest.mark.sweep) for cfg, limit in ((Config(clients=4, addresses=3, variant="nt40"), 60_000),
                                                         (Config(clients=3, addresses=5, variant="nt40"), 30_000),
                                                         (Config(clients=5, addresses=5, variant="nt40"), 20_000))),
]


@needs_compiler
@pytest.mark.parametrize("fixed", [(), (0,)], ids=["every renaming", "client 0 fixed"])
@pytest.mark.parametrize("cfg,limit", [pytest.param(c[0], c[1], marks=c[2:]) for c in CANONICAL_CONFIGS],
                         ids=[str(c[0]) for c in CANONICAL_CONFIGS])
def test_the_compiled_canonical_form_is_the_symmetry_modules_representative(cfg: Config, limit: int | None,
                                                                            fixed: tuple[int, ...]) -> None:
    system = dhcp_system(cfg)
    concrete = explore_vector(system, Limits(max_states=limit))  # states as reached: mostly not representatives
    lay = concrete.states.layout  # type: ignore[attr-defined]
    keys = concrete.states.keys  # type: ignore[attr-defined]
    sym = Symmetry(system, fixed)
    ffi, lib = compiled.load(system, symmetry=sym)
    theirs = pack(lay, sym.canonical(unpack(lay, keys)))
    ours, fell = compiled.canonical_keys(ffi, lib, keys)
    assert np.array_equal(ours, theirs) and fell == 0
    every, _ = compiled.canonical_keys(ffi, lib, keys[:3000], every=True)  # every renaming tried
    assert np.array_equal(every, theirs[:3000])
    assert len({tuple(k) for k in theirs.tolist()}) < len(keys)  # the states fall into fewer classes


@needs_compiler
def test_when_the_branches_overflow_every_renaming_is_tried_with_the_same_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    system = dhcp_system(Config(clients=4, addresses=4, variant="nt40"))
    concrete = explore_vector(system, Limits(max_states=20_000))
    lay, keys = concrete.states.layout, concrete.states.keys  # type: ignore[attr-defined]
    sym = Symmetry(system, (0,))
    monkeypatch.setattr(ccanon, "MAX_BRANCHES", 1)
    ffi, lib = compiled.load(system, symmetry=sym)
    ours, fell = compiled.canonical_keys(ffi, lib, keys)
    assert np.array_equal(ours, pack(lay, sym.canonical(unpack(lay, keys))))
    assert 0 < fell < len(keys)


QUOTIENT_CONFIGS = [
    Config(clients=2, addresses=2, variant="nt40"), Config(clients=2, addresses=3, variant="rfc2131", deletes=0, losses=1, reboots=0),
    # nt35 with every budget (tens of seconds), and three clients: in the sweep tier (the README's test command
    # keeps the two above, and every budget through the compiled quotient in
    # test_with_symmetry_the_compiled_explorer_gives_the_vector_explorers_verdicts_and_traces)
    pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), marks=pytest.mark.sweep),
    *(pytest.param(cfg, marks=pytest.mark.sweep) for cfg in (Config(clients=3, addresses=3, variant="nt40"),
                                                             Config(clients=3, addresses=2, variant="nt40", deletes=1, losses=1, reboots=0))),
]


@needs_compiler
@pytest.mark.parametrize("fixed", [(), (0,)], ids=["every renaming", "client 0 fixed"])
@pytest.mark.parametrize("cfg", QUOTIENT_CONFIGS, ids=str)
def test_the_compiled_explorer_builds_the_vector_explorers_quotient_graph(cfg: Config, fixed: tuple[int, ...]) -> None:
    system = dhcp_system(cfg)
    sym = Symmetry(system, fixed)
    ours = compiled.explore_compiled(system, symmetry=sym)
    theirs = explore_vector(system, canonical=sym.canonical)
    assert (len(ours.states), ours.transitions) == (len(theirs.states), theirs.transitions)
    assert whole_graph(ours) == whole_graph(theirs)
    assert ours.complete


@needs_compiler
@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_a_state_limit_keeps_the_first_classes_of_the_quotient(limit: int) -> None:
    system = dhcp_system(Config(clients=3, addresses=3, variant="nt40"))
    sym = Symmetry(system, (0,))
    ours = compiled.explore_compiled(system, Limits(max_states=limit), symmetry=sym)
    whole = compiled.explore_compiled(system, symmetry=sym)
    assert ours.stop_reason == f"state limit of {limit} reached" and len(ours.states) == limit
    assert np.array_equal(ours.states.keys, whole.states.keys[:limit])  # type: ignore[attr-defined]
    assert ours.parent == whole.parent[:limit] and ours.dst == whole.dst[:len(ours.dst)]


@needs_compiler
@pytest.mark.parametrize("cfg", [Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), Config(clients=3, addresses=3, variant="nt40"), Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=0, reboots=0)],
                         ids=str)
def test_with_symmetry_the_compiled_explorer_gives_the_vector_explorers_verdicts_and_traces(cfg: Config) -> None:
    names = [n for n in PROPERTY_NAMES if cfg.restart or n != "kb_restart_workaround"]
    ours = check(cfg, properties=names, explorer="compiled", symmetry=True)
    theirs = check(cfg, properties=names, explorer="vector", symmetry=True)
    assert ours.report.engine == theirs.report.engine
    assert ours.report.engine.startswith("explicit, symmetry reduced (")
    assert without_timings(run_json(ours)) == without_timings(run_json(theirs))
    assert any(r.trace is not None for r in ours.report.results)


@needs_compiler
def test_the_lock_model_is_reduced_by_the_compiled_explorer_as_by_the_vector_one() -> None:
    from tests.test_seam import lock_model

    model = lock_model(3)
    for props in (["mutual_exclusion"], None):
        ours, ours_graph = explicit_report(model, props, explorer="compiled", symmetry=True)
        theirs, theirs_graph = explicit_report(model, props, explorer="vector", symmetry=True)
        assert ours_graph is not None and theirs_graph is not None
        assert whole_graph(ours_graph) == whole_graph(theirs_graph)
        assert ours.engine == theirs.engine and ours.results == theirs.results
    assert len(ours_graph.states) == 13


def test_a_symmetry_the_generated_code_does_not_cover_leaves_the_vector_explorer_to_reduce(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(sym: Symmetry, lay: object) -> str:
        raise ccanon.NotCompilable("a value of db names more than one address")

    monkeypatch.setattr(codegen, "c_canonical", refuse)
    cfg = Config(clients=2, addresses=2, variant="nt40")
    ours = check(cfg, properties=["single_binding"], explorer="compiled", symmetry=True)
    theirs = check(cfg, properties=["single_binding"], explorer="vector", symmetry=True)
    assert ours.report.engine == theirs.report.engine + (
        ", vector explorer (the compiled explorer cannot run here: its symmetry is not compiled: "
        "a value of db names more than one address)")
    assert ours.report.results == theirs.report.results


#: configurations whose reduced graph has goal-free components that no fixed instance shows unfair
OPEN_CONFIGS = [
    Config(clients=2, addresses=2, variant="nt35"), Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
    Config(clients=3, addresses=2, variant="nt40", deletes=1, losses=1, reboots=0), Config(clients=3, addresses=3, variant="nt40"),
]


@needs_compiler
@pytest.mark.parametrize("cfg", OPEN_CONFIGS, ids=str)
def test_the_quotients_open_components_in_c_are_those_of_numpy_and_scipy(cfg: Config) -> None:
    """The components whose fairness the reduced engine settles, and the deadlocks, are found by
    one pass over the edges in C: the same components with the same entries as scipy's."""
    system = dhcp_system(cfg)
    sym = Symmetry(system, (0,))
    graph = compiled.explore_compiled(system, symmetry=sym)
    (prop,) = [p for p in dhcp_properties(system, cfg, ["recovery"]) if p.client == 0]
    in_c = reduced.QuotientAnalysis(graph, sym)
    assert in_c.algo is not None
    ours = reduced._open_components(in_c, prop.goal)
    theirs = reduced._open_components(reduced.QuotientAnalysis(graph, sym, in_c=False), prop.goal)
    assert ours == theirs
    if cfg.variant == "nt35":
        assert ours[0]  # a fair loop without the lease exists: there are components to compare


def _runs(system: System, rng: random.Random, runs: int, length: int) -> list[tuple[int, ...]]:
    """The states met on random runs from the initial state: deep states, many of them far from
    any representative, that a breadth-first prefix of the graph does not reach."""
    successors = compile_successors(system)
    out = []
    for _ in range(runs):
        state = system.initial
        for _ in range(rng.randrange(1, length)):
            options = successors(state)
            if not options:
                break
            state = rng.choice(options)[1]
            out.append(state)
    return out


def _pruned_and_every(system: System, sym: Symmetry, states: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, int]:
    ffi, lib = compiled.load(system, symmetry=sym)
    keys = pack(layout(system), np.asarray(states, dtype=np.int64))
    ours, fell = compiled.canonical_keys(ffi, lib, keys)
    every, _ = compiled.canonical_keys(ffi, lib, keys, every=True)
    return ours, every, fell


#: configurations whose random runs are canonicalised both ways
RUN_CONFIGS = [Config(clients=3, addresses=3, variant="nt40"), Config(clients=3, addresses=3, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
               Config(clients=4, addresses=4, variant="nt40"),
               pytest.param(Config(clients=4, addresses=4, variant="nt35", deletes=1, losses=1, reboots=0, restart=True), marks=pytest.mark.sweep)]


@needs_compiler
@pytest.mark.parametrize("fixed", [(), (0,)], ids=["every renaming", "client 0 fixed"])
@pytest.mark.parametrize("cfg", RUN_CONFIGS, ids=str)
def test_on_random_runs_the_pruned_canonical_form_is_the_smallest_over_every_renaming(cfg: Config, fixed: tuple[int, ...]) -> None:
    """Refining the ordered partition of the addresses gives the representative that trying every
    renaming gives (and that checker/symmetry.py gives), on thousands of reachable states."""
    system = dhcp_system(cfg)
    sym = Symmetry(system, fixed)
    states = _runs(system, random.Random(2131), 150, 120)
    ours, every, fell = _pruned_and_every(system, sym, states)
    lay = layout(system)
    assert fell == 0 and len(states) > 5_000
    assert np.array_equal(ours, every)
    assert np.array_equal(ours, pack(lay, sym.canonical(np.asarray(states, dtype=np.int64))))
    again, _ = _pruned_and_every(system, sym, unpack(lay, ours).tolist())[::2]
    assert np.array_equal(again, ours)  # a representative is its own
    assert len({tuple(k) for k in ours.tolist()}) < len({tuple(s) for s in states})


@needs_compiler
@pytest.mark.sweep  # tens of seconds: trying every renaming of six or seven addresses
@pytest.mark.parametrize("cfg,runs", [(Config(clients=6, addresses=6, variant="nt40"), 40),
                                      (Config(clients=2, addresses=7, variant="nt40"), 5)],
                         ids=["6x6", "2x7"])
def test_on_random_runs_with_many_addresses_the_pruned_form_is_the_smallest(cfg: Config, runs: int) -> None:
    """The partition's cells kept as 4-bit starts, one per address, in one word: with six and
    seven addresses too, the pruned form is the smallest over every renaming."""
    system = dhcp_system(cfg)
    sym = Symmetry(system, (0,))
    states = _runs(system, random.Random(67), runs, 150)
    ours, every, fell = _pruned_and_every(system, sym, states)
    assert fell == 0 and len(states) > 200
    assert np.array_equal(ours, every)
    assert len({tuple(k) for k in ours.tolist()}) < len({tuple(s) for s in states})


@cache
def _four_by_four(fixed: tuple[int, ...]) -> tuple[System, Symmetry]:
    system = dhcp_system(Config(clients=4, addresses=4, variant="nt35", deletes=1, losses=1, reboots=1, restart=True))
    return system, Symmetry(system, fixed)


@needs_compiler
@pytest.mark.sweep
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), fixed=st.sampled_from([(), (0,)]))
def test_any_run_of_four_clients_and_four_addresses_gets_the_smallest_representative(seed: int, fixed: tuple[int, ...]) -> None:
    system, sym = _four_by_four(fixed)
    states = _runs(system, random.Random(seed), 4, 200)
    ours, every, fell = _pruned_and_every(system, sym, states)
    assert fell == 0 and np.array_equal(ours, every)
