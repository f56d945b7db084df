"""Who holds which address, as the capture shows it, and the check no single client's view can make.

:class:`Holdings` follows the server's lease table through the capture's messages, one at a time,
as far as the wire shows it: per address, the client it was last OFFERed or ACKed to, and whether
the model lets that entry lapse unseen (*uncertain*) or not (*certain*). In the model an entry of
client ``c`` for address ``a`` is freed only by the administrator's delete, a RELEASE, or the
server's expiry, and the server may expire it only once ``c`` no longer refers to ``a`` (it holds
another address or none, and no message naming ``a`` is in flight). So an entry is certain from
the OFFER or ACK that made it until its client shows on the wire that it may have let go: a
DISCOVER, a RELEASE, a request for another address, a REBINDING request (its lease may expire
unseen), a NAK to it. (A SELECTING request for an address offered to its client keeps it: the
server's record then points at that offer, so it cannot be stale, and it ACKs.) A lease its
client RELEASEs is certainly free once that client sends again (the server has read the RELEASE
by then), until the next OFFER or ACK of it. With lost
messages allowed, a client may never have received its OFFER or ACK, and with reboots that
forget the lease it may drop it unseen: then no entry is ever certain.

The same record gives each client's projection its environment (:meth:`Holdings.others`), and
makes the global check (:meth:`Holdings.observe`): an address OFFERed or ACKed to a client while
certainly committed to another is a double commitment of the pool. The model allows it only
after the administrator's delete of that other client's lease (never of an offer): with the
delete's moment given, a delete between the two; with it not given, one delete of the budget per
such commitment, anywhere. Anything beyond that is a :class:`Conflict`, which no server variant
explains.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.checker.conform.classify import Observed
from leasecheck.model.values import REBINDING, Ack, Discover, Nak, Offer, Release, Request

#: what an address's entry may be, seen from one client's projection: a set of these bits
FREE = 1  # free
OFFERED = 2  # offered to another client (no delete removes it)
BOUND = 4  # another client's lease (the administrator may delete it)
UNKNOWN = FREE | BOUND  # no message has tied it to a client: free, or a lease older than the capture
NOBODY = -1  # the holder of an entry the server has certainly freed (a RELEASE it has read)


@dataclass(frozen=True)
class Conflict:
    """An address OFFERed or ACKed to ``client`` while certainly committed to ``holder``."""

    number: int  # the packet that commits the address a second time
    time: float
    client: int
    address: int
    message: str
    holder: int
    held_by: str  # "an offer" or "a lease": what ``holder`` had
    since: int  # the packet that committed it to ``holder``
    why: str  # "offer": no delete removes an offer; "marked": no delete between; "budget": the delete is spent

    def __str__(self) -> str:
        what = {"offer": "no delete removes an offer", "marked": "no administrator's delete lies between the two",
                "budget": "the one administrator's delete the model allows is needed for another"}[self.why]
        return (f"packet {self.number}: address {self.address} is {self.message.split('(')[0]}ed to client "
                f"{self.client} while {self.held_by} of client {self.holder} (packet {self.since}) holds it: {what}")


@dataclass(slots=True)
class _Entry:
    holder: int
    bound: bool  # ACKed (a lease the administrator may delete), or only OFFERed
    certain: bool
    since: int  # packet number of the OFFER or ACK
    position: int  # how many deletes had passed when it was made


class Holdings:
    """The server's lease table as the capture shows it (see the module docstring)."""

    def __init__(self, *, deletes_marked: bool, delete_budget: int, losses: int, forgetful_reboots: bool) -> None:
        self.deletes_marked = deletes_marked
        self.deletes_left = delete_budget  # for unmarked deletes: the budget left to explain conflicts
        self.fragile = losses > 0 or forgetful_reboots  # no entry is ever certain
        self.entries: dict[int, _Entry] = {}
        self.by_client: dict[int, set[int]] = {}
        self.known: set[int] = set()  # every address named so far
        self.certain_count = 0
        self.certain_bound = 0
        self.free_count = 0  # entries certainly free (NOBODY)
        self.deletes_seen = 0
        self.releasing: dict[int, int] = {}  # client -> the address of its RELEASE not yet known read

    # -- the projection's environment ---------------------------------------------------------

    def others(self, client: int, address: int) -> int:
        """What ``address``'s entry may be for ``client``'s projection now (a set of bits)."""
        e = self.entries.get(address)
        if e is None:
            return UNKNOWN
        if e.holder == client or e.holder == NOBODY:
            return FREE
        kind = BOUND if e.bound else OFFERED
        return kind if e.certain else kind | FREE

    def rest_of_pool(self, client: int, local: dict[int, int]) -> int:
        """What the addresses outside ``local`` (those ``client`` has named) may be, taken together as
        one: an offer nothing frees when there are none (no address at all); free if one of them may
        be; another's lease if one may be; an offer if all are certainly held and none by a lease."""
        outside = len(self.known) - len(local)
        if outside <= 0:
            return OFFERED
        held = bound = free = 0
        for a in local:
            e = self.entries.get(a)
            if e is not None and e.holder == NOBODY:
                free += 1
            elif e is not None and e.certain:
                held += 1
                bound += e.bound
        held, bound, free = self.certain_count - held, self.certain_bound - bound, self.free_count - free
        unsure = outside - held - free
        mask = (FREE if free or unsure else 0) | (BOUND if bound or unsure else 0)
        return mask or OFFERED

    # -- the record, message by message ----------------------------------------------------------

    def _set(self, address: int, entry: _Entry | None) -> None:
        old = self.entries.get(address)
        if old is not None:
            self.certain_count -= old.certain
            self.certain_bound -= old.certain and old.bound
            self.free_count -= old.holder == NOBODY
            self.by_client.get(old.holder, set()).discard(address)
        if entry is None:
            self.entries.pop(address, None)
            return
        self.entries[address] = entry
        self.certain_count += entry.certain
        self.certain_bound += entry.certain and entry.bound
        self.free_count += entry.holder == NOBODY
        self.by_client.setdefault(entry.holder, set()).add(address)

    def _let_go(self, client: int, keep: int | None = None) -> None:
        """``client`` may have let go of its entries (all but ``keep``): none of them is certain."""
        held = self.by_client.get(client)
        if not held:
            return
        entries = self.entries
        for a in held:
            e = entries[a]
            if a != keep and e.certain:
                self.certain_count -= 1
                self.certain_bound -= e.bound
                e.certain = False

    def delete(self) -> None:
        """The administrator's delete, at its given moment: any lease made before it may be gone."""
        self.deletes_seen += 1
        for e in self.entries.values():
            if e.bound and e.certain:
                e.certain = False
                self.certain_count -= 1
                self.certain_bound -= 1

    def observe(self, o: Observed) -> Conflict | None:
        """Take in one message (global ids); a double commitment the model cannot explain is returned."""
        m, c = o.message, o.client
        to_server = o.direction == "to server"
        if to_server and c in self.releasing:
            # the server read the client's RELEASE before the client could send again: freed
            a = self.releasing.pop(c)
            e = self.entries.get(a)
            if e is not None and e.holder == c and e.bound and not self.fragile:
                self._set(a, _Entry(NOBODY, False, False, o.number, self.deletes_seen))
        if to_server:
            if isinstance(m, Request):
                self.known.add(m.addr)
                if m.kind == REBINDING:
                    self._let_go(c)
                else:  # an offer being taken up is read with no silence possible: it stays
                    self._let_go(c, keep=m.addr)
                if m.addr not in self.entries:  # held before the capture began, or a stray request
                    self._set(m.addr, _Entry(c, True, False, o.number, self.deletes_seen))
            elif isinstance(m, Release):
                self.known.add(m.addr)
                self._let_go(c)
                self.releasing[c] = m.addr
            elif isinstance(m, Discover):
                self._let_go(c)
            return None
        if isinstance(m, Nak):
            self._let_go(c)
            return None
        if not isinstance(m, (Offer, Ack)):
            return None
        a = m.addr
        self.known.add(a)
        conflict = self._double(o, a)
        self._set(a, _Entry(c, isinstance(m, Ack), not self.fragile, o.number, self.deletes_seen))
        if isinstance(m, Ack):
            self._let_go(c, keep=a)
        return conflict

    def _double(self, o: Observed, a: int) -> Conflict | None:
        e = self.entries.get(a)
        if e is None or e.holder in (o.client, NOBODY) or not e.certain:
            return None
        what = "a lease" if e.bound else "an offer"
        if not e.bound:
            why = "offer"
        elif self.deletes_marked:
            why = "marked"
        elif self.deletes_left > 0:
            self.deletes_left -= 1  # the one delete the model allows explains this double binding
            return None
        else:
            why = "budget"
        return Conflict(o.number, o.time, o.client, a, str(o.message), e.holder, what, e.since, why)
