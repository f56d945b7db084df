"""docs/model.md section 4 read a second time, plainly, as a test oracle.

This is deliberately *not* written in the modelling language: it works on decoded states
(dicts of lists, as ``System.decode`` gives them) with ordinary Python, one function per table
row, so that the tests can compare the traced model with an independent reading of the spec.
It is used only by tests.
"""

from __future__ import annotations

import copy
from typing import Any

from leasecheck.model.compile import compile_successors
from leasecheck.model.dhcp import Config
from leasecheck.model.lang import System
from leasecheck.model.values import (
    BOUND,
    DISCOVER,
    FREE,
    HOLDING,
    INIT,
    NAK,
    REBINDING,
    REBOOTING,
    RENEWING,
    REQUESTING,
    SELECTING,
    WAITING,
    Ack,
    Bound,
    Offer,
    Offered,
    Release,
    Request,
)

State = dict[str, Any]


def _freeze(s: State) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(s.items()))


def mine(s: State, c: int, a: int) -> bool:
    return s["db"][a] in (Offered(c), Bound(c))


def references(s: State, c: int, a: int) -> bool:
    m = s["to_srv"][c]
    return (
        s["addr"][c] == a
        or s["to_cli"][c] in (Offer(a), Ack(a))
        or (isinstance(m, Request) and m.addr == a)
    )


def stale(s: State, c: int, cfg: Config) -> bool:
    return cfg.variant == "nt35" and s["mem"][c] is not None and not mine(s, c, s["mem"][c])


def successors_of(s: State, cfg: Config) -> set[tuple[str, tuple[int, ...], tuple]]:
    """Every (action, params, next state) docs/model.md allows from ``s``."""
    out: set[tuple[str, tuple[int, ...], tuple]] = set()
    C, A = range(cfg.clients), range(cfg.addresses)

    def emit(action: str, params: tuple[int, ...], t: State) -> None:
        out.add((action, params, _freeze(t)))

    def new() -> State:
        return copy.deepcopy(s)

    for c in C:
        st, to_srv, to_cli = s["st"][c], s["to_srv"][c], s["to_cli"][c]
        recv_offer = isinstance(to_cli, Offer) and st == SELECTING and to_srv is None
        recv_ack = isinstance(to_cli, Ack) and st in WAITING and s["addr"][c] == to_cli.addr
        recv_nak = to_cli == NAK and st in WAITING
        if st == INIT and to_srv is None:
            t = new(); t["st"][c] = SELECTING; t["to_srv"][c] = DISCOVER; emit("Discover", (c,), t)
        if recv_offer:
            t = new(); a = to_cli.addr
            t["st"][c] = REQUESTING; t["addr"][c] = a; t["to_srv"][c] = Request(SELECTING, a); t["to_cli"][c] = None
            emit("RecvOffer", (c,), t)
        if recv_ack:
            t = new(); t["st"][c] = BOUND; t["err"][c] = 0; t["to_cli"][c] = None; emit("RecvAck", (c,), t)
        if recv_nak:
            t = new(); t["st"][c] = INIT; t["addr"][c] = None; t["to_cli"][c] = None; emit("RecvNak", (c,), t)
        if to_cli is not None and not (recv_offer or recv_ack or recv_nak):
            t = new(); t["to_cli"][c] = None; emit("Discard", (c,), t)
        if st == BOUND and to_srv is None:
            t = new(); t["st"][c] = RENEWING; t["to_srv"][c] = Request(RENEWING, s["addr"][c]); emit("T1", (c,), t)
        if st == RENEWING and to_srv is None:
            t = new(); t["st"][c] = REBINDING; t["to_srv"][c] = Request(REBINDING, s["addr"][c]); emit("T2", (c,), t)
        if st == REBINDING and to_srv is None:
            t = new(); t["st"][c] = INIT; t["addr"][c] = None; emit("Expire", (c,), t)
        if to_srv is None and to_cli is None:
            t = new()
            if st == SELECTING:
                t["st"][c] = INIT; t["err"][c] = 1; emit("Timeout", (c,), t)
            elif st == REQUESTING:
                t["st"][c] = INIT; t["addr"][c] = None; emit("Timeout", (c,), t)
            elif st == REBOOTING:
                t["st"][c] = BOUND; emit("Timeout", (c,), t)
            elif st == RENEWING and s["err"][c] == 0:
                t["err"][c] = 1; emit("Timeout", (c,), t)
        if st in HOLDING and to_srv is None:
            t = new(); t["to_srv"][c] = Release(s["addr"][c]); t["st"][c] = INIT; t["addr"][c] = None
            emit("Release", (c,), t)
            if s["reboots_left"] > 0:
                t = new(); t["st"][c] = REBOOTING; t["to_srv"][c] = Request(REBOOTING, s["addr"][c])
                t["reboots_left"] -= 1
                emit("Reboot", (c,), t)
        # server
        if isinstance(to_srv, Release):
            t = new(); a = to_srv.addr
            if s["db"][a] == Bound(c):
                t["db"][a] = FREE
            if s["mem"][c] == a:
                t["mem"][c] = None
            t["to_srv"][c] = None
            emit("ServeRelease", (c,), t)
        if to_srv == DISCOVER and to_cli is None:
            base = new(); base["to_srv"][c] = None
            owned = [a for a in A if mine(s, c, a)]
            free = [a for a in A if s["db"][a] == FREE]
            if stale(s, c, cfg):
                emit("ServeDiscover", (c,), base)
            elif owned:
                for a in owned:
                    t = copy.deepcopy(base); t["to_cli"][c] = Offer(a); t["mem"][c] = a; emit("ServeDiscover", (c,), t)
            elif free:
                for a in free:
                    t = copy.deepcopy(base); t["db"][a] = Offered(c); t["mem"][c] = a; t["to_cli"][c] = Offer(a)
                    emit("ServeDiscover", (c,), t)
            else:
                emit("ServeDiscover", (c,), base)
        if isinstance(to_srv, Request) and to_cli is None:
            t = new(); t["to_srv"][c] = None
            k, a = to_srv.kind, to_srv.addr
            if stale(s, c, cfg):
                pass
            elif mine(s, c, a):
                t["db"][a] = Bound(c); t["mem"][c] = a; t["to_cli"][c] = Ack(a)
            elif s["db"][a] != FREE:
                t["to_cli"][c] = NAK
            elif k == SELECTING:
                t["to_cli"][c] = NAK
            else:
                answer = {
                    "nt35": None, "rfc2131": None, "nt40": "NAK", "authoritative": "ACK",
                    "dnsmasq": "NAK" if k == RENEWING else None,
                }[cfg.variant]
                if answer == "NAK":
                    t["to_cli"][c] = NAK
                elif answer == "ACK":
                    t["db"][a] = Bound(c); t["mem"][c] = a; t["to_cli"][c] = Ack(a)
            emit("ServeRequest", (c,), t)
        if to_srv is not None and s["losses_left"] > 0:
            t = new(); t["to_srv"][c] = None; t["losses_left"] -= 1; emit("LoseToServer", (c,), t)
        if to_cli is not None and s["losses_left"] > 0:
            t = new(); t["to_cli"][c] = None; t["losses_left"] -= 1; emit("LoseToClient", (c,), t)
    for a in A:
        entry = s["db"][a]
        if isinstance(entry, Offered | Bound) and not references(s, entry.client, a):
            t = new(); t["db"][a] = FREE
            if s["mem"][entry.client] == a:
                t["mem"][entry.client] = None
            emit("ExpireLease", (a,), t)
        if isinstance(entry, Bound) and s["deletes_left"] > 0:
            t = new(); t["db"][a] = FREE; t["deletes_left"] -= 1
            if cfg.variant != "nt35" and s["mem"][entry.client] == a:
                t["mem"][entry.client] = None
            emit("AdminDelete", (a,), t)
    if cfg.restart:
        rebuilt = [next((a for a in A if s["db"][a] == Bound(c)), None) for c in C]
        if rebuilt != s["mem"]:
            t = new(); t["mem"] = rebuilt; emit("AdminRestart", (), t)
    return out


def freeze(s: State) -> tuple:
    return _freeze(s)


def first_disagreement(system: System, cfg: Config) -> tuple[int, str | None]:
    """Walk every reachable state of ``system``; compare its transitions with the oracle's.

    Returns (states visited, None) when they agree everywhere, else a description of the first
    state where the model has extra or missing transitions.
    """
    successors = compile_successors(system)
    seen = {system.initial}
    stack = [system.initial]
    while stack:
        state = stack.pop()
        moves = set()
        for k, nxt in successors(state):
            cmd = system.commands[k]
            moves.add((cmd.action, cmd.params, _freeze(system.decode(nxt))))
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
        expected = successors_of(system.decode(state), cfg)
        if moves != expected:
            extra = sorted(f"{a}{p}" for a, p, _ in moves - expected)
            missing = sorted(f"{a}{p}" for a, p, _ in expected - moves)
            return len(seen), f"{cfg.describe()}: a state has extra {extra[:2]} / missing {missing[:2]} transitions"
    return len(seen), None

