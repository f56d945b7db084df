"""Shared fixtures: explored graphs are cached per configuration for the whole test run."""

from __future__ import annotations

import os
from functools import cache

from hypothesis import settings

from checker.analysis import GraphAnalysis
from checker.explicit import explore
from model.dhcp import Config, dhcp_system


@cache
def analysis(cfg: Config) -> GraphAnalysis:
    return GraphAnalysis(explore(dhcp_system(cfg)))


# CI runs a fixed sequence of examples (reproducible); local runs explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
