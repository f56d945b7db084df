"""The properties of docs/model.md section 7 for one traced DHCP system, and the DHCP model as
the engines read it (:func:`dhcp_model`).

:func:`dhcp_properties` turns property names into :mod:`leasecheck.properties.spec` objects, one per client
for the per-client properties. :data:`PROPERTIES` lists every name with its statement; without
an explicit selection, :func:`default_names` picks the ones that apply to a configuration (the
``kb_*`` claims speak of NT 3.5 only, and ``kb_restart_workaround`` of a server that can restart).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache

from leasecheck.model import values as V
from leasecheck.model.dhcp import Config, dhcp_system, holding, holds
from leasecheck.model.lang import BOOL, Expr, StateView, System, all_, predicate
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER
from leasecheck.properties.model import Disruption, Model, ModelFamily, Narration
from leasecheck.properties.spec import (
    AfterAction,
    GoalWords,
    Invariant,
    Property,
    PropertyError,
    PropertyInfo,
    Reachable,
    Recoverable,
    Recovery,
    StuckReachable,
)

__all__ = ["DHCP", "PROPERTIES", "PROPERTY_NAMES", "PropertyError", "PropertyInfo", "default_names", "dhcp_model",
           "dhcp_properties", "info"]


PROPERTIES: tuple[PropertyInfo, ...] = (
    PropertyInfo("recovery", True, "liveness",
                 "in every fair run, holds(c) is true infinitely often"),
    PropertyInfo("recoverable", True, "AG EF",
                 "from every reachable state, some run reaches holds(c)"),
    PropertyInfo("no_duplicate_address", False, "invariant",
                 "no two clients are holding the same address"),
    PropertyInfo("single_binding", False, "invariant",
                 "no client has two entries in db"),
    PropertyInfo("kb_symptom", True, "reachability",
                 "a state with deletes_left < D, st[c]=RENEWING and err[c]=1 is reachable"),
    PropertyInfo("kb_release_workaround", True, "after Release",
                 "from every reachable state with deletes_left = 0, the state after Release(c) "
                 "lies where every fair run reaches holds(c)"),
    PropertyInfo("kb_restart_workaround", True, "after AdminRestart",
                 "from every reachable state with deletes_left = 0, the state after AdminRestart "
                 "lies where every fair run reaches holds(c)"),
    PropertyInfo("kb_stuck_after_expiry", True, "reachability",
                 "a reachable state with st[c]=INIT from which no run without AdminRestart "
                 "reaches holds(c)"),
)

PROPERTY_NAMES: tuple[str, ...] = tuple(p.name for p in PROPERTIES)
_INFO = {p.name: p for p in PROPERTIES}


def info(name: str) -> PropertyInfo:
    try:
        return _INFO[name]
    except KeyError:
        raise PropertyError(f"unknown property {name!r}; choose from {', '.join(PROPERTY_NAMES)}") from None


def default_names(cfg: Config) -> tuple[str, ...]:
    """The properties that apply to ``cfg`` when the user names none."""
    names = ["recovery", "recoverable", "no_duplicate_address", "single_binding"]
    if cfg.variant == "nt35":
        names += ["kb_symptom", "kb_release_workaround", "kb_stuck_after_expiry"]
        if cfg.restart:
            names.append("kb_restart_workaround")
    return tuple(names)


def _no_duplicate_address(s: StateView, clients: int) -> Expr:
    return all_(
        ~(holding(s, c1) & holding(s, c2) & (s.addr[c1] == s.addr[c2]))
        for c1 in range(clients)
        for c2 in range(c1 + 1, clients)
    )


def _single_binding(s: StateView, clients: int, addresses: int) -> Expr:
    def entries(c: int, a: int) -> Expr:
        return s.db[a].isin((V.Offered(c), V.Bound(c)))

    return all_(
        ~(entries(c, a1) & entries(c, a2))
        for c in range(clients)
        for a1 in range(addresses)
        for a2 in range(a1 + 1, addresses)
    )


def dhcp_properties(system: System, cfg: Config, names: Sequence[str] | None = None) -> list[Property]:
    """The named properties (default: :func:`default_names`) as data, per client where they are."""
    chosen = list(dict.fromkeys(names)) if names else list(default_names(cfg))
    for n in chosen:
        info(n)
    if "kb_restart_workaround" in chosen and not cfg.restart:
        raise PropertyError("kb_restart_workaround speaks of AdminRestart: it needs --restart")
    var = system.variables
    out: list[Property] = []
    for name in chosen:
        statement = info(name).statement
        if name == "no_duplicate_address":
            out.append(Invariant(name, None, statement, predicate(var, lambda s: _no_duplicate_address(s, cfg.clients))))
            continue
        if name == "single_binding":
            good = predicate(var, lambda s: _single_binding(s, cfg.clients, cfg.addresses))
            out.append(Invariant(name, None, statement, good))
            continue
        for c in range(cfg.clients):
            out.append(_per_client(name, c, statement, system, cfg))
    return out


def lease_words(c: int) -> GoalWords:
    """How the per-client properties name their goal, holds(c), in a verdict's reason."""
    return GoalWords(goal=f"holds({c})", holds="holds a lease", held="the client holds its lease",
                     not_held="the client does not hold a lease", without="without a lease",
                     get="get the client a lease", gets="gets the client a lease", thing="a lease")


def _per_client(name: str, c: int, statement: str, system: System, cfg: Config) -> Property:
    var = system.variables
    goal = predicate(var, lambda s: holds(s, c))
    words = lease_words(c)
    text = statement.replace("(c)", f"({c})").replace("[c]", f"[{c}]")
    after_delete = predicate(var, lambda s: s.deletes_left == 0)
    if name == "recovery":
        return Recovery(name, c, text, goal, words=words)
    if name == "recoverable":
        return Recoverable(name, c, text, goal, words=words)
    if name == "kb_symptom":
        target = predicate(
            var,
            lambda s: s.deletes_left.map(lambda d: d < cfg.deletes, BOOL)
            & (s.st[c] == V.RENEWING)
            & (s.err[c] == 1),
        )
        return Reachable(name, c, text, target, words=words)
    if name == "kb_release_workaround":
        return AfterAction(name, c, text, after_delete, "Release", (c,), goal, words=words)
    if name == "kb_restart_workaround":
        return AfterAction(name, c, text, after_delete, "AdminRestart", (), goal, words=words)
    if name == "kb_stuck_after_expiry":
        target = predicate(var, lambda s: s.st[c] == V.INIT)
        return StuckReachable(name, c, text, target, goal, ("AdminRestart",), words=words)
    raise PropertyError(f"unknown property {name!r}")


#: what the abstract actions stand for on a real client or server
MEANINGS: tuple[tuple[str, str], ...] = (
    ("T1", "lease timer T1, or IPCONFIG /RENEW"),
    ("T2", "lease timer T2"),
    ("Expire", "the lease runs out on the client"),
    ("Release", "IPCONFIG /RELEASE"),
    ("Reboot", "the client reboots (INIT-REBOOT)"),
    ("AdminDelete", "the administrator deletes the active lease"),
    ("AdminRestart", "the administrator restarts the DHCP Server service"),
    ("ExpireLease", "the lease runs out on the server"),
)


def _instances(cfg: Config, system: System, name: str) -> list[Property]:
    return dhcp_properties(system, cfg, [name])


@lru_cache(maxsize=64)
def dhcp_model(cfg: Config) -> Model:
    """The DHCP model of ``cfg`` as the engines read it: the traced system, every property that
    applies to the configuration (``kb_restart_workaround`` only with a server that can restart),
    the default selection, and the model's words (cached: one model per configuration, traced once)."""
    refused = () if cfg.restart else (("kb_restart_workaround",
                                       "kb_restart_workaround speaks of AdminRestart: it needs --restart"),)
    return Model(
        trace=functools.partial(dhcp_system, cfg),
        instances=functools.partial(_instances, cfg),
        catalogue=PROPERTIES,
        defaults=default_names(cfg),
        description=cfg.describe(words=True),
        title=cfg.describe(),
        parameters=tuple(asdict(cfg).items()),
        refused=refused,
        narration=Narration(MEANINGS, quiet=("to_srv", "to_cli"),
                            signs=(("err", 1, 'client {key} shows "unable to obtain an IP network address"'),)),
        config=cfg,
        disruption=_delete(cfg),
        family=DHCP,
        settings=settings(cfg),
    )


def settings(cfg: Config) -> tuple[tuple[str, str], ...]:
    """The configuration as ``leasecheck describe`` shows it: the server policy written out, the
    restart on or off."""
    return (
        ("variant", cfg.variant),
        ("server policy", cfg.policy.spec()),
        ("clients", str(cfg.clients)),
        ("addresses", str(cfg.addresses)),
        ("deletes", str(cfg.deletes)),
        ("losses", str(cfg.losses)),
        ("reboots", str(cfg.reboots)),
        ("restart", "on" if cfg.restart else "off"),
        ("client_nak", cfg.client_nak),
        ("client_reboot", cfg.client_reboot),
    )


#: the picture of the reachable state graph (``leasecheck graph``) in DHCP's words: the states
#: where a client holds its lease, the stuck region, the recovery counterexample's fair loop, and
#: what makes a configuration smaller
GRAPH_WORDS = {
    "holding": "a client holds its lease",
    "stuck": "stuck: a client can never hold again",
    "loop": "fair loop without a lease (recovery counterexample)",
    "smaller": "try fewer clients, addresses or deletes",
}


#: the lease timer events a client's recovery is counted in (RFC 2131 4.4.5)
LEASE_TIMERS = ("T1", "T2", "Expire")


def _delete(cfg: Config) -> Disruption:
    """AdminDelete removes a client's lease; it has recovered when it holds a lease again."""
    return Disruption("AdminDelete", "client {key}'s lease", "recovery", LEASE_TIMERS,
                      ("ServeRequest", "ServeDiscover"),
                      "" if cfg.deletes >= 1 else "a recovery after a delete needs a configuration with deletes >= 1",
                      "never: no run of the protocol's own actions gets the lease back")


#: every DHCP configuration; ``client_reboot`` came after the first trace files of format version 2;
#: the all-sizes prover reads its first-order side (:mod:`leasecheck.properties.dhcp_fo`)
DHCP = ModelFamily("DHCP", Config, dhcp_model, added=("client_reboot",), first_order=DHCP_FIRST_ORDER,
                   noun="the DHCP lease model")
