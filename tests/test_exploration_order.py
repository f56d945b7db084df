"""One order of exploration, the model's (docs/model.md, "The order of exploration"): every
explorer numbers the states alike, picks the same parents, and so shows the same counterexample.

The order: states are expanded in the order they are numbered, the initial state first; a
state's successors come in the order of the guarded commands; a state new to the search gets
the next number and its parent is the state (and command) that reached it first. The reference
search below is that sentence, over the reference interpreter.
"""

from __future__ import annotations

import itertools
import json
from collections import deque

import numpy as np
import pytest

from leasecheck import Config, check
from leasecheck.checker.explicit.explore import Limits, StateGraph, explore
from leasecheck.checker.explicit.keytable import KeyTable
from leasecheck.checker.explicit.vexplore import explore_vector
from leasecheck.checker.render.jsondoc import run_json
from leasecheck.model import interp
from leasecheck.model.dhcp import dhcp_system
from leasecheck.properties.dhcp import PROPERTY_NAMES


def model_order(cfg: Config) -> tuple[list[tuple[int, ...]], list[int], list[int], list[tuple[int, int]]]:
    """States, parents, parent commands and edges (state, command) in the order the model defines."""
    system = dhcp_system(cfg)
    number = {system.initial: 0}
    states, parent, parent_cmd, edges = [system.initial], [-1], [-1], []
    queue = deque([0])
    while queue:
        i = queue.popleft()
        for k, nxt in interp.successors(system, states[i]):  # in command order
            if nxt not in number:
                number[nxt] = len(states)
                states.append(nxt)
                parent.append(i)
                parent_cmd.append(k)
                queue.append(number[nxt])
            edges.append((number[nxt], k))
    return states, parent, parent_cmd, edges


def graph_order(graph: StateGraph) -> tuple[list[tuple[int, ...]], list[int], list[int], list[tuple[int, int]]]:
    return list(graph.states), list(graph.parent), list(graph.parent_cmd), list(zip(graph.dst, graph.cmd, strict=True))


SMALL = [Config(clients=c, addresses=a, variant=v, deletes=d, losses=loss, reboots=r, restart=restart)
         for v, (c, a), d, loss, r, restart in itertools.product(
             ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative"), ((1, 1), (1, 2), (2, 1)), (0, 1), (0, 1), (0, 1), (False, True))
         if not (loss and r)]


@pytest.mark.parametrize("cfg", [*SMALL[::9], pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0),
                                                           marks=pytest.mark.sweep)], ids=str)
def test_both_explorers_number_the_states_in_the_models_order(cfg: Config) -> None:
    expected = model_order(cfg)
    system = dhcp_system(cfg)
    assert graph_order(explore(system)) == expected
    assert graph_order(explore_vector(system)) == expected


@pytest.mark.parametrize("limit", [1, 7, 100, 1000])
def test_a_state_limit_keeps_the_same_first_states_in_both_explorers(limit: int) -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt40"))
    scalar, vector = explore(system, Limits(max_states=limit)), explore_vector(system, Limits(max_states=limit))
    assert list(scalar.states) == list(vector.states)
    assert list(scalar.parent) == list(vector.parent) and list(scalar.parent_cmd) == list(vector.parent_cmd)


def without_timings(document: dict) -> dict:
    """A ``--format json`` document with the run's seconds taken out."""
    text = json.dumps(document, sort_keys=True)
    data = json.loads(text)

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


@pytest.mark.parametrize("cfg", [
    Config(clients=1, addresses=1, variant="nt35"), Config(clients=1, addresses=1, variant="nt35", losses=1), Config(clients=1, addresses=1, variant="rfc2131", reboots=1),
    Config(clients=2, addresses=2, variant="nt35"), Config(clients=2, addresses=1, variant="nt40"), Config(clients=2, addresses=2, variant="dnsmasq", restart=True),
    Config(clients=1, addresses=2, variant="authoritative", deletes=1, losses=1, reboots=0, restart=True), Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=0),
], ids=str)
def test_both_explorers_give_the_same_json_counterexamples_and_all(cfg: Config) -> None:
    names = [n for n in PROPERTY_NAMES if cfg.restart or n != "kb_restart_workaround"]
    scalar = run_json(check(cfg, properties=names, explorer="scalar"))
    vector = run_json(check(cfg, properties=names, explorer="vector"))
    assert any(r["trace"] for r in vector["results"])
    assert without_timings(scalar) == without_timings(vector)


def test_the_readmes_deadlock_deletes_the_lease_during_the_renewal_whatever_the_explorer() -> None:
    for explorer in ("vector", "scalar"):
        (result,) = check(Config(variant="nt35"), properties=["recovery"], explorer=explorer).report.results
        assert result.trace is not None
        actions = [s.instance for s in result.trace.steps[1:]]
        assert actions.index("AdminDelete(0)") == actions.index("T1(0)") + 1  # step 7, right after T1


def test_a_key_twice_in_one_batch_is_introduced_by_its_first_row() -> None:
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 40, size=(5000, 1)).astype(np.uint64)
    table = KeyTable(1)
    added = table.find_or_add(keys)
    first_rows = {}
    for row, key in enumerate(keys[:, 0].tolist()):
        first_rows.setdefault(key, row)
    assert added.first.tolist() == sorted(first_rows.values())
    assert table.stored()[:, 0].tolist() == [keys[r, 0] for r in sorted(first_rows.values())]
