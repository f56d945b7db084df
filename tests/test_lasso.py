"""The NT 3.5 recovery counterexample is the KB's deadlock: a fair lasso that replays."""

from __future__ import annotations

import pytest

from leasecheck.checker.explicit.decide import decide
from leasecheck.checker.replay import ReplayError, replay, successor_by
from leasecheck.checker.results import Step, Trace
from leasecheck.model.dhcp import Config
from leasecheck.model.interp import enabled_instances
from leasecheck.model.values import BOUND, FREE, INIT
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import Verdict

from .conftest import analysis


def recovery_trace(cfg: Config, client: int = 0) -> Trace:
    an = analysis(cfg)
    prop = [p for p in dhcp_properties(an.graph.system, cfg, ["recovery"]) if p.client == client][0]
    result = decide(an, prop)
    assert result.verdict is Verdict.VIOLATED
    assert result.trace is not None
    return result.trace


def loop_of(trace: Trace) -> list[tuple[str, str]]:
    assert trace.loop_start is not None
    return [(s.instance, s.label) for s in trace.steps[trace.loop_start + 1:]]


def test_the_nt35_loop_is_discover_silence_timeout():
    trace = recovery_trace(Config(clients=1, addresses=1, variant="nt35"))
    assert loop_of(trace) == [
        ("Discover(0)", ""),
        ("ServeDiscover(0)", "silent: stale record"),
        ("Timeout(0)", "no offer"),
    ]


def test_the_prefix_deletes_the_active_lease():
    trace = recovery_trace(Config(clients=1, addresses=1, variant="nt35"))
    prefix = [s.action for s in trace.steps[1:trace.loop_start + 1]]
    assert "AdminDelete" in prefix
    assert prefix.index("RecvAck") < prefix.index("AdminDelete")


def test_the_loop_shows_the_error_message():
    trace = recovery_trace(Config(clients=1, addresses=1, variant="nt35"))
    system = analysis(Config(clients=1, addresses=1, variant="nt35")).graph.system
    loop_states = [system.decode(s.state) for s in trace.steps[trace.loop_start:]]
    assert all(s["err"] == [1] for s in loop_states)  # "unable to obtain an IP network address"
    assert all(s["db"] == [FREE] and s["mem"] == [0] for s in loop_states)  # the stale record


@pytest.mark.parametrize("client", [0, 1])
def test_with_two_clients_the_stuck_client_still_loops_through_silent_discovers(client):
    trace = recovery_trace(Config(clients=2, addresses=2, variant="nt35"), client)
    loop = loop_of(trace)
    assert (f"ServeDiscover({client})", "silent: stale record") in loop
    assert (f"Timeout({client})", "no offer") in loop


def test_the_lasso_replays_and_its_loop_is_fair():
    cfg = Config(clients=2, addresses=2, variant="nt35")
    trace = recovery_trace(cfg)
    system = analysis(cfg).graph.system
    replay(system, trace)
    assert trace.fairness is not None
    taken = set(trace.fairness.taken)
    disabled = dict(trace.fairness.disabled)
    for inst in system.instances:
        if not inst.fair:
            continue
        if str(inst) in taken:
            continue
        step = disabled[str(inst)]
        assert trace.loop_start <= step < len(trace.steps)
        assert inst.index not in enabled_instances(system, trace.steps[step].state)


def test_a_loop_that_starves_a_fair_action_is_refused_by_replay():
    # client 0 cycles through silent discovers while client 1 sits BOUND with T1 enabled
    # throughout and never taken: a real cycle, but not a fair run
    cfg = Config(clients=2, addresses=2, variant="nt35")
    an = analysis(cfg)
    system = an.graph.system
    start = next(
        i for i, st in enumerate(an.graph.states)
        if (d := system.decode(st))["st"] == [INIT, BOUND] and d["err"][0] == 1
        and d["to_srv"] == [None, None] and d["to_cli"] == [None, None] and d["mem"][0] is not None
        and d["db"][d["mem"][0]] == FREE
    )
    steps = list(an.trace(an.graph.path_to(start)).steps)
    loop_start = len(steps) - 1
    for action, label in [("Discover", ""), ("ServeDiscover", "silent: stale record"), ("Timeout", "no offer")]:
        (nxt,) = successor_by(system, steps[-1].state, action, (0,), label)
        steps.append(Step(action, (0,), label, nxt))
    unfair = Trace(tuple(steps), loop_start)
    with pytest.raises(ReplayError, match=r"not fair: T1\(1\)"):
        replay(system, unfair)


def test_a_loop_that_does_not_close_is_refused_by_replay():
    cfg = Config(clients=1, addresses=1, variant="nt35")
    trace = recovery_trace(cfg)
    system = analysis(cfg).graph.system
    with pytest.raises(ReplayError, match="loop does not close"):
        replay(system, Trace(trace.steps[:-1], trace.loop_start))


def test_nt40_recovers_and_has_no_lasso():
    cfg = Config(clients=2, addresses=2, variant="nt40")
    an = analysis(cfg)
    for prop in dhcp_properties(an.graph.system, cfg, ["recovery"]):
        result = decide(an, prop)
        assert result.verdict is Verdict.HOLDS
        assert result.trace is None
