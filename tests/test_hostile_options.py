"""Hostile command lines, by class: every numeric option of every command given NaN, infinities,
numbers too large or too small, fractions, words and empty strings; every output file given an empty
name, a folder, a missing folder, a name too long, a path too deep, a newline, a full device. A
value no option takes is a usage error (exit status 2) said in one line on stderr, before any work;
whatever the case, the command ends with 0, 1, 2 or 3 and never with a traceback (70)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
PCAP = "tests/data/dnsmasq-udhcpc.pcap"
TRACE = "tests/data/old-format-nt35-recovery.itf.json"

#: values that no numeric option takes
NOT_A_NUMBER = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "", " ", "ten", "0x10",
                "1e", "--", "1,5", "9" * 40, "9" * 5000]
#: values no limit of time takes
BAD_SECONDS = [*NOT_A_NUMBER, "0", "-0", "-1", "1e-999", "1e308", "2e6"]
#: values no count takes
BAD_COUNTS = [*NOT_A_NUMBER, "-1", "1.5", "1e3", "10**9", "99999999999999999999"]

#: each command with the options that take a number: (base command line, option, values refused)
NUMERIC = [
    (["check", "--property", "single_binding"], "--timeout", BAD_SECONDS),
    (["check", "--property", "single_binding"], "--max-states", [*BAD_COUNTS, "0"]),
    (["check", "--property", "single_binding"], "--max-memory", [*BAD_COUNTS, "0"]),
    (["check", "--property", "single_binding"], "--depth", [*BAD_COUNTS, "1000000000"]),
    (["check", "--property", "single_binding"], "--clients", [*BAD_COUNTS, "0", "1000000000"]),
    (["check", "--property", "single_binding"], "--addresses", [*BAD_COUNTS, "0", "65"]),
    (["check", "--property", "single_binding"], "--deletes", [*BAD_COUNTS, "1001"]),
    (["check", "--property", "single_binding"], "--losses", BAD_COUNTS),
    (["check", "--property", "single_binding"], "--reboots", BAD_COUNTS),
    (["graph", "--out", "x.svg"], "--max-states", [*BAD_COUNTS, "0"]),
    (["describe"], "--clients", [*BAD_COUNTS, "0", "1000000000"]),
    (["export", "--promela"], "--deletes", BAD_COUNTS),
    (["certificate", "check", "x.smt2"], "--timeout", [*BAD_SECONDS, "100000"]),
    (["conform", "--pcap", PCAP], "--time-limit", BAD_SECONDS),
    (["conform", "--pcap", PCAP], "--losses", [*BAD_COUNTS, "9"]),
    (["conform", "--pcap", PCAP], "--delete-packet", [*BAD_COUNTS, "0"]),
    (["conform", "--pcap", PCAP], "--delete-time", ["nan", "inf", "-inf", "1e999", "", "ten"]),
    (["sweep", "--sizes", "1x1"], "--timeout", BAD_SECONDS),
    (["sweep", "--sizes", "1x1"], "--max-states", [*BAD_COUNTS, "0"]),
    (["sweep", "--sizes", "1x1"], "--max-memory", [*BAD_COUNTS, "0"]),
    (["sweep", "--sizes", "1x1"], "--workers", [*BAD_COUNTS, "0", "1000000000"]),
    (["sweep"], "--sizes", ["0x1", "1x0", "1x1000000000", "nanxinf", "", "1x1,"]),
    (["sweep"], "--deletes", ["-1..1", "0..1e999", "1..0", "nan", "", "0..99999999999999999999"]),
    (["prove", "--property", "single_binding"], "--timeout", [*BAD_SECONDS, "86401"]),
    (["prove", "--property", "single_binding"], "--deletes", [*BAD_COUNTS, "1001"]),
    (["prove", "--property", "single_binding"], "--losses", BAD_COUNTS),
]

#: output file names no command can write (the extension is added where a picture needs one)
BAD_PATHS = ["", " ", "/", ".", "tests", "no-such-folder/x", "a" * 300, "a/" * 3000 + "x", "x\ny", "x\ty",
             "README.md/x", "/proc/version/x"]
#: devices that a file read back (a results file to resume from) cannot be: they read without end
DEVICES = ["/dev/full", "/dev/zero", "/dev/urandom"]
#: each command with the options that name a file it writes, and a base command line that would
#: otherwise do little work
PATHS = [
    (["check", "--property", "recovery"], "--trace-out", ".itf.json"),
    (["check", "--property", "recovery"], "--chart", ".svg"),
    (["check", "--engine", "z3", "--variant", "nt40", "--property", "single_binding"], "--certificate", ".smt2"),
    (["export", "--promela"], "--out", ".pml"),
    (["graph"], "--out", ".svg"),
    (["claims"], "--junit", ".xml"),
    (["replay", TRACE], "--chart", ".svg"),
    (["sweep", "--sizes", "1x1"], "--results", ".jsonl"),
    (["sweep", "--sizes", "1x1"], "--csv", ".csv"),
    (["sweep", "--sizes", "1x1"], "--picture", ".png"),
    (["prove", "--property", "single_binding"], "--certificate", ".smt2"),
    (["conform", "--server", "dnsmasq", "--client", "udhcpc"], "--save-pcap", ".pcap"),
]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def _cases() -> list[tuple[list[str], str]]:
    cases = []
    for base, option, values in NUMERIC:
        for value in values:
            cases.append(([*base, option, value], f"{base[0]} {option} {value[:12]!r}"))
            cases.append(([*base, f"{option}={value}"], f"{base[0]} {option}={value[:12]!r}"))
    for base, option, ext in PATHS:
        for bad in BAD_PATHS:
            name = bad + ext if bad.strip() and bad not in ("/", ".", "tests") else bad
            cases.append(([*base, option, name], f"{base[0]} {option} {name[:16]!r}"))
    for device in DEVICES:
        cases.append((["sweep", "--sizes", "1x1", "--results", device], f"sweep --results {device}"))
        cases.append((["conform", "--matrix", "--results", device], f"conform --matrix --results {device}"))
    return cases


CASES = _cases()


def test_the_corpus_is_large() -> None:
    assert len(CASES) > 600


@pytest.mark.parametrize("argv", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_a_hostile_value_is_a_usage_error_in_one_line_before_any_work(argv: list[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(argv)
    assert code == 2, (argv[:6], code, err[-500:])
    assert out == "", out[:200]
    assert err.count("\n") == 1 and err.startswith("leasecheck: ") and "Traceback" not in err, err[-500:]
    assert len(err) < 400, err


@pytest.mark.parametrize("argv", [
    ["check", "--property", "single_binding", "--format", "json"],
    ["check", "--property", "single_binding", "--format=json", "--quiet"],
    ["sweep", "--format", "json"],
    ["conform", "--pcap", PCAP, "--format", "json"],
    ["prove", "--property", "single_binding", "--format", "json"],
], ids=["check", "check-quiet", "sweep", "conform", "prove"])
@pytest.mark.parametrize("option, value", [("--timeout", "inf"), ("--timeout", "nan"), ("--max-states", "0"),
                                           ("--time-limit", "-inf"), ("--deletes", "1e999"), ("--frobnicate", "1")])
def test_with_json_a_usage_error_is_one_json_document_too(argv: list[str], option: str, value: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run([*argv, option, value])
    assert code == 2 and err.count("\n") == 1
    doc = json.loads(out)
    assert doc == {"command": argv[0], "exit_status": 2, "error": err.strip().removeprefix("leasecheck: ")}


#: values inside each range, at its edges: the command does its work
ACCEPTED = [
    ["check", "--property", "single_binding", "--timeout", "1000000"],
    ["check", "--property", "single_binding", "--max-states", "1000000000000"],
    ["check", "--property", "single_binding", "--max-memory", "1000000000000"],
    ["check", "--property", "single_binding", "--depth", "10000"],
    ["check", "--property", "single_binding", "--deletes", "-0"],
    ["check", "--property", "single_binding", "--max-states", " 7 "],
    ["check", "--property", "recovery", "--max-states", "1"],
    ["conform", "--pcap", PCAP, "--time-limit", "1e-9"],
    ["conform", "--pcap", PCAP, "--time-limit", "1000000"],
    ["conform", "--pcap", PCAP, "--losses", "0"],
    ["export", "--promela", "--out", "/dev/null"],
    ["describe", "--clients", "2", "--deletes", "1000"],
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=[" ".join(a[:1] + a[-2:]) for a in ACCEPTED])
def test_a_value_at_the_edge_of_its_range_is_taken(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(argv)
    assert code in (0, 1, 3), (argv, code, err[-500:])
    assert "Traceback" not in err and all(line.startswith("leasecheck") for line in err.splitlines()), err


def test_a_timeout_that_runs_out_before_the_check_begins_is_unknown_not_an_interruption() -> None:
    code, out, err = run(["check", "--timeout", "1e-9", "--format", "json"])
    doc = json.loads(out)
    assert code == 3, err
    assert doc["results"] == [] and doc["stats"]["stop_reason"] == "timeout after 1e-09 s"
    assert err.count("\n") == 1 and "unknown" in err and "interrupted" not in err


def test_a_full_device_is_a_usage_error_after_the_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(["check", "--property", "recovery", "--trace-out", "/dev/full", "--quiet"])
    assert code == 2 and "recovery" in out
    assert err.count("\n") == 1 and err.startswith("leasecheck: ") and "No space left" in err, err
