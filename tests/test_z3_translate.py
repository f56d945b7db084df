"""The translation to Z3 means what the reference interpreter means.

For random reachable states, the successors that Z3 finds for the translated step (enumerated by
blocking each one found) are exactly the successors the scalar model computes, and the fired
instance's indicator names an instance that really leads there.
"""

from __future__ import annotations

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck.checker.z3.solver import Solver
from leasecheck.checker.z3.translate import Translator
from leasecheck.model import interp
from leasecheck.model.dhcp import Config, dhcp_system

CONFIGS = (
    Config(clients=1, addresses=1, variant="nt35"),
    Config(clients=2, addresses=2, variant="nt40"),
    Config(clients=2, addresses=2, variant="nt35", losses=1, reboots=1, restart=True),
    Config(clients=2, addresses=1, variant="authoritative", deletes=2),
    Config(clients=1, addresses=2, variant="dnsmasq", losses=1),
)


def random_reachable(system, choices: list[int]) -> tuple[int, ...]:
    state = system.initial
    for pick in choices:
        nexts = interp.successors(system, state)
        if not nexts:
            break
        state = nexts[pick % len(nexts)][1]
    return state


def z3_successors(tr: Translator, state: tuple[int, ...]) -> set[tuple[tuple[int, ...], str]]:
    pre, post, fire = tr.state("pre"), tr.state("post"), tr.fire("pre")
    solver = Solver()
    solver.add(tr.is_state(pre, state), tr.step(pre, post, fire))
    found = set()
    while solver.check().sat:
        model = solver.model()
        nxt = tr.decode(model, post)
        inst = tr.fired(model, fire)
        found.add((nxt, inst.action + str(inst.params)))
        index = tr.system.instances.index(inst)
        solver.add(z3.Not(z3.And(tr.is_state(post, nxt), fire[index])))
    return found


def _test_z3_step_has_exactly_the_interpreters_successors(config: Config, walk: list[int]) -> None:
    system = dhcp_system(config)
    tr = Translator(system)
    state = random_reachable(system, walk)
    expected = {(nxt, system.commands[k].action + str(system.commands[k].params))
                for k, nxt in interp.successors(system, state)}
    assert z3_successors(tr, state) == expected


#: the README's test command asks Z3 for the successors of 15 states, the sweep tier 40
_Z3_STEPS = given(config=st.sampled_from(CONFIGS), walk=st.lists(st.integers(0, 1000), max_size=25))
test_z3_step_has_exactly_the_interpreters_successors = settings(max_examples=15, deadline=None)(_Z3_STEPS(_test_z3_step_has_exactly_the_interpreters_successors))
test_z3_step_has_exactly_the_interpreters_successors_40_times = pytest.mark.sweep(settings(max_examples=40, deadline=None)(_Z3_STEPS(_test_z3_step_has_exactly_the_interpreters_successors)))


def _test_bitvector_translation_agrees_with_the_integer_one(walk: list[int]) -> None:
    system = dhcp_system(Config(clients=2, addresses=2, variant="nt35"))
    state = random_reachable(system, walk)
    assert z3_successors(Translator(system, bitvectors=True), state) == z3_successors(Translator(system), state)


#: the README's test command compares 8 states, the sweep tier 20
_BITVECTOR_STATES = given(walk=st.lists(st.integers(0, 1000), max_size=25))
test_bitvector_translation_agrees_with_the_integer_one = settings(max_examples=8, deadline=None)(
    _BITVECTOR_STATES(_test_bitvector_translation_agrees_with_the_integer_one))
test_bitvector_translation_agrees_with_the_integer_one_20_times = pytest.mark.sweep(settings(max_examples=20, deadline=None)(
    _BITVECTOR_STATES(_test_bitvector_translation_agrees_with_the_integer_one)))


def test_state_constants_are_named_after_the_variable_and_the_step() -> None:
    tr = Translator(dhcp_system(Config(clients=1, addresses=1, variant="nt40")))
    names = [str(x) for x in tr.state(3)]
    assert "st[0]@3" in names and "deletes_left@3" in names
    assert [str(f) for f in tr.fire(3)][0].endswith("@3")
