"""The client modes the reality matrix found: what each changes in the model, and what the model
predicts of it (docs/conformance.md, "Client deviations")."""

from __future__ import annotations

from collections import deque

import pytest

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import CLIENT_REBOOT_MODES, Config, ConfigError, dhcp_system, holds
from leasecheck.model.interp import apply
from leasecheck.model.lang import predicate
from leasecheck.model.values import VARIANTS, Bound, Free

TIMERS = ("T1", "T2", "Expire")


def timer_events_after_delete_and_reboot(variant: str, mode: str) -> int | None:
    """Lease timer events, at the fewest, from the first reboot of a client whose lease was deleted
    (1x1, one delete, one reboot) until it holds a lease again; None: never."""
    system = dhcp_system(Config(clients=1, addresses=1, variant=variant, deletes=1, losses=0, reboots=1, restart=False, client_nak="obey", client_reboot=mode))
    graph = explore(system)
    goal = GraphAnalysis(graph).mask(predicate(system.variables, lambda s: holds(s, 0)))
    commands = system.commands
    start = next(graph.dst[e] for u in range(graph.expanded)
                 if system.decode(graph.states[u])["deletes_left"] == 0 and not goal[u]
                 for e in graph.out_edges(u) if commands[graph.cmd[e]].action == "Reboot")
    cost = {start: 0}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if goal[v]:
            return cost[v]
        for k in graph.out_edges(v):
            c = graph.cmd[k]
            if not system.instances[commands[c].instance].fair:
                continue
            step = 1 if commands[c].action in TIMERS else 0
            w = graph.dst[k]
            if cost[v] + step < cost.get(w, 1 << 30):
                cost[w] = cost[v] + step
                (queue.append if step else queue.appendleft)(w)
    return None


PREDICTED = {  # variant: (keep-on-silence, discover-on-silence, forget)
    "nt35": (None, None, None),
    "rfc2131": (3, 0, 0),
    "dnsmasq": (1, 0, 0),
    "nt40": (0, 0, 0),
    "authoritative": (0, 0, 0),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_predicted_recovery_after_a_delete_and_a_reboot(variant):
    got = tuple(timer_events_after_delete_and_reboot(variant, m) for m in CLIENT_REBOOT_MODES)
    assert got == PREDICTED[variant]


def run(system, start: dict, steps: list[tuple[str, tuple[int, ...]]]) -> dict:
    """The state after ``steps`` from the initial state changed by ``start``; each step must be enabled
    and deterministic."""
    state = system.encode({**system.decode(system.initial), **start})
    for action, params in steps:
        instance = system.instance_of(action, params)
        nexts = {t for c in system.commands if c.instance == instance.index for t in [apply(c, state)] if t is not None}
        assert len(nexts) == 1, f"{action}{params}: {len(nexts)} successors"
        state = nexts.pop()
    return system.decode(state)


def test_an_unanswered_reboot_request_keeps_the_lease_or_starts_again():
    for mode, after in (("keep-on-silence", "BOUND"), ("discover-on-silence", "INIT")):
        system = dhcp_system(Config(clients=1, addresses=1, variant="rfc2131", deletes=0, losses=0, reboots=1, restart=False, client_nak="obey", client_reboot=mode))
        deleted = {"st": ["BOUND"], "addr": [0], "db": [Free()], "mem": [None]}  # its lease deleted
        last = run(system, deleted, [("Reboot", (0,)), ("ServeRequest", (0,)), ("Timeout", (0,))])
        assert last["st"][0] == after and (last["addr"][0] is None) == (after == "INIT")


def test_a_client_that_forgets_reboots_into_init_and_sends_nothing():
    system = dhcp_system(Config(clients=1, addresses=1, variant="nt40", deletes=0, losses=0, reboots=1, restart=False, client_nak="obey", client_reboot="forget"))
    bound = {"st": ["BOUND"], "addr": [0], "db": [Bound(0)], "mem": [0]}
    last = run(system, bound, [("Reboot", (0,))])
    assert (last["st"][0], last["addr"][0], last["to_srv"][0], last["reboots_left"]) == ("INIT", None, None, 0)


def test_the_default_is_rfc2131s_client_and_a_bad_mode_is_refused():
    assert Config().client_reboot == "keep-on-silence"
    assert "client reboot" not in Config().describe()
    assert "client reboot forget" in Config(client_reboot="forget").describe()
    with pytest.raises(ConfigError, match="unknown client reboot behaviour"):
        Config(client_reboot="sometimes")
