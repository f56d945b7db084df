"""The client's NAK handling as a model option: obey by default, or ignore a NAK while RENEWING."""

from __future__ import annotations

import io
import json

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.model.dhcp import Config, ConfigError, dhcp_system
from leasecheck.model.values import NAK, Bound
from leasecheck.properties.dhcp import dhcp_model
from leasecheck.properties.spec import Verdict

# docs/model.md section 8, every row.
REFERENCE_COUNTS = [
    (Config(clients=1, addresses=1, variant="nt35", deletes=1), 65),
    (Config(clients=1, addresses=1, variant="nt40", deletes=1), 55),
    (Config(clients=1, addresses=1, variant="rfc2131", deletes=1), 58),
    (Config(clients=1, addresses=1, variant="authoritative", deletes=1), 46),
    (Config(clients=2, addresses=2, variant="nt35", deletes=1), 5288),
    (Config(clients=2, addresses=2, variant="nt40", deletes=1), 4084),
    (Config(clients=2, addresses=2, variant="rfc2131", deletes=1), 5968),
    (Config(clients=2, addresses=2, variant="nt35", deletes=1, restart=True), 10616),
    (Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=1, reboots=1, restart=True), 66436),
]


@pytest.mark.parametrize(("cfg", "states"), REFERENCE_COUNTS, ids=lambda x: x.describe() if isinstance(x, Config) else "")
def test_the_default_client_obeys_a_nak_so_the_reference_counts_are_unchanged(cfg: Config, states: int) -> None:
    assert cfg.client_nak == "obey"
    assert len(explore(dhcp_system(cfg), Limits()).states) == states


def test_a_client_that_ignores_a_nak_while_renewing_still_recovers_under_a_nak_server() -> None:
    cfg = Config(clients=1, addresses=1, variant="nt40", deletes=1, client_nak="ignore-while-renewing")
    report, graph = explicit_report(dhcp_model(cfg), ["recovery", "recoverable"])
    assert graph.complete
    assert {r.property: r.verdict for r in report.results} == {"recovery": Verdict.HOLDS, "recoverable": Verdict.HOLDS}


def _nak_while_renewing_states(cfg: Config) -> tuple[bool, bool]:
    """For the states just after the client dealt with the NAK to its renewal (the lease deleted,
    nothing else in flight): can some path reach holds(0) without Expire (and without the user's
    Release), and can some path reach it at all?"""
    system = dhcp_system(cfg)
    graph = explore(system, Limits())
    assert graph.complete
    expire = {c.index for c in system.commands if c.action in ("Expire", "Release")}

    def holds(i: int) -> bool:
        d = system.decode(graph.states[i])
        return d["st"][0] == "BOUND" and d["db"][d["addr"][0]] == Bound(0)

    def reach(start: set[int], skip: set[int]) -> bool:
        seen, todo = set(start), list(start)
        while todo:
            i = todo.pop()
            if holds(i):
                return True
            for k in graph.out_edges(i):
                if graph.cmd[k] not in skip and graph.dst[k] not in seen:
                    seen.add(graph.dst[k])
                    todo.append(graph.dst[k])
        return False

    handled = {c.index for c in system.commands if c.action in ("RecvNak", "Discard")}
    starts = set()
    for i, state in enumerate(graph.states):
        d = system.decode(state)
        if d["st"][0] == "RENEWING" and d["to_cli"][0] == NAK and d["deletes_left"] == 0:
            after = {graph.dst[k] for k in graph.out_edges(i) if graph.cmd[k] in handled}
            starts |= {j for j in after if system.decode(graph.states[j])["to_srv"][0] is None}
    assert starts
    return reach(starts, expire), reach(starts, set())


def test_under_dnsmasq_a_client_that_ignores_the_renewal_nak_recovers_only_through_lease_expiry() -> None:
    """dnsmasq NAKs the renewal and is silent to the rebinding request: Expire is the only way back."""
    without_expire, at_all = _nak_while_renewing_states(Config(clients=1, addresses=1, variant="dnsmasq", deletes=1, client_nak="ignore-while-renewing"))
    assert at_all and not without_expire


def test_under_dnsmasq_an_obeying_client_recovers_from_the_nak_before_its_lease_expires() -> None:
    without_expire, at_all = _nak_while_renewing_states(Config(clients=1, addresses=1, variant="dnsmasq", deletes=1))
    assert at_all and without_expire


def test_under_nt40_the_rebinding_nak_brings_back_a_client_that_ignored_the_renewal_nak() -> None:
    without_expire, at_all = _nak_while_renewing_states(Config(clients=1, addresses=1, variant="nt40", deletes=1, client_nak="ignore-while-renewing"))
    assert at_all and without_expire


@pytest.mark.parametrize("variant", ["nt40", "dnsmasq", "authoritative", "rfc2131"])
def test_recovery_holds_for_a_client_that_ignores_a_nak_while_renewing(variant: str) -> None:
    report, graph = explicit_report(dhcp_model(Config(clients=2, addresses=2, variant=variant, deletes=1, client_nak="ignore-while-renewing")), ["recovery"])
    assert graph.complete
    assert [r.verdict for r in report.results] == [Verdict.HOLDS, Verdict.HOLDS]


def test_an_unknown_nak_handling_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="client NAK"):
        Config(client_nak="sometimes")


def test_the_json_config_names_the_client_nak_handling_whatever_it_is() -> None:
    out = io.StringIO()
    main(["check", "--format", "json", "--property", "recovery"], out, io.StringIO())
    assert json.loads(out.getvalue())["config"]["client_nak"] == "obey"
    out = io.StringIO()
    main(["check", "--format", "json", "--property", "recovery", "--client-nak", "ignore-while-renewing"], out,
         io.StringIO())
    assert json.loads(out.getvalue())["config"]["client_nak"] == "ignore-while-renewing"


def test_check_takes_the_client_nak_option() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--variant", "nt40", "--client-nak", "ignore-while-renewing", "--property", "recovery"], out, err)
    assert code == 0, err.getvalue()
    assert "client NAK ignore-while-renewing" in out.getvalue()
    assert main(["check", "--client-nak", "never"], io.StringIO(), err) == 2
