"""The explicit engine: explore a configuration once, then decide every asked property on the graph.

:func:`explicit_report` is the engine's one entry (the front door, :mod:`leasecheck.checker.run`,
calls it). Two explorers build the same graph: ``vector`` (:mod:`.vexplore`, numpy, the default),
analysed by :class:`~.vanalysis.VectorAnalysis`, and ``scalar`` (:mod:`.explore`, compiled
Python), analysed by :class:`~.analysis.GraphAnalysis`. Symmetry reduction needs the vector
explorer; what it decides and what it refuses is described in :mod:`.reduced` and
docs/symmetry.md.

An analysis that runs out of memory (a ``MemoryError``) makes that property's verdict unknown,
with the figures reached; the other properties are still decided.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import Limits, Progress, StateGraph
from leasecheck.checker.results import CheckResult, Method, Report, Stats
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import PropertyError, dhcp_properties
from leasecheck.properties.spec import Property, Verdict

EXPLORERS = ("vector", "scalar")


def explicit_report(
    cfg: Config,
    properties: Sequence[str] | None = None,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    explorer: str = "vector",
    symmetry: bool = False,
) -> tuple[Report, StateGraph]:
    """Explore ``cfg`` and decide the named properties (default: those that apply)."""
    limits = limits or Limits()
    if explorer not in EXPLORERS:
        raise PropertyError(f"unknown explorer {explorer!r}; choose one of {', '.join(EXPLORERS)}")
    if symmetry and explorer != "vector":
        raise PropertyError("--symmetry needs the vector explorer")
    start = time.perf_counter()
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, properties)
    if explorer == "scalar":
        from leasecheck.checker.explicit.analysis import GraphAnalysis
        from leasecheck.checker.explicit.explore import explore

        graph = explore(system, limits, progress)
        analysis = GraphAnalysis(graph)
        results = tuple(_within_memory(decide, analysis, p, graph) for p in props)
        engine = "explicit"
    elif symmetry:
        from leasecheck.checker.explicit.reduced import (
            QuotientAnalysis,
            check_supported,
            decide_reduced,
            reduce_properties,
        )
        from leasecheck.checker.explicit.vexplore import explore_vector
        from leasecheck.checker.symmetry import Symmetry

        props, fixed = reduce_properties(props)
        check_supported(system, props, fixed)
        sym = Symmetry(system, fixed)
        graph = explore_vector(system, limits, progress, canonical=sym.canonical)
        reduced = QuotientAnalysis(graph, sym)
        results = tuple(_within_memory(decide_reduced, reduced, p, graph) for p in props)
        engine = f"explicit, symmetry reduced ({sym.describe()})"
    else:
        from leasecheck.checker.explicit.vanalysis import VectorAnalysis
        from leasecheck.checker.explicit.vexplore import explore_vector

        graph = explore_vector(system, limits, progress)
        analysis = VectorAnalysis(graph)
        results = tuple(_within_memory(decide, analysis, p, graph) for p in props)
        engine = "explicit"
    stats = Stats(len(graph.states), graph.transitions, time.perf_counter() - start, graph.complete, graph.stop_reason)
    return Report(cfg, engine, stats, results), graph


def _within_memory(decider: Callable[[Any, Property], CheckResult], analysis: Any, prop: Property,
                   graph: StateGraph) -> CheckResult:
    """``decider(analysis, prop)``, or an unknown verdict when the analysis runs out of memory."""
    try:
        return decider(analysis, prop)
    except MemoryError:
        explored = "explored in full" if graph.complete else f"exploration stopped: {graph.stop_reason}"
        return CheckResult(prop.name, prop.client, Verdict.UNKNOWN,
                           f"the analysis ran out of memory on {len(graph.states):,} states ({explored})",
                           None, method=Method.LIMIT)
