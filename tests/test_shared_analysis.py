"""Properties decided together share one graph and its analyses; the verdicts, reasons and
traces are the ones each property gets when it is decided alone, on a fresh graph."""

from __future__ import annotations

import numpy as np
import pytest

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.keytable import KeyTable
from leasecheck.checker.explicit.reduced import QuotientAnalysis, decide_reduced, reduce_properties
from leasecheck.checker.explicit.vanalysis import VectorAnalysis
from leasecheck.checker.explicit.vexplore import explore_vector
from leasecheck.checker.symmetry import Symmetry
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties

CONFIGS = [
    Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
    Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=0, reboots=0, restart=False),
    Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0, restart=True),
    Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=1, restart=False),
    pytest.param(Config(clients=3, addresses=2, variant="nt35", deletes=1, losses=0, reboots=0, restart=True), marks=pytest.mark.sweep),
]


def _alone_and_together(cfg: Config, symmetry: bool, explorer: str = "vector") -> None:
    together, _ = explicit_report(dhcp_model(cfg), symmetry=symmetry, explorer=explorer)
    assert together.stats.complete
    names = sorted({r.property for r in together.results})
    alone = []
    for name in names:
        report, _ = explicit_report(dhcp_model(cfg), [name], symmetry=symmetry, explorer=explorer)
        alone.extend(report.results)
    key = lambda r: (r.property, -1 if r.client is None else r.client)  # noqa: E731
    assert sorted(together.results, key=key) == sorted(alone, key=key)
    # some configuration here must decide several properties of the kinds that share the most
    assert len(names) >= 5


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_symmetry_reduced_properties_decided_together_are_decided_as_alone(cfg: Config) -> None:
    # the same group for both (deciding one client-free property alone would take the full group)
    system = dhcp_system(cfg)
    props, fixed = reduce_properties(dhcp_properties(system, cfg, None))
    sym = Symmetry(system, fixed)
    graph = explore_vector(system, canonical=sym.canonical)
    shared = QuotientAnalysis(graph, sym)
    together = [decide_reduced(shared, p) for p in props]
    alone = [decide_reduced(QuotientAnalysis(graph, sym), p) for p in props]
    assert together == alone
    assert len(props) >= 4
    # and the engine's own run gives the same results
    report, _ = explicit_report(dhcp_model(cfg), symmetry=True)
    assert list(report.results) == together


@pytest.mark.parametrize("cfg", CONFIGS[:3], ids=str)
def test_full_graph_properties_decided_together_are_decided_as_alone(cfg: Config) -> None:
    _alone_and_together(cfg, symmetry=False)


@pytest.mark.parametrize("cfg", [*CONFIGS[:2], pytest.param(CONFIGS[2], marks=pytest.mark.sweep)], ids=str)
def test_the_scalar_analyses_decide_as_the_vector_ones_on_one_graph(cfg: Config) -> None:
    system = dhcp_system(cfg)
    graph = explore_vector(system)
    props = dhcp_properties(system, cfg, None)
    vector = VectorAnalysis(graph)
    assert [decide(vector, p) for p in props] == [decide(GraphAnalysis(graph), p) for p in props]


def test_vector_backward_and_forward_are_the_scalar_ones() -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0, restart=True))
    graph = explore_vector(system)
    an = VectorAnalysis(graph)
    rng = np.random.default_rng(7)
    n = len(graph.states)
    scalar = GraphAnalysis(graph)
    for _ in range(5):
        targets = rng.choice(n, size=5, replace=False).tolist()
        allowed = bytearray((rng.random(n) < 0.7).astype(np.uint8).tobytes())
        skip = set(rng.choice(len(system.commands), size=3, replace=False).tolist())
        assert an.backward(targets) == scalar.backward(targets)
        assert an.backward(targets, allowed=allowed, skip_cmd=skip) == scalar.backward(targets, allowed=allowed, skip_cmd=skip)
        # forward: a breadth-first search written out here
        ok = np.frombuffer(allowed, dtype=np.uint8).astype(bool)
        seen = np.zeros(n, dtype=bool)
        todo = [t for t in targets if ok[t]]
        seen[todo] = True
        while todo:
            u = todo.pop()
            for e in graph.out_edges(u):
                w = graph.dst[e]
                if ok[w] and not seen[w]:
                    seen[w] = True
                    todo.append(w)
        assert np.array_equal(an.forward(np.asarray(targets), ok), seen)


def test_find_looks_up_without_adding() -> None:
    table = KeyTable(1)
    keys = np.arange(100, 200, dtype=np.uint64)[:, None]
    table.find_or_add(keys)
    probe = np.arange(150, 250, dtype=np.uint64)[:, None]
    found = table.find(probe)
    assert found.tolist() == list(range(50, 100)) + [-1] * 50
    assert table.n == 100
