"""Options are checked before any work: a value out of range, an empty or unwritable output, or an
option that does not apply to the chosen engine is a usage error (exit 2, one line), never a
traceback, a silent default or a result lost after the work was done."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.model.dhcp import MAX_BUDGET, MAX_HOSTS, Config, ConfigError


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", [
    ["check", "--addresses", "99999999999999999999"],
    ["check", "--clients", str(MAX_HOSTS + 1)],
    ["check", "--deletes", "1000000", "--property", "recovery"],
    ["check", "--losses", str(MAX_BUDGET + 1)],
    ["check", "--reboots", "9" * 5000],
    ["check", "--trace-out", ""],
    ["check", "--chart", ""],
    ["check", "--trace-out", "."],
    ["claims", "--junit", ""],
    ["check", "--engine", "z3", "--max-states", "1"],
    ["check", "--engine", "z3", "--certificate", "/nonexistent-folder/proof.smt2"],
    ["check", "--engine", "z3", "--certificate", ""],
    ["conform", "--pcap", "tests/data/dnsmasq-udhcpc.pcap", "--delete-packet", "0"],
    ["conform", "--pcap", "tests/data/dnsmasq-udhcpc.pcap", "--delete-packet", "-1"],
])
def test_a_bad_option_is_one_line_and_exit_2_before_any_work(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    code, out, err = run(*argv)
    assert code == 2 and out == "", (argv, out, err)
    assert err.count("\n") == 1 and err.startswith("leasecheck") and len(err) < 300, err


def test_a_huge_number_is_cut_short_in_the_message() -> None:
    with pytest.raises(ConfigError, match="digits"):
        Config(reboots=10 ** 5000)


def test_the_largest_allowed_budget_is_accepted() -> None:
    assert Config(deletes=MAX_BUDGET).deletes == MAX_BUDGET


def test_verdicts_are_printed_before_the_certificate_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leasecheck.checker.cli.outputs as outputs

    def fail(path: Path, certificates: object) -> None:
        raise outputs.OutputError(f"cannot write the certificate {path}: disk full")

    monkeypatch.setattr(outputs, "save_certificates", fail)
    code, out, err = run("check", "--engine", "z3", "--variant", "nt40", "--property", "single_binding",
                         "--certificate", str(tmp_path / "c.smt2"))
    assert code == 2 and "single_binding" in out and "holds" in out and "disk full" in err
