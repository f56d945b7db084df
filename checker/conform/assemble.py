"""Larger captures assembled from real ones, with seeded deviations, to measure what judging finds.

:func:`assemble` takes one real capture of one client (with the moment its lease was deleted) and
makes a capture of ``copies`` clients of the same server: copy ``k`` is the real capture with its
client's hardware address (chaddr, and the Ethernet addresses that are the client's), client
identifier (option 61: its last two bytes) and addresses (every address the server leased or the
client asked for, wherever it appears: IP header, ciaddr, yiaddr, option 50) made its own, and
its packets merged in time with the others'. Copy 0 is the real capture whole, and its delete is
the assembled capture's (the model has one administrator's delete); every other copy is cut at
its own delete and begins once copy 0's delete is done, copy ``k`` a quarter of the capture's
length after copy ``k - 1`` (so that about four copies, and copy 0's recovery, overlap at any
moment). So the delete can only have been of copy 0's lease, as in the real capture. The server's
own addresses are left alone: it is one server.

:func:`inject` adds one deviation of a given class to an assembled capture and says where a
judge must find it (the client's hardware address, the packet's number as Wireshark counts the
written file, its time): a double ACK (an address ACKed to a client while another certainly holds
it), an OFFER of an address certainly bound to another client, a NAK the policy requires removed,
and an ACK for the deleted lease from a server whose policy is silence. These are for tests and
benchmarks: captures of known deviations to judge.
"""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leasecheck.checker.conform.classify import ZERO, decode
from leasecheck.checker.conform.pcap import LINK_ETHERNET, PcapError, UdpPacket, _classic, _ipv4_udp, _network_layer

DOUBLE_ACK, OFFER_BOUND, MISSING_NAK, ACK_SILENT = "double ACK", "OFFER of a bound address", \
    "missing NAK", "ACK where the server is silent"
CLASSES = (DOUBLE_ACK, OFFER_BOUND, MISSING_NAK, ACK_SILENT)
_ETHERNET_IPV4 = b"\x08\x00"


@dataclass(frozen=True)
class Packet:
    """One packet of an assembled capture: an Ethernet frame and what it is."""

    time: float
    frame: bytes
    copy: int  # the copy it belongs to
    kind: str  # its DHCP message type ("" for other packets)
    injected: bool = False


@dataclass(frozen=True)
class Assembled:
    """An assembled capture: its packets in time order, each copy's client, the delete's moment."""

    packets: tuple[Packet, ...]
    macs: tuple[str, ...]  # the hardware address of copy k's client
    addresses: tuple[dict[str, str], ...]  # copy k: real address -> its address
    delete_time: float  # the last copy's delete, in the assembled capture's clock

    def pcap(self) -> bytes:
        """The capture as a classic pcap (Ethernet)."""
        out = io.BytesIO()
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINK_ETHERNET))
        for p in self.packets:
            sec = int(p.time)
            usec = int(round((p.time - sec) * 1e6))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            out.write(struct.pack("<IIII", sec, usec, len(p.frame), len(p.frame)) + p.frame)
        return out.getvalue()


@dataclass(frozen=True)
class Seeded:
    """A deviation put into a capture, and where a judge must find it."""

    kind: str  # one of CLASSES
    capture: Assembled
    mac: str  # the client whose message deviates
    number: int  # the packet a finding must name (1-based, as Wireshark counts the written file)
    time: float
    message: str  # the message's model kind ("ACK", "OFFER", "DISCOVER", ...)
    expect: str  # "global" (a double commitment) or "projection" (the client's view)


def _frames(data: bytes) -> list[tuple[float, bytes]]:
    """The Ethernet frames of a classic pcap (any link type is given an Ethernet header)."""
    out = []
    for time, link, frame in _classic(data):
        if link != LINK_ETHERNET:
            ip = _network_layer(link, frame)
            if ip is None:
                continue
            frame = b"\xff" * 6 + b"\x02" + bytes(5) + _ETHERNET_IPV4 + ip
        out.append((time, frame))
    return out


def _udp(frame: bytes) -> UdpPacket | None:
    ip = _network_layer(LINK_ETHERNET, frame)
    return None if ip is None else _ipv4_udp(0, 0.0, ip)


def _kind(frame: bytes) -> str:
    u = _udp(frame)
    p = None if u is None else decode(u)
    return "" if p is None else p.msg_type


def _pool(frames: Sequence[tuple[float, bytes]]) -> list[str]:
    """The addresses the server leased or a client asked for, in order of appearance."""
    seen: dict[str, None] = {}
    for _t, frame in frames:
        u = _udp(frame)
        p = None if u is None else decode(u)
        if p is None:
            continue
        for a in (p.yiaddr, p.ciaddr, p.requested):
            if a is not None and a != ZERO:
                seen.setdefault(a, None)
    return list(seen)


def _rewrite(frame: bytes, copy: int, macs: dict[bytes, bytes], ips: dict[bytes, bytes]) -> bytes:
    """``frame`` with the client's hardware address, identifier and addresses made copy ``copy``'s."""
    f = bytearray(frame)
    for at in (0, 6):  # Ethernet destination and source
        f[at:at + 6] = macs.get(bytes(f[at:at + 6]), bytes(f[at:at + 6]))
    if bytes(f[12:14]) != _ETHERNET_IPV4:
        return bytes(f)
    ihl = (f[14] & 0x0F) * 4
    for at in (26, 30):  # IP source and destination
        f[at:at + 4] = ips.get(bytes(f[at:at + 4]), bytes(f[at:at + 4]))
    if f[23] != 17:
        return bytes(f)
    bootp = 14 + ihl + 8
    if len(f) < bootp + 240:
        return bytes(f)
    for off in (12, 16):  # ciaddr, yiaddr
        at = bootp + off
        f[at:at + 4] = ips.get(bytes(f[at:at + 4]), bytes(f[at:at + 4]))
    hlen = min(f[bootp + 2], 16)
    at = bootp + 28
    f[at:at + hlen] = macs.get(bytes(f[at:at + hlen]), bytes(f[at:at + hlen]))
    pos = bootp + 240
    while pos + 1 < len(f) and f[pos] != 255:
        if f[pos] == 0:
            pos += 1
            continue
        code, length = f[pos], f[pos + 1]
        value = pos + 2
        if code == 50 and length == 4:
            f[value:value + 4] = ips.get(bytes(f[value:value + 4]), bytes(f[value:value + 4]))
        elif code == 61 and length >= 3:
            f[value + length - 2:value + length] = struct.pack("!H", copy)
        pos += 2 + length
    return bytes(f)


def _copy_ids(copy: int, real_macs: Sequence[bytes], pool: Sequence[str]) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    macs = {m: bytes([0x02, 0x5A]) + struct.pack("!H", copy) + m[4:6] for m in real_macs}
    if len(pool) > 250:
        raise PcapError("a capture of more than 250 leased addresses cannot be assembled")
    ips = {socket.inet_aton(a): bytes([10, 100 + (copy >> 8), copy & 0xFF, 1 + i]) for i, a in enumerate(pool)}
    return macs, ips


def assemble(data: bytes, delete_time: float, copies: int) -> Assembled:
    """``copies`` copies of the real capture ``data`` (classic pcap, one client), interleaved in time;
    all but the last cut at ``delete_time`` (see the module docstring)."""
    if not 1 <= copies <= 60_000:
        raise PcapError("between 1 and 60,000 copies are assembled")
    frames = _frames(data)
    if not frames:
        raise PcapError("the capture holds no packet")
    pool = _pool(frames)
    real_macs = sorted({bytes.fromhex(p.chaddr.replace(":", "")) for _t, f in frames
                        if (u := _udp(f)) is not None and (p := decode(u)) is not None and p.op == 1})
    start, end = frames[0][0], frames[-1][0]
    step = max(round((end - start) / 4, 3), 0.001)
    after = round(delete_time - start, 3) + 0.001  # the other copies begin once the delete is done
    packets: list[Packet] = []
    macs_out: list[str] = []
    addresses: list[dict[str, str]] = []
    for k in range(copies):
        macs, ips = _copy_ids(k, real_macs, pool)
        macs_out.append(macs[real_macs[0]].hex(":") if real_macs else "")
        addresses.append({socket.inet_ntoa(a): socket.inet_ntoa(b) for a, b in ips.items()})
        shift = 0.0 if k == 0 else after + (k - 1) * step
        for t, frame in frames:
            if k and t >= delete_time:
                break
            new = _rewrite(frame, k, macs, ips)
            packets.append(Packet(t + shift, new, k, _kind(new)))
    packets.sort(key=lambda p: p.time)
    return Assembled(tuple(packets), tuple(macs_out), tuple(addresses), delete_time)


# -- seeded deviations ------------------------------------------------------------------------------


def _set_field(frame: bytes, yiaddr: str | None = None) -> bytes:
    f = bytearray(frame)
    bootp = 14 + (f[14] & 0x0F) * 4 + 8
    if yiaddr is not None:
        f[bootp + 16:bootp + 20] = socket.inet_aton(yiaddr)
    return bytes(f)


def _decoded(p: Packet) -> tuple[str, str]:
    """(yiaddr, ciaddr) of a DHCP packet."""
    u = _udp(p.frame)
    d = None if u is None else decode(u)
    return ("", "") if d is None else (d.yiaddr, d.ciaddr)


def _with(a: Assembled, packets: list[Packet]) -> Assembled:
    packets.sort(key=lambda p: p.time)
    return Assembled(tuple(packets), a.macs, a.addresses, a.delete_time)


def _seeded(kind: str, a: Assembled, copy: int, message: str, expect: str, at: float | None = None) -> Seeded:
    """Where the deviation must be found: the injected packet, or (``at``) copy ``copy``'s first
    DHCP packet from that moment."""
    for n, p in enumerate(a.packets, start=1):
        if at is None and p.injected:
            return Seeded(kind, a, a.macs[copy], n, p.time, message, expect)
        if at is not None and p.copy == copy and p.kind and p.time >= at:
            return Seeded(kind, a, a.macs[copy], n, p.time, p.kind, expect)
    raise PcapError(f"the {kind} could not be placed: nothing follows it")


def inject(a: Assembled, kind: str, which: int = 0) -> Seeded:
    """One deviation of class ``kind`` in ``a`` (``which`` picks among the places it fits)."""
    packets = list(a.packets)
    last = 0  # the whole copy, whose lease is deleted
    if kind in (DOUBLE_ACK, OFFER_BOUND):
        # copy i has its ACK; copy j (a later one) then gets i's address
        acks = {p.copy: p for p in packets if p.kind == "ACK" and p.copy}
        i, j = 1, 2 + which
        if j >= len(a.macs) or i not in acks:
            raise PcapError(f"the {kind} needs more copies")
        address = _decoded(acks[i])[0]
        target = "ACK" if kind == DOUBLE_ACK else "OFFER"
        mine = [p for p in packets if p.copy == j and p.kind == target and p.time > acks[i].time]
        if not mine:
            raise PcapError(f"the {kind} found no {target} of copy {j} after copy {i}'s ACK")
        model = mine[0]
        packets.append(Packet(model.time + 1e-4, _set_field(model.frame, yiaddr=address), j, target, True))
        return _seeded(kind, _with(a, packets), j, target, "global")
    if kind == MISSING_NAK:
        naks = [p for p in packets if p.copy == last and p.kind == "NAK" and p.time >= a.delete_time]
        if not naks:
            raise PcapError("the capture's server sends no NAK after the delete")
        first = naks[0].time
        kept = [p for p in packets if not (p.copy == last and p.kind == "NAK" and p.time >= a.delete_time)]
        return _seeded(kind, _with(a, kept), last, "", "projection", at=first)
    if kind == ACK_SILENT:
        requests = [p for p in packets if p.copy == last and p.kind == "REQUEST" and p.time >= a.delete_time]
        before = [p for p in packets if p.copy == last and p.kind == "ACK" and p.time < a.delete_time]
        if not requests or not before:
            raise PcapError("the capture has no request after the delete, or no ACK before it")
        packets.append(Packet(requests[0].time + 1e-4, before[-1].frame, last, "ACK", True))
        return _seeded(kind, _with(a, packets), last, "ACK", "projection")
    raise PcapError(f"unknown deviation {kind!r}")


def found(seeded: Seeded, findings: Sequence[Any], variants: Sequence[str]) -> list[Any]:
    """The findings that name the seeded deviation: its client, packet and time, together under
    every one of ``variants`` (those that explain the capture without it)."""
    named = [f for f in findings if f.mac == seeded.mac and f.number == seeded.number
             and abs(f.time - seeded.time) < 1e-5]
    covered = {v for f in named for v in f.variants}
    return named if named and covered >= set(variants) else []


__all__ = ["ACK_SILENT", "CLASSES", "PcapError", "DOUBLE_ACK", "MISSING_NAK", "OFFER_BOUND", "Assembled", "Packet",
           "Seeded", "assemble", "found", "inject"]
