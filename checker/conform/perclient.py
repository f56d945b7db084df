"""A capture judged client by client, as a stream: per-client projections and the global check.

:func:`judge_stream` reads captures one packet at a time (:func:`~leasecheck.checker.conform.pcap.stream_udp`),
classifies each DHCP message as it comes (:class:`~leasecheck.checker.conform.classify.Classifier`),
judges it against the judged client's projection under every server variant
(:mod:`leasecheck.checker.conform.project`), and takes it into the lease table the capture shows
(:mod:`leasecheck.checker.conform.holdings`), which reports double commitments of an address.
What it keeps grows with the clients and addresses, never with the packets.

A message a projection cannot take is a :class:`Finding`: the client's hardware address, the
packet's number, time and file, the message, why the model does not allow it, and a Wireshark
display filter that shows the packet. The client's projection then starts again just after that
message, from any state of its view that could send it (or from any state at all), so that one
deviation does not hide the next.
"""

from __future__ import annotations

import dataclasses
import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from leasecheck.checker.conform.classify import Classifier, Observed
from leasecheck.checker.conform.holdings import BOUND, Conflict, Holdings
from leasecheck.checker.conform.pcap import UdpPacket, stream_udp
from leasecheck.checker.conform.project import MAX_LOCAL_ADDRESSES, MEMO_LIMIT, Budgets, Frontier, Miss, Projection
from leasecheck.checker.conform.validate import ValidationError, check_losses
from leasecheck.model import values as V

#: the most findings kept (the rest are counted)
MAX_FINDINGS = 10_000
#: the most deletes a client's view may make (``deletes``; each one more makes its model larger)
MAX_DELETES = 4
#: how often progress is reported, in seconds
PROGRESS_EVERY = 1.0


def display_filter(mac: str, number: int) -> str:
    """A Wireshark display filter for one DHCP packet of one client (Wireshark 3.0 and later name
    the DHCP dissector's fields ``dhcp.*``; older versions ``bootp.*``)."""
    return f"dhcp.hw.mac_addr == {mac} && frame.number == {number}"


@dataclass(frozen=True)
class Finding:
    """A message of one client that the model does not allow, with where to find it."""

    variants: tuple[str, ...]  # the server variants whose model does not allow it
    source: str  # the capture file
    number: int  # its packet number in that file, as Wireshark counts
    time: float
    mac: str
    client: int
    message: str  # with the addresses written out
    direction: str
    reason: str
    kind: str = "projection"  # or "global": a double commitment of an address

    @property
    def display_filter(self) -> str:
        return display_filter(self.mac, self.number)


@dataclass(frozen=True)
class PerClientReport:
    """A capture judged client by client."""

    label: str
    sources: tuple[str, ...]
    variants: tuple[str, ...]
    clients: int
    addresses: int
    messages: int  # model messages judged (retransmissions folded)
    packets: int  # UDP packets read
    findings: tuple[Finding, ...]
    findings_dropped: int  # findings beyond MAX_FINDINGS, counted only
    deviant: dict[str, int]  # per variant: how many clients have a finding
    left_out: tuple[str, ...]
    left_out_count: int
    deletes: int
    seconds: float
    start_time: float  # the first DHCP message's time
    delete_time: float | None  # the time of the packet the delete was placed before
    delete_budget: int = 1  # the deletes each client's view may make when none is given

    @property
    def consistent_variants(self) -> tuple[str, ...]:
        return tuple(v for v in self.variants if self.deviant.get(v, 0) == 0)


#: whose lease the given delete removed, in one branch of a client's projection: not yet deleted
#: (None), the client's own, another client's (("one", its number)), one of the clients that
#: certainly held a lease at the delete but this one (("pool", this client's number)), someone the
#: capture does not pin down ("someone": an address that may be free or unseen), or unknown after
#: the projection started again ("any")
Tag = None | str | tuple[str, int]
OWN, SOMEONE, ANY = "own", "someone", "any"
Branches = tuple[tuple[Tag, Frontier], ...]


@dataclass
class _Client:
    local: dict[int, int] = field(default_factory=dict)  # global address -> local number
    #: per variant, its branches by whose lease the delete removed: one tuple, so that a client's
    #: whole view is one hashable key of the judge's memo
    frontiers: tuple[Branches, ...] = ()
    fid: int = -1  # the judge's number for ``frontiers`` (the memo's key holds it, not the branches)
    died: list[dict[Tag, int]] = field(default_factory=list)  # per variant: the packet that ended a branch
    k: int = 1  # the addresses of its model but the rest of the pool (one even before it names one)
    deletes_applied: int = 0
    deviant: set[str] = field(default_factory=set)  # the variants under which it has a finding


class _Judge:
    def __init__(self, variants: Sequence[str], budgets: Callable[[str], Budgets], delete_marked: bool,
                 holdings: Holdings):
        self.variants = tuple(variants)
        self.budgets = [budgets(v) for v in variants]
        self.models: list[dict[int, Projection]] = [{} for _ in variants]
        self.delete_marked = delete_marked
        self.holdings = holdings
        self.clients: dict[int, _Client] = {}
        self.findings: list[Finding] = []
        self.dropped = 0
        self.deviant = {v: 0 for v in variants}
        self.delete_at: tuple[str, int, float] | None = None  # the packet the delete was given before
        self.holders: frozenset[int] = frozenset()  # the clients with a certain lease at the delete
        #: one object per distinct message in a client's own address numbers, and its number
        self.events: dict[tuple[str, object, int | None], tuple[tuple[str, object], int]] = {}
        self.event_numbers: dict[tuple[str, object], int] = {}
        self.memo: dict[tuple[int, int, tuple[int, ...], int],
                        tuple[tuple[Branches, ...], int, tuple[tuple[int, Miss], ...], tuple[tuple[int, Tag], ...]]] = {}
        #: a number per distinct view (every variant's branches), never given twice, so that the
        #: memo's key hashes a number instead of the branches and their sets of states
        self.frontier_ids: dict[tuple[Branches, ...], int] = {}
        self.next_fid = 0

    def view(self, client: _Client, frontiers: tuple[Branches, ...]) -> None:
        """Set the client's view, with its number."""
        client.frontiers = frontiers
        fid = self.frontier_ids.get(frontiers)
        if fid is None:
            if len(self.frontier_ids) >= MEMO_LIMIT:
                self.frontier_ids.clear()  # numbers are never given twice: a view met again gets a new one
            fid = self.frontier_ids[frontiers] = self.next_fid
            self.next_fid += 1
        client.fid = fid

    def model(self, i: int, k: int) -> Projection:
        models = self.models[i]
        if k not in models:
            models[k] = Projection(self.budgets[i], k)
        return models[k]

    def add(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.dropped += 1

    def deviate(self, client: _Client, variant: str) -> None:
        """Count a client once per variant, at its first finding under it."""
        if variant not in client.deviant:
            client.deviant.add(variant)
            self.deviant[variant] += 1

    def event(self, direction: str, message: object, local: int | None) -> tuple[tuple[str, object], int]:
        """The message in the client's own address numbers, one object per distinct message, and a
        number for it (so that the memo's keys compare and hash fast)."""
        key = (direction, message, local)
        got = self.events.get(key)
        if got is None:
            event = (direction, message if local is None else _with_addr(message, local))
            number = self.event_numbers.setdefault(event, len(self.event_numbers))
            got = self.events[key] = (event, number)
        return got

    def env(self, c: int, client: _Client) -> tuple[int, ...]:
        """What each address of the client's model may be now; a slot it has not named yet, and the
        last address, stand for the rest of the pool."""
        holdings = self.holdings
        local = client.local
        rest = holdings.rest_of_pool(c, local)
        others = holdings.others
        if len(local) == 1 and client.k == 1:  # the common case: a client that names one address
            for a in local:
                return (others(c, a), rest)
        return (*[others(c, a) for a in local], *(rest,) * (client.k + 1 - len(local)))

    def _victim(self, c: int, client: _Client, whose: tuple[str, int], env: tuple[int, ...]) -> Tag:
        if whose[0] == "own":
            return OWN
        local = whose[1]
        if env[local] != BOUND:  # an entry that may be free: no client's lease for certain
            return SOMEONE
        if local >= len(client.local):  # the rest of the pool, all of it certainly held
            return ("pool", c)
        e = self.holdings.entries[list(client.local)[local]]
        return ("one", e.holder)

    def _apply_delete(self, c: int, client: _Client, i: int, env: tuple[int, ...]) -> dict[Tag, Frontier]:
        model = self.model(i, client.k)
        out: dict[Tag, Frontier] = {}
        for tag, frontier in client.frontiers[i]:
            if tag is not None:
                out[tag] = frontier
                continue
            got = model.delete(frontier, env)
            if isinstance(got, Miss):
                continue
            for whose, states in got.items():
                victim = self._victim(c, client, whose, env)
                out[victim] = out[victim] | states if victim in out else states
        return out

    def delete(self, source: str, number: int, time: float, macs: Sequence[str]) -> None:
        """The administrator's delete, at its given moment, in every projection so far (a client
        first seen later takes it before its first message)."""
        self.delete_at = (source, number, time)
        self.holders = frozenset(e.holder for e in self.holdings.entries.values() if e.certain and e.bound)
        for c, client in self.clients.items():
            env = self.env(c, client)
            client.deletes_applied += 1
            failed = []
            frontiers = []
            for i, variant in enumerate(self.variants):
                got = self._apply_delete(c, client, i, env)
                if not got:
                    failed.append(variant)
                    self.deviate(client, variant)
                    got = {ANY: self.model(i, client.k).anywhere}
                frontiers.append(tuple(got.items()))
            self.view(client, tuple(frontiers))
            if failed:
                self.add(Finding(tuple(failed), source, number, time, macs[c], c, "the administrator's delete",
                                 "admin", "no lease is bound in this client's view of the model, so the "
                                 "administrator's delete, given just before this packet, has nothing to delete"))

    def message(self, o: Observed, source: str, mac: str, ips: Sequence[str]) -> None:
        c, message = o.client, o.message
        client = self.clients.get(c)
        named = getattr(message, "addr", None)
        holdings = self.holdings
        if client is None:
            client = self.clients[c] = _Client()
            self.view(client, tuple(((None, self.model(i, 1).start),) for i in range(len(self.variants))))
            client.died = [{} for _ in self.variants]
        if named is not None and named not in client.local:
            k = len(client.local)
            if k >= MAX_LOCAL_ADDRESSES:
                raise ValidationError(f"packet {o.number}: client {mac} names more than {MAX_LOCAL_ADDRESSES} "
                                      f"addresses, more than its projection of the model takes")
            client.local[named] = k
            if k + 1 > client.k:  # the model takes one address more (a client's first needs none)
                small, big = client.k, k + 1
                self.view(client, tuple(tuple((tag, self.model(i, small).grow(f, self.model(i, big))) for tag, f in fs)
                                        for i, fs in enumerate(client.frontiers)))
                client.k = big
        env = self.env(c, client)
        local = None if named is None else client.local[named]
        seen = self.events.get((o.direction, message, local))  # the common case without a call
        event, number = seen if seen is not None else self.event(o.direction, message, local)
        pending = holdings.deletes_seen - client.deletes_applied
        client.deletes_applied = holdings.deletes_seen
        key = (client.k, client.fid, env, number)
        got = None if pending else self.memo.get(key)
        if got is None:
            frontiers, misses, died = self._advance(c, client, env, event, pending)
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.view(client, frontiers)
            got = (frontiers, client.fid, misses, died)
            if not pending:
                self.memo[key] = got
        else:
            client.frontiers, client.fid = got[0], got[1]
        _frontiers, _fid, misses, died = got
        for i, tag in died:
            client.died[i].setdefault(tag, o.number)
        if misses:
            self._failed(o, source, mac, ips, client, misses)

    def _failed(self, o: Observed, source: str, mac: str, ips: Sequence[str], client: _Client,
                misses: tuple[tuple[int, Miss], ...]) -> None:
        """The findings of one message that some variants' views cannot take, one per reason."""
        failures: dict[str, list[str]] = {}
        for i, miss in misses:
            failures.setdefault(self._why(miss, o, client.local, ips), []).append(self.variants[i])
            self.deviate(client, self.variants[i])
        for reason, variants in failures.items():
            self.add(Finding(tuple(variants), source, o.number, o.time, mac, o.client, _shown(o.message, ips),
                             o.direction, reason))

    def _advance(self, c: int, client: _Client, env: tuple[int, ...], event: tuple[str, object],
                 pending: int) -> tuple[tuple[Branches, ...], tuple[tuple[int, Miss], ...], tuple[tuple[int, Tag], ...]]:
        """Every variant's branches after one message: the new branches, the variants with no branch
        left (and why), the branches that ended."""
        frontiers = []
        misses = []
        died = []
        for i in range(len(self.variants)):
            model = self.model(i, client.k)
            branches: Iterable[tuple[Tag, Frontier]] = client.frontiers[i]
            if pending:
                branches = tuple(self._apply_delete(c, client, i, env).items())
            survivors: list[tuple[Tag, Frontier]] = []
            miss: Miss | None = None
            for tag, frontier in branches:
                got = model.step(frontier, env, event, self.delete_marked)
                if isinstance(got, Miss):
                    died.append((i, tag))
                    miss = got
                else:
                    survivors.append((tag, got))
            if not survivors:
                misses.append((i, miss or Miss((), (), True)))
                # start again just after the message if some state of the view can send it, else anywhere
                again = model.step(model.anywhere, env, event, self.delete_marked)
                survivors = [(ANY if self.holdings.deletes_seen else None,
                              again if isinstance(again, frozenset) else model.anywhere)]
            frontiers.append(tuple(survivors))
        return tuple(frontiers), tuple(misses), tuple(died)

    def one_delete(self, macs: Sequence[str]) -> None:
        """The given delete removed one lease: some one choice of it must suit every client's view.
        A variant under which none does gets a finding at the delete. Linear in the clients: a
        client whose view took the delete as someone's it cannot name fits any choice; the others
        ("restricted") fit only the clients their branches name."""
        if self.delete_at is None:
            return
        source, number, time = self.delete_at
        for i, variant in enumerate(self.variants):
            tags = {c: {tag for tag, _f in client.frontiers[i]} for c, client in self.clients.items()}
            free = {c for c, t in tags.items() if t & {SOMEONE, ANY, None}}
            restricted = [c for c in tags if c not in free]
            pool = {c for c in restricted if any(isinstance(t, tuple) and t[0] == "pool" for t in tags[c])}
            named: dict[int, int] = {}  # victim -> how many restricted clients name it, pool aside
            named_beside_pool: dict[int, int] = {}
            for c in restricted:
                for t in tags[c]:
                    if isinstance(t, tuple) and t[0] == "one":
                        named[t[1]] = named.get(t[1], 0) + 1
                        if c not in pool:
                            named_beside_pool[t[1]] = named_beside_pool.get(t[1], 0) + 1

            found = not restricted
            for v in tags if restricted else ():
                needed = len(restricted) - (v in pool or v in restricted)
                got = (len(pool) - (v in pool) + named_beside_pool.get(v, 0)) if v in self.holders else named.get(v, 0)
                if tags[v] & {OWN, ANY} and got == needed:
                    found = True
                    break
            if found:
                continue
            c = restricted[0]
            client = self.clients[c]
            died = client.died[i]
            at = died.get(SOMEONE) or died.get(OWN) or min(died.values(), default=number)
            self.deviate(client, variant)
            self.add(Finding((variant,), source, number, time, macs[c], c, "the administrator's delete", "admin",
                             f"the delete removes one lease, and no one choice of it fits every client's view: "
                             f"client {macs[c]}'s view fits only the deletion of another client's lease, and "
                             f"no such client's own view fits the deletion of its lease (client {macs[c]}'s "
                             f"messages stop fitting its other choices at packet {at})", "global"))


    def _why(self, miss: Miss, o: Observed, local: dict[int, int], ips: Sequence[str]) -> str:
        back = {n: ips[g] for g, n in local.items()}
        k = len(local)

        def show(sent: tuple[int, str, object]) -> str:
            _c, direction, m = sent
            a = getattr(m, "addr", None)
            text = str(m) if a is None else _shown_local(m, back.get(a, "another address of the pool") if a < k
                                                             else "another address of the pool")
            return f"{text} {direction}"

        if miss.delete:
            return "the administrator's delete before this message has no lease to delete in this client's view"
        what = f"{_shown(o.message, ips)} {o.direction}"
        if miss.near_misses:
            return f"{what} is a step of the model only before the client handles the server's last answer"
        same = sorted({show(a) for a in miss.alternatives if a[1] == o.direction})
        if same:
            return f"{what} is not a step of the model here; it could send instead: {'; '.join(same)}"
        sender = "server" if o.direction == "to client" else "client"
        return f"{what} is not a step of the model here: its {sender} stays silent"


def _with_addr(message: object, addr: int) -> object:
    return dataclasses.replace(message, addr=addr)  # type: ignore[type-var]


def _shown_local(message: object, ip: str) -> str:
    text = str(message)
    return text[:text.rindex(",") + 1] + ip + ")" if "," in text else text[:text.index("(") + 1] + ip + ")"


def _shown(message: object, ips: Sequence[str]) -> str:
    a = getattr(message, "addr", None)
    return str(message) if a is None else _shown_local(message, ips[a])


Source = tuple[str, BinaryIO]


def stream_packets(sources: Iterable[Source]) -> Iterator[tuple[str, UdpPacket]]:
    """The UDP packets of the captures ``sources`` (name, binary stream), one after another."""
    for name, stream in sources:
        for packet in stream_udp(stream):
            yield name, packet


def judge_stream(sources: Iterable[Source], **options: Any) -> PerClientReport:
    """:func:`judge_packets` of captures read from binary streams, in sequence as one capture."""
    return judge_packets(stream_packets(sources), **options)


def judge_packets(packets: Iterable[tuple[str, UdpPacket]], *, label: str = "", delete_time: float | None = None,
                  delete_packet: int | None = None, delete_offset: float | None = None, losses: int = 0,
                  client_nak: str = "obey", restart: bool = False, client_reboot: str = "keep-on-silence",
                  reboots: int = 0, variants: Sequence[str] = V.VARIANTS,
                  progress: Callable[[str], None] | None = None, deletes: int = 1) -> PerClientReport:
    """Judge a capture given as (file name, packet) pairs, client by client. The administrator's
    delete, when given, is at ``delete_time`` (capture clock), before packet ``delete_packet`` (of
    the first file), or ``delete_offset`` seconds after the first DHCP message; not given, the
    model may delete one lease at any moment (``deletes`` leases in each client's view, and as many
    double commitments in the global check: a capture whose server lost leases several times)."""
    check_losses(losses)
    marked = delete_time is not None or delete_packet is not None or delete_offset is not None
    if not 1 <= deletes <= MAX_DELETES:
        raise ValidationError(f"deletes must be from 1 to {MAX_DELETES}, not {deletes}")
    if marked and deletes != 1:
        raise ValidationError("a delete whose moment is given is the model's only one: more deletes go with a "
                              "capture whose deletes are not given")
    holdings = Holdings(deletes_marked=marked, delete_budget=deletes, losses=losses,
                        forgetful_reboots=client_reboot == "forget" and reboots > 0)
    judge = _Judge(variants, lambda v: Budgets(v, deletes, losses, reboots, restart, client_nak, client_reboot),
                   marked, holdings)
    classifier = Classifier(strict=False)
    started = clock.monotonic()
    last_report = started
    names: list[str] = []
    count = 0
    first_time: float | None = None
    last: tuple[str, int, float] = ("-", 0, 0.0)
    delete_done = not marked
    macs, ips = classifier.ids.macs, classifier.ids.ips
    for name, packet in packets:
        if not names or names[-1] != name:
            names.append(name)
        count += 1
        got = classifier.feed(packet)
        if progress is not None and count % 1024 == 0:
            now = clock.monotonic()
            if now - last_report >= PROGRESS_EVERY:
                last_report = now
                progress(f"{count:,} packets, {classifier.count:,} DHCP messages, {len(macs):,} clients, "
                         f"{len(judge.findings) + judge.dropped:,} findings, {now - started:.0f} s")
        if not isinstance(got, Observed):
            continue
        last = (name, got.number, got.time)
        if first_time is None:
            first_time = got.time
            if delete_offset is not None:
                delete_time = got.time + delete_offset
        if not delete_done and ((delete_time is not None and got.time >= delete_time)
                                or (delete_packet is not None and name == names[0] and got.number >= delete_packet)):
            judge.delete(name, got.number, got.time, macs)
            holdings.delete()
            delete_done = True
        judge.message(got, name, macs[got.client], ips)
        conflict = holdings.observe(got)
        if conflict is not None:
            judge.add(_global(conflict, name, macs, ips, judge.variants))
            for v in judge.variants:
                judge.deviate(judge.clients[got.client], v)
    if classifier.count == 0:
        raise ValidationError("the capture holds no DHCP message")
    if not delete_done:
        if delete_packet is not None and (len(names) > 1 or delete_packet > last[1] + 1):
            raise ValidationError(f"packet {delete_packet} is after the last DHCP message of the capture")
        judge.delete(last[0], last[1], last[2], macs)
        holdings.delete()
    judge.one_delete(macs)
    return PerClientReport(label or (names[0] if names else "-"), tuple(names), tuple(variants), len(macs), len(ips),
                           classifier.count, count, tuple(judge.findings), judge.dropped, dict(judge.deviant),
                           tuple(classifier.notes), classifier.left_out, holdings.deletes_seen,
                           clock.monotonic() - started, first_time or 0.0,
                           judge.delete_at[2] if judge.delete_at is not None else None, deletes)


def _global(conflict: Conflict, source: str, macs: Sequence[str], ips: Sequence[str],
            variants: Sequence[str]) -> Finding:
    ip = ips[conflict.address]
    verb = "ACKed" if conflict.message.startswith("ACK") else "OFFERed"
    base = (f"{ip} was {'ACKed' if conflict.held_by == 'a lease' else 'OFFERed'} to {macs[conflict.holder]} at packet "
            f"{conflict.since}, which has not let go of it, and is now {verb} to {macs[conflict.client]}")
    reason = {"offer": f"{base}: the server's table holds one entry per address, and no delete removes an offer",
              "marked": f"{base}: no administrator's delete lies between the two",
              "budget": f"{base}: the one administrator's delete the model allows is needed for another"}[conflict.why]
    message = conflict.message[:conflict.message.index("(") + 1] + ip + ")"
    return Finding(tuple(variants), source, conflict.number, conflict.time, macs[conflict.client], conflict.client,
                   message, "to client", reason, "global")
