"""Server policies as data: the five variants are points of the space, and the model reads fields."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck import check
from leasecheck.checker.explicit.explore import explore
from leasecheck.model import dhcp
from leasecheck.model.dhcp import Config, ConfigError, dhcp_system
from leasecheck.model.policy import (
    ALIASES,
    ANSWERS,
    DELETE_MODES,
    FIELDS,
    Policy,
    PolicyError,
    parse_policy,
    policy_name,
    policy_space,
)
from leasecheck.model.values import VARIANTS

# (variant, C, A, D, L, R, restart) -> (states, transitions), as the model gave them before
# variants became policies.
TODAY = {
    ("nt35", 1, 1, 1, 1, 1, True): (648, 1478), ("nt35", 2, 2, 1, 0, 0, False): (5288, 16300),
    ("nt35", 2, 2, 1, 1, 1, True): (133214, 547072), ("nt35", 2, 1, 1, 0, 1, False): (4730, 13474),
    ("nt40", 1, 1, 1, 1, 1, True): (503, 1088), ("nt40", 2, 2, 1, 0, 0, False): (4084, 13360),
    ("nt40", 2, 2, 1, 1, 1, True): (66436, 260036), ("nt40", 2, 1, 1, 0, 1, False): (4066, 11882),
    ("rfc2131", 1, 1, 1, 1, 1, True): (498, 1065), ("rfc2131", 2, 2, 1, 0, 0, False): (5968, 19496),
    ("rfc2131", 2, 2, 1, 1, 1, True): (90372, 356784), ("rfc2131", 2, 1, 1, 0, 1, False): (5640, 17060),
    ("dnsmasq", 1, 1, 1, 1, 1, True): (505, 1091), ("dnsmasq", 2, 2, 1, 0, 0, False): (4084, 13360),
    ("dnsmasq", 2, 2, 1, 1, 1, True): (68520, 267056), ("dnsmasq", 2, 1, 1, 0, 1, False): (4108, 11982),
    ("authoritative", 1, 1, 1, 1, 1, True): (446, 959), ("authoritative", 2, 2, 1, 0, 0, False): (4588, 14836),
    ("authoritative", 2, 2, 1, 1, 1, True): (70340, 274868), ("authoritative", 2, 1, 1, 0, 1, False): (4114, 11998),
}

# Verdicts of recovery, recoverable, no_duplicate_address, single_binding at 2x2, D=1, L=R=0 / L=R=1 + restart.
VERDICTS = {
    "nt35": ("violated violated violated holds", "violated holds violated holds"),
    "nt40": ("holds holds violated holds",) * 2,
    "rfc2131": ("holds holds violated holds",) * 2,
    "dnsmasq": ("holds holds violated holds",) * 2,
    "authoritative": ("holds holds violated holds",) * 2,
}
GENERAL = ("recovery", "recoverable", "no_duplicate_address", "single_binding")


def test_the_space_has_every_combination_once_and_the_variants_among_them():
    space = policy_space()
    assert len(space) == len(ANSWERS) ** 3 * len(DELETE_MODES) == 54
    assert len(set(space)) == 54
    assert set(ALIASES.values()) <= set(space)
    assert tuple(ALIASES) == VARIANTS


@pytest.mark.parametrize("name", VARIANTS)
def test_a_written_variant_is_its_name(name):
    spec = ALIASES[name].spec()
    assert Config(variant=spec) == Config(variant=name)
    assert Config(variant=spec).variant == name
    shuffled = ",".join(reversed(spec.split(",")))
    assert parse_policy(shuffled) == ALIASES[name]


@pytest.mark.parametrize("key", sorted(TODAY))
def test_the_variants_keep_todays_state_and_transition_counts(key):
    variant, C, A, D, L, R, restart = key
    # built from the written policy: the model sees fields only
    graph = explore(dhcp_system(Config(clients=C, addresses=A, variant=ALIASES[variant].spec(), deletes=D, losses=L, reboots=R, restart=restart)))
    assert graph.complete
    assert (len(graph.states), int(graph.offsets[-1])) == TODAY[key]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_variants_keep_todays_verdicts(variant):
    for expected, (L, R, restart) in zip(VERDICTS[variant], ((0, 0, False), (1, 1, True)), strict=True):
        run = check(Config(clients=2, addresses=2, variant=ALIASES[variant].spec(), deletes=1, losses=L, reboots=R, restart=restart), properties=list(GENERAL))
        got = {r.property: r.verdict.value for r in run.report.results}
        assert " ".join(got[p] for p in GENERAL) == expected


def test_the_model_has_no_code_path_per_variant():
    source = inspect.getsource(dhcp)
    for name in VARIANTS:
        assert f'"{name}"' not in source.replace('variant: str = "nt35"', "")


def _graph_size(policy: Policy, **budgets: int) -> tuple[int, int]:
    cfg = Config(clients=1, addresses=1, variant=policy.spec(), restart=False, **budgets)
    graph = explore(dhcp_system(cfg))
    return len(graph.states), int(graph.offsets[-1])


@pytest.mark.parametrize("field", FIELDS)
def test_each_field_changes_the_model(field):
    """Two policies that differ in one field only give different reachable graphs."""
    base = ALIASES["rfc2131"]
    other = {"delete": "keep-record"} if field == "delete" else {field: "nak"}
    changed = Policy(**{**{f: getattr(base, f) for f in FIELDS}, **other})
    budgets = {"deletes": 1, "losses": 0, "reboots": 1}
    assert _graph_size(base, **budgets) != _graph_size(changed, **budgets)


def test_a_field_the_run_cannot_reach_changes_nothing():
    """Without reboots no client sends REQUEST(REBOOTING): the rebooting answer is never asked."""
    sizes = {_graph_size(Policy("nak", "silent", answer, "clear-record"), deletes=1, losses=1, reboots=0)
             for answer in ANSWERS}
    assert len(sizes) == 1


@pytest.mark.parametrize("text, message", [
    ("nt31", "unknown variant 'nt31'"),
    ("renewing=nak", "leaves out rebinding, rebooting, delete"),
    ("renewing=nak,rebinding=nak,rebooting=nak,delete=forget", "delete must be one of keep-record, clear-record"),
    ("renewing=maybe,rebinding=nak,rebooting=nak,delete=keep-record", "renewing must be one of silent, nak, ack"),
    ("renewing=nak,renewing=ack,rebinding=nak,rebooting=nak,delete=keep-record", "renewing is given twice"),
    ("renewal=nak,rebinding=nak,rebooting=nak,delete=keep-record", "unknown policy field 'renewal'"),
    ("renewing=nak,,rebinding=nak", "unknown policy field"),
    (3, "not 3"),
])
def test_a_bad_policy_is_a_user_error_that_says_what_is_wrong(text, message):
    with pytest.raises(ConfigError, match=message):
        Config(variant=text)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="renwigbdotlsack=,-x ", max_size=80))
def test_any_written_variant_is_read_or_refused_with_a_user_error(text):
    try:
        policy = parse_policy(text)
    except PolicyError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert parse_policy(policy_name(policy)) == policy


def test_the_command_line_takes_a_policy_and_refuses_a_bad_one(capsys):
    from leasecheck.checker.cli.main import main

    spec = "renewing=ack,rebinding=silent,rebooting=nak,delete=keep-record"
    assert main(["check", "--variant", spec, "--property", "single_binding"]) == 0
    assert f"variant {spec}," in capsys.readouterr().out
    assert main(["check", "--variant", "renewing=ack"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "leaves out" in err
