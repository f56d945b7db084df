"""The configuration of docs/model.md section 2: given by keyword, checked in one place, typed.

Client modes are enum members that read, print and serialise as their names; the server's
behaviour is held as a policy, read once; one method describes a configuration, short or in words.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, replace

import pytest

import leasecheck.model.dhcp as dhcp
from leasecheck.model.dhcp import ClientNak, ClientReboot, Config, ConfigError
from leasecheck.model.policy import ALIASES
from leasecheck.properties.dhcp import dhcp_model


def test_a_configuration_is_given_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        Config(2, 2, "nt40")  # type: ignore[misc]
    cfg = Config(variant="nt40", clients=2, addresses=2, client_nak="obey")
    assert (cfg.clients, cfg.addresses, cfg.variant) == (2, 2, "nt40")


def test_a_client_mode_given_by_name_becomes_its_member_and_still_reads_as_its_name() -> None:
    cfg = Config(client_nak="ignore-while-renewing", client_reboot="forget")
    assert cfg.client_nak is ClientNak.IGNORE_WHILE_RENEWING and cfg.client_reboot is ClientReboot.FORGET
    assert cfg == Config(client_nak=ClientNak.IGNORE_WHILE_RENEWING, client_reboot=ClientReboot.FORGET)
    assert hash(cfg) == hash(Config(client_nak=ClientNak.IGNORE_WHILE_RENEWING, client_reboot=ClientReboot.FORGET))
    assert cfg.client_nak == "ignore-while-renewing" and f"{cfg.client_reboot}" == "forget"
    assert json.loads(json.dumps(asdict(cfg)))["client_nak"] == "ignore-while-renewing"
    assert "client_nak='ignore-while-renewing', client_reboot='forget'" in repr(cfg)
    assert pickle.loads(pickle.dumps(cfg)) == cfg


@pytest.mark.parametrize(("given", "message"), [
    ({"client_nak": "sulk"}, "unknown client NAK handling 'sulk'; choose one of obey, ignore-while-renewing"),
    ({"client_reboot": 3}, "unknown client reboot behaviour 3; choose one of keep-on-silence, discover-on-silence"),
    ({"variant": "nt50"}, "unknown variant 'nt50'"),
    ({"clients": 0}, "clients must be a whole number from 1 to 64"),
])
def test_a_value_the_model_does_not_define_is_refused_in_words(given: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Config(**given)  # type: ignore[arg-type]


def test_the_server_policy_is_read_once_when_the_configuration_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(variant="renewing=nak,rebinding=nak,rebooting=nak,delete=clear-record")
    assert cfg.variant == "nt40" and cfg.policy == ALIASES["nt40"]
    assert Config(variant=ALIASES["dnsmasq"]).variant == "dnsmasq"  # a Policy given becomes its name
    assert replace(cfg, clients=2).policy == ALIASES["nt40"]

    def refuse(text: object) -> None:
        raise AssertionError(f"parsed {text} again")

    monkeypatch.setattr(dhcp, "parse_policy", refuse)
    assert cfg.policy is cfg.policy and cfg.policy.keeps_record is False


def test_one_method_describes_a_configuration_short_and_in_words() -> None:
    cfg = Config(variant="nt40", clients=2, addresses=3, restart=True, client_nak="ignore-while-renewing")
    assert cfg.describe() == "nt40 2x3, D=1, L=0, R=0, restart, client NAK ignore-while-renewing"
    assert cfg.describe(words=True) == ("variant nt40, 2 clients, 3 addresses, deletes 1, losses 0, reboots 0, "
                                        "restart on, client NAK ignore-while-renewing")
    model = dhcp_model(cfg)
    assert (model.title, model.description) == (cfg.describe(), cfg.describe(words=True))
    assert Config().describe(words=True) == ("variant nt35, 1 client, 1 address, deletes 1, losses 0, reboots 0, "
                                             "restart off")
