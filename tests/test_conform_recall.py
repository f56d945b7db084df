"""Recall of judging client by client on real captures multiplied, with seeded deviations.

Each real capture of tests/data (dnsmasq, dnsmasq with dhcp-authoritative and Kea, with dhclient,
dhcpcd and udhcpc; busybox udhcpd's renewal after a delete from the matrix) is multiplied into a
capture of many clients of the same server (:func:`leasecheck.checker.conform.assemble.assemble`:
copies with their own hardware addresses, identifiers and addresses, interleaved in time, the
first whole with its delete). Multiplying must not change which variants explain it; each seeded
deviation must then be found: with the client's hardware address, the packet's number and time,
the message the model does not allow and a display filter for it, under every variant that
explained the capture without it.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pytest

from leasecheck.checker.conform import assemble as A
from leasecheck.checker.conform.perclient import PerClientReport, judge_stream

DATA = Path(__file__).parent / "data"
REAL = tuple(sorted(p.stem for p in DATA.glob("*.pcap")))
SILENT = tuple(sorted(f"matrix/captures/{p.stem}" for p in (DATA / "matrix" / "captures").glob("udhcpd-*-delete-renew.pcap")))
COPIES = 10


def tiered(params: list[object], default: int) -> list[object]:
    """The first ``default`` cases in the README's test command, every case in the sweep tier."""
    return [pytest.param(*(p if isinstance(p, tuple) else (p,)), marks=() if i < default else pytest.mark.sweep)
            for i, p in enumerate(params)]


def judge(capture: bytes, delete_time: float, losses: int) -> PerClientReport:
    return judge_stream([("assembled.pcap", io.BytesIO(capture))], delete_time=delete_time, losses=losses)


@cache
def base(name: str) -> tuple[A.Assembled, int, tuple[str, ...]]:
    """The assembled capture of ``name``, the losses it is judged with (none when the real capture
    fits without), and the variants that explain the real capture alone."""
    meta = json.loads((DATA / f"{name}.pcap.json").read_text())
    data = (DATA / f"{name}.pcap").read_bytes()
    for losses in (0, 1):
        alone = judge(data, meta["delete_time"], losses)
        if alone.consistent_variants:
            return A.assemble(data, meta["delete_time"], COPIES), losses, alone.consistent_variants
    raise AssertionError(f"{name}: no variant explains the real capture")


def test_there_are_real_captures_to_multiply() -> None:
    assert len(REAL) >= 9 and len(SILENT) >= 5


@pytest.mark.parametrize("name", tiered([*REAL, *SILENT], 3))
def test_a_multiplied_real_capture_is_explained_by_the_variants_that_explain_it_alone(name: str) -> None:
    assembled, losses, variants = base(name)
    report = judge(assembled.pcap(), assembled.delete_time, losses)
    assert report.clients == COPIES and len(set(assembled.macs)) == COPIES
    assert len({a for copy in assembled.addresses for a in copy.values()}) == COPIES * len(assembled.addresses[0])
    assert report.consistent_variants == variants


def _check(seeded: A.Seeded, losses: int, variants: tuple[str, ...]) -> None:
    report = judge(seeded.capture.pcap(), seeded.capture.delete_time, losses)
    got = A.found(seeded, report.findings, variants)
    assert got, (seeded.kind, seeded.number, [(f.number, f.mac, f.variants, f.reason) for f in report.findings][:6])
    assert all(f.display_filter == f"dhcp.hw.mac_addr == {seeded.mac} && frame.number == {seeded.number}" for f in got)
    assert all(f.message.split("(")[0] == seeded.message for f in got)
    if seeded.expect == "global" and losses == 0:
        assert any(f.kind == "global" for f in got)
    assert not set(variants) & set(report.consistent_variants)


GLOBAL = [(name, kind, which) for name in REAL for kind in (A.DOUBLE_ACK, A.OFFER_BOUND) for which in (0, 3)]


@pytest.mark.parametrize(("name", "kind", "which"), tiered(GLOBAL, 4))
def test_an_address_committed_twice_is_found_at_the_packet_with_its_client(name: str, kind: str, which: int) -> None:
    assembled, losses, variants = base(name)
    _check(A.inject(assembled, kind, which), losses, variants)


#: dnsmasq NAKs the renewal of the deleted lease; with dhcpcd, which ignores that NAK, the capture
#: fits only with one lost message, and a NAK removed is then the model's own lost NAK
NAKING = ["dnsmasq-dhclient", "dnsmasq-udhcpc"]


@pytest.mark.parametrize("name", NAKING)
def test_a_missing_nak_is_found_at_the_client_s_next_message(name: str) -> None:
    assembled, losses, variants = base(name)
    seeded = A.inject(assembled, A.MISSING_NAK)
    assert seeded.mac == assembled.macs[0] and losses == 0
    _check(seeded, losses, variants)


@pytest.mark.parametrize("name", tiered(list(SILENT), 2))
def test_an_ack_for_the_deleted_lease_from_a_silent_server_is_found(name: str) -> None:
    assembled, losses, variants = base(name)
    assert set(variants) <= {"nt35", "rfc2131", "dnsmasq"}  # silent to a renewal of a lease it does not have
    _check(A.inject(assembled, A.ACK_SILENT), losses, variants)


def test_a_server_that_sends_no_nak_has_no_nak_to_remove() -> None:
    assembled, _losses, _variants = base("kea-dhclient")
    with pytest.raises(A.PcapError, match="no NAK"):
        A.inject(assembled, A.MISSING_NAK)
