"""When each variant recovers after a delete, counted in lease timer events (T1, T2, Expire)."""

from __future__ import annotations

import pytest

from leasecheck.api import recovery_after_delete
from leasecheck.model.dhcp import Config


def test_nt35_never_recovers_by_the_protocol_alone() -> None:
    run = recovery_after_delete(Config(variant="nt35"))
    assert not run.recovers and run.timer_events is None
    assert run.trace.steps[-1].action == "AdminDelete"


@pytest.mark.parametrize(("variant", "answer"), [("nt40", "NAK"), ("dnsmasq", "NAK"), ("authoritative", "ACK")])
def test_answering_variants_recover_at_t1(variant: str, answer: str) -> None:
    run = recovery_after_delete(Config(variant=variant))
    assert run.timer_events == 1 and run.timers == ("T1",)
    assert run.answer.startswith(f"REQUEST(RENEWING,0): {answer}")
    assert run.trace.steps[run.delete_step].action == "AdminDelete"


def test_a_silent_server_lets_the_client_recover_only_after_expiry() -> None:
    run = recovery_after_delete(Config(variant="rfc2131"))
    assert run.timer_events == 3 and run.timers == ("T1", "T2", "Expire")
    assert run.answer == "offer free address 0"


def test_a_configuration_without_deletes_is_refused() -> None:
    with pytest.raises(ValueError, match="deletes >= 1"):
        recovery_after_delete(Config(deletes=0))
