"""The claims catalogue's results as terminal text and as JSON."""

from __future__ import annotations

from typing import Any

from leasecheck.checker.claims import ClaimsReport
from leasecheck.checker.render.jsondoc import config_json, result_json
from leasecheck.checker.render.text import table


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
        "leasecheck claims: KB Q130220 and the model's expected verdicts (docs/model.md), decided by the explicit engine.\n"
        "Reachability claims hold when the state is reachable; per-client claims hold for every client.\n\n"
    )
    return intro + table(headers, rows) + tail + "\n"


def claims_json(report: ClaimsReport) -> dict[str, Any]:
    out = []
    for r in report.results:
        system = r.model.system
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
