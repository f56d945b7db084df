"""How a client gets a lease back after the administrator deletes it, counted in lease timer events.

:func:`recovery_after_delete` explores a configuration, takes the first reachable moment where
AdminDelete removes the lease of a client that holds it, and searches the protocol's own (fair)
actions for the run back to ``holds`` that passes the fewest lease timer events (T1, T2, Expire;
RFC 2131 4.4.5). The answer is computed from the model: a count and the timer at which the
recovering exchange starts, or ``None`` when no such run exists. The run is replayed through the
reference interpreter before it is returned.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.replay import replay
from leasecheck.checker.results import Trace
from leasecheck.model.dhcp import Config, dhcp_system, holds
from leasecheck.model.lang import predicate

LEASE_TIMERS = ("T1", "T2", "Expire")


@dataclass(frozen=True)
class RecoveryRun:
    """The quickest recovery after a delete: ``timer_events`` is None when there is none."""

    config: Config
    client: int
    delete_step: int  # index of the AdminDelete step in ``trace``
    timer_events: int | None
    timers: tuple[str, ...]  # the lease timer events on the way back, in order
    answer: str  # how the server answered the request that followed the last timer
    trace: Trace  # from the initial state, through the delete, back to holds (or up to the delete)

    @property
    def recovers(self) -> bool:
        return self.timer_events is not None


def recovery_after_delete(cfg: Config, client: int = 0) -> RecoveryRun:
    """The run back to ``holds(client)`` after its lease is deleted with the fewest lease timer events."""
    if cfg.deletes < 1:
        raise ValueError("a recovery after a delete needs a configuration with deletes >= 1")
    system = dhcp_system(cfg)
    graph = explore(system)
    an = GraphAnalysis(graph)
    goal = an.mask(predicate(system.variables, lambda s: holds(s, client)))
    commands = system.commands
    fair = [system.instances[c.instance].fair for c in commands]
    start = None
    for u in range(graph.expanded):  # BFS order: the first such delete is on a shortest path
        if not goal[u]:
            continue
        for e in graph.out_edges(u):
            cmd = commands[graph.cmd[e]]
            if cmd.action == "AdminDelete" and not goal[graph.dst[e]] and cmd.label == f"client {client}'s lease":
                start = (u, e)
                break
        if start is not None:
            break
    if start is None:
        raise ValueError(f"in {cfg.describe()} no delete removes the lease of client {client} while it holds it")
    u, e = start
    prefix = graph.path_to(u) + [(graph.cmd[e], graph.dst[e])]
    after = graph.dst[e]
    # 0-1 breadth-first search: a lease timer of the client costs 1, every other fair action 0
    cost = {after: 0}
    back: dict[int, tuple[int, int]] = {}
    queue = deque([after])
    found = None
    while queue:
        v = queue.popleft()
        if goal[v]:
            found = v
            break
        for k in graph.out_edges(v):
            c = graph.cmd[k]
            if not fair[c]:
                continue
            step = 1 if commands[c].action in LEASE_TIMERS and commands[c].params == (client,) else 0
            w, nc = graph.dst[k], cost[v] + step
            if nc < cost.get(w, 1 << 30):
                cost[w] = nc
                back[w] = (v, c)
                (queue.append if step else queue.appendleft)(w)
    suffix: list[tuple[int, int]] = []
    if found is not None:
        v = found
        while v != after:
            p, c = back[v]
            suffix.append((c, v))
            v = p
        suffix.reverse()
    trace = an.trace(prefix + suffix)
    replay(system, trace)
    delete_step = len(prefix) - 1
    steps = trace.steps[delete_step + 1:]
    timers = tuple(s.action for s in steps if s.action in LEASE_TIMERS and s.params == (client,))
    answer = "never: no run of the protocol's own actions gets the lease back"
    if found is not None:
        last_timer = max((n for n, s in enumerate(steps) if s.action in LEASE_TIMERS and s.params == (client,)),
                         default=-1)
        served = [s.label for s in steps[last_timer + 1:]
                  if s.action in ("ServeRequest", "ServeDiscover") and s.params == (client,)]
        answer = served[0] if served else "no server answer needed"
    return RecoveryRun(cfg, client, delete_step, None if found is None else cost[found], timers, answer, trace)
