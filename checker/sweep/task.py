"""The work of one sweep point: plain data in, plain data out, so that any executor can ship it.

:func:`run_point` decides the general properties of one configuration with the explicit engine
(through :func:`leasecheck.checker.run.run_check`, like every other caller; the compiled explorer
for a point explored up to symmetry, the vector one for a smaller point) and, when the point
has deletes and is explored whole, how many lease timer events client 0 needs to hold a lease
again after its lease is deleted (:func:`leasecheck.checker.explicit.timeline.recovery_after_delete`).
A point that fails with an error of leasecheck's own comes back as a failed record rather than
ending the sweep.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from leasecheck.checker.explicit.timeline import recovery_after_delete
from leasecheck.checker.results import Verdict, combine
from leasecheck.checker.run import CheckOptions, run_check
from leasecheck.checker.sweep.grid import Point
from leasecheck.properties.dhcp import dhcp_model

#: The properties every point decides: those that apply to every policy.
PROPERTIES = ("recovery", "recoverable", "no_duplicate_address", "single_binding")

#: The recovery latency is measured on the whole graph, so only up to this many client x address pairs.
LATENCY_UP_TO = 4


def run_point(point: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    """Decide one point. ``limits``: ``timeout`` (seconds), ``max_states``, ``max_memory`` (MB), each may be None."""
    p = Point.from_dict(point)
    started = time.perf_counter()
    try:
        return {"key": p.key, "point": p.as_dict(), "status": "done", **_decide(p, limits),
                "seconds": round(time.perf_counter() - started, 3)}
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug: recorded, and the sweep goes on
        return {"key": p.key, "point": p.as_dict(), "status": "failed",
                "error": f"{type(exc).__name__}: {exc}", "detail": traceback.format_exc(limit=8),
                "seconds": round(time.perf_counter() - started, 3)}


def _decide(p: Point, limits: dict[str, Any]) -> dict[str, Any]:
    cfg = p.config()
    # the compiled explorer where it pays: a point explored up to symmetry (3x3 and larger); a
    # smaller one explores in less time than the C compiler takes to build its search (about
    # 0.3 s at 2x2, once per model), which a sweep of a thousand points would pay a thousand times
    explorer = "compiled" if p.symmetry else "vector"
    options = CheckOptions(properties=PROPERTIES, explorer=explorer, symmetry=p.symmetry, timeout=limits.get("timeout"),
                           max_states=limits.get("max_states"), max_memory=limits.get("max_memory"))
    run = run_check(dhcp_model(cfg), options)
    report = run.report
    verdicts: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for name in PROPERTIES:
        results = [r for r in report.results if r.property == name]
        verdict = combine([r.verdict for r in results]) if results else Verdict.UNKNOWN
        verdicts[name] = verdict.value
        if verdict is not Verdict.HOLDS:
            reasons[name] = next((r.reason for r in results if r.verdict is verdict), "not decided")
    latency, note = _latency(p, report.stats.complete)
    return {"verdicts": verdicts, "reasons": reasons, "states": report.stats.states,
            "transitions": report.stats.transitions, "complete": report.stats.complete,
            "stop_reason": report.stats.stop_reason, "latency": latency, "latency_note": note}


def _latency(p: Point, complete: bool) -> tuple[int | None, str]:
    """Lease timer events from the delete until client 0 holds a lease again, and what the figure means."""
    if p.deletes < 1:
        return None, "no delete in this configuration"
    if p.symmetry or p.clients * p.addresses > LATENCY_UP_TO:
        return None, f"measured only on whole graphs up to {LATENCY_UP_TO} client x address pairs"
    if not complete:
        return None, "the exploration was cut short"
    run = recovery_after_delete(dhcp_model(p.config()), 0)
    if run.timer_events is None:
        return None, "never: no run of the protocol's own actions gets the lease back"
    return run.timer_events, f"recovers after {run.timer_events} lease timer event(s): {run.answer}"
