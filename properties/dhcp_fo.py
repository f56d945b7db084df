"""The DHCP model's first-order side: what the all-sizes prover reads of it
(:mod:`leasecheck.properties.firstorder`).

The actions traced symbolically are :func:`leasecheck.model.dhcp.dhcp_actions`, over the sorts
``client`` and ``address``, with the model's own sort tables; an action body may read how the
server and the clients behave, never the sizes nor the budgets. The invariants are
``single_binding`` and ``no_duplicate_address`` written with the model's predicates (``mine``,
``holding``); recovery is ``holds(c0)`` of one arbitrary client, for networks with A >= C, over
the client's view of the lease table (a ghost map from clients to addresses states A >= C).

May import: leasecheck.errors, leasecheck.model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from leasecheck.model import dhcp
from leasecheck.model import values as V
from leasecheck.model.dhcp import Config
from leasecheck.properties.firstorder import (
    FirstOrder,
    FirstOrderInvariant,
    FirstOrderRecovery,
    FirstOrderTable,
    FirstOrderView,
)


def _sized(cfg: Config, sizes: Sequence[int]) -> Config:
    clients, addresses = sizes
    return dataclasses.replace(cfg, clients=clients, addresses=addresses)


def _config_of(recorded: Mapping[str, Any]) -> Config:
    return Config(clients=1, addresses=1, **recorded)


def _describe(cfg: Config, any_budget: bool) -> str:
    budgets = "every budget" if any_budget else f"D={cfg.deletes}, L={cfg.losses}, R={cfg.reboots}"
    return f"{cfg.variant}, {budgets}{', restart' if cfg.restart else ''}{cfg.modes()}"


# The conditions are module-level functions, not lambdas: a model crosses to worker processes
# with its family, and so with its first-order side.


def _single_binding(s: Any, c: Any, a1: Any, a2: Any) -> object:
    return ~(a1 != a2) | ~(dhcp.mine(s, c, a1) & dhcp.mine(s, c, a2))


SINGLE_BINDING = FirstOrderInvariant(
    "single_binding",
    "for every client c and addresses a1, a2 (all different): "
    "not (db[a1] is OFFERED(c) or BOUND(c), and db[a2] is OFFERED(c) or BOUND(c))",
    (("c", "client"), ("a1", "address"), ("a2", "address")),
    _single_binding)

def _no_duplicate(s: Any, c1: Any, c2: Any) -> object:
    same = s.addr[c1] == s.addr[c2]
    return ~(c1 != c2) | ~(dhcp.holding(s, c1) & dhcp.holding(s, c2) & same)


NO_DUPLICATE_ADDRESS = FirstOrderInvariant(
    "no_duplicate_address",
    "for every clients c1, c2 (all different): "
    "not (st[c1] and st[c2] are BOUND, RENEWING or REBINDING, and addr[c1] = addr[c2])",
    (("c1", "client"), ("c2", "client")),
    _no_duplicate)

#: the lease table: each address FREE, or OFFERED or BOUND to the client its entry names
LEASE_TABLE = FirstOrderTable("db", "client", V.FREE, (("OFFERED", V.Offered(0)), ("BOUND", V.Bound(0))))

#: what one client sees of a state: its own state, error flag and messages, whether it has an
#: address, the lease table's entry for the address it holds (addr), requests (to_srv) and is
#: sent (to_cli), which of those are the same address, and whether some entry names it; its
#: state and messages together are the premise of a wider learned clause
CLIENT_VIEW = FirstOrderView(
    own=("st", "err", "to_srv", "to_cli", "addr"),
    carriers=(("addr", ""), ("to_srv", "addr"), ("to_cli", "addr")),
    compared=(("to_srv", "addr"), ("to_cli", "addr"), ("to_cli", "to_srv")),
    local=("st", "to_srv", "to_cli"),
)

RECOVERY = FirstOrderRecovery(
    "recovery",
    "for every client c0, in every weakly fair run: infinitely often st[c0] = BOUND and "
    "db[addr[c0]] = BOUND(c0) (holds(c0))",
    ("c0", "client"),
    dhcp.holds,
    "A >= C",
    goal_name="holds(c0)",
    view=CLIENT_VIEW,
    table=LEASE_TABLE,
    ghost=("the ghost map gives different clients different addresses",
           "for every client d, db[ghost(d)] is FREE or an entry naming d"),
)

#: what the all-sizes prover reads of the DHCP model
DHCP_FIRST_ORDER = FirstOrder(
    sorts=("client", "address"),
    actions=dhcp.dhcp_actions,
    system=dhcp.dhcp_system,
    sized=_sized,
    index_sorts=dhcp.INDEX_SORTS,
    bare_number_sorts=dhcp.BARE_NUMBER_SORTS,
    visible=("variant", "policy", "restart", "client_nak", "client_reboot"),
    recorded=("variant", "deletes", "losses", "reboots", "restart", "client_nak", "client_reboot"),
    config_of=_config_of,
    describe=_describe,
    budgets=dhcp.BUDGET_COUNTERS,
    sizes="every number of clients and addresses",
    invariants=(SINGLE_BINDING, NO_DUPLICATE_ADDRESS),
    recovery=RECOVERY,
)
