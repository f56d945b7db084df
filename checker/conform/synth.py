"""DHCP captures written from model messages: the model's own runs, and many clients renewing.

:class:`CaptureWriter` writes a classic pcap (Ethernet) in which each model message is the DHCP
packet :mod:`leasecheck.checker.conform.classify` reads back as that message (a REQUEST's kind by
RFC 2131 table 4: server identifier, requested address, ciaddr, broadcast or unicast). Client
``c`` has the hardware address ``02:00:xx:xx:xx:xx`` with ``c + 1`` in the last four bytes;
address ``a`` is ``10.x.y.z`` with ``a + 10`` in the last three; the server is 10.0.0.1.

:func:`model_run` walks a run of the model of every client (as the capture would show it: a
client sends only once it has handled the server's last answer) and gives its messages and the
moment of the administrator's delete; :func:`renewals` gives ``clients`` clients that each get a
lease and renew it, interleaved, for benchmarks. Both are for tests and benchmarks: a capture of
known origin to judge.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from leasecheck.model import values as V
from leasecheck.model.compile import compile_successors
from leasecheck.model.dhcp import Config, dhcp_system

SERVER = bytes([10, 0, 0, 1])
BROADCAST = b"\xff" * 4
ZERO = b"\0" * 4


def mac_of(client: int) -> bytes:
    return b"\x02\x00" + struct.pack("!I", client + 1)


def ip_of(address: int) -> bytes:
    return bytes([10]) + struct.pack("!I", address + 10)[1:]


@dataclass(frozen=True)
class Message:
    """One model message on the wire: when, which client, which way."""

    time: float
    client: int
    direction: str  # "to server" or "to client"
    message: object


def _dhcp(op: int, xid: int, mac: bytes, kind: int, ciaddr: bytes = ZERO, yiaddr: bytes = ZERO,
          requested: bytes | None = None, server: bytes | None = None) -> bytes:
    p = bytearray(240)
    p[0], p[1], p[2] = op, 1, 6
    struct.pack_into("!IHH", p, 4, xid, 0, 0)
    p[12:16], p[16:20], p[28:34], p[236:240] = ciaddr, yiaddr, mac, b"\x63\x82\x53\x63"
    opts = bytes([53, 1, kind])
    if requested is not None:
        opts += bytes([50, 4]) + requested
    if server is not None:
        opts += bytes([54, 4]) + server
    return bytes(p) + opts + b"\xff"


def _frame(mac: bytes, src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp
    return b"\xff" * 6 + mac + b"\x08\x00" + ip


def packet(m: Message, xid: int) -> bytes:
    """The Ethernet frame of one model message."""
    mac, msg = mac_of(m.client), m.message
    if m.direction == "to server":
        if isinstance(msg, V.Discover):
            return _frame(mac, ZERO, BROADCAST, 68, 67, _dhcp(1, xid, mac, 1))
        if isinstance(msg, V.Release):
            return _frame(mac, ip_of(msg.addr), SERVER, 68, 67, _dhcp(1, xid, mac, 7, ciaddr=ip_of(msg.addr)))
        assert isinstance(msg, V.Request)
        ip = ip_of(msg.addr)
        if msg.kind == V.SELECTING:
            return _frame(mac, ZERO, BROADCAST, 68, 67, _dhcp(1, xid, mac, 3, requested=ip, server=SERVER))
        if msg.kind == V.REBOOTING:
            return _frame(mac, ZERO, BROADCAST, 68, 67, _dhcp(1, xid, mac, 3, requested=ip))
        dst = SERVER if msg.kind == V.RENEWING else BROADCAST
        return _frame(mac, ip, dst, 68, 67, _dhcp(1, xid, mac, 3, ciaddr=ip))
    if isinstance(msg, V.Nak):
        return _frame(mac, SERVER, BROADCAST, 67, 68, _dhcp(2, xid, mac, 6, server=SERVER))
    assert isinstance(msg, V.Offer | V.Ack)
    kind = 2 if isinstance(msg, V.Offer) else 5
    return _frame(mac, SERVER, BROADCAST, 67, 68, _dhcp(2, xid, mac, kind, yiaddr=ip_of(msg.addr), server=SERVER))


class CaptureWriter:
    """A classic pcap written to a binary stream, one model message at a time."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.xids: dict[int, int] = {}
        self.count = 0  # packets written
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def write(self, m: Message) -> int:
        """Write ``m``; its packet number."""
        self.count += 1
        if m.direction == "to server":
            self.xids[m.client] = 0x10000 + self.count
        frame = packet(m, self.xids.get(m.client, 1))
        sec = int(m.time)
        self.out.write(struct.pack("<IIII", sec, int(round((m.time - sec) * 1e6)), len(frame), len(frame)) + frame)
        return self.count


def write_capture(out: BinaryIO, messages: list[Message]) -> None:
    writer = CaptureWriter(out)
    for m in messages:
        writer.write(m)


@dataclass(frozen=True)
class Run:
    messages: list[Message]
    delete_time: float | None  # between two messages, when the run deletes a lease


def model_run(cfg: Config, steps: int, rng: random.Random) -> Run:
    """A random run of the model of every client, of at most ``steps`` steps, as its messages on the
    wire (one a second) and the moment of its administrator's delete. Lost messages and reboots are
    left out; a client's message waits until it has handled the server's last answer."""
    system = dhcp_system(cfg)
    successors = compile_successors(system)
    to_srv: dict[int, int] = {v.key: i for i, v in enumerate(system.variables) if v.group == "to_srv" and v.key is not None}
    to_cli: dict[int, int] = {v.key: i for i, v in enumerate(system.variables) if v.group == "to_cli" and v.key is not None}
    none_cli = {c: system.variables[i].domain.index(None) for c, i in to_cli.items()}
    s = system.initial
    out: list[Message] = []
    delete_time: float | None = None
    for _ in range(steps):
        options = []
        for cmd, t in successors(s):
            action = system.commands[cmd].action
            if action in ("LoseToServer", "LoseToClient", "Reboot", "AdminRestart"):
                continue
            c = next((c for c, i in to_srv.items() if t[i] != s[i] and t[i] != system.initial[i]), None)
            if c is not None and t[to_cli[c]] != none_cli[c]:
                continue  # the client would send with the server's answer still unhandled
            options.append((cmd, t))
        if not options:
            break
        cmd, t = rng.choice(options)
        when = float(len(out) + 1)
        if system.commands[cmd].action == "AdminDelete":
            delete_time = when - 0.5
        for group, direction in ((to_srv, "to server"), (to_cli, "to client")):
            for c, i in group.items():
                if t[i] != s[i] and t[i] != system.initial[i]:
                    out.append(Message(when, c, direction, system.variables[i].domain.values[t[i]]))
        s = t
    return Run(out, delete_time)


def renewals(clients: int, messages: int, rng: random.Random, start: float = 1_800_000_000.0) -> Iterator[Message]:
    """``clients`` clients, each bound (DISCOVER, OFFER, REQUEST, ACK) to an address of its own and then
    renewing it (REQUEST(RENEWING), ACK), interleaved at random, ``messages`` messages in all, each
    client's exchanges in order: a capture every variant explains."""
    steps = [0] * clients
    t = start
    for n in range(messages):
        c = rng.randrange(clients)
        k = steps[c]
        steps[c] += 1
        t += 0.001
        if k < 4:
            m: object = (V.DISCOVER, V.Offer(c), V.Request(V.SELECTING, c), V.Ack(c))[k]
        else:
            m = V.Request(V.RENEWING, c) if k % 2 == 0 else V.Ack(c)
        direction = "to server" if k % 2 == 0 else "to client"
        yield Message(t, c, direction, m)
        if n >= messages - 1:
            return
