"""`leasecheck conform` from the command line: reading a user's capture, and user mistakes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main

DATA = Path(__file__).parent / "data"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_recorded_capture_with_its_delete_time_beside_it_is_read_and_judged() -> None:
    code, out, _ = run("--pcap", str(DATA / "dnsmasq-auth-udhcpc.pcap"))
    assert code == 0
    assert "consistent with: authoritative" in out.splitlines()
    assert "after the delete: REQUEST(RENEWING) → ACK" in out


def test_the_delete_can_be_given_as_a_packet_number(tmp_path: Path) -> None:
    capture = tmp_path / "mine.pcap"
    shutil.copy(DATA / "dnsmasq-udhcpc.pcap", capture)  # without its sidecar
    code, out, _ = run("--pcap", str(capture), "--delete-packet", "7")
    assert code == 0
    assert "consistent with: nt40, dnsmasq" in out.splitlines()


def test_the_delete_can_be_given_in_seconds_after_the_first_message(tmp_path: Path) -> None:
    capture = tmp_path / "mine.pcap"
    shutil.copy(DATA / "dnsmasq-auth-udhcpc.pcap", capture)
    code, out, _ = run("--pcap", str(capture), "--delete-time", "+3.5")
    assert code == 0
    assert "after the delete: REQUEST(RENEWING) → ACK" in out


def test_the_dhcpcd_nak_capture_exits_1_under_the_rfc_client_and_0_when_the_client_may_ignore_it() -> None:
    capture = str(DATA / "dnsmasq-dhcpcd.pcap")
    code, out, _ = run("--pcap", capture)
    assert code == 1 and "consistent with: none" in out
    code, out, _ = run("--pcap", capture, "--client-nak", "ignore-while-renewing")
    assert code == 0 and "consistent with: dnsmasq" in out.splitlines()


def test_several_captures_make_the_server_by_client_table() -> None:
    captures = [str(DATA / f"{name}.pcap") for name in ("dnsmasq-udhcpc", "dnsmasq-auth-udhcpc", "kea-udhcpc")]
    code, out, _ = run("--pcap", *captures, "--losses", "1", "--summary")
    assert code == 0
    rows = {tuple(line.split()[:2]): line for line in out.splitlines()[2:]}
    assert rows[("dnsmasq", "udhcpc")].endswith("nt40, dnsmasq")
    assert rows[("dnsmasq-auth", "udhcpc")].endswith("authoritative")
    assert rows[("kea", "udhcpc")].endswith("authoritative (1 loss)")


def test_json_output_names_each_variant_and_the_matching_run() -> None:
    code, out, _ = run("--pcap", str(DATA / "kea-udhcpc.pcap"), "--losses", "1", "--format", "json")
    assert code == 0
    (case,) = json.loads(out)
    by_variant = {v["variant"]: v for v in case["variants"]}
    assert case["consistent_variants"] == ["authoritative"]
    assert by_variant["authoritative"]["losses_used"] == 1
    assert "LoseToClient(0)" in by_variant["authoritative"]["witness"]
    assert not by_variant["nt35"]["consistent"] and by_variant["nt35"]["reason"]


@pytest.mark.parametrize(("argv", "message"), [
    ((), "give --server and --client"),
    (("--server", "bind9", "--client", "udhcpc"), "unknown server"),
    (("--pcap", "/nonexistent/x.pcap"), "cannot read"),
    (("--pcap", str(DATA / "kea-udhcpc.pcap"), "--server", "kea"), "not both"),
    (("--pcap", str(DATA / "kea-udhcpc.pcap"), "--delete-time", "1", "--delete-packet", "2"), "not both"),
    (("--server", "kea", "--client", "udhcpc", "--delete-packet", "3"), "go with --pcap"),
    (("--pcap", str(DATA / "kea-udhcpc.pcap.json")), "not a pcap"),
    (("--pcap", str(DATA / "kea-udhcpc.pcap"), "--delete-packet", "99"), "after the last"),
    (("--pcap", str(DATA / "kea-udhcpc.pcap"), "--delete-time", "soon"), "expected seconds"),
])
def test_a_user_mistake_is_one_line_on_stderr_and_exit_2(argv: tuple[str, ...], message: str) -> None:
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_capture_without_dhcp_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes((DATA / "kea-udhcpc.pcap").read_bytes()[:24])  # the file header, no packet
    code, _, err = run("--pcap", str(empty))
    assert code == 2 and "no DHCP message" in err


def test_without_root_the_scenario_says_so_instead_of_running(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    code, _, err = run("--server", "dnsmasq", "--client", "udhcpc")
    assert code == 2 and "needs root" in err


def test_a_missing_package_is_named_with_the_command_that_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr("shutil.which", lambda name: None if name == "dhcp_release" else real(name))
    code, _, err = run("--server", "dnsmasq", "--client", "udhcpc")
    assert code == 2 and "apt-get install -y dnsmasq-utils" in err


def test_when_two_variants_fit_the_report_names_the_requests_that_would_tell_them_apart() -> None:
    code, out, _ = run("--pcap", str(DATA / "dnsmasq-udhcpc.pcap"), "--format", "json")
    (case,) = json.loads(out)
    assert case["consistent_variants"] == ["nt40", "dnsmasq"]
    assert case["undecided_by"] == ["REQUEST(REBINDING)", "REQUEST(REBOOTING)"]
