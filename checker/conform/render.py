"""Rendering conformance results: one case in detail, a server x client table, or JSON; a capture
judged client by client with its findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leasecheck.checker.conform.classify import Observed
from leasecheck.checker.conform.perclient import PerClientReport
from leasecheck.checker.conform.report import CaseReport
from leasecheck.checker.conform.validate import Delete, VariantResult
from leasecheck.checker.render.text import table


def _arrow(o: Observed) -> str:
    return f"client {o.client} → server" if o.direction == "to server" else f"server → client {o.client}"


def _verdict(r: VariantResult) -> str:
    if r.consistent:
        return "consistent" + (f" (with {r.losses_used} lost message{'s' if r.losses_used != 1 else ''})"
                               if r.losses_used else "")
    return f"inconsistent at message {r.matched + 1}: {r.reason}"


def consistent_summary(case: CaseReport) -> str:
    parts = []
    for r in case.validation.results:
        if r.consistent:
            parts.append(r.variant + (f" ({r.losses_used} loss)" if r.losses_used else ""))
    return ", ".join(parts) if parts else "none"


def after_delete_text(case: CaseReport) -> str:
    seq = [str(o.message).replace(",0)", ")").replace("(0)", "") if len(case.classified.addresses) == 1
           else str(o.message) for o in case.after_delete]
    return " → ".join(seq) if seq else "-"


def render_case(case: CaseReport) -> str:
    cfg = case.validation.config
    lines = [f"conformance: {case.label}",
             f"model: {cfg.clients} client(s), {cfg.addresses} address(es), deletes {cfg.deletes}, "
             f"losses at most {cfg.losses}, client NAK handling {cfg.client_nak}"]
    for i, mac in enumerate(case.classified.clients):
        lines.append(f"  client {i} = {mac}")
    for i, ip in enumerate(case.classified.addresses):
        lines.append(f"  address {i} = {ip}")
    lines += ["", "observed (retransmissions folded into the first copy):"]
    rows = []
    for k, e in enumerate(case.events, start=1):
        if isinstance(e, Delete):
            t = "" if e.time is None else f"{e.time - case.start_time:.3f}"
            rows.append([str(k), "-", t, "admin", str(e), "given by the run or the user"])
        else:
            again = f" (+{len(e.folded)} again)" if e.folded else ""
            rows.append([str(k), str(e.number), f"{e.time - case.start_time:.3f}", _arrow(e), str(e.message) + again, e.why])
    lines.append(table(["#", "packet", "time", "direction", "message", "classified by"], rows))
    for note in case.classified.ignored:
        lines.append(f"  left out: {note}")
    rebind = case.seconds_to_rebind
    lines.append("")
    lines.append(f"after the delete: {after_delete_text(case)}")
    lines.append("time to rebind: " + ("not bound again in the capture" if rebind is None else f"{rebind:.2f} s"))
    lines += ["", table(["variant", "verdict"], [[r.variant, _verdict(r)] for r in case.validation.results]), ""]
    for r in case.validation.results:
        if r.consistent:
            lines.append(f"a matching run of {r.variant}: {' '.join(r.witness)}")
    lines.append("")
    lines.append(f"consistent with: {consistent_summary(case)}")
    if case.telling_apart:
        lines.append(f"  (these answer differently only to {' or '.join(case.telling_apart)} for a deleted lease, "
                     "which this capture does not contain after the delete)")
    return "\n".join(lines) + "\n"


def render_table(cases: Sequence[tuple[str, str, CaseReport]]) -> str:
    rows = []
    for server, client, case in cases:
        rebind = case.seconds_to_rebind
        rows.append([server, client, after_delete_text(case), "-" if rebind is None else f"{rebind:.1f}",
                     consistent_summary(case)])
    return table(["server", "client", "observed after the delete", "rebind (s)", "consistent variants"], rows) + "\n"


def case_json(case: CaseReport) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    for e in case.events:
        if isinstance(e, Delete):
            events.append({"event": "delete", "time": e.time})
        else:
            events.append({"event": "message", "packet": e.number, "time": e.time, "client": e.client,
                           "direction": e.direction, "message": str(e.message), "classified_by": e.why,
                           "retransmissions": list(e.folded)})
    cfg = case.validation.config
    return {
        "label": case.label,
        "clients": list(case.classified.clients),
        "addresses": list(case.classified.addresses),
        "losses": cfg.losses,
        "client_nak": cfg.client_nak,
        "events": events,
        "after_delete": [str(o.message) for o in case.after_delete],
        "seconds_to_rebind": case.seconds_to_rebind,
        "variants": [{"variant": r.variant, "consistent": r.consistent, "matched": r.matched, "reason": r.reason,
                      "losses_used": r.losses_used, "witness": list(r.witness)} for r in case.validation.results],
        "consistent_variants": list(case.validation.consistent_variants),
        "undecided_by": list(case.telling_apart),
        "judged": "whole",
    }


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "es" if what.endswith("s") else "s")


#: the findings a text report lists (JSON lists every one kept)
SHOWN_FINDINGS = 50


def _variant_verdict(report: PerClientReport, variant: str) -> str:
    n = report.deviant.get(variant, 0)
    if n == 0:
        return "consistent: every client's messages fit its view of the model, and no address is committed twice"
    found = sum(1 for f in report.findings if variant in f.variants)
    return f"{n:,} client{'s' if n != 1 else ''} deviate ({found:,} finding{'s' if found != 1 else ''})"


def render_per_client(report: PerClientReport) -> str:
    """A capture judged client by client: the verdict per variant, then the findings, each with the
    client, the packet and a display filter that shows it in Wireshark."""
    lines = [f"conformance, client by client: {report.label}",
             f"{report.packets:,} packets read ({', '.join(report.sources)}): {report.messages:,} DHCP messages "
             f"(retransmissions folded) of {_count(report.clients, 'client')}, {_count(report.addresses, 'address')}; "
             f"judged in {report.seconds:.2f} s"]
    if report.delete_time is not None:
        lines.append(f"the administrator's delete: at {report.delete_time - report.start_time:.3f} s "
                     "(given by the run or the user)")
    else:
        lines.append("the administrator's delete: not given (the model may delete "
                     + ("one lease at any moment)" if report.delete_budget == 1 else
                        f"up to {report.delete_budget} leases at any moment in each client's view)"))
    if report.left_out_count:
        lines.append(f"left out: {report.left_out_count:,} DHCP messages the model has no counterpart for"
                     + (f" (first: {report.left_out[0]})" if report.left_out else ""))
    lines += ["", table(["variant", "verdict"], [[v, _variant_verdict(report, v)] for v in report.variants]), ""]
    if report.findings:
        shown = report.findings[:SHOWN_FINDINGS]
        total = len(report.findings) + report.findings_dropped
        lines.append(f"findings ({len(shown):,} of {total:,}" + ("; --format json lists every one kept)"
                                                              if total > len(shown) else ")") + ":")
        for f in shown:
            t = f.time - report.start_time
            where = f"{f.source} packet {f.number}" if len(report.sources) > 1 else f"packet {f.number}"
            lines.append(f"  {where} at {t:.3f} s, client {f.mac}: {f.message}"
                         + (f" {f.direction}" if f.direction != "admin" else "")
                         + f" [{', '.join(f.variants) if len(f.variants) < len(report.variants) else 'every variant'}]")
            lines.append(f"    {f.reason}")
            lines.append(f"    wireshark: {f.display_filter}")
        lines.append("")
    consistent = report.consistent_variants
    lines.append(f"consistent with: {', '.join(consistent) if consistent else 'none'}")
    return "\n".join(lines) + "\n"


def per_client_json(report: PerClientReport) -> dict[str, Any]:
    return {
        "label": report.label,
        "judged": "per-client",
        "sources": list(report.sources),
        "packets": report.packets,
        "messages": report.messages,
        "clients": report.clients,
        "addresses": report.addresses,
        "delete_time": report.delete_time,
        "seconds": report.seconds,
        "variants": [{"variant": v, "consistent": report.deviant.get(v, 0) == 0,
                      "deviant_clients": report.deviant.get(v, 0)} for v in report.variants],
        "consistent_variants": list(report.consistent_variants),
        "findings": [{"variants": list(f.variants), "kind": f.kind, "source": f.source, "packet": f.number,
                      "time": f.time, "client_mac": f.mac, "message": f.message, "direction": f.direction,
                      "reason": f.reason, "display_filter": f.display_filter} for f in report.findings],
        "findings_not_kept": report.findings_dropped,
        "left_out": report.left_out_count,
    }
