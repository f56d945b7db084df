"""The graph analyses' inner loops in C (``checker/explicit/graphalgo.c``) compute what the scalar
analyses compute: the same strong components, the same fair components and deadlocks for every
goal, the same backward reachability; so every property kind gets the same verdict and the same
counterexample from the compiled explorer's graph as from the scalar explorer's. Without a C
compiler the numpy forms run, with the same results."""

from __future__ import annotations

import importlib.util
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from leasecheck.checker.explicit import compiled, graphalgo
from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.explore import StateGraph, explore
from leasecheck.checker.explicit.vanalysis import VectorAnalysis, VectorEscape
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import AfterAction, Recovery

CAN_BUILD = compiled.compiler() is not None and importlib.util.find_spec("cffi") is not None
needs_compiler = pytest.mark.skipif(not CAN_BUILD, reason="no C compiler or no cffi here")

CONFIGS = [
    Config(clients=1, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True),
    Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=0, restart=True),
    Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=0, reboots=0, restart=False),
    Config(clients=2, addresses=2, variant="rfc2131", deletes=0, losses=1, reboots=0),
    # the larger ones in the sweep tier
    pytest.param(Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=1, restart=False), marks=pytest.mark.sweep),
    # every fault and the restart (a minute or more with the scalar reference)
    pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), marks=pytest.mark.sweep),
]


@pytest.fixture(autouse=True, scope="module")
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Builds go to a folder of this module's own, not the user's cache."""
    folder = tmp_path_factory.mktemp("graphalgo-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.CACHE_ENV, str(folder))
        yield folder


def _compiled_graph(cfg: Config) -> StateGraph:
    return compiled.explore_compiled(dhcp_system(cfg))


def _goals(cfg: Config) -> list:
    system = dhcp_system(cfg)
    return [p.goal for p in dhcp_properties(system, cfg, None) if isinstance(p, Recovery | AfterAction)]


@needs_compiler
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_strong_components_are_scipys(cfg: Config) -> None:
    graph = _compiled_graph(cfg)
    algo = graphalgo.load()
    assert algo is not None
    n = len(graph.states)
    rng = np.random.default_rng(11)
    bits = np.zeros(len(graph.system.commands), dtype=np.int64)
    for share in (1.0, 0.8, 0.5):
        allowed = np.zeros(n, dtype=np.uint8)
        allowed[: graph.expanded] = rng.random(graph.expanded) < share
        label, _ = algo.fair(graph.offsets, graph.dst, graph.cmd, bits, allowed)
        src = np.repeat(np.arange(graph.expanded), np.diff(np.asarray(graph.offsets)))
        dst = np.asarray(graph.dst)
        keep = allowed[src].astype(bool) & allowed[dst].astype(bool)
        m = csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n))
        _, theirs = connected_components(m, directed=True, connection="strong")
        inside = np.flatnonzero(allowed)
        assert (label[allowed == 0] == -1).all() and (label[inside] >= 0).all()
        # the same partition: each of our components is one of theirs and the other way round
        pairs = set(zip(label[inside].tolist(), theirs[inside].tolist(), strict=True))
        assert len(pairs) == len(set(label[inside].tolist())) == len(set(theirs[inside].tolist()))


@needs_compiler
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_the_fair_components_and_deadlocks_of_every_goal_are_the_scalar_ones(cfg: Config) -> None:
    graph = _compiled_graph(cfg)
    fast = VectorAnalysis(graph)
    slow = GraphAnalysis(explore(dhcp_system(cfg)))
    goals = _goals(cfg)
    assert goals
    found = 0
    for goal in goals:
        escape = fast.fair_escape(goal)
        assert isinstance(escape, VectorEscape)  # the C form ran
        _, fair, deadlocks = slow.fair_components(goal)
        assert {frozenset(c) for c in escape.fair} == {frozenset(c) for c in fair}
        assert escape.deadlocks == sorted(deadlocks)
        assert escape.marks() == slow.fair_escape(goal).marks()
        found += len(fair) + len(deadlocks)
        if fair or deadlocks:
            assert escape.first() == slow.fair_escape(goal).first()
    if cfg.variant == "nt35" and cfg.deletes:
        assert found  # the deleted-lease deadlock gives fair components to compare


def _fair_by_definition(n: int, expanded: int, offsets: np.ndarray, dst: np.ndarray, cmd: np.ndarray,
                        bits: np.ndarray, allowed: np.ndarray) -> tuple[set[frozenset[int]], set[int]]:
    """The fair components and deadlocks of the allowed subgraph, read off the definition: a
    strong component (scipy's) with an inner edge where every instance enabled in all its states
    is taken on an inner edge; a deadlock, an allowed state without out-edges."""
    src = np.repeat(np.arange(expanded), np.diff(offsets))
    keep = allowed[src].astype(bool) & allowed[dst].astype(bool)
    m = csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n))
    _, comp = connected_components(m, directed=True, connection="strong")
    fair = set()
    for c in set(comp[allowed == 1].tolist()):
        members = [v for v in range(n) if allowed[v] and comp[v] == c]
        everywhere = -1
        for v in members:
            everywhere &= int(np.bitwise_or.reduce(bits[cmd[offsets[v]:offsets[v + 1]]], initial=0))
        inner = [e for e in range(offsets[-1]) if keep[e] and comp[src[e]] == c and comp[dst[e]] == c]
        taken = int(np.bitwise_or.reduce(bits[cmd[inner]], initial=0)) if inner else 0
        if inner and everywhere & ~taken == 0:
            fair.add(frozenset(members))
    deadlocks = {v for v in range(expanded) if allowed[v] and offsets[v] == offsets[v + 1]}
    return fair, deadlocks


@needs_compiler
@pytest.mark.parametrize("seed", range(40))
def test_on_random_graphs_the_fair_components_are_the_definitions(seed: int) -> None:
    algo = graphalgo.load()
    assert algo is not None
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    expanded = int(rng.integers(0, n + 1))
    degree = rng.integers(0, 4, size=expanded)
    offsets = np.concatenate([[0], np.cumsum(degree)]).astype(np.int64)
    # edges mostly to near states, so that there are components of several states
    dst = np.clip(np.repeat(np.arange(expanded), degree) + rng.integers(-4, 5, size=int(offsets[-1])), 0, n - 1).astype(np.int32)
    cmd = rng.integers(0, 6, size=int(offsets[-1])).astype(np.int32)
    bits = np.array([1, 2, 4, 0, 1, 8], dtype=np.int64)
    allowed = np.zeros(n, dtype=np.uint8)
    allowed[:expanded] = rng.random(expanded) < 0.85
    label, flags = algo.fair(array("q", offsets.tobytes()), array("i", dst.tobytes()), array("i", cmd.tobytes()), bits, allowed)
    fair, deadlocks = _fair_by_definition(n, expanded, offsets, dst, cmd, bits, allowed)
    got = {frozenset(np.flatnonzero((label == c) & (flags == 1)).tolist()) for c in set(label[flags == 1].tolist())}
    assert got == fair
    assert set(np.flatnonzero(flags == 2).tolist()) == deadlocks
    assert set(np.flatnonzero(label == -1).tolist()) == set(np.flatnonzero(allowed == 0).tolist())


@needs_compiler
def test_backward_reachability_is_the_scalar_ones() -> None:
    cfg = Config(clients=2, addresses=1, variant="nt35", deletes=1, losses=1, reboots=0, restart=True)
    graph = _compiled_graph(cfg)
    fast = VectorAnalysis(graph)
    slow = GraphAnalysis(explore(dhcp_system(cfg)))
    n = len(graph.states)
    rng = np.random.default_rng(5)
    for _ in range(6):
        targets = bytearray((rng.random(n) < 0.01).astype(np.uint8).tobytes())
        allowed = bytearray((rng.random(n) < 0.7).astype(np.uint8).tobytes())
        skip = set(rng.choice(len(graph.system.commands), size=4, replace=False).tolist())
        assert fast.backward_marked(targets) == slow.backward_marked(targets)
        assert fast.backward_marked(targets, allowed, skip) == slow.backward_marked(targets, allowed, skip)
        listed = [i for i, t in enumerate(targets) if t]
        assert fast.backward(listed, allowed, skip) == slow.backward(listed, allowed, skip)


@needs_compiler
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_every_property_is_decided_on_the_compiled_graph_as_on_the_scalar_one(cfg: Config) -> None:
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, None)
    reference = GraphAnalysis(explore(system))
    fast = VectorAnalysis(_compiled_graph(cfg))
    assert [decide(fast, p) for p in props] == [decide(reference, p) for p in props]


@pytest.mark.parametrize("cfg", CONFIGS[:5], ids=str)
def test_without_c_the_numpy_analyses_decide_the_same(cfg: Config) -> None:
    system = dhcp_system(cfg)
    props = dhcp_properties(system, cfg, None)
    reference = GraphAnalysis(explore(system))
    numpy_only = VectorAnalysis(explore(system), in_c=False)
    assert numpy_only.algo is None
    assert [decide(numpy_only, p) for p in props] == [decide(reference, p) for p in props]


def test_without_a_compiler_nothing_is_loaded(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), compiled.CACHE_ENV: str(tmp_path / "empty")}
    assert graphalgo.load(env) is None
