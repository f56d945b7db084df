"""Trace validation: is an observed message sequence a behaviour of the model?

Hand-built sequences pin the rules (unobserved steps between messages, the delete where it was
seen, a server answer handled before the client's next message, losses within the budget); the
recorded captures give the verdicts docs/conformance.md leads one to expect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck.checker.conform.classify import Classified, Observed, classify
from leasecheck.checker.conform.pcap import read_udp
from leasecheck.checker.conform.validate import Delete, Event, ValidationError, validate, with_delete
from leasecheck.model.values import DISCOVER, NAK, REBINDING, RENEWING, SELECTING, Ack, Offer, Request

DATA = Path(__file__).parent / "data"
ONE_CLIENT = Classified((), ("02:00:00:00:00:01",), ("10.77.0.50",))


def to_server(message: object) -> Observed:
    return Observed(0, 0.0, 0, "to server", message, "hand-built")


def to_client(message: object) -> Observed:
    return Observed(0, 0.0, 0, "to client", message, "hand-built")


BOUND_ONCE: list[Event] = [to_server(DISCOVER), to_client(Offer(0)), to_server(Request(SELECTING, 0)), to_client(Ack(0))]


def consistent(events: list[Event], **kw: object) -> set[str]:
    return set(validate(ONE_CLIENT, events, **kw).consistent_variants)  # type: ignore[arg-type]


def test_the_exchange_that_binds_a_client_is_a_behaviour_of_every_variant() -> None:
    assert consistent(BOUND_ONCE) == {"nt35", "nt40", "rfc2131", "dnsmasq", "authoritative"}


def test_a_nak_to_the_renewal_after_the_delete_fits_the_variants_that_nak() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(NAK), to_server(DISCOVER)]
    assert consistent(events) == {"nt40", "dnsmasq"}


def test_an_ack_to_the_renewal_after_the_delete_fits_only_the_authoritative_server() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(Ack(0))]
    assert consistent(events) == {"authoritative"}


def test_silence_then_rebinding_then_expiry_fits_the_servers_that_stay_silent() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_server(Request(REBINDING, 0)),
              to_server(DISCOVER), to_client(Offer(0))]
    # nt35 keeps its stale record and ignores the DISCOVER: no OFFER, as in the KB.
    assert consistent(events) == {"rfc2131"}


def test_the_kb_deadlock_fits_only_nt35() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_server(Request(REBINDING, 0)),
              to_server(DISCOVER), to_server(DISCOVER)]
    assert consistent(events) == {"nt35"}


def test_the_first_message_the_model_cannot_produce_is_named_with_the_reason() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(NAK)]
    result = {r.variant: r for r in validate(ONE_CLIENT, events).results}["authoritative"]
    assert not result.consistent
    assert result.matched == 6  # messages 1..6 matched; message 7, the NAK, did not
    assert "NAK" in result.reason and "ACK(0)" in result.reason


def test_a_message_before_anything_asked_for_it_is_rejected_by_every_variant() -> None:
    assert consistent([to_client(Offer(0))]) == set()


def test_a_client_that_renews_before_it_was_bound_is_rejected() -> None:
    assert consistent([to_server(DISCOVER), to_server(Request(RENEWING, 0))]) == set()


def test_the_delete_happens_where_it_was_seen_and_nowhere_else() -> None:
    """Without the delete, the server has the lease and ACKs; with it seen after the renewal, too."""
    renewal_nak = [to_server(Request(RENEWING, 0)), to_client(NAK)]
    assert consistent([*BOUND_ONCE, *renewal_nak, Delete()]) == set()
    assert consistent([*BOUND_ONCE, Delete(), *renewal_nak]) == {"nt40", "dnsmasq"}


def test_without_a_given_delete_time_the_delete_may_happen_anywhere() -> None:
    assert consistent([*BOUND_ONCE, to_server(Request(RENEWING, 0)), to_client(NAK)]) == {"nt40", "dnsmasq"}


def test_a_client_that_ignores_a_nak_is_rejected_under_the_rfc_client_and_accepted_when_it_may() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(NAK), to_server(Request(REBINDING, 0))]
    assert consistent(events) == set()
    assert consistent(events, client_nak="ignore-while-renewing") == {"dnsmasq", "nt40"}


def test_a_lost_answer_needs_the_losses_budget_and_the_result_says_how_many_it_used() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(Ack(0)), to_server(Request(REBINDING, 0)),
              to_client(Ack(0))]
    assert consistent(events) == set()
    results = validate(ONE_CLIENT, events, losses=1).results
    assert [(r.variant, r.losses_used) for r in results if r.consistent] == [("authoritative", 1)]


def test_a_consistent_verdict_comes_with_a_matching_model_run() -> None:
    events = [*BOUND_ONCE, Delete(), to_server(Request(RENEWING, 0)), to_client(Ack(0))]
    result = {r.variant: r for r in validate(ONE_CLIENT, events).results}["authoritative"]
    assert result.witness == ("Discover(0)", "ServeDiscover(0)", "RecvOffer(0)", "ServeRequest(0)", "RecvAck(0)",
                              "AdminDelete(0)", "T1(0)", "ServeRequest(0)")


def test_a_delete_packet_past_the_end_of_the_capture_is_an_error() -> None:
    data = (DATA / "dnsmasq-udhcpc.pcap").read_bytes()
    with pytest.raises(ValidationError, match="after the last"):
        with_delete(classify(read_udp(data)), packet=999)


# -- the recorded captures ----------------------------------------------------------------------


def recorded(name: str, **kw: object) -> set[str]:
    meta = json.loads((DATA / f"{name}.pcap.json").read_text())
    c = classify(read_udp((DATA / f"{name}.pcap").read_bytes()))
    return set(validate(c, with_delete(c, time=meta["delete_time"]), **kw).consistent_variants)  # type: ignore[arg-type]


@pytest.mark.parametrize("client", ["udhcpc", "dhclient"])
def test_plain_dnsmasq_behaves_like_the_dnsmasq_variant_and_never_like_nt35(client: str) -> None:
    """The NAK to a renewal is shared by nt40 and dnsmasq; these clients never rebind to tell them apart."""
    assert recorded(f"dnsmasq-{client}") == {"dnsmasq", "nt40"}


@pytest.mark.parametrize("name", ["dnsmasq-auth-udhcpc", "dnsmasq-auth-dhclient", "dnsmasq-auth-dhcpcd",
                                  "kea-dhclient", "kea-dhcpcd"])
def test_dnsmasq_authoritative_and_kea_behave_like_the_authoritative_variant(name: str) -> None:
    assert recorded(name) == {"authoritative"}


def test_kea_with_udhcpc_is_authoritative_once_udhcpc_s_missed_ack_counts_as_a_loss() -> None:
    assert recorded("kea-udhcpc") == set()
    assert recorded("kea-udhcpc", losses=1) == {"authoritative"}


def test_dhcpcd_ignoring_dnsmasq_s_nak_is_no_behaviour_of_the_rfc_client() -> None:
    assert recorded("dnsmasq-dhcpcd") == set()


def test_dhcpcd_ignoring_dnsmasq_s_nak_is_the_dnsmasq_variant_with_a_client_that_ignores_it() -> None:
    """The rebinding request that follows meets silence: that rules out nt40, which would NAK it."""
    assert recorded("dnsmasq-dhcpcd", client_nak="ignore-while-renewing") == {"dnsmasq"}


# -- every behaviour of the model is accepted ---------------------------------------------------

VARIANT_NAMES = ["nt35", "nt40", "rfc2131", "dnsmasq", "authoritative"]


def _observe_random_run(variant: str, choices: list[int], client_nak: str) -> list[Event]:
    """A run of the model, chosen step by step by ``choices``, seen from the client's wire: the
    messages it sends, and the delete. Steps where the client would send while an answer to it is
    still unhandled are not taken (a client on a real wire has that answer first)."""
    from leasecheck.model.compile import compile_successors
    from leasecheck.model.dhcp import Config, dhcp_system

    system = dhcp_system(Config(clients=1, addresses=1, variant=variant, deletes=1, losses=1, reboots=0, restart=False, client_nak=client_nak))
    successors = compile_successors(system)
    to_srv = next(i for i, v in enumerate(system.variables) if v.group == "to_srv")
    to_cli = next(i for i, v in enumerate(system.variables) if v.group == "to_cli")
    none_cli = system.variables[to_cli].domain.index(None)
    state = system.initial
    events: list[Event] = []
    for choice in choices:
        options = [(cmd, t) for cmd, t in successors(state)
                   if not (t[to_srv] != state[to_srv] and system.variables[to_srv].domain.values[t[to_srv]] is not None
                           and t[to_cli] != none_cli)]
        if not options:
            break
        cmd, nxt = options[choice % len(options)]
        if system.commands[cmd].action == "AdminDelete":
            events.append(Delete())
        for i, direction in ((to_srv, "to server"), (to_cli, "to client")):
            value = system.variables[i].domain.values[nxt[i]]
            if nxt[i] != state[i] and value is not None:
                events.append(Observed(len(events) + 1, 0.0, 0, direction, value, "model run"))
        state = nxt
    return events


@settings(max_examples=60, deadline=None)
@given(variant=st.sampled_from(VARIANT_NAMES), client_nak=st.sampled_from(["obey", "ignore-while-renewing"]),
       choices=st.lists(st.integers(min_value=0, max_value=20), max_size=40))
def test_what_the_model_does_seen_on_the_wire_is_consistent_with_that_variant(
        variant: str, client_nak: str, choices: list[int]) -> None:
    events = _observe_random_run(variant, choices, client_nak)
    assert variant in consistent(events, losses=1, client_nak=client_nak)
