"""`leasecheck conform --pcap` judging client by client: standard input, several files, progress,
findings in text and JSON, and the choice between the whole model and the decomposition."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform import perclient
from leasecheck.checker.conform.synth import Message, mac_of, renewals, write_capture
from leasecheck.model import values as V

ROOT = Path(__file__).parent.parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def capture(messages: list[Message]) -> bytes:
    out = io.BytesIO()
    write_capture(out, messages)
    return out.getvalue()


def many(clients: int, messages: int) -> bytes:
    return capture(list(renewals(clients, messages, random.Random(5))))


def test_a_capture_on_standard_input_is_judged_client_by_client() -> None:
    done = subprocess.run([sys.executable, "-m", "leasecheck", "conform", "--pcap", "-", "--quiet"],
                          input=many(30, 400), capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "client by client" in out and "30 clients" in out
    assert "consistent with: nt35, nt40, rfc2131, dnsmasq, authoritative" in out


def test_several_files_with_concat_are_one_capture(tmp_path: Path) -> None:
    messages = list(renewals(25, 500, random.Random(2)))
    (tmp_path / "a.pcap").write_bytes(capture(messages[:250]))
    (tmp_path / "b.pcap").write_bytes(capture(messages[250:]))
    code, out, err = run("--pcap", str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap"), "--concat", "--format", "json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["judged"], doc["clients"], doc["messages"]) == ("per-client", 25, 500)
    assert doc["sources"] == ["a.pcap", "b.pcap"]


def test_a_long_capture_reports_its_progress_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perclient, "PROGRESS_EVERY", 0.0)
    path = tmp_path / "long.pcap"
    path.write_bytes(many(50, 3000))
    code, _out, err = run("--pcap", str(path))
    assert code == 0, err
    assert "leasecheck: 1,024 packets, 1,024 DHCP messages" in err and "leasecheck: 2,048 packets" in err
    code, _out, err = run("--pcap", str(path), "--quiet")
    assert code == 0 and err == ""


def test_the_whole_model_refuses_many_clients_and_auto_judges_them_client_by_client(tmp_path: Path) -> None:
    path = tmp_path / "five.pcap"
    path.write_bytes(many(5, 40))
    code, _out, err = run("--pcap", str(path), "--judge", "whole")
    assert code == 2 and "5 DHCP clients" in err and "--judge per-client" in err
    code, out, err = run("--pcap", str(path))
    assert code == 0, err
    assert "client by client" in out


def test_a_small_capture_is_judged_by_the_whole_model_unless_asked() -> None:
    recorded = str(ROOT / "tests" / "data" / "dnsmasq-udhcpc.pcap")
    code, out, _ = run("--pcap", recorded, "--format", "json")
    assert json.loads(out)[0]["judged"] == "whole"
    code, out, _ = run("--pcap", recorded, "--format", "json", "--judge", "per-client")
    [doc] = json.loads(out)
    assert doc["judged"] == "per-client"
    assert doc["consistent_variants"] == ["nt40", "dnsmasq"]


def test_a_deviation_is_printed_with_its_client_packet_and_wireshark_filter(tmp_path: Path) -> None:
    messages = list(renewals(8, 60, random.Random(4)))
    t = messages[-1].time
    offer = Message(t + 2, 9, "to client", V.Offer(0))  # client 0's address, offered to client 9
    messages += [Message(t + 1, 9, "to server", V.DISCOVER), offer]
    path = tmp_path / "seeded.pcap"
    path.write_bytes(capture(messages))
    number = messages.index(offer) + 1
    code, out, err = run("--pcap", str(path), "--delete-time", str(t + 10))
    assert code == 1, err
    mac = mac_of(9).hex(":")
    assert f"packet {number}" in out and f"client {mac}: OFFER(10.0.0.10) to client" in out
    assert f"wireshark: dhcp.hw.mac_addr == {mac} && frame.number == {number}" in out
    assert "consistent with: none" in out
    code, out, err = run("--pcap", str(path), "--delete-time", str(t + 10), "--format", "json")
    findings = json.loads(out)[0]["findings"]
    assert {(f["packet"], f["client_mac"]) for f in findings} == {(number, mac)}
    assert all(f["display_filter"].endswith(f"frame.number == {number}") for f in findings)


@pytest.mark.parametrize("argv, message", [
    (("--pcap", "-", "-"), "standard input (-) can be read only once"),
    (("--pcap", "a.pcap", "--concat", "--judge", "whole"), "does not go with --judge whole"),
    (("--judge", "per-client", "--server", "dnsmasq", "--client", "udhcpc"), "go with --pcap"),
])
def test_a_mistake_with_the_new_options_is_one_line_and_exit_2(argv: tuple[str, ...], message: str) -> None:
    code, out, err = run(*argv)
    assert code == 2 and message in err and out == ""


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (Wireshark) is not installed")
def test_wireshark_shows_exactly_the_packet_of_a_findings_display_filter(tmp_path: Path) -> None:
    messages = list(renewals(6, 40, random.Random(8)))
    t = messages[-1].time
    offer = Message(t + 2, 7, "to client", V.Offer(1))  # client 1's address, offered to client 7
    messages += [Message(t + 1, 7, "to server", V.DISCOVER), offer]
    path = tmp_path / "seeded.pcap"
    path.write_bytes(capture(messages))
    code, out, err = run("--pcap", str(path), "--delete-time", str(t + 10), "--format", "json")
    [finding, *_] = json.loads(out)[0]["findings"]
    shown = subprocess.run(["tshark", "-r", str(path), "-Y", finding["display_filter"], "-T", "fields", "-e",
                            "frame.number", "-e", "dhcp.hw.mac_addr"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [str(messages.index(offer) + 1), mac_of(7).hex(":")]
