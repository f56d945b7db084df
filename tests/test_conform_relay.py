"""Relay agents and client identifiers in a capture, with hand-made packets.

A relay agent (RFC 2131 section 4.1, RFC 3046) forwards what a client broadcasts to the server
by unicast, from port 67 to port 67, with its own address in giaddr and, often, its relay agent
information (option 82); the server answers the relay, which passes the answer on to the
client. A capture on a segment that holds both legs shows each message twice. A server knows a
client by its client identifier (option 61) when the client sends one, by chaddr otherwise
(section 4.2).
"""

from __future__ import annotations

import struct

from leasecheck.checker.conform.classify import Classifier, classify, decode
from leasecheck.checker.conform.pcap import UdpPacket
from leasecheck.checker.conform.perclient import judge_packets
from leasecheck.model.values import DISCOVER, REBINDING, RENEWING, SELECTING, Ack, Offer, Request

SERVER, RELAY, LEASED = "10.77.0.1", "10.88.0.1", "10.88.0.50"
MAC = "02:00:00:00:00:01"
OPTION_82 = bytes([1, 6]) + b"eth0/7" + bytes([2, 4]) + bytes([53, 1, 5, 54])  # circuit id, remote id
BROADCAST, ZERO = "255.255.255.255", "0.0.0.0"


def _ip(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def dhcp(number: int, msg: int, *, op: int, xid: int = 1, mac: str = MAC, ciaddr: str = ZERO, yiaddr: str = ZERO,
         giaddr: str = ZERO, src: str = ZERO, dst: str = BROADCAST, ports: tuple[int, int] | None = None,
         options: dict[int, bytes] | None = None) -> UdpPacket:
    head = struct.pack("!BBBBIHH", op, 1, 6, 1 if giaddr != ZERO else 0, xid, 0, 0)
    head += _ip(ciaddr) + _ip(yiaddr) + _ip(ZERO) + _ip(giaddr)
    chaddr = bytes.fromhex(mac.replace(":", "")).ljust(16, b"\0")
    opts = b"".join(bytes([k, len(v)]) + v for k, v in {53: bytes([msg]), **(options or {})}.items()) + b"\xff"
    payload = head + chaddr + bytes(192) + b"\x63\x82\x53\x63" + opts
    sport, dport = ports or ((68, 67) if op == 1 else (67, 68))
    return UdpPacket(number, float(number), src, dst, sport, dport, payload)


def relayed(number: int, p: UdpPacket) -> UdpPacket:
    """``p`` as the relay forwards it to the server: unicast from port 67, giaddr and option 82 added."""
    body = bytearray(p.payload)
    body[3] = 1  # hops
    body[24:28] = _ip(RELAY)
    assert body[-1] == 255
    body[-1:] = bytes([82, len(OPTION_82)]) + OPTION_82 + b"\xff"
    return UdpPacket(number, float(number), RELAY, SERVER, 67, 67, bytes(body))


def answered(number: int, msg: int, *, yiaddr: str = ZERO, xid: int = 1, mac: str = MAC,
             client_id: bytes | None = None) -> list[UdpPacket]:
    """A server's answer on both legs: to the relay (67 -> 67, option 82 echoed), then to the client."""
    options = {54: _ip(SERVER), **({61: client_id} if client_id is not None else {})}
    to_relay = dhcp(number, msg, op=2, xid=xid, mac=mac, yiaddr=yiaddr, giaddr=RELAY, src=SERVER, dst=RELAY,
                    ports=(67, 67), options={**options, 82: OPTION_82})
    to_client = dhcp(number + 1, msg, op=2, xid=xid, mac=mac, yiaddr=yiaddr, giaddr=RELAY, src=RELAY, dst=BROADCAST,
                     options=options)
    return [to_relay, to_client]


def both_legs(number: int, p: UdpPacket) -> list[UdpPacket]:
    return [p, relayed(number + 1, p)]


def relayed_lease() -> list[UdpPacket]:
    """A client bound through a relay, then renewing (directly, unanswered) and rebinding (through
    the relay)."""
    sel = {54: _ip(SERVER), 50: _ip(LEASED)}
    return [
        *both_legs(1, dhcp(1, 1, op=1)),
        *answered(3, 2, yiaddr=LEASED),
        *both_legs(5, dhcp(5, 3, op=1, options=sel)),
        *answered(7, 5, yiaddr=LEASED),
        dhcp(9, 3, op=1, xid=2, ciaddr=LEASED, src=LEASED, dst=SERVER),  # RENEWING: unicast, no relay
        *both_legs(10, dhcp(10, 3, op=1, xid=3, ciaddr=LEASED, src=LEASED)),  # REBINDING: broadcast
        *answered(12, 5, yiaddr=LEASED, xid=3),
    ]


def test_the_relay_agent_s_fields_are_read() -> None:
    p = decode(relayed(2, dhcp(1, 3, op=1, ciaddr=LEASED, src=LEASED)))
    assert p is not None and (p.giaddr, p.msg_type, p.ciaddr, p.chaddr) == (RELAY, "REQUEST", LEASED, MAC)


def test_option_82_whose_bytes_look_like_options_is_skipped_whole() -> None:
    """The relay's sub-options hold the bytes of options 53 and 54: they are not read as options."""
    p = decode(answered(1, 2, yiaddr=LEASED)[0])
    assert p is not None and (p.msg_type, p.server_id, p.yiaddr, p.giaddr) == ("OFFER", SERVER, LEASED, RELAY)


def test_a_request_with_ciaddr_forwarded_by_a_relay_is_rebinding_though_unicast() -> None:
    """A renewal goes to the server directly (section 4.3.2); a relay forwards only what the client
    broadcast, so a request with ciaddr and giaddr is REBINDING even on the relay's unicast leg."""
    c = classify([relayed(1, dhcp(1, 3, op=1, ciaddr=LEASED, src=LEASED))])
    assert [o.message for o in c.messages] == [Request(REBINDING, 0)]


def test_a_relayed_exchange_seen_on_both_legs_is_one_model_exchange() -> None:
    c = classify(relayed_lease())
    assert c.clients == (MAC,) and c.addresses == (LEASED,)
    assert [o.message for o in c.messages] == [
        DISCOVER, Offer(0), Request(SELECTING, 0), Ack(0), Request(RENEWING, 0), Request(REBINDING, 0), Ack(0)]
    assert [o.folded for o in c.messages] == [(2,), (4,), (6,), (8,), (), (11,), (13,)]


def test_a_relayed_capture_is_judged_consistent_by_every_variant() -> None:
    """With the unanswered renewal read as lost on its way (one loss), every variant explains it."""
    report = judge_packets((("relay.pcap", p) for p in relayed_lease()), losses=1)
    assert report.findings == () and report.consistent_variants == report.variants
    assert report.clients == 1


# -- client identifiers (option 61) -------------------------------------------------------------------


def test_two_clients_behind_one_hardware_address_are_told_apart_by_their_identifiers() -> None:
    """Two clients with one chaddr and their own client identifiers: two clients, each shown with
    the hardware address; the server's answers echo the identifier (RFC 6842)."""
    one, two = b"\x01client-one", b"\x01client-two"
    packets = [
        dhcp(1, 1, op=1, xid=1, options={61: one}),
        dhcp(2, 1, op=1, xid=2, options={61: two}),
        dhcp(3, 2, op=2, xid=2, yiaddr="10.77.0.61", options={54: _ip(SERVER), 61: two}),
        dhcp(4, 2, op=2, xid=1, yiaddr="10.77.0.60", options={54: _ip(SERVER), 61: one}),
    ]
    c = classify(packets)
    assert c.clients == (MAC, MAC)
    assert [(o.client, o.message) for o in c.messages] == [(0, DISCOVER), (1, DISCOVER), (1, Offer(0)), (0, Offer(1))]


def test_an_answer_without_the_identifier_belongs_to_the_client_last_seen_with_its_chaddr() -> None:
    ident = bytes.fromhex("ff00000001000100012b3c4d5e020000000001")  # IAID and DUID, as dhcpcd sends
    packets = [
        dhcp(1, 1, op=1, options={61: ident}),
        dhcp(2, 2, op=2, yiaddr=LEASED, options={54: _ip(SERVER)}),
        dhcp(3, 3, op=1, options={61: ident, 54: _ip(SERVER), 50: _ip(LEASED)}),
        dhcp(4, 5, op=2, yiaddr=LEASED, options={54: _ip(SERVER), 61: ident}),
    ]
    c = classify(packets)
    assert c.clients == (MAC,) and {o.client for o in c.messages} == {0}


def test_a_client_that_names_its_identifier_late_stays_one_client() -> None:
    packets = [
        dhcp(1, 1, op=1),
        dhcp(2, 2, op=2, yiaddr=LEASED, options={54: _ip(SERVER)}),
        dhcp(3, 3, op=1, options={61: b"\x01late", 54: _ip(SERVER), 50: _ip(LEASED)}),
        dhcp(4, 5, op=2, yiaddr=LEASED, options={54: _ip(SERVER)}),
    ]
    assert {o.client for o in classify(packets).messages} == {0}


def test_one_identifier_under_a_new_hardware_address_is_the_same_client() -> None:
    """The server keys the lease on the identifier: a client that comes back with another network
    card but its identifier is the client that holds the lease."""
    ident = b"\x01same-client"
    packets = [
        dhcp(1, 3, op=1, options={61: ident, 54: _ip(SERVER), 50: _ip(LEASED)}),
        dhcp(2, 5, op=2, yiaddr=LEASED, options={54: _ip(SERVER), 61: ident}),
        dhcp(3, 3, op=1, xid=2, mac="02:00:00:00:00:99", ciaddr=LEASED, src=LEASED, dst=SERVER, options={61: ident}),
    ]
    classifier = Classifier()
    got = [classifier.feed(p) for p in packets]
    assert [getattr(o, "client", None) for o in got] == [0, 0, 0]
