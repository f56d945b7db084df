"""`leasecheck prove` never proves a model that is not the model.

Each mutant below is a small mistake in model/dhcp.py that behaves exactly like the model in every
network up to 2x2 and breaks ``no_duplicate_address`` in a larger one. The first-order trace must refuse
what it cannot read the same way in every network (a size, a number where an index is meant), with
the line that does it; a ``first()`` with more than one index to choose from must leave a proof
unfinished; a mistake the first-order model does read must be found in the networks ``prove``
explores. Never "holds".
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import pytest

from leasecheck.checker.allsizes import fo_check
from leasecheck.checker.allsizes.fo import TRUE_F, first_order_system
from leasecheck.checker.cli.prove import prove
from leasecheck.checker.explicit.explore import Limits, explore
from leasecheck.model import dhcp
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.lang import TraceError
from leasecheck.properties import dhcp_fo
from leasecheck.properties.dhcp import dhcp_model
from leasecheck.properties.spec import Verdict

from .mutation import Mutant, load

EXPIRE = "mine(s, c, a) & ~references(s, c, a)"


def _expire_also(condition: str) -> str:
    return EXPIRE.replace("~references(s, c, a)", f"(~references(s, c, a) | {condition})")


#: (i) an action body reads the number of clients
READS_A_SIZE = Mutant("expire-by-size", "with three clients or more, the server frees leases still in use",
                      EXPIRE, _expire_also("(self.cfg.clients > 2)"))
#: (i) ... or the values of a domain, which are as many as the addresses
READS_A_DOMAIN = Mutant("expire-by-domain", "with three addresses or more, the server frees leases still in use",
                        EXPIRE, _expire_also("(len(self.addr_dom) > 3)"))
#: (ii) an index compared with a number
THIRD_CLIENT = Mutant("expire-client-2", "the server frees client 2's lease while it is in use",
                      EXPIRE, _expire_also("(c == 2)"))
THIRD_ADDRESS = Mutant("expire-beyond-address-1", "the server frees a lease beyond address 1 while it is in use",
                       EXPIRE, _expire_also("((a != 0) & (a != 1))"))
#: (iii) first() where several indexes match: a restart may remember a FREE address
FIRST_OF_MANY = Mutant(
    "restart-remembers-free", "a restart rebuilds a record from a bound or a FREE address",
    "return first(s.db, lambda a: s.db[a] == V.Bound(c), self.addr_dom.const(None))",
    "return first(s.db, lambda a: (s.db[a] == V.Bound(c)) | (s.db[a] == V.FREE), self.addr_dom.const(None))")
#: (iv) no size, no number: with two other entries in the table, the server frees a lease still in
#: use (first possible with three addresses, and a duplicate with three clients)
CROWDED = Mutant(
    "expire-when-crowded", "with two other entries in the table, the server frees leases still in use", EXPIRE,
    _expire_also("exists(s.db, lambda b: exists(s.db, lambda d: (b != d) & (b != a) & (d != a) "
                 "& (s.db[b] != V.FREE) & (s.db[d] != V.FREE)))"))
#: a size reached past the whitelist: the number of variables the first-order trace passes in
COUNTS_VARIABLES = Mutant(
    "expire-by-variables", "in a network with many variables, the server frees leases still in use",
    "        self.cfg = cfg\n", "        self.cfg = cfg\n        self.crowded = len(variables) > 17\n",
    also=((EXPIRE, _expire_also("self.crowded")),))
#: the property every mutant breaks, and the budgets of the networks (a proof of the model closes)
PROPERTY = "no_duplicate_address"
NT40 = Config(variant="nt40", deletes=0)


@contextmanager
def model_of(module: ModuleType) -> Iterator[None]:
    """Every part of leasecheck reads the mutated model while the block runs (its first-order side
    too), and the model again after it (a module first imported inside the block took the mutated functions: they are put
    back too)."""
    real = {"dhcp_system": dhcp.dhcp_system, "dhcp_actions": dhcp.dhcp_actions,
            "DHCP_FIRST_ORDER": dhcp_fo.DHCP_FIRST_ORDER}
    mutated = {"dhcp_system": module.dhcp_system, "dhcp_actions": module.dhcp_actions,
               "DHCP_FIRST_ORDER": dataclasses.replace(dhcp_fo.DHCP_FIRST_ORDER, actions=module.dhcp_actions,
                                                       system=module.dhcp_system)}

    def point_at(old: dict[str, object], new: dict[str, object]) -> None:
        by_id = {id(f): new[name] for name, f in old.items()}
        for name, mod in list(sys.modules.items()):
            if not (name == "leasecheck" or name.startswith("leasecheck.")) or mod is None:
                continue
            for attr, value in list(vars(mod).items()):
                if id(value) in by_id:
                    setattr(mod, attr, by_id[id(value)])

    point_at(real, mutated)
    try:
        yield
    finally:
        point_at(mutated, real)


def _finite(module: ModuleType, clients: int, addresses: int, variant: str = "nt40") -> Verdict:
    from leasecheck.checker.explicit.engine import explicit_report

    with model_of(module):
        report, _ = explicit_report(dhcp_model(Config(clients=clients, addresses=addresses, variant=variant, deletes=0)), [PROPERTY])
    return report.results[0].verdict


# each mutant explored up to 3x3: the README's test command for the first, the sweep tier for the others
@pytest.mark.parametrize("mutant", [READS_A_SIZE, *(pytest.param(m, marks=pytest.mark.sweep) for m in (THIRD_CLIENT, CROWDED, COUNTS_VARIABLES))],
                         ids=lambda m: m.name)
def test_each_mutant_is_the_model_up_to_2x2_and_wrong_beyond(mutant: Mutant) -> None:
    module = load(mutant)
    assert all(_finite(module, c, a) is Verdict.HOLDS for c, a in ((1, 1), (1, 2), (2, 1), (2, 2)))
    assert _finite(module, 3, 3) is Verdict.VIOLATED


@pytest.mark.parametrize(("mutant", "snippet", "says"), [
    (READS_A_SIZE, "self.cfg.clients > 2", "may not read the configuration's 'clients'"),
    (READS_A_DOMAIN, "len(self.addr_dom)", "may not count or list the values"),
    (THIRD_CLIENT, "(c == 2)", "an index is an opaque value of its sort"),
    (THIRD_ADDRESS, "(a != 0) & (a != 1)", "an index is an opaque value of its sort"),
], ids=lambda x: x.name if isinstance(x, Mutant) else None)
def test_the_first_order_trace_refuses_a_size_or_a_number_with_its_line(mutant: Mutant, snippet: str, says: str) -> None:
    line = mutant.line_of(snippet)
    with model_of(load(mutant)), pytest.raises(TraceError) as refused:
        first_order_system(dhcp_fo.DHCP_FIRST_ORDER, NT40)
    message = str(refused.value)
    assert says in message
    assert f"line {line}:" in message and snippet in message
    assert "ExpireLease" in message


@pytest.mark.parametrize("mutant", [READS_A_SIZE, THIRD_CLIENT], ids=lambda m: m.name)
def test_prove_refuses_them_too(mutant: Mutant) -> None:
    with model_of(load(mutant)), pytest.raises(TraceError, match=f"line {mutant.line_of(EXPIRE[:14])}"):
        prove(NT40, PROPERTY)


def test_an_index_is_opaque_in_the_first_order_trace() -> None:
    fs = first_order_system(dhcp_fo.DHCP_FIRST_ORDER, Config(variant="nt40"))
    v = fs.view()
    c = next(p for cmd in fs.commands for p in cmd.params if p.sort == "client")
    for attempt in (lambda: c < c, lambda: int(c), lambda: [0, 1][c], lambda: c + 1, lambda: v.addr[c] == 0,
                    lambda: c == 1):
        with pytest.raises(TraceError):
            attempt()


def test_first_is_exact_only_where_single_binding_leaves_one_index() -> None:
    fs = first_order_system(dhcp_fo.DHCP_FIRST_ORDER, Config(variant="nt35", restart=True))
    assert fs.obligations and all("return first(" in ob.where for ob in fs.obligations)
    assert "first() at dhcp.py line" in (fo_check.undischarged(fs, TRUE_F) or "")
    assert fo_check.undischarged(fs, fs.invariant("single_binding")) is None
    # without a restart no command relies on first()
    assert first_order_system(dhcp_fo.DHCP_FIRST_ORDER, Config(variant="nt35")).obligations == ()


def test_first_of_many_is_not_discharged_by_single_binding() -> None:
    with model_of(load(FIRST_OF_MANY)):
        fs = first_order_system(dhcp_fo.DHCP_FIRST_ORDER, Config(variant="nt35", restart=True))
    why = fo_check.undischarged(fs, fs.invariant("single_binding"))
    assert why is not None and f"line {FIRST_OF_MANY.line_of('s.db[a] == V.FREE), self.addr_dom')}" in why


@pytest.mark.sweep  # the prover explores its learning networks first: the README's test command keeps
# test_first_of_many_is_not_discharged_by_single_binding, the check that leaves the proof unfinished
def test_prove_does_not_prove_first_of_many() -> None:
    with model_of(load(FIRST_OF_MANY)):
        run = prove(Config(variant="nt35", restart=True), "single_binding")
    assert run.verdict is Verdict.UNKNOWN
    assert "the first-order model is not the model" in run.reason or "first() at" in run.reason


def test_prove_finds_the_counterexample_in_the_3x3_network_it_explores() -> None:
    with model_of(load(CROWDED)):
        run = prove(NT40, PROPERTY)
    assert run.verdict is Verdict.VIOLATED and run.exit_status == 1
    assert run.counterexample_config is not None and run.counterexample_config.addresses >= 3
    assert run.counterexample is not None and run.counterexample.trace is not None


def test_a_size_reached_past_the_whitelist_shows_as_two_templates_disagreeing() -> None:
    with model_of(load(COUNTS_VARIABLES)):
        assert "differs" in (fo_check.template_disagreement(dhcp_fo.DHCP_FIRST_ORDER, NT40) or "")


@pytest.mark.sweep  # the prover explores its learning networks first: a quarter of a minute
@pytest.mark.slow
def test_prove_does_not_prove_a_size_reached_past_the_whitelist() -> None:
    with model_of(load(COUNTS_VARIABLES)):
        run = prove(NT40, PROPERTY)
    assert run.verdict is Verdict.UNKNOWN and "not the model" in run.reason


def test_the_model_itself_passes_the_safety_nets() -> None:
    cfg = Config(variant="nt40", restart=True)
    assert fo_check.template_disagreement(dhcp_fo.DHCP_FIRST_ORDER, cfg) is None
    assert fo_check.template_disagreement(dhcp_fo.DHCP_FIRST_ORDER, cfg, unbounded=True) is None
    net = Config(clients=2, addresses=4, variant="nt40", deletes=1, losses=0, reboots=0, restart=True)
    graph = explore(dhcp_system(net), Limits(max_states=5000))
    assert fo_check.relation_disagreement(dhcp_fo.DHCP_FIRST_ORDER, net, (net.clients, net.addresses), fo_check.sample_of(graph.states, 200)) is None


def test_the_relation_check_names_a_step_only_one_side_takes() -> None:
    net = Config(clients=2, addresses=4, variant="nt35", deletes=1, losses=0, reboots=0, restart=True)
    graph = explore(dhcp_system(net), Limits(max_states=5000))
    with model_of(load(FIRST_OF_MANY)):
        why = fo_check.relation_disagreement(dhcp_fo.DHCP_FIRST_ORDER, net, (net.clients, net.addresses), fo_check.sample_of(graph.states, 200))
    assert why is not None and "only the first-order model takes AdminRestart()" in why
