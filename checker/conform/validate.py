"""Trace validation: is an observed DHCP message sequence a behaviour of the model?

The search runs over pairs (model state, position in the observed sequence). Between two observed
messages, any number of unobserved steps may happen: the client's timers and timeouts, the
server's silent answers and lease expiry, a lost message within the losses budget, and the
administrator's delete when its moment is not given. A step that sends a message must be the next
observed message: the same client, direction and model message. Two further rules come from
where the capture is taken (the client's own interface):

* the administrator's delete, when its position is given, happens exactly there and nowhere else;
* a server message seen on the client's wire has been dealt with (received, discarded or lost)
  before the client's next message: when the client sends, nothing is left in ``to_cli``.

The capture may begin in the middle of a run: the search starts from every state reachable
without the environment (no delete, loss, reboot or release) in which no message is in flight.
The result names, per server variant, the first observed message the model cannot produce and
what the model could have sent instead; a consistent sequence comes with a matching model run,
re-checked step by step with the reference interpreter.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from leasecheck.checker.conform.classify import Classified, Observed
from leasecheck.errors import UserError, quoted
from leasecheck.model.compile import Successors, compile_successors
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.interp import apply
from leasecheck.model.lang import System
from leasecheck.model.values import VARIANTS, Request

State = tuple[int, ...]
Sent = tuple[int, str, object]  # (client, direction, model message) a step puts on the wire
DELETE = "AdminDelete"
_ENVIRONMENT = ("AdminDelete", "AdminRestart", "LoseToServer", "LoseToClient", "Reboot", "Release")

#: The largest capture the search handles. Its model is built for the capture's clients and
#: addresses, and the states the search keeps between two observed messages grow about tenfold per
#: client (three clients: a second or so; four: half a minute; five: more memory than a machine
#: has). A loss budget multiplies that again, and each budget up to the one asked is tried in turn.
MAX_CLIENTS = 3
MAX_ADDRESSES = 8
MAX_LOSSES = 8
MAX_MESSAGES = 1_000


class ValidationError(UserError):
    """A validation request that does not make sense (a delete position outside the capture)."""


@dataclass(frozen=True)
class Delete:
    """The administrator's delete of the client's active lease, observed off the wire."""

    time: float | None = None

    def __str__(self) -> str:
        return "admin deletes the lease"


Event = Observed | Delete


@dataclass(frozen=True)
class VariantResult:
    """The outcome for one server variant."""

    variant: str
    consistent: bool
    matched: int  # events matched (all of them when consistent)
    reason: str
    witness: tuple[str, ...] = ()  # model steps of a matching run (action instances), when consistent
    losses_used: int = 0


@dataclass(frozen=True)
class Validation:
    events: tuple[Event, ...]
    config: Config  # the variant-independent part: clients, addresses, budgets, client NAK handling
    results: tuple[VariantResult, ...]

    @property
    def consistent_variants(self) -> tuple[str, ...]:
        return tuple(r.variant for r in self.results if r.consistent)


def with_delete(classified: Classified, *, time: float | None = None, packet: int | None = None) -> list[Event]:
    """The observed messages with the delete inserted before the first message at or after
    ``time`` (capture clock) or before packet number ``packet``; neither gives no delete event."""
    events: list[Event] = list(classified.messages)
    if time is None and packet is None:
        return events
    for i, o in enumerate(classified.messages):
        if (time is not None and o.time >= time) or (packet is not None and o.number >= packet):
            events.insert(i, Delete(time if time is not None else o.time))
            return events
    if packet is not None and packet > max((o.number for o in classified.messages), default=0) + 1:
        raise ValidationError(f"packet {packet} is after the last DHCP message of the capture")
    events.append(Delete(time))
    return events


class _Stepper:
    """One variant's system, compiled, with the reading of a step as observable events."""

    def __init__(self, system: System):
        self.system = system
        self.successors: Successors = compile_successors(system)
        self.to_srv = {v.key: i for i, v in enumerate(system.variables) if v.group == "to_srv" and v.key is not None}
        self.to_cli = {v.key: i for i, v in enumerate(system.variables) if v.group == "to_cli" and v.key is not None}
        self.none_srv = {c: system.variables[i].domain.index(None) for c, i in self.to_srv.items()}
        self.none_cli = {c: system.variables[i].domain.index(None) for c, i in self.to_cli.items()}

    def sent(self, s: State, t: State) -> Sent | None:
        """(client, direction, message) when the step s -> t puts a message on the wire."""
        for slots, nones, direction in ((self.to_srv, self.none_srv, "to server"), (self.to_cli, self.none_cli, "to client")):
            for c, i in slots.items():
                if t[i] != s[i] and t[i] != nones[c]:
                    return c, direction, self.system.variables[i].domain.values[t[i]]
        return None

    @cached_property
    def start(self) -> frozenset[State]:
        """The states a capture may begin in (:func:`_start_states`), found once per system."""
        return frozenset(_start_states(self))

    def quiet(self, s: State) -> bool:
        return all(s[i] == self.none_srv[c] for c, i in self.to_srv.items()) and all(
            s[i] == self.none_cli[c] for c, i in self.to_cli.items())

    def action(self, cmd: int) -> str:
        return self.system.commands[cmd].action

    def instance(self, cmd: int) -> str:
        c = self.system.commands[cmd]
        return f"{c.action}({', '.join(map(str, c.params))})"


class Steppers:
    """Compiled systems by configuration, kept for judging many captures under the same
    configurations (the policies and client modes of a matrix's cells): building and compiling a
    system costs far more than a search in it. Holds at most ``limit``, the least recently used
    dropped first; one belongs to one judging run, never to the module."""

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._by_config: OrderedDict[Config, _Stepper] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_config)

    def get(self, cfg: Config) -> _Stepper:
        st = self._by_config.get(cfg)
        if st is None:
            st = self._by_config[cfg] = _Stepper(dhcp_system(cfg))
            if len(self._by_config) > self.limit:
                self._by_config.popitem(last=False)
        else:
            self._by_config.move_to_end(cfg)
        return st


def _start_states(st: _Stepper) -> set[State]:
    """States reachable without the environment's actions, with nothing in flight."""
    seen = {st.system.initial}
    queue = deque(seen)
    while queue:
        s = queue.popleft()
        for cmd, t in st.successors(s):
            if st.action(cmd) not in _ENVIRONMENT and t not in seen:
                seen.add(t)
                queue.append(t)
    return {s for s in seen if st.quiet(s)}


Node = tuple[int, State]  # (position in events, state)


def _search(st: _Stepper, events: Sequence[Event], delete_marked: bool) -> VariantResult:
    parents: dict[Node, tuple[Node, int] | None] = {}
    frontier: set[State] = set(st.start)
    for s in frontier:
        parents[(0, s)] = None
    for pos, event in enumerate(events):
        closure = _closure(st, pos, frontier, parents, delete_marked)
        nxt: set[State] = set()
        near_misses: set[str] = set()
        alternatives: set[Sent] = set()
        for s in closure:
            for cmd, t in st.successors(s):
                verdict, sent = _matches(st, event, cmd, s, t)
                if verdict == MATCH:
                    if (pos + 1, t) not in parents:
                        parents[(pos + 1, t)] = ((pos, s), cmd)
                    nxt.add(t)
                elif verdict == PENDING:
                    c = event.client if isinstance(event, Observed) else 0
                    unhandled = st.system.variables[st.to_cli[c]].domain.values[t[st.to_cli[c]]]
                    near_misses.add(f"{st.instance(cmd)} with {unhandled} unhandled")
                elif verdict == OTHER and sent is not None:
                    alternatives.add(sent)
        if not nxt:
            return VariantResult(st.system.name, False, pos, _why_not(event, alternatives, near_misses))
        frontier = nxt
    end = next(iter(sorted(frontier)))
    return VariantResult(st.system.name, True, len(events), "every observed message is a step of the model",
                         _witness(st, parents, len(events), end))


def _closure(st: _Stepper, pos: int, start: Iterable[State], parents: dict[Node, tuple[Node, int] | None],
             delete_marked: bool) -> set[State]:
    """Every state reachable from ``start`` by unobserved steps."""
    seen = set(start)
    queue = deque(seen)
    while queue:
        s = queue.popleft()
        for cmd, t in st.successors(s):
            if t in seen or st.sent(s, t) is not None or (delete_marked and st.action(cmd) == DELETE):
                continue
            seen.add(t)
            parents.setdefault((pos, t), ((pos, s), cmd))
            queue.append(t)
    return seen


MATCH, PENDING, OTHER, UNOBSERVED = "match", "pending", "other", "unobserved"


def _matches(st: _Stepper, event: Event, cmd: int, s: State, t: State) -> tuple[str, Sent | None]:
    """How the step s -> t relates to the next observed event: MATCH; PENDING when it sends the
    observed client message while an answer to the client is still unhandled; OTHER when it sends
    another message (returned); UNOBSERVED when it sends nothing."""
    if isinstance(event, Delete):
        return (MATCH if st.action(cmd) == DELETE else UNOBSERVED), None
    sent = st.sent(s, t)
    if sent is None:
        return UNOBSERVED, None
    c, direction, message = sent
    if (c, direction, message) != (event.client, event.direction, event.message):
        return OTHER, sent
    if direction == "to server" and t[st.to_cli[c]] != st.none_cli[c]:
        return PENDING, sent
    return MATCH, sent


def _show(sent: Sent) -> str:
    c, direction, message = sent
    return f"{message} {direction} (client {c})"


def _why_not(event: Event, alternatives: set[Sent], near_misses: set[str]) -> str:
    if isinstance(event, Delete):
        return "the model cannot delete an active lease here (no lease is bound)"
    what = f"packet {event.number}: {_show((event.client, event.direction, event.message))}"
    if near_misses:
        return (f"{what} is a step of the model only before the client handles the server's last answer "
                f"({'; '.join(sorted(near_misses))}), but that answer was already on the client's wire")
    same = sorted(_show(a) for a in alternatives if a[1] == event.direction)
    if same:
        return f"{what} is not a step of the model here; it could send instead: {'; '.join(same)}"
    sender = "server" if event.direction == "to client" else "client"
    if alternatives:
        return (f"{what} is not a step of the model here: its {sender} stays silent "
                f"(the model's next message could only be: {'; '.join(sorted(map(_show, alternatives)))})")
    return f"{what} is not a step of the model here: its {sender} stays silent"


def _witness(st: _Stepper, parents: dict[Node, tuple[Node, int] | None], pos: int, state: State) -> tuple[str, ...]:
    """The model run that matches the capture, re-checked with the reference interpreter."""
    steps: list[int] = []
    node: Node = (pos, state)
    states = [state]
    while (link := parents[node]) is not None:
        node, cmd = link
        steps.append(cmd)
        states.append(node[1])
    steps.reverse()
    states.reverse()
    for cmd, s, t in zip(steps, states[:-1], states[1:], strict=True):
        if apply(st.system.commands[cmd], s) != t:
            raise AssertionError(f"the matching run does not replay at {st.instance(cmd)}")
    return tuple(st.instance(cmd) for cmd in steps)


def model_config(classified: Classified, events: Sequence[Event], variant: str, losses: int, client_nak: str,
                 restart: bool = False, client_reboot: str = "keep-on-silence", reboots: int = 0) -> Config:
    """The configuration a capture is judged in: its clients and addresses, its deletes, and at least
    as many reboots as it shows REBOOTING requests (``reboots``: more, for a client that reboots
    without one)."""
    deletes = sum(1 for e in events if isinstance(e, Delete)) or 1
    seen = sum(1 for e in events if isinstance(e, Observed) and isinstance(e.message, Request)
               and e.message.kind == "REBOOTING")
    return Config(clients=max(1, len(classified.clients)), addresses=max(1, len(classified.addresses)), variant=variant,
                  deletes=deletes, losses=losses,
                  reboots=max(seen, reboots), restart=restart, client_nak=client_nak, client_reboot=client_reboot)


def check_losses(losses: object) -> None:
    """Refuse a loss budget the search cannot try: not a whole number, negative, or above MAX_LOSSES."""
    if isinstance(losses, bool) or not isinstance(losses, int) or not 0 <= losses <= MAX_LOSSES:
        raise ValidationError(f"the losses must be a whole number from 0 to {MAX_LOSSES}, not {quoted(losses)}: "
                              f"each budget up to the one given is tried in turn, and a budget of {MAX_LOSSES} "
                              f"already lets every message of a short exchange be lost")


def check_size(classified: Classified) -> None:
    """Refuse a capture larger than the search handles (:data:`MAX_CLIENTS` and the limits beside it)."""
    clients, addresses, messages = len(classified.clients), len(classified.addresses), len(classified.messages)
    if clients > MAX_CLIENTS:
        raise ValidationError(f"the capture has {clients} DHCP clients; leasecheck compares at most {MAX_CLIENTS} "
                              f"with the model of all its clients at once, whose states grow about tenfold per "
                              f"client; judge it client by client (--judge per-client) or keep only the client "
                              f"of interest (for example tcpdump -r IN -w OUT ether host MAC)")
    if addresses > MAX_ADDRESSES:
        raise ValidationError(f"the capture's DHCP messages name {addresses} addresses; leasecheck compares at "
                              f"most {MAX_ADDRESSES} with the model")
    if messages > MAX_MESSAGES:
        raise ValidationError(f"the capture holds {messages:,} DHCP messages (retransmissions folded); leasecheck "
                              f"compares at most {MAX_MESSAGES:,} with the model; cut it to the exchange of interest")


def validate(classified: Classified, events: Sequence[Event], *, losses: int = 0, client_nak: str = "obey",
             variants: Sequence[str] = VARIANTS, restart: bool = False, client_reboot: str = "keep-on-silence",
             reboots: int = 0, steppers: Steppers | None = None) -> Validation:
    """Per variant: is ``events`` a behaviour of the model with at most ``losses`` lost messages
    (and, with ``restart``, the server's restart, ``AdminRestart``, allowed)?
    A consistent variant reports the fewest losses it needs. A capture or budget beyond the limits
    above is a :class:`ValidationError`, before any model is built. ``steppers``: the compiled
    systems to take from and add to (a fresh one when not given)."""
    steppers = steppers if steppers is not None else Steppers()
    check_losses(losses)
    check_size(classified)
    delete_marked = any(isinstance(e, Delete) for e in events)
    results = []
    for variant in variants:
        result: VariantResult | None = None
        for budget in range(losses + 1):
            cfg = model_config(classified, events, variant, budget, client_nak, restart, client_reboot, reboots)
            found = _search(steppers.get(cfg), events, delete_marked)
            result = VariantResult(variant, found.consistent, found.matched, found.reason, found.witness, budget)
            if found.consistent:
                break
        assert result is not None
        results.append(result)
    return Validation(tuple(events), model_config(classified, events, VARIANTS[0], losses, client_nak, restart,
                                                  client_reboot, reboots),
                      tuple(results))
