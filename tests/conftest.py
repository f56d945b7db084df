"""Shared fixtures: explored graphs are cached per configuration for the whole test run."""

from __future__ import annotations

import os
from functools import cache

import pytest
from hypothesis import settings

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system


@cache
def analysis(cfg: Config) -> GraphAnalysis:
    return GraphAnalysis(explore(dhcp_system(cfg)))


# CI runs a fixed sequence of examples (reproducible); local runs explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The ``long`` tests run only when a ``-m`` expression names them (``-m long``), so that any
    other selection, such as ``-m "not slow"``, leaves them out. Then the slow tests first (a stable
    sort, the longest of them, marked ``slow(first=True)``, before the rest), so that with ``-n auto``
    they start at once and the short ones fill in around them, instead of one slow test running
    alone at the end."""
    if "long" not in (config.getoption("markexpr") or ""):
        long = [item for item in items if item.get_closest_marker("long") is not None]
        if long:
            config.hook.pytest_deselected(items=long)
            items[:] = [item for item in items if item.get_closest_marker("long") is None]
    items.sort(key=_order)


def _order(item: pytest.Item) -> tuple[bool, bool]:
    """Slow tests before the others; among them those marked ``slow(first=True)`` first."""
    slow = item.get_closest_marker("slow")
    return slow is None, slow is None or not slow.kwargs.get("first", False)
