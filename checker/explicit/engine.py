"""The explicit engine: explore a model's system once, then decide every asked property on the graph.

:func:`explicit_report` is the engine's one entry (the front door, :mod:`leasecheck.checker.run`,
calls it). It reads a :class:`~leasecheck.properties.model.Model` (the traced system and its
properties, traced here on first use, within the run's budget) and knows no particular model.
Three explorers build the same graph: ``vector`` (:mod:`.vexplore`, numpy, the default),
analysed by :class:`~.vanalysis.VectorAnalysis`, ``scalar`` (:mod:`.explore`, compiled
Python), analysed by :class:`~.analysis.GraphAnalysis`, and ``compiled`` (:mod:`.compiled`,
generated C), analysed as the vector one's graph; without a C compiler it explores with the
vector explorer, and the report's engine line says so. Symmetry reduction needs the vector or
the compiled explorer (both store the same representatives, :mod:`.ccanon`); what it decides and
what it refuses is described in :mod:`.reduced` and docs/symmetry.md.

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

from leasecheck.checker.budget import INTERRUPTED, Interrupted, OutOfTime
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import EXPLORERS, Limits, Progress, StateGraph
from leasecheck.checker.results import CheckResult, Method, Report, Stats
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Property, PropertyError, Verdict


def explicit_report(
    model: Model,
    properties: Sequence[str] | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    explorer: str = "vector",
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
            from leasecheck.checker.explicit import analysis, compiled, explore, reduced, vanalysis, vexplore
            from leasecheck.checker.symmetry import Symmetry
        _between(limits)
        system = model.system
        props = model.select(properties)
        _between(limits)
        if explorer == "scalar":
            graph = explore.explore(system, limits, progress)
            decider = functools.partial(decide, analysis.GraphAnalysis(graph))
        elif symmetry:
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
        elif explorer == "compiled":
            try:
                graph = compiled.explore_compiled(system, limits, progress)
            except compiled.CompilerUnavailable as e:
                engine = f"explicit, vector explorer (the compiled explorer cannot run here: {e})"
                graph = vexplore.explore_vector(system, limits, progress)
            decider = functools.partial(decide, vanalysis.VectorAnalysis(graph))
        else:
            graph = vexplore.explore_vector(system, limits, progress)
            decider = functools.partial(decide, vanalysis.VectorAnalysis(graph))
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
