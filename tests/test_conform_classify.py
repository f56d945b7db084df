"""Reading captures and naming DHCP messages as RFC 2131 table 4 does.

The recorded captures in tests/data were made by `leasecheck conform --save-pcap` against the real
daemons of docs/conformance.md; each has a sidecar FILE.json with the moment the lease was deleted.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from leasecheck.checker.conform.classify import CaptureError, DhcpPacket, Observed, classify, request_kind
from leasecheck.checker.conform.pcap import PcapError, UdpPacket, read_udp
from leasecheck.checker.conform.validate import Delete, with_delete
from leasecheck.model.values import DISCOVER, NAK, REBINDING, REBOOTING, RENEWING, SELECTING, Ack, Offer, Request

DATA = Path(__file__).parent / "data"
SERVER, LEASED = "10.77.0.1", "10.77.0.54"


def recorded(name: str) -> tuple[bytes, float]:
    meta = json.loads((DATA / f"{name}.pcap.json").read_text())
    return (DATA / f"{name}.pcap").read_bytes(), meta["delete_time"]


def after_delete(name: str) -> list[str]:
    data, when = recorded(name)
    events = with_delete(classify(read_udp(data)), time=when)
    cut = next(i for i, e in enumerate(events) if isinstance(e, Delete))
    return [f"{e.direction}: {e.message}" for e in events[cut + 1:] if isinstance(e, Observed)]


# -- RFC 2131 table 4: which DHCPREQUEST is which -----------------------------------------------


def request(*, server_id: str | None = None, requested: str | None = None, ciaddr: str = "0.0.0.0",
            dst: str = "255.255.255.255") -> DhcpPacket:
    return DhcpPacket(1, 0.0, "0.0.0.0", dst, 1, 7, False, ciaddr, "0.0.0.0", "02:00:00:00:00:01", "REQUEST",
                      requested, server_id)


def test_a_request_with_a_server_identifier_is_selecting() -> None:
    assert request_kind(request(server_id=SERVER, requested=LEASED))[:2] == (SELECTING, LEASED)


def test_a_request_with_a_requested_address_and_no_server_identifier_is_init_reboot() -> None:
    assert request_kind(request(requested=LEASED))[:2] == (REBOOTING, LEASED)


def test_a_unicast_request_with_ciaddr_is_renewing() -> None:
    assert request_kind(request(ciaddr=LEASED, dst=SERVER))[:2] == (RENEWING, LEASED)


def test_a_broadcast_request_with_ciaddr_is_rebinding() -> None:
    assert request_kind(request(ciaddr=LEASED))[:2] == (REBINDING, LEASED)


@pytest.mark.parametrize("bad", [
    request(server_id=SERVER),  # selecting without the address it selects
    request(),  # neither ciaddr nor a requested address
    request(ciaddr=LEASED, requested="10.77.0.60"),  # renews one address, asks for another
])
def test_a_request_that_table_4_does_not_allow_is_an_error(bad: DhcpPacket) -> None:
    with pytest.raises(CaptureError, match="packet 1"):
        request_kind(bad)


# -- hand-made packets: decoding, ids and folding of retransmissions -----------------------------


def _ip(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def dhcp(number: int, msg: int, *, op: int, xid: int = 1, mac: str = "02:00:00:00:00:01", ciaddr: str = "0.0.0.0",
         yiaddr: str = "0.0.0.0", dst: str = "255.255.255.255", options: dict[int, bytes] | None = None) -> UdpPacket:
    head = struct.pack("!BBBBIHH", op, 1, 6, 0, xid, 0, 0) + _ip(ciaddr) + _ip(yiaddr) + bytes(8)
    chaddr = bytes.fromhex(mac.replace(":", "")).ljust(16, b"\0")
    opts = b"".join(bytes([k, len(v)]) + v for k, v in {53: bytes([msg]), **(options or {})}.items()) + b"\xff"
    payload = head + chaddr + bytes(192) + b"\x63\x82\x53\x63" + opts
    sport, dport = (68, 67) if op == 1 else (67, 68)
    return UdpPacket(number, float(number), "0.0.0.0" if op == 1 else SERVER, dst, sport, dport, payload)


def test_clients_and_addresses_get_model_ids_in_order_of_appearance() -> None:
    packets = [
        dhcp(1, 1, op=1, mac="02:00:00:00:00:0a"),
        dhcp(2, 1, op=1, mac="02:00:00:00:00:0b", xid=2),
        dhcp(3, 2, op=2, mac="02:00:00:00:00:0b", xid=2, yiaddr="10.77.0.60", options={54: _ip(SERVER)}),
        dhcp(4, 2, op=2, mac="02:00:00:00:00:0a", yiaddr="10.77.0.51", options={54: _ip(SERVER)}),
    ]
    c = classify(packets)
    assert c.clients == ("02:00:00:00:00:0a", "02:00:00:00:00:0b")
    assert c.addresses == ("10.77.0.60", "10.77.0.51")
    assert [(o.client, o.message) for o in c.messages] == [(0, DISCOVER), (1, DISCOVER), (1, Offer(0)), (0, Offer(1))]


def test_a_retransmission_and_the_repeated_answer_fold_into_the_first_copy() -> None:
    renew = dict(op=1, ciaddr=LEASED, dst=SERVER, xid=9)
    nak = dict(op=2, options={54: _ip(SERVER)}, xid=9)
    c = classify([dhcp(1, 3, **renew), dhcp(2, 6, **nak), dhcp(3, 3, **renew), dhcp(4, 6, **nak)])  # type: ignore[arg-type]
    assert [(o.number, o.message, o.folded) for o in c.messages] == [(1, Request(RENEWING, 0), (3,)), (2, NAK, (4,))]


def test_an_unanswered_request_sent_again_with_a_new_xid_folds() -> None:
    """NetworkManager repeats an unanswered rebinding request with a new xid: one model message;
    after an answer, the same request with a new xid is a new message."""
    rebind = dict(op=1, ciaddr=LEASED)
    c = classify([dhcp(1, 3, xid=1, **rebind), dhcp(2, 3, xid=2, **rebind)])  # type: ignore[arg-type]
    assert [(o.number, str(o), o.folded) for o in c.messages] == [(1, "REQUEST(REBINDING,0)", (2,))]
    nak = dict(op=2, options={54: _ip(SERVER)})
    c = classify([dhcp(1, 3, xid=1, **rebind), dhcp(2, 6, xid=1, **nak), dhcp(3, 3, xid=2, **rebind)])  # type: ignore[arg-type]
    assert [str(o) for o in c.messages] == ["REQUEST(REBINDING,0)", "NAK", "REQUEST(REBINDING,0)"]


def test_the_same_answer_to_a_new_request_is_not_folded() -> None:
    """udhcpc keeps its xid from selecting to renewing: the renewal's ACK is a new answer."""
    sel = dhcp(1, 3, op=1, options={54: _ip(SERVER), 50: _ip(LEASED)})
    ack = dhcp(2, 5, op=2, yiaddr=LEASED, dst=LEASED)
    renew = dhcp(3, 3, op=1, ciaddr=LEASED, dst=SERVER)
    ack2 = dhcp(4, 5, op=2, yiaddr=LEASED, dst=LEASED)
    assert [str(o) for o in classify([sel, ack, renew, ack2]).messages] == [
        "REQUEST(SELECTING,0)", "ACK(0)", "REQUEST(RENEWING,0)", "ACK(0)"]


def test_decline_and_inform_are_left_out_with_a_note() -> None:
    c = classify([dhcp(1, 8, op=1, ciaddr=LEASED)])
    assert c.messages == () and "DHCPINFORM" in c.ignored[0]


def test_non_dhcp_udp_is_not_a_message() -> None:
    dns = UdpPacket(1, 0.0, "10.0.0.1", "10.0.0.2", 5353, 53, b"\0" * 300)
    assert classify([dns]).messages == ()


# -- the recorded captures, as docs/conformance.md describes them ------------------------------------------


def test_dnsmasq_naks_udhcpc_s_unicast_renewal_and_udhcpc_starts_over() -> None:
    assert after_delete("dnsmasq-udhcpc") == [
        "to server: REQUEST(RENEWING,0)", "to client: NAK", "to server: DISCOVER", "to client: OFFER(0)",
        "to server: REQUEST(SELECTING,0)", "to client: ACK(0)"]


def test_dnsmasq_with_dhcp_authoritative_acks_the_renewal() -> None:
    assert after_delete("dnsmasq-auth-udhcpc") == ["to server: REQUEST(RENEWING,0)", "to client: ACK(0)"]


def test_kea_acks_the_renewal_and_udhcpc_may_miss_that_ack_and_rebind() -> None:
    seq = after_delete("kea-udhcpc")
    assert seq[:2] == ["to server: REQUEST(RENEWING,0)", "to client: ACK(0)"]
    assert "to client: NAK" not in seq
    assert seq[-1] == "to client: ACK(0)"


def test_kea_acks_dhclient_s_renewal_at_t1() -> None:
    assert after_delete("kea-dhclient") == ["to server: REQUEST(RENEWING,0)", "to client: ACK(0)"]


def test_dhcpcd_keeps_renewing_after_dnsmasq_s_nak_then_rebinds_then_starts_over_at_expiry() -> None:
    seq = after_delete("dnsmasq-dhcpcd")
    assert seq == ["to server: REQUEST(RENEWING,0)", "to client: NAK", "to server: REQUEST(REBINDING,0)",
                   "to server: DISCOVER", "to client: OFFER(0)", "to server: REQUEST(SELECTING,0)", "to client: ACK(0)"]
    data, _ = recorded("dnsmasq-dhcpcd")
    renewal = classify(read_udp(data)).messages[4]
    assert renewal.message == Request(RENEWING, 0) and renewal.folded  # dhcpcd sent it again after the NAK


def test_the_delete_given_as_a_packet_number_goes_before_that_packet() -> None:
    data, _ = recorded("dnsmasq-udhcpc")
    events = with_delete(classify(read_udp(data)), packet=7)
    assert [str(e) for e in events[3:6]] == ["ACK(0)", "admin deletes the lease", "REQUEST(RENEWING,0)"]


def test_every_recorded_capture_acks_the_leased_address() -> None:
    for meta_path in DATA.glob("*.pcap.json"):
        meta = json.loads(meta_path.read_text())
        c = classify(read_udp(meta_path.with_suffix("").read_bytes()))
        assert c.clients == (meta["client_mac"],)
        assert Ack(c.address_of(meta["leased_address"])) in [o.message for o in c.messages]


# -- the file formats ---------------------------------------------------------------------------


def _as_pcapng(classic: bytes) -> bytes:
    """The same packets as pcapng: section header, one Ethernet interface, enhanced packet blocks."""

    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 0))
    pos = 24
    while pos < len(classic):
        sec, usec, incl, orig = struct.unpack_from("<IIII", classic, pos)
        ts = sec * 1_000_000 + usec
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, incl, orig) + classic[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    return out


def test_pcapng_and_classic_pcap_read_the_same() -> None:
    classic, _ = recorded("dnsmasq-udhcpc")
    assert read_udp(_as_pcapng(classic)) == read_udp(classic)


def test_a_file_that_is_not_a_capture_is_refused() -> None:
    with pytest.raises(PcapError, match="magic"):
        read_udp(b"hello, world")


def test_a_truncated_capture_is_refused() -> None:
    classic, _ = recorded("dnsmasq-udhcpc")
    with pytest.raises(PcapError, match="truncated"):
        read_udp(classic[:100])


def _relink(classic: bytes, link: int, header: bytes) -> bytes:
    """The same packets with their Ethernet header replaced by another link layer's header."""
    out = bytearray(classic[:20]) + struct.pack("<I", link)
    pos = 24
    while pos < len(classic):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", classic, pos)
        frame = header + classic[pos + 16 + 14:pos + 16 + incl]
        out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
        pos += 16 + incl
    return bytes(out)


@pytest.mark.parametrize(("link", "header"), [
    (113, bytes(14) + b"\x08\x00"),  # Linux cooked v1 (tshark -i any)
    (276, b"\x08\x00" + bytes(18)),  # Linux cooked v2
    (101, b""),  # raw IP
])
def test_captures_of_other_link_layers_read_the_same(link: int, header: bytes) -> None:
    classic, _ = recorded("kea-udhcpc")
    assert read_udp(_relink(classic, link, header)) == read_udp(classic)
