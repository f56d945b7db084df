"""Shared fixtures: explored graphs are cached per configuration for the whole test run."""

from __future__ import annotations

from functools import cache

from checker.analysis import GraphAnalysis
from checker.explicit import explore
from model.dhcp import Config, dhcp_system


@cache
def analysis(cfg: Config) -> GraphAnalysis:
    return GraphAnalysis(explore(dhcp_system(cfg)))
