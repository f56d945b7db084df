"""Reading packet captures: classic pcap and pcapng, down to the UDP payloads of IPv4 packets.

A small reader of the two formats, so that a capture needs no third-party package. It knows the
link types a DHCP capture comes in (Ethernet, Linux cooked v1 and v2, raw IP) and yields, per
packet, its number (1-based, as Wireshark counts), its time and its IPv4/UDP header fields.
Bytes that are not such a capture (a wrong magic number, a truncated header or record, a length
beyond the end) are a :class:`PcapError`; so is a capture of more than :data:`MAX_PACKETS` packets.

:func:`read_udp` reads a capture held in memory; :func:`stream_udp` reads one from a binary
stream (a file, standard input) record by record, holding one record at a time, with no limit on
the number of packets: what bounds its memory is the size of the largest record
(:data:`MAX_RECORD_BYTES`).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from leasecheck.errors import UserError

#: the largest capture file read, and the most packets (of any kind) a capture may hold
MAX_CAPTURE_BYTES = 64 * 1024 * 1024
MAX_PACKETS = 200_000

#: the largest packet record or pcapng block :func:`stream_udp` reads (a DHCP frame is under 1,500 bytes)
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: how much of a classic pcap :func:`stream_udp` reads ahead at a time
CHUNK_BYTES = 256 * 1024

LINK_ETHERNET = 1
LINK_RAW = 101
LINK_LINUX_SLL = 113
LINK_IPV4 = 228
LINK_LINUX_SLL2 = 276


class PcapError(UserError):
    """The file is not a capture this reader understands."""


class UdpPacket(NamedTuple):
    """One IPv4/UDP packet: an immutable record, a tuple for speed (a capture has millions)."""

    number: int  # 1-based position among all packets of the capture
    time: float  # seconds since the epoch
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes


def _ip(raw: bytes) -> str:
    return socket.inet_ntoa(raw)


#: an IPv4 header's version and length, total length, fragment field, protocol, source, destination
_IP_HEADER = struct.Struct("!BxH2xHxB2x4s4s")
_UDP_HEADER = struct.Struct("!HHH")
#: the most distinct addresses whose text one reading keeps
_TEXT_CACHE = 65_536


def _ipv4_udp(number: int, time: float, frame: bytes, text: dict[bytes, str] | None = None) -> UdpPacket | None:
    """The UDP packet in an IPv4 packet; ``text`` caches addresses written out (a capture names few)."""
    if len(frame) < 20:
        return None
    vihl, total, frag, proto, src, dst = _IP_HEADER.unpack_from(frame)
    ihl = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or proto != 17 or len(frame) < ihl + 8:
        return None
    if frag & 0x1FFF:  # a later fragment carries no UDP header
        return None
    sport, dport, length = _UDP_HEADER.unpack_from(frame, ihl)
    end = min(len(frame), ihl + length, total if total >= ihl + 8 else len(frame))
    if text is None:
        return UdpPacket(number, time, _ip(src), _ip(dst), sport, dport, frame[ihl + 8:end])
    s, d = text.get(src), text.get(dst)
    if s is None or d is None:
        if len(text) >= _TEXT_CACHE:
            text.clear()
        s = text[src] = _ip(src)
        d = text[dst] = _ip(dst)
    return UdpPacket(number, time, s, d, sport, dport, frame[ihl + 8:end])


def _network_layer(link: int, frame: bytes) -> bytes | None:
    """The IPv4 packet inside a link-layer frame, or None when it carries something else."""
    if link == LINK_ETHERNET:
        if frame[12:14] == b"\x08\x00":  # untagged IPv4, the common case
            return frame[14:]
        offset, ethertype = 14, struct.unpack_from("!H", frame, 12)[0] if len(frame) >= 14 else 0
        while ethertype in (0x8100, 0x88A8) and len(frame) >= offset + 4:  # VLAN tags
            ethertype = struct.unpack_from("!H", frame, offset + 2)[0]
            offset += 4
        return frame[offset:] if ethertype == 0x0800 else None
    if link == LINK_LINUX_SLL:
        return frame[16:] if len(frame) >= 16 and struct.unpack_from("!H", frame, 14)[0] == 0x0800 else None
    if link == LINK_LINUX_SLL2:
        return frame[20:] if len(frame) >= 20 and struct.unpack_from("!H", frame, 0)[0] == 0x0800 else None
    if link in (LINK_RAW, LINK_IPV4):
        return frame
    raise PcapError(f"link type {link} is not supported (Ethernet, Linux cooked or raw IP are)")


def _classic(data: bytes) -> Iterator[tuple[float, int, bytes]]:
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 10**6), b"\xa1\xb2\xc3\xd4": (">", 10**6),
             b"\x4d\x3c\xb2\xa1": ("<", 10**9), b"\xa1\xb2\x3c\x4d": (">", 10**9)}
    order, per_second = table[magic]
    if len(data) < 24:
        raise PcapError("truncated pcap header")
    link = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(order + "IIII", data, pos)
        pos += 16
        if pos + incl > len(data):
            raise PcapError(f"truncated packet record at byte {pos - 16}")
        yield (sec * per_second + frac) / per_second, link, data[pos:pos + incl]
        pos += incl


def _pcapng(data: bytes) -> Iterator[tuple[float, int, bytes]]:
    order = "<"
    links: list[tuple[int, int]] = []
    pos = 0
    while pos + 12 <= len(data):
        btype = struct.unpack_from(order + "I", data, pos)[0]
        if btype == 0x0A0D0D0A:  # section header: fixes the byte order of the section
            order = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack_from(order + "I", data, pos + 4)[0]
        if blen < 12 or pos + blen > len(data):
            raise PcapError(f"truncated pcapng block at byte {pos}")
        body = data[pos + 8:pos + blen - 4]
        if btype == 1:  # interface description
            link = struct.unpack_from(order + "H", body, 0)[0]
            links.append((link, _if_tsresol(body[8:], order)))
        elif btype == 6:  # enhanced packet
            iface, hi, lo, incl = struct.unpack_from(order + "IIII", body, 0)
            link, per_second = links[iface]
            yield ((hi << 32) | lo) / per_second, link, body[20:20 + incl]
        elif btype == 3:  # simple packet
            link, _per_second = links[0]
            yield 0.0, link, body[4:]
        pos += blen


def _if_tsresol(options: bytes, order: str) -> int:
    """Timestamp ticks per second of an interface (option if_tsresol; default microseconds)."""
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = options[pos + 4]
            return 2 ** (v & 0x7F) if v & 0x80 else 10**v
        pos += 4 + (length + 3) // 4 * 4
    return 10**6


def read_udp(data: bytes) -> list[UdpPacket]:
    """Every IPv4/UDP packet of a classic pcap or pcapng capture, in capture order; a capture of more
    than :data:`MAX_PACKETS` packets is refused as it is read."""
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        records = _classic(data)
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        records = _pcapng(data)
    else:
        raise PcapError("not a pcap or pcapng capture (unknown magic number)")
    out = []
    try:
        for number, (time, link, frame) in enumerate(records, start=1):
            if number > MAX_PACKETS:
                raise PcapError(f"the capture holds more than {MAX_PACKETS:,} packets, more than leasecheck reads; "
                                f"cut it to the DHCP exchange (for example with tcpdump -r IN -w OUT port 67 or 68)")
            ip = _network_layer(link, frame)
            if ip is None:
                continue
            packet = _ipv4_udp(number, time, ip)
            if packet is not None:
                out.append(packet)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise PcapError(f"malformed capture: {exc}") from None
    return out


_CLASSIC = {b"\xd4\xc3\xb2\xa1": ("<", 10**6), b"\xa1\xb2\xc3\xd4": (">", 10**6),
            b"\x4d\x3c\xb2\xa1": ("<", 10**9), b"\xa1\xb2\x3c\x4d": (">", 10**9)}


def _exactly(stream: BinaryIO, n: int, what: str, where: int) -> bytes:
    """``n`` bytes of ``stream``, or a :class:`PcapError` naming the truncated ``what``."""
    if n > MAX_RECORD_BYTES:
        raise PcapError(f"a {what} of {n:,} bytes at byte {where}, more than leasecheck reads")
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise PcapError(f"truncated {what} at byte {where}")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _stream_classic(stream: BinaryIO, magic: bytes) -> Iterator[tuple[float, int, bytes]]:
    order, per_second = _CLASSIC[magic]
    header = _exactly(stream, 20, "pcap header", 4)
    link = struct.unpack_from(order + "I", header, 16)[0] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII")
    buffer, at, pos = b"", 0, 24  # the bytes read ahead, where the next record starts in them, in the file
    while True:
        if len(buffer) - at < 16:
            more = stream.read(CHUNK_BYTES)
            buffer = buffer[at:] + more
            at = 0
            if not more:
                if buffer:
                    raise PcapError(f"truncated packet record at byte {pos}")
                return
            continue
        sec, frac, incl, _orig = record.unpack_from(buffer, at)
        if incl > MAX_RECORD_BYTES:
            raise PcapError(f"a packet record of {incl:,} bytes at byte {pos}, more than leasecheck reads")
        end = at + 16 + incl
        if end > len(buffer):
            more = stream.read(max(CHUNK_BYTES, end - len(buffer)))
            if not more:
                raise PcapError(f"truncated packet record at byte {pos}")
            buffer = buffer[at:] + more
            at = 0
            continue
        yield (sec * per_second + frac) / per_second, link, buffer[at + 16:end]
        pos += 16 + incl
        at = end


def _stream_pcapng(stream: BinaryIO, first: bytes) -> Iterator[tuple[float, int, bytes]]:
    order = "<"
    links: list[tuple[int, int]] = []
    pos = 0
    head = first
    while True:
        if not head:
            head = stream.read(8)
            if not head:
                return
        if len(head) < 8:
            head += _exactly(stream, 8 - len(head), "pcapng block", pos)
        btype = struct.unpack_from(order + "I", head, 0)[0]
        if btype == 0x0A0D0D0A:  # section header: its byte-order magic follows the length
            bom = _exactly(stream, 4, "pcapng section header", pos)
            order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
            blen = struct.unpack_from(order + "I", head, 4)[0]
            if blen < 16:
                raise PcapError(f"truncated pcapng block at byte {pos}")
            body = bom + _exactly(stream, blen - 12, "pcapng block", pos)
        else:
            blen = struct.unpack_from(order + "I", head, 4)[0]
            if blen < 12:
                raise PcapError(f"truncated pcapng block at byte {pos}")
            body = _exactly(stream, blen - 8, "pcapng block", pos)
        body = body[:-4]
        if btype == 1:
            link = struct.unpack_from(order + "H", body, 0)[0]
            links.append((link, _if_tsresol(body[8:], order)))
        elif btype == 6:
            iface, hi, lo, incl = struct.unpack_from(order + "IIII", body, 0)
            link, per_second = links[iface]
            yield ((hi << 32) | lo) / per_second, link, body[20:20 + incl]
        elif btype == 3:
            yield 0.0, links[0][0], body[4:]
        pos += blen
        head = b""


def stream_udp(stream: BinaryIO) -> Iterator[UdpPacket]:
    """Every IPv4/UDP packet of a classic pcap or pcapng capture read from ``stream``, in capture
    order, one record in memory at a time; numbered from 1 as Wireshark numbers the file."""
    magic = stream.read(4)
    if magic in _CLASSIC:
        records = _stream_classic(stream, magic)
    elif magic == b"\x0a\x0d\x0d\x0a":
        records = _stream_pcapng(stream, magic + _exactly(stream, 4, "pcapng section header", 0))
    else:
        raise PcapError("not a pcap or pcapng capture (unknown magic number)")
    text: dict[bytes, str] = {}
    ip_header, udp_header = _IP_HEADER.unpack_from, _UDP_HEADER.unpack_from
    new_tuple = tuple.__new__
    try:
        for number, (time, link, frame) in enumerate(records, start=1):
            if link == LINK_ETHERNET and frame[12:14] == b"\x08\x00" and len(frame) >= 34:
                # untagged Ethernet, IPv4: the common case, read here without a call
                vihl, total, frag, proto, src, dst = ip_header(frame, 14)
                ihl = (vihl & 0x0F) * 4
                if vihl >> 4 != 4 or proto != 17 or len(frame) < 14 + ihl + 8 or frag & 0x1FFF:
                    continue
                sport, dport, length = udp_header(frame, 14 + ihl)
                end = 14 + min(len(frame) - 14, ihl + length, total if total >= ihl + 8 else len(frame) - 14)
                s, d = text.get(src), text.get(dst)
                if s is None or d is None:
                    if len(text) >= _TEXT_CACHE:
                        text.clear()
                    s = text[src] = _ip(src)
                    d = text[dst] = _ip(dst)
                yield new_tuple(UdpPacket, (number, time, s, d, sport, dport, frame[14 + ihl + 8:end]))  # UdpPacket(...)
                continue
            ip = _network_layer(link, frame)
            if ip is None:
                continue
            packet = _ipv4_udp(number, time, ip, text)
            if packet is not None:
                yield packet
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise PcapError(f"malformed capture: {exc}") from None
