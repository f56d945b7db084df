"""Checking the claims catalogue of :mod:`properties.claims` and rendering it.

Each configuration is explored once and every claim about it is decided on that graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from model.dhcp import Config, dhcp_system
from model.lang import System
from properties.claims import Claim, catalogue
from properties.dhcp import dhcp_properties
from properties.spec import Verdict

from .analysis import GraphAnalysis
from .decide import decide
from .explicit import explore
from .render_json import config_json, result_json
from .render_text import table
from .results import CheckResult, combine


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    computed: Verdict
    results: tuple[CheckResult, ...]
    states: int

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
) -> ClaimsReport:
    """Decide every claim; ``system_of`` builds the model (tests pass deliberately broken ones)."""
    start = time.perf_counter()
    claims = catalogue() if claims is None else claims
    analyses: dict[Config, GraphAnalysis] = {}
    out = []
    for claim in claims:
        cfg = claim.config
        if cfg not in analyses:
            analyses[cfg] = GraphAnalysis(explore(system_of(cfg)))
        an = analyses[cfg]
        props = dhcp_properties(an.graph.system, cfg, [claim.property])
        results = tuple(decide(an, p) for p in props)
        computed = combine([r.verdict for r in results])
        out.append(ClaimResult(claim, computed, results, len(an.graph.states)))
    return ClaimsReport(tuple(out), time.perf_counter() - start)


def render_claims_text(report: ClaimsReport) -> str:
    rows = []
    for r in report.results:
        c = r.claim.config
        rows.append([
            r.claim.property, c.variant, f"{c.clients}x{c.addresses}", str(c.deletes),
            "on" if c.restart else "off", f"{r.states:,}", str(r.claim.expected), str(r.computed),
            "ok" if r.ok else "MISMATCH", r.claim.source,
        ])
    headers = ["claim", "variant", "size", "D", "restart", "states", "expected", "computed", "", "why"]
    good = sum(r.ok for r in report.results)
    tail = (
        f"\n{good} of {len(report.results)} claims computed as expected in {report.seconds:.1f} s"
        + ("" if report.ok else "; the MISMATCH rows are wrong")
    )
    intro = (
        "leasecheck claims: KB Q130220 and SEMANTICS.md section 6, decided by the explicit engine.\n"
        "Reachability claims hold when the state is reachable; per-client claims hold for every client.\n\n"
    )
    return intro + table(headers, rows) + tail + "\n"


def claims_json(report: ClaimsReport) -> dict[str, Any]:
    out = []
    for r in report.results:
        system = dhcp_system(r.claim.config)
        out.append({
            "property": r.claim.property,
            "config": config_json(r.claim.config),
            "expected": str(r.claim.expected),
            "computed": str(r.computed),
            "ok": r.ok,
            "source": r.claim.source,
            "states": r.states,
            "results": [result_json(system, x) for x in r.results],
        })
    return {"ok": report.ok, "seconds": round(report.seconds, 3), "claims": out}
