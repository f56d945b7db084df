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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (a stable sort), so that with ``-n auto`` the long ones start at once
    and the short ones fill in around them, instead of one long test running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
