"""The explicit engine: explore a model's system once, then decide every asked property on the graph.

:func:`explicit_report` is the engine's one entry (the front door, :mod:`leasecheck.checker.run`,
calls it). It reads a :class:`~leasecheck.properties.model.Model` (the traced system and its
properties, traced here on first use, within the run's budget) and knows no particular model.
Three explorers build the same graph: ``compiled`` (:mod:`.compiled`, generated C, the default)
and ``vector`` (:mod:`.vexplore`, numpy), analysed by :class:`~.vanalysis.VectorAnalysis`, and
``scalar`` (:mod:`.explore`, generated Python, the reference), analysed by
:class:`~.analysis.GraphAnalysis`; where the compiled explorer cannot run (no C compiler) the
vector one explores, and the report's engine line says so (:func:`analysed`, which
:mod:`leasecheck.checker.claims` calls too). Symmetry reduction needs the compiled or the vector
explorer (both store the same representatives, :mod:`.ccanon`); what it decides and what it
refuses is described in :mod:`.reduced` and docs/symmetry.md.

A run's budget (``Limits.budget``) stops the engine anywhere: a signal (a KeyboardInterrupt
raised by the command line's handler) or the deadline, checked between the phases and before
each property, the first included (an exploration that the deadline stopped is not analysed).
The properties decided by then keep their verdicts; the others are unknown (``Method.LIMIT``)
with the stop reason, which the report's stats carry ("interrupted", or the timeout).

An analysis that runs out of memory (a ``MemoryError``) makes that property's verdict unknown,
with the figures reached; the other properties are still decided.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from leasecheck.checker.budget import INTERRUPTED, Interrupted, OutOfTime, import_held
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import DEFAULT_EXPLORER, EXPLORERS, Limits, Progress, StateGraph
from leasecheck.checker.results import CheckResult, Method, Report, Stats
from leasecheck.model.lang import System
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Property, PropertyError, Verdict

if TYPE_CHECKING:
    from leasecheck.checker.explicit.analysis import GraphAnalysis


def explicit_report(
    model: Model,
    properties: Sequence[str] | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    explorer: str = DEFAULT_EXPLORER,
    symmetry: bool = False,
) -> tuple[Report, StateGraph | None]:
    """Explore ``model``'s system and decide the named properties (default: those that apply); the graph
    is None when the run's budget stopped the engine before it explored."""
    limits = limits or Limits()
    if explorer not in EXPLORERS:
        raise PropertyError(f"unknown explorer {explorer!r}; choose one of {', '.join(EXPLORERS)}")
    if symmetry and explorer == "scalar":
        raise PropertyError("--symmetry needs the vector explorer or the compiled one")
    start = time.perf_counter()
    props: list[Property] = []
    results: list[CheckResult] = []
    graph: StateGraph | None = None
    engine = "explicit"
    stopped = ""
    try:
        with _shielded(limits):  # an import cut short by a signal leaves a half-made module
            from leasecheck.checker.explicit import compiled, explore, reduced, vanalysis, vexplore  # noqa: F401
            if symmetry:  # the quotient's analyses are scipy's where C has none
                import_held("scipy.sparse.csgraph")
            from leasecheck.checker.symmetry import Symmetry
        _between(limits)
        system = model.system
        props = model.select(properties)
        _between(limits)
        if symmetry:
            props, fixed = reduced.reduce_properties(props)
            reduced.check_supported(system, props, fixed)
            sym = Symmetry(system, fixed)
            engine = f"explicit, symmetry reduced ({sym.describe()})"
            if explorer == "compiled":
                try:
                    graph = compiled.explore_compiled(system, limits, progress, symmetry=sym)
                except compiled.CompilerUnavailable as e:
                    engine += f", vector explorer (the compiled explorer cannot run here: {e})"
            if graph is None:
                graph = vexplore.explore_vector(system, limits, progress, canonical=sym.canonical)
            decider = functools.partial(reduced.decide_reduced, reduced.QuotientAnalysis(graph, sym))
        else:
            graph, an, fallback = analysed(system, limits, progress, explorer)
            if fallback:
                engine = f"explicit, {fallback}"
            decider = functools.partial(decide, an)
        for p in props:
            # before the first property too: an exploration the deadline stopped leaves no time
            # for the analysis of what it reached (at 6x6 that analysis is a minute or more)
            _between(limits)
            results.append(_within_memory(decider, p, graph))
    except (KeyboardInterrupt, Interrupted, OutOfTime):
        stopped = limits.interrupted()
    if graph is not None and graph.stop_reason == INTERRUPTED:
        stopped = INTERRUPTED
    if stopped:
        seen = f" ({0 if graph is None else len(graph.states):,} states explored)"
        why = ("interrupted before this property was decided" if stopped == INTERRUPTED
               else f"stopped by the run's time limit ({stopped}) before this property was decided") + seen
        results += [CheckResult(p.name, p.client, Verdict.UNKNOWN, why, method=Method.LIMIT) for p in props[len(results):]]
    if graph is None:
        stats = Stats(0, 0, time.perf_counter() - start, False, stopped)
        return Report(model, engine, stats, tuple(results)), None
    stats = Stats(len(graph.states), graph.transitions, time.perf_counter() - start, graph.complete and not stopped,
                  graph.stop_reason or stopped)
    return Report(model, engine, stats, tuple(results)), graph


def analysed(system: System, limits: Limits | None = None, progress: Callable[[Progress], None] | None = None,
             explorer: str = DEFAULT_EXPLORER) -> tuple[StateGraph, GraphAnalysis, str]:
    """``system``'s whole graph explored by ``explorer`` and its analysis, and, when the compiled
    explorer cannot run here, the words saying so (the vector explorer explored instead)."""
    from leasecheck.checker.explicit import analysis, compiled, explore, vanalysis, vexplore  # noqa: PLC0415 (numpy)
    limits = limits or Limits()
    if explorer == "scalar":
        graph = explore.explore(system, limits, progress)
        return graph, analysis.GraphAnalysis(graph), ""
    fallback = ""
    if explorer == "compiled":
        try:
            graph = compiled.explore_compiled(system, limits, progress)
        except compiled.CompilerUnavailable as e:
            fallback = f"vector explorer (the compiled explorer cannot run here: {e})"
    if explorer == "vector" or fallback:
        graph = vexplore.explore_vector(system, limits, progress)
    an = vanalysis.VectorAnalysis(graph)
    if not an.in_c_only:
        import_held("scipy.sparse.csgraph")  # the analyses in scipy
    return graph, an, fallback


def _shielded(limits: Limits) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if limits.budget is None else limits.budget.cancel.shield()


def _between(limits: Limits) -> None:
    """Between two phases: stop when the run's budget says so."""
    if limits.budget is not None:
        limits.budget.check()



def _within_memory(decide_one: Callable[[Property], CheckResult], prop: Property, graph: StateGraph) -> CheckResult:
    """``decide_one(prop)``, or an unknown verdict when the analysis runs out of memory."""
    try:
        return decide_one(prop)
    except MemoryError:
        explored = "explored in full" if graph.complete else f"exploration stopped: {graph.stop_reason}"
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"the analysis ran out of memory on {len(graph.states):,} states ({explored})",
                           None, method=Method.LIMIT)
