"""State-graph pictures: the stuck region and the fair loop of NT 3.5, none for NT 4.0."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.render.stategraph import GraphTooLarge, GraphWords, state_graph_view
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp import GRAPH_WORDS, dhcp_model


def test_nt35_has_a_stuck_region_that_contains_the_fair_loop() -> None:
    view = state_graph_view(dhcp_model(Config(variant="nt35")))
    assert view.stuck and view.loop
    assert {u for u, _ in view.loop} <= view.stuck
    assert not view.stuck & view.holding
    assert view.initial not in view.stuck


def test_nt40_has_no_stuck_state_and_no_fair_loop_avoiding_holds() -> None:
    view = state_graph_view(dhcp_model(Config(variant="nt40")))
    assert view.stuck == frozenset() and view.loop == ()
    assert view.holding


def test_large_configurations_are_refused() -> None:
    with pytest.raises(GraphTooLarge, match="too many to draw; try fewer clients, addresses or deletes"):
        state_graph_view(dhcp_model(Config(clients=2, addresses=2)), max_states=100, words=GraphWords(**GRAPH_WORDS))


def test_graph_command_writes_an_svg(tmp_path: Path) -> None:
    path = tmp_path / "g.svg"
    err = io.StringIO()
    assert main(["graph", "--variant", "nt35", "--out", str(path)], io.StringIO(), err) == 0
    assert path.read_text().lstrip().startswith("<?xml") and "stuck" in err.getvalue()
    err = io.StringIO()
    assert main(["graph", "--clients", "3", "--addresses", "3", "--out", str(path)], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1
