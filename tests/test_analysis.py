"""The graph analyses' caches never confuse one predicate with another.

(Masks were once cached by object id, and a predicate made after another was freed could get
the old one's mask; the mutation test found it. Masks are now keyed by the expression's structure.)
"""

from __future__ import annotations

from leasecheck.checker.explicit.analysis import GraphAnalysis
from leasecheck.checker.explicit.explore import explore
from leasecheck.model import interp
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.lang import predicate
from leasecheck.model.values import BOUND, INIT


def test_masks_of_short_lived_predicates_are_never_mixed_up():
    # predicates made and dropped one after another often reuse the same object id
    system = dhcp_system(Config(clients=1, addresses=1, variant="nt35"))
    an = GraphAnalysis(explore(system))
    for n in range(40):
        wanted = (INIT, BOUND)[n % 2]
        e = predicate(system.variables, lambda s, wanted=wanted: s.st[0] == wanted)
        mask = an.mask(e)
        assert list(mask) == [int(interp.holds(e, st)) for st in an.graph.states]
        del e


def test_structure_tells_trees_apart_and_identifies_equal_ones():
    from leasecheck.model.lang import structure

    system = dhcp_system(Config(clients=2, addresses=2, variant="nt35"))
    a = predicate(system.variables, lambda s: (s.st[0] == INIT) & (s.st[1] == BOUND))
    b = predicate(system.variables, lambda s: (s.st[0] == INIT) & (s.st[1] == BOUND))
    c = predicate(system.variables, lambda s: (s.st[0] == BOUND) & (s.st[1] == INIT))
    assert a is not b and structure(a) == structure(b)
    assert structure(a) != structure(c)
