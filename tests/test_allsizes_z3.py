"""The transition formulas the all-sizes proofs hand to Z3 are the explicit engine's transitions.

tests/test_allsizes_fo.py compares the first-order *commands* with the explicit engine; the
proofs use those commands written as formulas (checker/allsizes/fo.py ``command_formula``, frame
conditions included) and translated by checker/allsizes/fo_z3.py. Here Z3 itself, in the network of
the configuration's size, is given a reachable state as the pre-state and asked for every
post-state each command instance allows; the set must be the graph's edges out of that state.
A sample of states per configuration (Z3 is slower than the compiled evaluator): in the README's
test command 6 states (and the first and last) of nt40 and authoritative at 2x2; in the sweep tier
12 of those and of nt35 with every budget, and 5 of dnsmasq at 3x2.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import z3

from leasecheck.checker.allsizes.fo import _SAMPLES, command_formula, first_order_system, well_formed
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import Vocabulary
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE


def _value(key: tuple, nums: dict[str, int]) -> object:
    if key[0] == "none":
        return None
    if key[0] == "atom":
        return key[1]
    if key[0] == "index":
        return nums[""]
    return dataclasses.replace(_SAMPLES[key], **nums)


def _z3_successors(reading: FiniteReading, vocab: Vocabulary, state: tuple[int, ...]) -> set:
    fs, system = reading.fs, reading.system
    el = vocab.elements
    s = z3.Solver(ctx=vocab.ctx)
    s.add(vocab.formula(well_formed(fs)))
    for group, poss in reading.positions.items():
        g = fs.groups[group]
        consts = vocab.enum[group][1]
        for i, pos in enumerate(poss):
            kid, nums = reading.tables[pos][state[pos]]
            key = g.keys[kid]
            kind = vocab.kind[(group, False)]
            s.add((kind if g.index is None else kind(el[g.index][i])) == consts[key])
            for n, sort, how in g.fields:
                f = vocab.field[(group, n, False)]
                assert g.index is not None
                if how == "function":
                    if n in nums:
                        s.add(f(el[g.index][i]) == el[sort][nums[n]])
                else:
                    for z, ze in enumerate(el[sort]):
                        s.add(f(el[g.index][i], ze) == z3.BoolVal(nums.get(n) == z, vocab.ctx))
    out = set()
    for cmd in fs.commands:
        for params in itertools.product(*(range(reading.sizes[v.sort]) for v in cmd.params)):
            s.push()
            s.add(vocab.formula(command_formula(fs, cmd)))
            for v, x in zip(cmd.params, params, strict=True):
                s.add(vocab.var(v) == el[v.sort][x])
            while s.check() == z3.sat:
                m = s.model()
                new = list(state)
                block = []
                for group, poss in reading.positions.items():
                    g = fs.groups[group]
                    back = {str(c): k for k, c in vocab.enum[group][1].items()}
                    kind = vocab.kind[(group, True)]
                    for i, pos in enumerate(poss):
                        cell = kind if g.index is None else kind(el[g.index][i])
                        key = back[str(m.eval(cell, model_completion=True))]
                        block.append(cell != vocab.enum[group][1][key])
                        nums = {}
                        for n in g.fields_of(key):
                            sort, how = g.field(n)
                            f = vocab.field[(group, n, True)]
                            if how == "function":
                                val = m.eval(f(el[g.index][i]), model_completion=True)  # type: ignore[index]
                                nums[n] = next(j for j, e in enumerate(el[sort]) if z3.eq(e, val))
                                block.append(f(el[g.index][i]) != val)  # type: ignore[index]
                            else:
                                hits = [j for j, e in enumerate(el[sort])
                                        if z3.is_true(m.eval(f(el[g.index][i], e), model_completion=True))]  # type: ignore[index]
                                assert len(hits) == 1
                                nums[n] = hits[0]
                                block.append(z3.Not(f(el[g.index][i], el[sort][hits[0]])))  # type: ignore[index]
                        new[pos] = system.variables[pos].domain.index(_value(key, nums))
                out.add((cmd.action, params, tuple(new)))
                s.add(z3.Or(block))
            s.pop()
    return out


@pytest.mark.parametrize(("cfg", "sample"), [
    pytest.param(Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True), 12, marks=pytest.mark.sweep),
    (Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=0, reboots=0), 6),  # the README's test command: 6 states; the sweep tier 12
    pytest.param(Config(clients=2, addresses=2, variant="nt40", deletes=1, losses=0, reboots=0), 12, marks=pytest.mark.sweep),
    (Config(clients=2, addresses=2, variant="authoritative", deletes=1, losses=0, reboots=1, restart=True), 6),
    pytest.param(Config(clients=2, addresses=2, variant="authoritative", deletes=1, losses=0, reboots=1, restart=True), 12, marks=pytest.mark.sweep),
    pytest.param(Config(clients=3, addresses=2, variant="dnsmasq", deletes=1, losses=0, reboots=0), 5, marks=pytest.mark.sweep),
])
def test_z3_allows_exactly_the_explicit_successors(cfg: Config, sample: int) -> None:
    system = dhcp_system(cfg)
    graph = explore(system)
    fs = first_order_system(SIDE, cfg)
    reading = FiniteReading(fs, cfg.clients, cfg.addresses, system=system)
    vocab = Vocabulary(fs, z3.Context(), {"client": cfg.clients, "address": cfg.addresses})
    n = len(graph.states)
    for i in sorted({0, n - 1, *range(0, n, max(1, n // sample))}):
        state = tuple(graph.states[i])
        theirs = set()
        for e in graph.out_edges(i):
            c = system.commands[graph.cmd[e]]
            theirs.add((c.action, c.params, tuple(graph.states[graph.dst[e]])))
        assert _z3_successors(reading, vocab, state) == theirs, system.decode(state)
