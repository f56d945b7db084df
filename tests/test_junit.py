"""CI reports: `leasecheck claims --junit FILE` writes one JUnit test case per claim row."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from leasecheck.checker.claims import check_claims
from leasecheck.checker.cli.main import main
from leasecheck.checker.render.junit import case_name, claims_junit
from leasecheck.properties.claims import catalogue
from leasecheck.properties.spec import Verdict

SMALL = catalogue(sizes=((1, 1),))


def test_claims_junit_has_one_test_case_per_claim_row(tmp_path: Path) -> None:
    path = tmp_path / "claims.xml"
    out, err = io.StringIO(), io.StringIO()
    assert main(["claims", "--junit", str(path)], out, err) == 0
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(catalogue())
    assert len({c.get("name") for c in cases}) == len(cases)
    assert suite.get("failures") == "0" and not suite.findall("testcase/failure")


def test_a_refuted_claim_carries_its_counterexample_as_text() -> None:
    root = claims_junit(check_claims(SMALL))
    case = next(c for c in root.iter("testcase") if c.get("name") == "recovery nt35 1x1 D=1")
    text = case.findtext("system-out") or ""
    assert "violated" in text and "AdminDelete(0)" in text and "repeat forever" in text


def test_a_claim_computed_otherwise_than_expected_is_a_failure_with_the_trace() -> None:
    wrong = tuple(replace(c, expected=Verdict.HOLDS) if c.property == "recovery" and c.config.variant == "nt35"
                  and c.config.deletes == 1 else c for c in SMALL)
    root = claims_junit(check_claims(wrong))
    failures = [(c.get("name"), c.find("failure")) for c in root.iter("testcase") if c.find("failure") is not None]
    assert [name for name, _ in failures] == ["recovery nt35 1x1 D=1"]
    failure = failures[0][1]
    assert failure is not None
    assert failure.get("message") == "expected holds, computed violated"
    assert "ServeRequest(0) [REQUEST(RENEWING,0): silent: stale record]" in (failure.text or "")
    assert root.get("failures") == "1"


def test_case_names_say_property_variant_size_and_deletes() -> None:
    names = [case_name(r) for r in check_claims(SMALL[:1]).results]
    assert names == ["recovery nt35 1x1 D=1"]


def test_claims_as_json_list_every_row() -> None:
    out = io.StringIO()
    assert main(["claims", "--format", "json"], out, io.StringIO()) == 0
    doc = json.loads(out.getvalue())
    assert doc["ok"] is True and len(doc["claims"]) == len(catalogue())


def test_an_unwritable_junit_file_is_a_usage_error(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["claims", "--junit", str(tmp_path / "missing" / "c.xml")], io.StringIO(), err) == 2
    assert err.getvalue().startswith("leasecheck: cannot write") and err.getvalue().count("\n") == 1
