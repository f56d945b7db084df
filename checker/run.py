"""Running the explicit engine on a configuration: explore once, decide every property.

This is the seam the command line, the claims catalogue and the notebooks call; engines return
:class:`~checker.results.Report` objects and never print.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from model.dhcp import Config, dhcp_system
from properties.dhcp import dhcp_properties

from .analysis import GraphAnalysis
from .decide import decide
from .explicit import Limits, Progress, StateGraph, explore
from .results import Report, Stats


def explicit_report(
    cfg: Config,
    properties: Sequence[str] | None = None,
    limits: Limits = Limits(),
    progress: Callable[[Progress], None] | None = None,
) -> tuple[Report, StateGraph]:
    """Explore ``cfg`` with the explicit engine and decide the named properties."""
    start = time.perf_counter()
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, properties)
    graph = explore(system, limits, progress)
    analysis = GraphAnalysis(graph)
    results = tuple(decide(analysis, p) for p in props)
    stats = Stats(len(graph.states), graph.transitions, time.perf_counter() - start, graph.complete, graph.stop_reason)
    return Report(cfg, "explicit", stats, results), graph
