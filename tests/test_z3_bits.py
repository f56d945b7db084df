"""Spacer's integer invariants carried over to bit-vector states mean the same on every state,
and backward reachability over cube covers proves exactly the unreachable targets."""

from __future__ import annotations

import itertools

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from leasecheck.checker.z3 import backward, horn, houdini, pdr
from leasecheck.checker.z3.bits import NotCarried, to_bitvectors
from leasecheck.checker.z3.cubes import CubeSets
from leasecheck.checker.z3.translate import Translator
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.lang import not_
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import Reachable

INTS = z3.Ints("a b c")
BITS = tuple(z3.BitVec(f"{n}_bits", 3) for n in "abc")


def same_everywhere(formula: z3.BoolRef) -> None:
    carried = to_bitvectors(formula, INTS, BITS)
    for values in itertools.product(range(8), repeat=3):  # every value the 3-bit constants can hold
        ints = z3.substitute(formula, *((x, z3.IntVal(v)) for x, v in zip(INTS, values, strict=True)))
        bits = z3.substitute(carried, *((x, z3.BitVecVal(v, 3)) for x, v in zip(BITS, values, strict=True)))
        assert z3.is_true(z3.simplify(ints)) == z3.is_true(z3.simplify(bits)), (formula, values)


a, b, c = INTS


@pytest.mark.parametrize("formula", [
    a + 2 * b <= 5,
    z3.Not(a == b),
    z3.Or(a - b >= 1, c > 2),
    z3.If(a > 1, b, c) == 2,
    3 * a - 2 * b + c < -1,
    z3.Implies(a == 0, z3.And(b != 7, -c >= -3)),
    z3.Distinct(a, b, c),
])
def test_a_formula_of_linear_arithmetic_means_the_same_over_bit_vectors(formula: z3.BoolRef) -> None:
    same_everywhere(formula)


comparisons = st.sampled_from(["<=", "<", ">=", ">", "=="])
atoms = st.builds(
    lambda k, op, bound: {"<=": lambda t: t <= bound, "<": lambda t: t < bound, ">=": lambda t: t >= bound,
                          ">": lambda t: t > bound, "==": lambda t: t == bound}[op](
        k[0] * a + k[1] * b + k[2] * c),
    st.tuples(*(st.integers(-20, 20),) * 3), comparisons, st.integers(-100, 100))
formulas = st.recursive(atoms, lambda sub: st.one_of(
    st.builds(z3.Not, sub), st.builds(lambda p, q: z3.And(p, q), sub, sub), st.builds(lambda p, q: z3.Or(p, q), sub, sub)),
    max_leaves=4)


def _test_generated_formulas_mean_the_same_over_bit_vectors(formula: z3.BoolRef) -> None:
    same_everywhere(formula)


#: the README's test command tries 10 generated formulas, the sweep tier 25
_GENERATED_FORMULAS = given(formulas)
test_generated_formulas_mean_the_same_over_bit_vectors = settings(max_examples=10, deadline=None)(
    _GENERATED_FORMULAS(_test_generated_formulas_mean_the_same_over_bit_vectors))
test_generated_formulas_mean_the_same_over_bit_vectors_25_times = pytest.mark.sweep(settings(max_examples=25, deadline=None)(
    _GENERATED_FORMULAS(_test_generated_formulas_mean_the_same_over_bit_vectors)))


@pytest.mark.parametrize("formula", [a / 2 >= 1, a * b == 2, a % 2 == 0])
def test_what_has_no_exact_counterpart_is_refused(formula: z3.BoolRef) -> None:
    with pytest.raises(NotCarried):
        to_bitvectors(formula, INTS, BITS)


def _closure(cfg: Config, name: str):
    system = dhcp_system(cfg)
    tr = Translator(system, bitvectors=True)
    prop = dhcp_properties(system, cfg, [name])[0]
    assert isinstance(prop, Reachable)
    invariant = houdini.mine(Translator(system), 60).invariant
    assert invariant is not None
    problem = pdr.invariant_problem(tr, not_(prop.target), prop.statement)
    xs = problem.unknowns[0].formals
    sets = CubeSets(tr, z3.And(tr.in_range(xs), invariant.formula(xs)), xs, 60)
    closure = backward.backward_closure(sets, tr.holds(prop.target, xs), tr.initial(xs))
    return problem, invariant, sets, closure


def test_backward_reachability_proves_an_unreachable_target_with_a_certificate_that_rechecks() -> None:
    # nt40 answers DHCPNAK: the KB symptom (renewing, with an error, after a delete) never happens
    problem, invariant, sets, closure = _closure(Config(clients=1, addresses=1, variant="nt40"), "kb_symptom")
    assert closure
    xs = problem.unknowns[0].formals
    cert = horn.Certificate(problem, (z3.And(invariant.formula(xs), z3.Not(sets.union(closure))),))
    assert horn.recheck(cert, 60) is None
    # without the closure's last cube the set is not closed under predecessors: the re-check fails
    short = horn.Certificate(problem, (z3.And(invariant.formula(xs), z3.Not(sets.union(closure[:-1]))),))
    assert horn.recheck(short, 60) is not None


def test_backward_reachability_reaches_the_initial_state_of_a_reachable_target() -> None:
    # nt35: the KB symptom is reachable
    assert _closure(Config(clients=1, addresses=1, variant="nt35"), "kb_symptom")[3] is None
