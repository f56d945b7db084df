"""JUnit XML for the claims catalogue, so that CI systems show each claim as a test case.

One ``<testcase>`` per claim row (a property at one configuration). A row whose computed verdict
differs from the expected one is a ``<failure>`` whose text is the verdict table and any trace;
traces of rows that came out as expected go to ``<system-out>`` so the refutations stay readable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from leasecheck.checker.claims import ClaimResult, ClaimsReport
from leasecheck.checker.cli.outputs import OutputError
from leasecheck.checker.render.text import render_result_trace


def case_name(r: ClaimResult) -> str:
    c = r.claim.config
    return f"{r.claim.property} {c.variant} {c.clients}x{c.addresses} D={c.deletes}{' restart' if c.restart else ''}"


def _details(r: ClaimResult) -> str:
    lines = [f"expected {r.claim.expected}, computed {r.computed} ({r.claim.source}); {r.states:,} states"]
    for x in r.results:
        who = "" if x.client is None else f" client {x.client}"
        lines.append(f"{x.property}{who}: {x.verdict}: {x.reason}")
    for x in r.results:
        if x.trace is not None:
            lines += ["", render_result_trace(r.model, x)]
    return "\n".join(lines) + "\n"


def claims_junit(report: ClaimsReport) -> ET.Element:
    """The report as a ``<testsuites>`` element with one suite, ``leasecheck.claims``."""
    failures = sum(not r.ok for r in report.results)
    root = ET.Element("testsuites", name="leasecheck", tests=str(len(report.results)),
                      failures=str(failures), time=f"{report.seconds:.3f}")
    suite = ET.SubElement(root, "testsuite", name="leasecheck.claims", tests=str(len(report.results)),
                          failures=str(failures), errors="0", skipped="0", time=f"{report.seconds:.3f}")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=f"leasecheck.claims.{r.claim.config.variant}",
                             name=case_name(r), time="0")
        if r.ok:
            if any(x.trace is not None for x in r.results):
                ET.SubElement(case, "system-out").text = _details(r)
        else:
            fail = ET.SubElement(case, "failure", type="VerdictMismatch",
                                 message=f"expected {r.claim.expected}, computed {r.computed}")
            fail.text = _details(r)
    return root


def write_junit(report: ClaimsReport, path: Path) -> None:
    """Write the report to ``path`` whole (a temporary file renamed when complete) or not at all."""
    from leasecheck.checker.render.files import atomic_file

    tree = ET.ElementTree(claims_junit(report))
    ET.indent(tree)
    try:
        with atomic_file(path, binary=True) as f:
            tree.write(f, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
