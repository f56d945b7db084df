"""Pictures of the reachable state graph of a small configuration, drawn with networkx.

:func:`state_graph_view` explores a model's configuration and marks, as data, the states where
the goal of its recovery property holds for some id (DHCP: a client holds a lease), the stuck
region (states from which some id can never reach its goal again) and the loop of the property's
counterexample, if there is one. The recovery property is the one the model's disruption names
(DHCP: ``recovery``), and the picture's words (:class:`GraphWords`) are the caller's, plain ones
made of the property's own wording otherwise. :func:`save_state_graph` draws it: a graphviz
layout when pygraphviz or pydot is installed, a networkx layout otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.errors import UserError, quoted
from leasecheck.properties.model import Model
from leasecheck.properties.spec import PropertyError, Recovery

#: the largest graph that is still readable as a picture: the default of ``--max-states``
MAX_DRAWN_STATES = 600
#: the largest ``--max-states`` accepted: the layout's time grows with the square of the states
#: and more (about 15 s at 500 states, 50 s at 1,000, more than 5 minutes at 2,000 without graphviz)
MAX_GRAPH_STATES = 1_000


class GraphTooLarge(UserError):
    """The configuration has more reachable states than a picture can show."""


@dataclass(frozen=True)
class GraphWords:
    """The picture's words: the legend of the states where the goal holds for some id, of the
    stuck region and of the counterexample's fair loop, and how to make a configuration smaller
    (said when it has too many states to draw)."""

    holding: str
    stuck: str
    loop: str
    smaller: str = "try a smaller configuration"


def plain_words(model: Model, prop: str) -> GraphWords:
    """Words made of the property's own wording (:class:`~leasecheck.properties.spec.GoalWords`)."""
    words = model.select([prop])[0].words
    return GraphWords(f"{words.held} (for some id)", f"stuck: some id can never {words.get} again",
                      f"fair loop {words.without} ({prop} counterexample)")


def recovery_property(model: Model) -> str:
    """The recovery property a picture marks: the one the model's disruption names, or else the
    first liveness property of its catalogue that applies."""
    if model.disruption is not None:
        return model.disruption.goal
    refused = dict(model.refused)
    for info in model.catalogue:
        if info.kind == "liveness" and info.name not in refused:
            return info.name
    raise PropertyError(f"{model.title} has no recovery property to mark in a picture")


@dataclass(frozen=True)
class StateGraphView:
    #: the configuration's short name (the picture's title)
    title: str
    words: GraphWords
    states: int
    edges: tuple[tuple[int, int, str], ...]  # (from, to, action instance)
    holding: frozenset[int]  # the goal holds for some id (DHCP: a client holds a lease its server agrees with)
    stuck: frozenset[int]  # some id can never reach its goal again
    loop: tuple[tuple[int, int], ...]  # edges of the recovery counterexample's fair loop

    @property
    def initial(self) -> int:
        return 0


def check_max_states(max_states: object) -> None:
    """Refuse a state limit above what a picture can show and draw in reasonable time."""
    if isinstance(max_states, bool) or not isinstance(max_states, int) or not 1 <= max_states <= MAX_GRAPH_STATES:
        raise GraphTooLarge(f"--max-states must be from 1 to {MAX_GRAPH_STATES:,} for a picture, not "
                            f"{quoted(max_states)}: laying out a larger graph takes many minutes and shows "
                            f"nothing readable; use leasecheck check for larger configurations")


def state_graph_view(model: Model, max_states: int = MAX_DRAWN_STATES, words: GraphWords | None = None) -> StateGraphView:
    """Explore ``model`` completely (at most ``max_states`` states, itself at most
    :data:`MAX_GRAPH_STATES`) and mark its regions, by its recovery property
    (:func:`recovery_property`); ``words``: the picture's (default: :func:`plain_words`)."""
    check_max_states(max_states)
    prop = recovery_property(model)
    system = model.system
    graph = explore(system, Limits(max_states=max_states + 1))
    if not graph.complete or len(graph.states) > max_states:
        raise GraphTooLarge(f"{model.title} has more than {max_states} reachable states: too many to draw; "
                            f"{(words or GraphWords('', '', '')).smaller}")
    words = words or plain_words(model, prop)
    an = GraphAnalysis(graph)
    n = len(graph.states)
    holding: set[int] = set()
    stuck: set[int] = set()
    loop: list[tuple[int, int]] = []
    for p in model.select([prop]):
        if not isinstance(p, Recovery):
            raise PropertyError(f"{prop} is not a recovery property: a picture marks a recovery's goal")
        goal = an.mask(p.goal)
        holding |= {i for i in range(n) if goal[i]}
        reach = an.backward(i for i in range(n) if goal[i])
        stuck |= {i for i in range(n) if not reach[i]}
        result = decide(an, p)
        trace = result.trace
        if not loop and trace is not None and trace.loop_start is not None:
            index = {s: i for i, s in enumerate(graph.states)}
            states = [index[s.state] for s in trace.steps]
            loop = [(states[k], states[k + 1]) for k in range(trace.loop_start, len(states) - 1)]
    names = [str(system.instances[c.instance]) for c in system.commands]
    edges = tuple(
        (u, graph.dst[e], names[graph.cmd[e]]) for u in range(graph.expanded) for e in graph.out_edges(u)
    )
    return StateGraphView(model.title, words, n, edges, frozenset(holding), frozenset(stuck), tuple(loop))


def _layout(g: Any) -> dict[Any, Any]:
    import networkx as nx

    for prog in ("pygraphviz", "pydot"):
        try:
            __import__(prog)
            if prog == "pygraphviz":
                return nx.nx_agraph.graphviz_layout(g, prog="dot")
            return nx.nx_pydot.graphviz_layout(g, prog="dot")
        except Exception:  # not installed, or graphviz itself missing: fall back
            continue
    try:
        return nx.kamada_kawai_layout(g)
    except Exception:  # kamada_kawai needs scipy
        return nx.spring_layout(g, seed=1)


def draw_state_graph(view: StateGraphView) -> Any:
    """A matplotlib Figure of the graph: holding states green, stuck red, the fair loop bold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

    g = nx.DiGraph()
    g.add_nodes_from(range(view.states))
    g.add_edges_from((u, v) for u, v, _ in view.edges if u != v)
    pos = _layout(g)
    size = min(14.0, 5.0 + view.states / 25)
    fig, ax = plt.subplots(figsize=(size, size * 0.8))
    ax.axis("off")

    def colour(i: int) -> str:
        if i in view.stuck:
            return "#d62728"
        if i in view.holding:
            return "#2ca02c"
        return "#9ecae1"

    loop = set(view.loop)
    plain = [(u, v) for u, v in g.edges if (u, v) not in loop]
    nx.draw_networkx_edges(g, pos, edgelist=plain, ax=ax, edge_color="#bbbbbb", arrowsize=6, width=0.6)
    nx.draw_networkx_edges(g, pos, edgelist=[e for e in view.loop if e[0] != e[1]], ax=ax, edge_color="#ff7f0e",
                           arrowsize=12, width=2.6)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=60, node_color=[colour(i) for i in g.nodes],
                           linewidths=0.5, edgecolors="#333333")
    nx.draw_networkx_nodes(g, pos, nodelist=[view.initial], ax=ax, node_size=160, node_color="white",
                           edgecolors="black", linewidths=2.0)
    handles = [
        Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=2, label="initial state"),
        Line2D([], [], marker="o", ls="", color="#2ca02c", label=view.words.holding),
        Line2D([], [], marker="o", ls="", color="#d62728", label=view.words.stuck),
        Line2D([], [], marker="o", ls="", color="#9ecae1", label="other states"),
        Line2D([], [], color="#ff7f0e", lw=2.6, label=view.words.loop),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
    ax.set_title(f"{view.title}: {view.states} reachable states, {len(view.edges)} transitions, "
                 f"{len(view.stuck)} stuck", fontsize=10)
    fig.tight_layout()
    return fig


def save_state_graph(view: StateGraphView, path: Path) -> None:
    from leasecheck.checker.render.chart import check_picture_path, save_figure

    check_picture_path(path)
    save_figure(draw_state_graph(view), path)
