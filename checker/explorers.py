"""Running a check with a chosen explorer (scalar or vector), with or without symmetry reduction.

:func:`check_report` is what ``leasecheck check`` calls. The ``vector`` explorer
(:mod:`checker.vexplore`) is the default: it builds the same graph as the ``scalar`` one
(:mod:`checker.explicit`, via :func:`checker.run.explicit_report`) several times faster, and its
graph is analysed with the vectorised :class:`~checker.vanalysis.VectorAnalysis`. Symmetry
reduction needs the vector explorer; what it decides and what it refuses is described in
:mod:`checker.reduced` and docs/symmetry.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from model.dhcp import Config, dhcp_system
from properties.dhcp import PropertyError, dhcp_properties

from .decide import decide
from .explicit import Limits, Progress, StateGraph
from .results import Report, Stats

EXPLORERS = ("vector", "scalar")


def check_report(
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
    if explorer == "scalar":
        if symmetry:
            raise PropertyError("--symmetry needs the vector explorer")
        from .run import explicit_report

        return explicit_report(cfg, properties, limits, progress)
    start = time.perf_counter()
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, properties)
    from .vexplore import explore_vector

    if symmetry:
        from .reduced import (
            QuotientAnalysis,
            UnsupportedUnderSymmetry,
            check_supported,
            decide_reduced,
            reduce_properties,
        )
        from .symmetry import Symmetry

        props, fixed = reduce_properties(props)
        try:
            check_supported(system, props, fixed)
        except UnsupportedUnderSymmetry as exc:
            raise PropertyError(str(exc)) from None
        sym = Symmetry(system, fixed)
        graph = explore_vector(system, limits, progress, canonical=sym.canonical)
        reduced = QuotientAnalysis(graph, sym)
        results = tuple(decide_reduced(reduced, p) for p in props)
        engine = f"explicit, symmetry reduced ({sym.describe()})"
    else:
        from .vanalysis import VectorAnalysis

        graph = explore_vector(system, limits, progress)
        analysis = VectorAnalysis(graph)
        results = tuple(decide(analysis, p) for p in props)
        engine = "explicit"
    stats = Stats(len(graph.states), graph.transitions, time.perf_counter() - start, graph.complete, graph.stop_reason)
    return Report(cfg, engine, stats, results), graph
