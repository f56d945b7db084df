"""Deciding the claims catalogue of :mod:`leasecheck.properties.claims` (rendered by :mod:`leasecheck.checker.render.claims`).

Each configuration is explored once and every claim about it is decided on that graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.compiled import prebuild
from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.explicit.engine import analysed
from leasecheck.checker.explicit.explore import DEFAULT_EXPLORER
from leasecheck.checker.results import CheckResult, combine
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.lang import System
from leasecheck.properties.claims import Claim, catalogue
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Verdict


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    computed: Verdict
    results: tuple[CheckResult, ...]
    states: int
    #: the model of the claim's configuration, as renderers read it
    model: Model

    @property
    def ok(self) -> bool:
        return self.computed is self.claim.expected


@dataclass(frozen=True)
class ClaimsReport:
    results: tuple[ClaimResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def check_claims(
    claims: tuple[Claim, ...] | None = None,
    system_of: Callable[[Config], System] = dhcp_system,
    explorer: str = DEFAULT_EXPLORER,
) -> ClaimsReport:
    """Decide every claim; ``system_of`` builds the model (tests pass deliberately broken ones)."""
    start = time.perf_counter()
    claims = catalogue() if claims is None else claims
    systems = {cfg: system_of(cfg) for cfg in dict.fromkeys(c.config for c in claims)}
    if explorer == "compiled":
        prebuild(list(systems.values()))
    analyses: dict[Config, GraphAnalysis] = {}
    out = []
    for claim in claims:
        cfg = claim.config
        if cfg not in analyses:
            analyses[cfg] = analysed(systems[cfg], explorer=explorer)[1]
        an = analyses[cfg]
        props = dhcp_properties(an.graph.system, cfg, [claim.property])
        results = tuple(decide(an, p) for p in props)
        computed = combine([r.verdict for r in results])
        out.append(ClaimResult(claim, computed, results, len(an.graph.states), dhcp_model(cfg)))
    return ClaimsReport(tuple(out), time.perf_counter() - start)
