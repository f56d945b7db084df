"""How a participant recovers after the disruption its model names, counted in the model's own events.

:func:`recovery_after_delete` reads the model's :class:`~leasecheck.properties.model.Disruption`
(for DHCP: AdminDelete removes a client's lease; recovery is ``holds(c)`` again, counted in lease
timer events T1, T2, Expire, RFC 2131 4.4.5). It explores the model, takes the first reachable
moment where the disruption hits a participant whose goal holds, and searches the model's own
(fair) actions for the run back to the goal that passes the fewest counted events. The answer is
computed from the model: a count and the events on the way, or ``None`` when no such run exists.
The run is replayed through the reference interpreter before it is returned.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.replay import replay
from leasecheck.checker.results import Trace
from leasecheck.errors import UserError
from leasecheck.properties.model import Model


class NothingToRecoverFrom(UserError):
    """The model names no disruption here, or it never hits the participant asked about."""


@dataclass(frozen=True)
class RecoveryRun:
    """The quickest recovery after a disruption (a delete): ``timer_events`` is None when there is none."""

    config: Any  # the model's configuration
    client: int
    delete_step: int  # index of the disrupting step (AdminDelete) in ``trace``
    timer_events: int | None
    timers: tuple[str, ...]  # the counted events (lease timers) on the way back, in order
    answer: str  # how the other side answered after the last counted event
    trace: Trace  # from the initial state, through the disruption, back to the goal (or up to it)

    @property
    def recovers(self) -> bool:
        return self.timer_events is not None


def recovery_after_delete(model: Model, client: int = 0) -> RecoveryRun:
    """The run back to ``client``'s goal after the model's disruption (a delete) with the fewest
    counted events (lease timer events); :class:`NothingToRecoverFrom` when there is none to measure."""
    hit = model.disruption
    if hit is None or hit.refused:
        raise NothingToRecoverFrom(hit.refused if hit else f"{model.description} names no disruption to recover from")
    wanted = [p for p in model.select([hit.goal]) if p.client == client]
    if not wanted:
        raise NothingToRecoverFrom(f"{hit.goal} does not speak of {client} in {model.description}")
    system = model.system
    graph = explore(system)
    an = GraphAnalysis(graph)
    goal = an.mask(wanted[0].goal)  # type: ignore[union-attr]
    label = hit.label.format(key=client)
    commands = system.commands
    fair = [system.instances[c.instance].fair for c in commands]
    start = None
    for u in range(graph.expanded):  # BFS order: the first such delete is on a shortest path
        if not goal[u]:
            continue
        for e in graph.out_edges(u):
            cmd = commands[graph.cmd[e]]
            if cmd.action == hit.action and not goal[graph.dst[e]] and cmd.label == label:
                start = (u, e)
                break
        if start is not None:
            break
    if start is None:
        raise NothingToRecoverFrom(f"in {model.title} no {hit.action} hits {client} while its goal holds")
    u, e = start
    prefix = graph.path_to(u) + [(graph.cmd[e], graph.dst[e])]
    after = graph.dst[e]
    # 0-1 breadth-first search: a counted event of the participant costs 1, every other fair action 0
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
            step = 1 if commands[c].action in hit.counted and commands[c].params == (client,) else 0
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
    timers = tuple(s.action for s in steps if s.action in hit.counted and s.params == (client,))
    answer = hit.never
    if found is not None:
        last_timer = max((n for n, s in enumerate(steps) if s.action in hit.counted and s.params == (client,)),
                         default=-1)
        served = [s.label for s in steps[last_timer + 1:]
                  if s.action in hit.answers and s.params == (client,)]
        answer = served[0] if served else "no answer needed"
    return RecoveryRun(model.config, client, delete_step, None if found is None else cost[found], timers, answer, trace)
