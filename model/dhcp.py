"""The DHCP lease system of docs/model.md, written once in the modelling language.

:func:`dhcp_system` traces the actions of docs/model.md section 4 for one :class:`Config`
(section 2) into a :class:`~leasecheck.model.lang.System`. The state predicates that properties and reports
share (``holding``, ``mine``, ``holds``, ...) live here too, so that no DHCP rule is written twice.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from leasecheck.errors import UserError, quoted
from leasecheck.model import values as V
from leasecheck.model.lang import (
    BOOL,
    FALSE,
    Action,
    Domain,
    Expr,
    Sort,
    StateView,
    System,
    Variable,
    build_system,
    choose,
    each,
    exists,
    first,
    ite,
)
from leasecheck.model.policy import Policy, PolicyError, parse_policy, policy_name


class ClientNak(enum.StrEnum):
    """How a client treats a DHCPNAK (``Config.client_nak``): ``obey`` is RFC 2131's client (back
    to INIT); ``ignore-while-renewing`` discards a NAK that arrives while RENEWING, as dhcpcd 9.4.1
    does. A member is its name as a string (in JSON, text and comparisons alike)."""

    OBEY = "obey"
    IGNORE_WHILE_RENEWING = "ignore-while-renewing"

    def __repr__(self) -> str:
        return repr(self.value)


class ClientReboot(enum.StrEnum):
    """How a client reboots (``Config.client_reboot``). ``keep-on-silence``: INIT-REBOOT, and with
    no answer it keeps using its lease (RFC 2131 3.2 lets it); ``discover-on-silence``:
    INIT-REBOOT, and with no answer it starts again from INIT; ``forget``: it keeps no lease across
    the reboot and starts from INIT at once."""

    KEEP_ON_SILENCE = "keep-on-silence"
    DISCOVER_ON_SILENCE = "discover-on-silence"
    FORGET = "forget"

    def __repr__(self) -> str:
        return repr(self.value)


#: the names of the client NAK handlings and the client reboot behaviours, in order
CLIENT_NAK_MODES: tuple[str, ...] = tuple(m.value for m in ClientNak)
CLIENT_REBOOT_MODES: tuple[str, ...] = tuple(m.value for m in ClientReboot)


#: The sorts of a first-order reading of the model (its first-order side, properties/dhcp_fo.py),
#: which is not tied to one number of clients or addresses: the sort of each array's index, and the
#: arrays whose values are bare numbers of a sort (``addr`` and ``mem``). The numbers a message or
#: lease entry carries are its ``names_sort`` fields (model/values.py). Numbers anywhere else
#: (``err``, the budgets) are plain values.
INDEX_SORTS = {"st": "client", "addr": "client", "err": "client", "to_srv": "client", "to_cli": "client",
               "db": "address", "mem": "client"}
BARE_NUMBER_SORTS = {"addr": "address", "mem": "address"}

#: The largest number of clients or of addresses a configuration may have: the model's traced form
#: grows with their product, and already 30 x 30 takes seconds to build.
MAX_HOSTS = 64
#: The largest budget of deletes, losses or reboots: each is a counter in the state, and a run
#: uses at most a handful.
MAX_BUDGET = 1000


class ConfigError(UserError):
    """A configuration that docs/model.md section 2 does not define (bad counts, unknown variant)."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """The parameters of docs/model.md section 2; defaults as there. Given by keyword only:
    ``Config(clients=2, addresses=2, client_nak="obey")``.

    This is the one place a configuration is checked: a value it does not define is a
    :class:`ConfigError`. A name given for :attr:`client_nak` or :attr:`client_reboot` becomes its
    enum member, a :class:`Policy` given as :attr:`variant` becomes its name, and :attr:`policy`
    is the server policy, read once here.
    """

    clients: int = 1
    addresses: int = 1
    #: The server's behaviour by the name users see: a variant name (``nt35``, ...) or a written
    #: policy (:mod:`leasecheck.model.policy`). A written policy that a name aliases becomes that name.
    variant: str = "nt35"
    deletes: int = 1
    losses: int = 0
    reboots: int = 0
    restart: bool = False
    #: How the client treats a DHCPNAK (a :class:`ClientNak`, or its name).
    client_nak: ClientNak = ClientNak.OBEY
    #: How the client reboots (a :class:`ClientReboot`, or its name).
    client_reboot: ClientReboot = ClientReboot.KEEP_ON_SILENCE

    if TYPE_CHECKING:  # what a caller may give: the generated __init__, with names and a Policy accepted
        def __init__(self, *, clients: int = 1, addresses: int = 1, variant: str | Policy = variant, deletes: int = 1,
                     losses: int = 0, reboots: int = 0, restart: bool = False,
                     client_nak: ClientNak | str = ClientNak.OBEY,
                     client_reboot: ClientReboot | str = ClientReboot.KEEP_ON_SILENCE) -> None: ...

    def __post_init__(self) -> None:
        for name, low, high in (("clients", 1, MAX_HOSTS), ("addresses", 1, MAX_HOSTS), ("deletes", 0, MAX_BUDGET),
                                ("losses", 0, MAX_BUDGET), ("reboots", 0, MAX_BUDGET)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{name} must be a whole number from {low} to {high:,}, not {quoted(value)}")
        variant: Any = self.variant
        try:
            policy = variant if isinstance(variant, Policy) else parse_policy(variant)
        except PolicyError as exc:
            raise ConfigError(str(exc)) from None
        object.__setattr__(self, "variant", policy_name(policy))
        object.__setattr__(self, "_policy", policy)
        if not isinstance(self.restart, bool):
            raise ConfigError(f"restart must be true or false, not {self.restart!r}")
        try:
            object.__setattr__(self, "client_nak", ClientNak(self.client_nak))
        except ValueError:
            raise ConfigError(f"unknown client NAK handling {self.client_nak!r}; "
                              f"choose one of {', '.join(CLIENT_NAK_MODES)}") from None
        try:
            object.__setattr__(self, "client_reboot", ClientReboot(self.client_reboot))
        except ValueError:
            raise ConfigError(f"unknown client reboot behaviour {quoted(self.client_reboot)}; choose one of "
                              f"{', '.join(CLIENT_REBOOT_MODES)}") from None

    @property
    def policy(self) -> Policy:
        """The server policy :attr:`variant` names (read once, when the configuration was made)."""
        policy: Policy = self.__dict__["_policy"]
        return policy

    def modes(self) -> str:
        """The client's modes where they differ from RFC 2131's client, as the descriptions add them
        (``", client NAK ignore-while-renewing"``; "" for RFC 2131's client)."""
        nak = "" if self.client_nak is ClientNak.OBEY else f", client NAK {self.client_nak}"
        reboot = "" if self.client_reboot is ClientReboot.KEEP_ON_SILENCE else f", client reboot {self.client_reboot}"
        return nak + reboot

    def describe(self, *, words: bool = False) -> str:
        """The configuration in one line: short (``nt35 1x1, D=1, L=0, R=0``: a report's title, a
        trace's and a certificate's description), or in ``words`` (``variant nt35, 1 client, 1
        address, deletes 1, ...``: a report's first line). The one rendering of a configuration."""
        if not words:
            return (f"{self.variant} {self.clients}x{self.addresses}, D={self.deletes}, L={self.losses}, "
                    f"R={self.reboots}{', restart' if self.restart else ''}{self.modes()}")

        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 'es' if word.endswith('ss') else 's'}"

        return (f"variant {self.variant}, {n(self.clients, 'client')}, {n(self.addresses, 'address')}, "
                f"deletes {self.deletes}, losses {self.losses}, reboots {self.reboots}, "
                f"restart {'on' if self.restart else 'off'}{self.modes()}")


# ---------------------------------------------------------------------------------------------
# Shared predicates (docs/model.md section 3.3, "Derived conditions")


def waiting(s: StateView, c: int) -> Expr:
    return s.st[c].isin(V.WAITING)


def holding(s: StateView, c: int) -> Expr:
    return s.st[c].isin(V.HOLDING)


def mine(s: StateView, c: int, a: int) -> Expr:
    return s.db[a].isin((V.Offered(c), V.Bound(c)))


def references(s: StateView, c: int, a: int) -> Expr:
    return (
        (s.addr[c] == a)
        | s.to_cli[c].isin((V.Offer(a), V.Ack(a)))
        | s.to_srv[c].isin(tuple(V.Request(k, a) for k in V.REQUEST_KINDS))
    )


def holds(s: StateView, c: int) -> Expr:
    """The client is BOUND and the server's lease table agrees."""
    return (s.st[c] == V.BOUND) & exists(s.db, lambda a: (s.addr[c] == a) & (s.db[a] == V.Bound(c)))


# ---------------------------------------------------------------------------------------------
# The system


#: the budget counters: allowances of deletes, losses and reboots, each decremented (under a guard
#: that it is positive) only by the one disturbance that spends it, never raised
BUDGET_COUNTERS = ("deletes_left", "losses_left", "reboots_left")


def _variables(cfg: Config) -> list[Variable]:
    st = Domain("client state", V.CLIENT_STATES)
    addr = Domain("address or none", (None, *range(cfg.addresses)))
    err = Domain("error shown", (0, 1))
    to_srv = Domain("client message", V.to_server_messages(cfg.addresses))
    to_cli = Domain("server message", V.to_client_messages(cfg.addresses))
    lease = Domain("lease", V.leases(cfg.clients))
    out: list[Variable] = []
    for c in range(cfg.clients):
        out += [
            Variable(f"st[{c}]", st, V.INIT, "st", c),
            Variable(f"addr[{c}]", addr, None, "addr", c),
            Variable(f"err[{c}]", err, 0, "err", c),
            Variable(f"to_srv[{c}]", to_srv, None, "to_srv", c),
            Variable(f"to_cli[{c}]", to_cli, None, "to_cli", c),
        ]
    out += [Variable(f"db[{a}]", lease, V.FREE, "db", a) for a in range(cfg.addresses)]
    out += [Variable(f"mem[{c}]", addr, None, "mem", c) for c in range(cfg.clients)]
    for name, budget in zip(BUDGET_COUNTERS, (cfg.deletes, cfg.losses, cfg.reboots), strict=True):
        out.append(Variable(name, Domain(name, tuple(range(budget + 1))), budget, name, None))
    return out


def _positive(e: Expr) -> Expr:
    return e.map(lambda v: v > 0, BOOL)


def _decrement(e: Expr) -> Expr:
    return e.map(lambda v: max(v - 1, 0), e.domain)


def _address_of(e: Expr, addr_domain: Domain, kind: type[V.Offer] | type[V.Ack]) -> Expr:
    """The address a message of ``kind`` carries, or none for any other message."""
    return e.map(lambda m: getattr(m, "addr", None) if isinstance(m, kind) else None, addr_domain)


def _request(kind: str, addr: Expr, to_srv_domain: Domain) -> Expr:
    """REQUEST(kind, addr) for the address ``addr`` holds (none stays none)."""
    return addr.map(lambda a: None if a is None else V.Request(kind, a), to_srv_domain)


class _Dhcp:
    """The action bodies of docs/model.md section 4 for one configuration."""

    def __init__(self, cfg: Config, variables: list[Variable]):
        self.cfg = cfg
        by_group = {v.group: v.domain for v in variables}
        self.addr_dom = by_group["addr"]
        self.to_srv_dom = by_group["to_srv"]

    # -- helpers --------------------------------------------------------------------------------

    def stale(self, s: StateView, c: int) -> Expr:
        if not self.cfg.policy.keeps_record:
            return FALSE  # only a kept record goes stale: nothing else leaves mem[c] behind
        return exists(s.db, lambda a: (s.mem[c] == a) & ~mine(s, c, a))

    def mine_any(self, s: StateView, c: int) -> Expr:
        return exists(s.db, lambda a: mine(s, c, a))

    def recv_offer_guard(self, s: StateView, c: int) -> Expr:
        is_offer = s.to_cli[c].map(lambda m: isinstance(m, V.Offer), BOOL)
        return is_offer & (s.st[c] == V.SELECTING) & (s.to_srv[c] == None)  # noqa: E711

    def recv_ack_guard(self, s: StateView, c: int) -> Expr:
        is_ack = s.to_cli[c].map(lambda m: isinstance(m, V.Ack), BOOL)
        acked = _address_of(s.to_cli[c], self.addr_dom, V.Ack)
        return is_ack & waiting(s, c) & (acked == s.addr[c])

    def recv_nak_guard(self, s: StateView, c: int) -> Expr:
        """RFC 2131: a waiting client obeys a NAK. With ``client_nak="ignore-while-renewing"`` a
        NAK that arrives while RENEWING is not obeyed, so Discard consumes it instead."""
        guard = (s.to_cli[c] == V.NAK) & waiting(s, c)
        if self.cfg.client_nak is ClientNak.IGNORE_WHILE_RENEWING:
            guard = guard & (s.st[c] != V.RENEWING)
        return guard

    # -- client, fair -----------------------------------------------------------------------------

    def discover(self, s: StateView, c: int) -> None:
        s.require(s.st[c] == V.INIT, s.to_srv[c] == None)  # noqa: E711
        s.st[c] = V.SELECTING
        s.to_srv[c] = V.DISCOVER

    def recv_offer(self, s: StateView, c: int) -> None:
        s.require(self.recv_offer_guard(s, c))
        offered = _address_of(s.to_cli[c], self.addr_dom, V.Offer)
        s.st[c] = V.REQUESTING
        s.addr[c] = offered
        s.to_srv[c] = _request(V.SELECTING, offered, self.to_srv_dom)
        s.to_cli[c] = None

    def recv_ack(self, s: StateView, c: int) -> None:
        s.require(self.recv_ack_guard(s, c))
        s.st[c] = V.BOUND
        s.err[c] = 0
        s.to_cli[c] = None

    def recv_nak(self, s: StateView, c: int) -> None:
        s.require(self.recv_nak_guard(s, c))
        s.st[c] = V.INIT
        s.addr[c] = None
        s.to_cli[c] = None

    def discard(self, s: StateView, c: int) -> None:
        s.require(s.to_cli[c] != None)  # noqa: E711
        s.require(~(self.recv_offer_guard(s, c) | self.recv_ack_guard(s, c) | self.recv_nak_guard(s, c)))
        s.to_cli[c] = None

    def t1(self, s: StateView, c: int) -> None:
        s.require(s.st[c] == V.BOUND, s.to_srv[c] == None)  # noqa: E711
        s.st[c] = V.RENEWING
        s.to_srv[c] = _request(V.RENEWING, s.addr[c], self.to_srv_dom)

    def t2(self, s: StateView, c: int) -> None:
        s.require(s.st[c] == V.RENEWING, s.to_srv[c] == None)  # noqa: E711
        s.st[c] = V.REBINDING
        s.to_srv[c] = _request(V.REBINDING, s.addr[c], self.to_srv_dom)

    def expire(self, s: StateView, c: int) -> None:
        s.require(s.st[c] == V.REBINDING, s.to_srv[c] == None)  # noqa: E711
        s.st[c] = V.INIT
        s.addr[c] = None

    def timeout(self, s: StateView, c: int) -> None:
        s.require(s.to_srv[c] == None, s.to_cli[c] == None)  # noqa: E711
        with s.case(s.st[c] == V.SELECTING, "no offer"):
            s.st[c] = V.INIT
            s.err[c] = 1
        with s.case(s.st[c] == V.REQUESTING, "no answer to the selecting request"):
            s.st[c] = V.INIT
            s.addr[c] = None
        with s.case(s.st[c] == V.REBOOTING, "no answer to the reboot request"):
            if self.cfg.client_reboot is ClientReboot.DISCOVER_ON_SILENCE:
                s.st[c] = V.INIT
                s.addr[c] = None
            else:
                s.st[c] = V.BOUND
        with s.case((s.st[c] == V.RENEWING) & (s.err[c] == 0), "no answer to the renewal"):
            s.err[c] = 1

    # -- client, environment ---------------------------------------------------------------------

    def release(self, s: StateView, c: int) -> None:
        s.require(holding(s, c), s.to_srv[c] == None)  # noqa: E711
        s.to_srv[c] = s.addr[c].map(lambda a: None if a is None else V.Release(a), self.to_srv_dom)
        s.st[c] = V.INIT
        s.addr[c] = None

    def reboot(self, s: StateView, c: int) -> None:
        s.require(holding(s, c), s.to_srv[c] == None, _positive(s.reboots_left))  # noqa: E711
        if self.cfg.client_reboot is ClientReboot.FORGET:
            s.st[c] = V.INIT
            s.addr[c] = None
        else:
            s.st[c] = V.REBOOTING
            s.to_srv[c] = _request(V.REBOOTING, s.addr[c], self.to_srv_dom)
        s.reboots_left = _decrement(s.reboots_left)

    # -- server, fair ----------------------------------------------------------------------------

    def serve_release(self, s: StateView, c: int) -> None:
        for a in choose(s.db):
            with s.case(s.to_srv[c] == V.Release(a), f"RELEASE({a})"):
                s.db[a] = ite(s.db[a] == V.Bound(c), V.FREE, s.db[a])
                s.mem[c] = ite(s.mem[c] == a, None, s.mem[c])
                s.to_srv[c] = None

    def serve_discover(self, s: StateView, c: int) -> None:
        s.require(s.to_srv[c] == V.DISCOVER, s.to_cli[c] == None)  # noqa: E711
        s.to_srv[c] = None
        stale = self.stale(s, c)
        mine_any = self.mine_any(s, c)
        free_any = exists(s.db, lambda a: s.db[a] == V.FREE)
        with s.case(stale, "silent: stale record"):
            pass
        for a in choose(s.db):
            with s.case(~stale & mine(s, c, a), f"offer the current binding {a}"):
                s.to_cli[c] = V.Offer(a)
                s.mem[c] = a
        for a in choose(s.db):
            with s.case(~stale & ~mine_any & (s.db[a] == V.FREE), f"offer free address {a}"):
                s.db[a] = V.Offered(c)
                s.mem[c] = a
                s.to_cli[c] = V.Offer(a)
        with s.case(~stale & ~mine_any & ~free_any, "silent: no free address"):
            pass

    def serve_request(self, s: StateView, c: int) -> None:
        s.require(s.to_cli[c] == None)  # noqa: E711
        stale = self.stale(s, c)
        for k in V.REQUEST_KINDS:
            for a in choose(s.db):
                with s.case(s.to_srv[c] == V.Request(k, a), f"REQUEST({k},{a})"):
                    s.to_srv[c] = None
                    self._answer_request(s, c, k, a, stale)

    def _answer_request(self, s: StateView, c: int, k: str, a: int, stale: Expr) -> None:
        ok = ~stale
        with s.case(stale, "silent: stale record"):
            pass
        with s.case(ok & mine(s, c, a), "ACK"):
            s.db[a] = V.Bound(c)
            s.mem[c] = a
            s.to_cli[c] = V.Ack(a)
        # an entry for another client: neither FREE nor c's (said without a quantifier over
        # clients, so that in the first-order model the cases of the request cover every state)
        others = ~(s.db[a] == V.FREE) & ~mine(s, c, a)
        with s.case(ok & others, "NAK: another client's address"):
            s.to_cli[c] = V.NAK
        unknown = ok & (s.db[a] == V.FREE)
        if k == V.SELECTING:
            with s.case(unknown, "NAK: the offer lapsed"):
                s.to_cli[c] = V.NAK
            return
        answer = self.cfg.policy.answer(k)
        with s.case(unknown, f"{answer if answer == 'silent' else answer.upper()}: no record of this lease"):
            if answer == "nak":
                s.to_cli[c] = V.NAK
            elif answer == "ack":
                s.db[a] = V.Bound(c)
                s.mem[c] = a
                s.to_cli[c] = V.Ack(a)

    def expire_lease(self, s: StateView, a: int) -> None:
        for c in choose(s.st):
            with s.case(mine(s, c, a) & ~references(s, c, a), f"client {c}'s lease"):
                s.db[a] = V.FREE
                s.mem[c] = ite(s.mem[c] == a, None, s.mem[c])

    # -- administrator and network ---------------------------------------------------------------

    def admin_delete(self, s: StateView, a: int) -> None:
        s.require(_positive(s.deletes_left))
        s.deletes_left = _decrement(s.deletes_left)
        for c in choose(s.st):
            with s.case(s.db[a] == V.Bound(c), f"client {c}'s lease"):
                s.db[a] = V.FREE
                if not self.cfg.policy.keeps_record:
                    s.mem[c] = ite(s.mem[c] == a, None, s.mem[c])

    def rebuilt_record(self, s: StateView, c: int) -> Expr:
        """What a service restart puts in mem[c]: the address bound to c in db, or none."""
        return first(s.db, lambda a: s.db[a] == V.Bound(c), self.addr_dom.const(None))

    def admin_restart(self, s: StateView) -> None:
        s.require(self.cfg.restart)
        s.require(exists(s.st, lambda c: s.mem[c] != self.rebuilt_record(s, c)))
        for c in each(s.st):
            s.mem[c] = self.rebuilt_record(s, c)

    def lose_to_server(self, s: StateView, c: int) -> None:
        s.require(s.to_srv[c] != None, _positive(s.losses_left))  # noqa: E711
        s.to_srv[c] = None
        s.losses_left = _decrement(s.losses_left)

    def lose_to_client(self, s: StateView, c: int) -> None:
        s.require(s.to_cli[c] != None, _positive(s.losses_left))  # noqa: E711
        s.to_cli[c] = None
        s.losses_left = _decrement(s.losses_left)

    def actions(self) -> list[Action]:
        def act(name: str, params: tuple[str, ...], body: Callable[..., None], fair: bool, actor: str) -> Action:
            return Action(name, params, body, fair, actor)

        client, address = ("client",), ("address",)
        return [
            act("Discover", client, self.discover, True, "client"),
            act("RecvOffer", client, self.recv_offer, True, "client"),
            act("RecvAck", client, self.recv_ack, True, "client"),
            act("RecvNak", client, self.recv_nak, True, "client"),
            act("Discard", client, self.discard, True, "client"),
            act("T1", client, self.t1, True, "client"),
            act("T2", client, self.t2, True, "client"),
            act("Expire", client, self.expire, True, "client"),
            act("Timeout", client, self.timeout, True, "client"),
            act("Release", client, self.release, False, "client"),
            act("Reboot", client, self.reboot, False, "client"),
            act("ServeRelease", client, self.serve_release, True, "server"),
            act("ServeDiscover", client, self.serve_discover, True, "server"),
            act("ServeRequest", client, self.serve_request, True, "server"),
            act("ExpireLease", address, self.expire_lease, True, "server"),
            act("AdminDelete", address, self.admin_delete, False, "admin"),
            act("AdminRestart", (), self.admin_restart, False, "admin"),
            act("LoseToServer", client, self.lose_to_server, False, "network"),
            act("LoseToClient", client, self.lose_to_client, False, "network"),
        ]


def dhcp_actions(cfg: Config, variables: list[Variable] | None = None) -> tuple[list[Variable], list[Action]]:
    """The state variables and the untraced actions for one configuration (for other tracings).

    A first-order tracing passes the configuration and the variables as an action body may see
    them there (``checker/allsizes/fo.py``: no sizes, no budgets, domains without their values).
    """
    variables = _variables(cfg) if variables is None else variables
    return variables, _Dhcp(cfg, variables).actions()


@lru_cache(maxsize=64)
def dhcp_system(cfg: Config) -> System:
    """The traced DHCP system for one configuration (cached: tracing is deterministic)."""
    variables, actions = dhcp_actions(cfg)
    ranges: dict[str, Sequence[int]] = {"client": tuple(range(cfg.clients)), "address": tuple(range(cfg.addresses))}
    return build_system(f"dhcp[{cfg.describe()}]", variables, actions, ranges, dhcp_sorts(cfg))


def dhcp_sorts(cfg: Config) -> tuple[Sort, ...]:
    """Clients and addresses are interchangeable (docs/model.md section 8): the client-indexed
    variables, in the order a client's symmetry key lists them, and the lease table indexed by
    address; ``addr`` and ``mem`` hold addresses, messages and lease entries name them inside."""
    return (Sort("client", cfg.clients, ("st", "err", "addr", "to_srv", "to_cli", "mem")),
            Sort("address", cfg.addresses, ("db",), valued=("addr", "mem"), plural_name="addresses"))
