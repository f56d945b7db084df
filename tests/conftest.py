"""Shared fixtures: explored graphs are cached per configuration for the whole test run."""

from __future__ import annotations

import os
import re
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


#: the named tiers: a test marked with one runs only when a ``-m`` expression names it (``-m sweep``,
#: ``-m "sweep or proofs"``), so the README's test command, and any other selection such as
#: ``-m "not slow"``, leaves it out; a test marked with none of them is in the default tier
TIERS = ("sweep", "live", "proofs", "long")


def named_tiers(markexpr: str) -> set[str]:
    """The tiers a ``-m`` expression names, as whole words (``-m "not long"`` names ``long`` too:
    it then selects among the long tests as any expression does)."""
    return {tier for tier in TIERS if re.search(rf"\b{tier}\b", markexpr)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests of a named tier run only when a ``-m`` expression names that tier; those of the
    ``long`` tier, for instance, only under ``-m long``. Then the slow tests first (a stable sort,
    the longest of them, marked ``slow(first=True)``, before the rest), so that with ``-n auto``
    they start at once and the short ones fill in around them, instead of one slow test running
    alone at the end."""
    named = named_tiers(config.getoption("markexpr") or "")
    left_out = [item for item in items if _tiers(item) - named]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _tiers(item) - named]
    items.sort(key=_order)


def _tiers(item: pytest.Item) -> set[str]:
    return {tier for tier in TIERS if item.get_closest_marker(tier) is not None}


def _order(item: pytest.Item) -> tuple[bool, bool]:
    """Slow tests before the others; among them those marked ``slow(first=True)`` first."""
    slow = item.get_closest_marker("slow")
    return slow is None, slow is None or not slow.kwargs.get("first", False)
