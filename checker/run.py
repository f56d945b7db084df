"""Running the explicit engine on a configuration: explore once, decide every property.

This is the seam the command line, the claims catalogue and the notebooks call; engines return
:class:`~checker.results.Report` objects and never print.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from model.dhcp import Config, dhcp_system
from model.lang import System
from properties.dhcp import dhcp_properties

from .analysis import GraphAnalysis
from .decide import decide
from .explicit import Limits, Progress, StateGraph, explore
from .results import Report, Stats

EXPLORERS = ("vector", "scalar")


def explore_graph(
    system: System,
    limits: Limits = Limits(),
    progress: Callable[[Progress], None] | None = None,
    explorer: str = "vector",
) -> StateGraph:
    """The reachable graph of ``system`` built by the named explorer."""
    if explorer == "scalar":
        return explore(system, limits, progress)
    if explorer == "vector":
        from .vexplore import explore_vector  # numpy is imported only when this explorer runs

        return explore_vector(system, limits, progress)
    raise ValueError(f"unknown explorer {explorer!r}; choose one of {', '.join(EXPLORERS)}")


def explicit_report(
    cfg: Config,
    properties: Sequence[str] | None = None,
    limits: Limits = Limits(),
    progress: Callable[[Progress], None] | None = None,
    explorer: str = "vector",
) -> tuple[Report, StateGraph]:
    """Explore ``cfg`` with the explicit engine and decide the named properties.

    ``explorer`` picks how the graph is built: ``vector`` (numpy, the default: faster from a
    few hundred states on) or ``scalar`` (compiled Python, :mod:`checker.explicit`); both give
    the same graph up to state numbering, hence the same counts and verdicts.
    """
    start = time.perf_counter()
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, properties)
    graph = explore_graph(system, limits, progress, explorer)
    analysis = GraphAnalysis(graph)
    results = tuple(decide(analysis, p) for p in props)
    stats = Stats(len(graph.states), graph.transitions, time.perf_counter() - start, graph.complete, graph.stop_reason)
    return Report(cfg, "explicit", stats, results), graph
