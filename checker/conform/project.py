"""One client's view of a capture, judged against the model with one client and its environment.

A capture of many clients is judged client by client: each client's messages against the model
of two clients in which client 0 is the client judged and client 1 stands for all the others.
Client 1 never acts; its only trace is the server's lease table, which the environment sets
before each of the judged client's messages from what the capture shows the others hold then
(:mod:`leasecheck.checker.conform.holdings`): an address another client certainly holds is
``BOUND(1)`` (a lease, which the administrator may delete) or ``OFFERED(1)`` (an offer), one
that no other client holds is free, and one that may be either is tried both ways. The judged client's addresses are those its own messages name, numbered by
first appearance, and one more address stands for the rest of the pool (free when some other
address may be free, taken otherwise, and when the capture has named no other address, an entry
``OFFERED(1)`` that nothing frees, so that it is no address at all); a new address named later grows the model by one
(:meth:`Projection.grow`), the states carried over with the rest of the pool renumbered.

The server's steps for client 1's lease table entries are left out (it expires nothing of
client 1's: the environment says when the others let go), except the administrator's delete,
which may remove another client's lease as in the model of every client.

Each judged step is memoised on (the set of states, the environment, the message): the clients
of a capture go through the same few exchanges, so most steps are a dictionary look-up.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

from leasecheck.checker.conform.holdings import BOUND, FREE, OFFERED
from leasecheck.checker.conform.validate import DELETE, MATCH, PENDING, Sent, State, _Stepper
from leasecheck.model import values as V
from leasecheck.model.dhcp import Config, dhcp_system

Frontier = frozenset[State]
#: the most addresses one client's messages may name before its projection is refused (each one
#: more multiplies its model's states)
MAX_LOCAL_ADDRESSES = 8
#: how many judged steps the memo keeps before it starts again (a bound on its memory)
MEMO_LIMIT = 200_000

_PER_CLIENT = {"Discover", "RecvOffer", "RecvAck", "RecvNak", "Discard", "T1", "T2", "Expire", "Timeout", "Release",
               "Reboot", "ServeRelease", "ServeDiscover", "ServeRequest", "LoseToServer", "LoseToClient"}
_ENVIRONMENT = ("AdminDelete", "AdminRestart", "LoseToServer", "LoseToClient", "Reboot", "Release")


@dataclass(frozen=True)
class Budgets:
    """What every projection of one judging shares: the server variant and the model's budgets."""

    variant: str
    deletes: int
    losses: int
    reboots: int  # reboots allowed without a REBOOTING request (``--client-reboot forget``)
    restart: bool
    client_nak: str
    client_reboot: str


@dataclass(frozen=True)
class Miss:
    """Why a message is no step of a projection: what the model could have sent instead (local
    address numbers), or that the message needed an answer left unhandled."""

    alternatives: tuple[Sent, ...]
    near_misses: tuple[str, ...]
    delete: bool = False


class Projection:
    """The two-client model for a client that has named ``k`` addresses (the rest of the pool is
    address ``k``), compiled once, with its memo."""

    def __init__(self, budgets: Budgets, k: int):
        self.budgets, self.k = budgets, k
        cfg = Config(clients=2, addresses=k + 1, variant=budgets.variant,
                     deletes=budgets.deletes, losses=budgets.losses, reboots=budgets.reboots + 1,
                     restart=budgets.restart, client_nak=budgets.client_nak, client_reboot=budgets.client_reboot)
        self.system = dhcp_system(cfg)
        self.stepper = _Stepper(self.system)
        variables = self.system.variables
        self.allowed = tuple(
            not ((c.action in _PER_CLIENT and c.params == (1,))
                 or (c.action == "ExpireLease" and c.label == "client 1's lease"))
            for c in self.system.commands)
        self.db = tuple(i for i, v in enumerate(variables) if v.group == "db")
        lease = variables[self.db[0]].domain
        self.values = ((FREE, lease.index(V.FREE)), (OFFERED, lease.index(V.Offered(1))), (BOUND, lease.index(V.Bound(1))))
        self.free = lease.index(V.FREE)
        self.mine = frozenset((lease.index(V.Offered(0)), lease.index(V.Bound(0))))
        self.deletes_left = self.system.var_index("deletes_left")
        self.reboots_left = self.system.var_index("reboots_left")
        self.most_reboots = len(variables[self.reboots_left].domain.values) - 1
        self.idle = tuple((i, self.system.initial[i]) for i, v in enumerate(variables) if v.key == 1
                          and v.group in ("st", "addr", "err", "to_srv", "to_cli", "mem"))
        self.memo: dict[tuple[object, ...], Frontier | Miss] = {}
        self.start = self._start()
        self._anywhere: Frontier | None = None

    @property
    def anywhere(self) -> Frontier:
        """Every state with nothing in flight that the client's view can reach, whatever the others
        hold and the administrator does: where a view starts again after a deviation."""
        if self._anywhere is None:
            seen: set[State] = set()
            for s in self.start:
                seen.update(self._environment(s, (FREE | OFFERED | BOUND,) * len(self.db), False, False))
            queue = deque(seen)
            while queue:
                s = queue.popleft()
                for _cmd, t in self.successors(s):
                    if t not in seen:
                        seen.add(t)
                        queue.append(t)
            self._anywhere = frozenset(s for s in seen if self.stepper.quiet(s))
        return self._anywhere

    def successors(self, s: State) -> Iterable[tuple[int, State]]:
        allowed = self.allowed
        return [(cmd, t) for cmd, t in self.stepper.successors(s) if allowed[cmd]]

    def _start(self) -> Frontier:
        """States reachable without the environment, nothing in flight (as the model of every
        client starts a capture), with the reboots that need no request."""
        seen = {self.system.initial}
        queue = deque(seen)
        while queue:
            s = queue.popleft()
            for cmd, t in self.successors(s):
                if self.system.commands[cmd].action not in _ENVIRONMENT and t not in seen:
                    seen.add(t)
                    queue.append(t)
        r = self.reboots_left
        return frozenset(s[:r] + (self.budgets.reboots,) + s[r + 1:] for s in seen if self.stepper.quiet(s))

    # -- the environment --------------------------------------------------------------------------

    def _environment(self, s: State, env: tuple[int, ...], delete_marked: bool, reboot: bool) -> list[State]:
        t = list(s)
        for i, v in self.idle:
            t[i] = v
        if reboot:
            t[self.reboots_left] = min(t[self.reboots_left] + 1, self.most_reboots)
        spent = not delete_marked and t[self.deletes_left] < self.budgets.deletes
        choices: list[tuple[int, ...]] = []
        for i, code in zip(self.db, env, strict=True):
            if t[i] in self.mine:
                choices.append((t[i],))
            else:
                if spent and code & BOUND:  # the delete this projection made may have been of this lease
                    code |= FREE
                choices.append(tuple(v for bit, v in self.values if code & bit))
        out = []
        for pick in product(*choices):
            for i, v in zip(self.db, pick, strict=True):
                t[i] = v
            out.append(tuple(t))
        return out

    # -- one judged step --------------------------------------------------------------------------

    def step(self, frontier: Frontier, env: tuple[int, ...], event: tuple[str, object] | None,
             delete_marked: bool) -> Frontier | Miss:
        """The states after the next observed message ``event`` (direction, message in local numbers),
        or after the administrator's delete when ``event`` is None; a :class:`Miss` when none."""
        key = (frontier, env, event, delete_marked)
        got = self.memo.get(key)
        if got is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            got = self.memo[key] = self._step(frontier, env, event, delete_marked)
        return got

    def _step(self, frontier: Frontier, env: tuple[int, ...], event: tuple[str, object] | None,
              delete_marked: bool) -> Frontier | Miss:
        reboot = event is not None and isinstance(event[1], V.Request) and event[1].kind == V.REBOOTING
        seen: set[State] = set()
        for s in frontier:
            seen.update(self._environment(s, env, delete_marked, reboot))
        self._closure(seen, delete_marked)
        commands = self.system.commands
        nxt: set[State] = set()
        alternatives: set[Sent] = set()
        near: set[str] = set()
        for s in seen:
            for cmd, t in self.successors(s):
                if event is None:
                    if commands[cmd].action == DELETE:
                        nxt.add(t)
                    continue
                verdict, message = self._matches(event, s, t)
                if verdict == MATCH:
                    nxt.add(t)
                elif verdict == PENDING:
                    pending = self.system.variables[self.stepper.to_cli[0]].domain.values[t[self.stepper.to_cli[0]]]
                    near.add(f"{self.stepper.instance(cmd)} with {pending} unhandled")
                elif message is not None:
                    alternatives.add(message)
        if nxt:
            # the unseen steps right after the message, under the holdings of its moment: a server
            # that answers the client's request with silence does so before the others move on
            self._closure(nxt, delete_marked)
            return frozenset(nxt)
        return Miss(tuple(sorted(alternatives, key=str)), tuple(sorted(near)), event is None)

    def _closure(self, seen: set[State], delete_marked: bool) -> None:
        """Add to ``seen`` every state reachable from it by unobserved steps."""
        queue = deque(seen)
        commands, sent = self.system.commands, self.stepper.sent
        while queue:
            s = queue.popleft()
            for cmd, t in self.successors(s):
                if t in seen or sent(s, t) is not None or (delete_marked and commands[cmd].action == DELETE):
                    continue
                seen.add(t)
                queue.append(t)

    def _matches(self, event: tuple[str, object], s: State, t: State) -> tuple[str, Sent | None]:
        sent = self.stepper.sent(s, t)
        if sent is None:
            return "unobserved", None
        c, direction, message = sent
        if (c, direction, message) != (0, *event):
            return "other", sent
        if direction == "to server" and t[self.stepper.to_cli[0]] != self.stepper.none_cli[0]:
            return PENDING, sent
        return MATCH, sent

    def delete(self, frontier: Frontier, env: tuple[int, ...]) -> dict[tuple[str, int], Frontier] | Miss:
        """The administrator's delete at its given moment: the states after it, by whose lease it
        removed: ``("own", 0)`` the judged client's, ``("address", a)`` another's at address ``a``."""
        key = ("delete", frontier, env)
        got = self.memo.get(key)
        if got is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            got = self.memo[key] = self._delete(frontier, env)  # type: ignore[assignment]
        return got  # type: ignore[return-value]

    def _delete(self, frontier: Frontier, env: tuple[int, ...]) -> dict[tuple[str, int], Frontier] | Miss:
        seen: set[State] = set()
        for s in frontier:
            seen.update(self._environment(s, env, True, False))
        queue = deque(seen)
        commands, sent = self.system.commands, self.stepper.sent
        while queue:
            s = queue.popleft()
            for cmd, t in self.successors(s):
                if t in seen or sent(s, t) is not None or commands[cmd].action == DELETE:
                    continue
                seen.add(t)
                queue.append(t)
        out: dict[tuple[str, int], set[State]] = {}
        for s in seen:
            for cmd, t in self.successors(s):
                if commands[cmd].action != DELETE:
                    continue
                a = next(a for a, i in enumerate(self.db) if s[i] != t[i])
                whose = ("own", 0) if s[self.db[a]] in self.mine else ("address", a)
                out.setdefault(whose, set()).add(t)
        if not out:
            return Miss((), (), True)
        for states in out.values():  # the unseen steps right after the delete, under its moment's holdings
            self._closure(states, True)
        return {whose: frozenset(states) for whose, states in out.items()}

    # -- growing by one address -----------------------------------------------------------------

    def grow(self, frontier: Frontier, bigger: Projection) -> Frontier:
        """``frontier`` carried into ``bigger`` (one address more): the new address ``k`` is free (the
        environment sets it at the next message), the rest of the pool becomes ``k + 1``."""
        key = ("grow", frontier)
        got = self.memo.get(key)
        if isinstance(got, frozenset):
            return got
        k = self.k

        def rename(v: object) -> object:
            if v == k and isinstance(v, int) and not isinstance(v, bool):
                return k + 1
            if dataclasses.is_dataclass(v) and hasattr(v, "addr") and v.addr == k:  # type: ignore[union-attr]
                return dataclasses.replace(v, addr=k + 1)  # type: ignore[type-var]
            return v

        out = set()
        for s in frontier:
            values = self.system.decode(s)
            for group in ("addr", "mem", "to_srv", "to_cli"):
                values[group] = [rename(v) for v in values[group]]
            values["db"] = values["db"][:k] + [V.FREE] + values["db"][k:]
            out.add(bigger.system.encode(values))
        result = frozenset(out)
        self.memo[key] = result
        return result
