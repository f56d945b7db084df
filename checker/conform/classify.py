"""DHCP messages of a capture, classified as RFC 2131 does and mapped onto model ids.

Each BOOTP packet is decoded (op, xid, flags, ciaddr, yiaddr, giaddr, chaddr, options 50, 53, 54 and 61).
A DHCPREQUEST is named by RFC 2131 table 4 and section 4.3.2: SELECTING carries a server
identifier and a requested address; INIT-REBOOT (the model's REBOOTING) a requested address and
no server identifier; RENEWING and REBINDING carry ciaddr and neither option, RENEWING unicast
to the server, REBINDING broadcast; a relay agent forwards only what a client broadcast, so a
request with ciaddr that came through one (giaddr set) is REBINDING though the relay unicasts it.
Clients are numbered by the identity the server knows them by (RFC 2131 section 4.2: the client
identifier, option 61, when the client sends one, else the hardware address) and addresses by
first appearance, in capture order, so that client 0 and address 0 are the model's. A capture of
both legs of a relay shows each message twice (client to relay, relay to server): the copies fold.

Retransmissions are folded: a client message equal to that client's previous one (same kind and
address) is the same model message sent again when it has the same xid or no answer came between
the two (NetworkManager repeats an unanswered rebinding request with a new xid), and a server
answer equal to one already given since the client's last new message is the same answer again. The model abstracts
retransmission into one message and one answer, so folding is what makes a capture comparable.

:class:`Classifier` does the same one packet at a time, for a capture read as a stream;
:func:`classify` is it applied to a whole capture.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from leasecheck.checker.conform.pcap import UdpPacket
from leasecheck.errors import UserError
from leasecheck.model import values as V

DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}
MAGIC_COOKIE = b"\x63\x82\x53\x63"
ZERO = "0.0.0.0"
BROADCAST = "255.255.255.255"


class CaptureError(UserError):
    """A capture whose DHCP messages the model cannot describe."""


class DhcpPacket(NamedTuple):
    """The fields of one DHCP message that classification reads (an immutable record)."""

    number: int
    time: float
    src: str
    dst: str
    op: int
    xid: int
    broadcast_flag: bool
    ciaddr: str
    yiaddr: str
    chaddr: str
    msg_type: str
    requested: str | None
    server_id: str | None
    giaddr: str = "0.0.0.0"  # the relay agent's address; not 0.0.0.0 when a relay forwarded it
    client_id: str | None = None  # option 61, hexadecimal: the client's identity when present


def _ip(raw: bytes) -> str:
    return socket.inet_ntoa(raw)


#: op, hlen, xid, flags, ciaddr, yiaddr, (siaddr,) giaddr of a BOOTP header
_BOOTP = struct.Struct("!BxBxIxxH4s4s4x4s")
_ZERO_RAW = bytes(4)
_new_tuple = tuple.__new__


def decode(packet: UdpPacket) -> DhcpPacket | None:
    """The DHCP message in a UDP packet between ports 67 and 68, or None for anything else."""
    sport, dport = packet.sport, packet.dport
    if not ((sport == 67 and (dport == 68 or dport == 67)) or (sport == 68 and dport == 67)):
        return None
    p = packet.payload
    if len(p) < 240 or p[236:240] != MAGIC_COOKIE:
        return None
    op, hlen, xid, flags, ciaddr, yiaddr, giaddr = _BOOTP.unpack_from(p)
    kind = requested = server_id = client_id = None  # the first of each of options 53, 50, 54, 61: all that is read
    pos, end = 240, len(p)
    while pos < end:
        code = p[pos]
        if code == 255:
            break
        if code == 0:
            pos += 1
            continue
        if pos + 1 >= end:
            break
        length = p[pos + 1]
        if code == 53 and kind is None:
            kind = p[pos + 2:pos + 2 + length]
        elif code == 50 and requested is None:
            requested = p[pos + 2:pos + 2 + length]
        elif code == 54 and server_id is None:
            server_id = p[pos + 2:pos + 2 + length]
        elif code == 61 and client_id is None:
            client_id = p[pos + 2:pos + 2 + length]
        pos += 2 + length
    if kind is None or len(kind) != 1 or kind[0] not in DHCP_TYPES:
        return None
    ntoa = socket.inet_ntoa
    return _new_tuple(DhcpPacket, (  # DhcpPacket(...), without the call of its constructor
        packet.number, packet.time, packet.src, packet.dst, op, xid, bool(flags & 0x8000),
        ZERO if ciaddr == _ZERO_RAW else ntoa(ciaddr), ZERO if yiaddr == _ZERO_RAW else ntoa(yiaddr),
        p[28:28 + min(hlen, 16)].hex(":"), DHCP_TYPES[kind[0]],
        ntoa(requested) if requested is not None and len(requested) == 4 else None,
        ntoa(server_id) if server_id is not None and len(server_id) == 4 else None,
        ZERO if giaddr == _ZERO_RAW else ntoa(giaddr), client_id.hex() if client_id else None))


def request_kind(p: DhcpPacket) -> tuple[str, str, str]:
    """(model kind, address asked for, why) for a DHCPREQUEST, by RFC 2131 table 4."""
    if p.server_id is not None:
        if p.requested is None:
            raise CaptureError(f"packet {p.number}: a REQUEST with a server identifier but no requested address")
        return V.SELECTING, p.requested, "server identifier and requested address: SELECTING"
    if p.ciaddr == ZERO:
        if p.requested is None:
            raise CaptureError(f"packet {p.number}: a REQUEST with neither ciaddr nor a requested address")
        return V.REBOOTING, p.requested, "requested address, no server identifier, no ciaddr: INIT-REBOOT"
    if p.requested is not None and p.requested != p.ciaddr:
        raise CaptureError(f"packet {p.number}: a REQUEST with ciaddr {p.ciaddr} asks for {p.requested}")
    if p.dst == BROADCAST:
        return V.REBINDING, p.ciaddr, "ciaddr, no server identifier, broadcast: REBINDING"
    if p.giaddr != ZERO:  # a relay forwards what the client broadcast; a renewal goes to the server directly
        return V.REBINDING, p.ciaddr, "ciaddr, no server identifier, forwarded by a relay agent: REBINDING"
    return V.RENEWING, p.ciaddr, "ciaddr, no server identifier, unicast: RENEWING"


class Observed(NamedTuple):
    """One DHCP message of the capture as a model message of one client (an immutable record, a
    tuple for speed: a segment's capture has millions)."""

    number: int  # the packet number in the capture
    time: float
    client: int
    direction: str  # "to server" or "to client"
    message: object  # a model message value: Discover, Request, Release, Offer, Ack, Nak
    why: str  # how the message was classified
    folded: tuple[int, ...] = ()  # packet numbers of retransmissions folded into this one

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Classified:
    """A capture as model events: the messages, and the meaning of the model's ids."""

    messages: tuple[Observed, ...]
    clients: tuple[str, ...]  # hardware address of model client i
    addresses: tuple[str, ...]  # IPv4 address of model address i
    ignored: tuple[str, ...] = field(default=())  # packets left out, and why

    def address_of(self, ip: str) -> int:
        return self.addresses.index(ip)


class _Ids:
    """Model ids by first appearance: dictionaries, so that a capture of many packets stays linear.

    A client is who RFC 2131 section 4.2 says the server knows it as: its client identifier
    (option 61) when its messages carry one, its hardware address otherwise. A client first seen
    without an identifier that then names one stays the same client; a message with no identifier
    (a server's answer that does not echo it) belongs to the client last seen with its hardware
    address."""

    def __init__(self) -> None:
        self.clients: dict[str, int] = {}  # hardware address -> the client last seen with it
        self.identified: dict[str, int] = {}  # client identifier -> client
        self.identifiers: list[str | None] = []  # client identifier of client i, if it named one
        self.addresses: dict[str, int] = {}
        self.macs: list[str] = []  # hardware address of client i (its first)
        self.ips: list[str] = []  # IPv4 address of address i

    def client(self, mac: str, identifier: str | None = None) -> int:
        if identifier is not None:
            got = self.identified.get(identifier)
            if got is None:
                got = self.clients.get(mac)
                if got is None or self.identifiers[got] is not None:
                    got = self._new(mac)
                self.identifiers[got] = identifier
                self.identified[identifier] = got
            self.clients[mac] = got
            return got
        got = self.clients.get(mac)
        if got is None:
            got = self.clients[mac] = self._new(mac)
        return got

    def _new(self, mac: str) -> int:
        self.macs.append(mac)
        self.identifiers.append(None)
        return len(self.macs) - 1

    def address(self, ip: str) -> int:
        got = self.addresses.get(ip)
        if got is None:
            got = self.addresses[ip] = len(self.ips)
            self.ips.append(ip)
        return got


def _model_message(p: DhcpPacket, ids: _Ids, made: dict[tuple[str, str], tuple[object, str]] | None = None
                   ) -> tuple[object, str]:
    """The model message of ``p`` and how it was named; ``made`` keeps one per distinct message (so
    that it is built once, and later look-ups compare and hash the same object)."""
    mt = p.msg_type
    if mt == "DISCOVER":
        return V.DISCOVER, "DHCPDISCOVER"
    if mt == "NAK":
        return V.NAK, f"DHCPNAK, {'broadcast' if p.dst == BROADCAST else 'unicast'}"
    if mt == "REQUEST":
        kind, ip, why = request_kind(p)
    elif mt == "ACK":
        kind, ip, why = mt, p.yiaddr if p.yiaddr != ZERO else p.ciaddr, "DHCPACK of yiaddr"
    elif mt == "OFFER":
        kind, ip, why = mt, p.yiaddr, "DHCPOFFER of yiaddr"
    elif mt == "RELEASE":
        kind, ip, why = mt, p.ciaddr, "DHCPRELEASE of ciaddr"
    else:
        raise CaptureError(f"packet {p.number}: DHCP{mt} has no counterpart in the model")
    key = (kind, ip)
    got = made.get(key) if made is not None else None
    if got is None:
        a = ids.address(ip)
        message = {"ACK": V.Ack, "OFFER": V.Offer, "RELEASE": V.Release}[kind](a) if kind in ("ACK", "OFFER", "RELEASE") \
            else V.Request(kind, a)
        got = (message, why)
        if made is not None:
            made[key] = got
    return got


class Classifier:
    """Classification one packet at a time, for a capture read as a stream: the model ids and the
    folding state, per client, are all it keeps (memory grows with the clients and addresses,
    not with the packets). :meth:`feed` gives each new model message, or the index of the
    message a retransmission folds into; ``strict=False`` leaves out a DHCP message the model
    cannot name (a SELECTING request without an address, ...) instead of refusing the capture,
    counting it in :attr:`left_out` and keeping the first :data:`MAX_NOTES` reasons."""

    MAX_NOTES = 100

    def __init__(self, fold: bool = True, strict: bool = True) -> None:
        self.fold, self.strict = fold, strict
        self.ids = _Ids()
        self.count = 0  # model messages given so far
        self.notes: list[str] = []
        self.left_out = 0
        self._last_sent: dict[int, tuple[object, int, int]] = {}  # client -> (message, xid, index)
        self._answers: dict[int, dict[object, int]] = {}  # client -> {answer: index} since its last new message
        self._made: dict[tuple[str, str], tuple[object, str]] = {}  # one model message per distinct message

    def _leave_out(self, note: str) -> None:
        self.left_out += 1
        if len(self.notes) < self.MAX_NOTES:
            self.notes.append(note)

    def feed(self, packet: UdpPacket) -> Observed | int | None:
        p = decode(packet)
        if p is None:
            return None
        if p.msg_type in ("DECLINE", "INFORM"):
            self._leave_out(f"packet {p.number}: DHCP{p.msg_type} (not in the model)")
            return None
        try:
            message, why = _model_message(p, self.ids, self._made)
        except CaptureError as exc:
            if self.strict:
                raise
            self._leave_out(str(exc))
            return None
        ids = self.ids
        client = ids.clients.get(p.chaddr) if p.client_id is None else None
        if client is None:
            client = ids.client(p.chaddr, p.client_id)
        direction = "to server" if p.op == 1 else "to client"
        if self.fold and direction == "to server":
            prev = self._last_sent.get(client)
            if prev is not None and (prev[0] is message or prev[0] == message) \
                    and (prev[1] == p.xid or not self._answers.get(client)):
                return prev[2]
            self._last_sent[client] = (message, p.xid, self.count)
            self._answers[client] = {}
        elif self.fold:
            answers = self._answers.get(client)
            if answers is None:
                answers = self._answers[client] = {}
            earlier = answers.get(message)
            if earlier is not None:
                return earlier
            answers[message] = self.count
        self.count += 1
        return _new_tuple(Observed, (p.number, p.time, client, direction, message, why, ()))  # Observed(...), faster


def classify(packets: Iterable[UdpPacket], fold: bool = True) -> Classified:
    """The DHCP messages of a capture as model messages, retransmissions folded when ``fold``."""
    classifier = Classifier(fold)
    out: list[Observed] = []
    folds: dict[int, list[int]] = {}  # index in out -> packet numbers of its retransmissions
    for packet in packets:
        got = classifier.feed(packet)
        if isinstance(got, Observed):
            out.append(got)
        elif got is not None:
            folds.setdefault(got, []).append(packet.number)
    for index, numbers in folds.items():
        o = out[index]
        out[index] = Observed(o.number, o.time, o.client, o.direction, o.message, o.why, tuple(numbers))
    ids = classifier.ids
    return Classified(tuple(out), tuple(ids.macs), tuple(ids.ips), tuple(classifier.notes))
