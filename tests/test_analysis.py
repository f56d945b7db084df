"""The graph analyses' caches never confuse one predicate with another."""

from __future__ import annotations

from checker.analysis import GraphAnalysis
from checker.explicit import explore
from model import interp
from model.dhcp import Config, dhcp_system
from model.lang import predicate
from model.values import BOUND, INIT


def test_masks_of_short_lived_predicates_are_never_mixed_up():
    # predicates made and dropped one after another often reuse the same object id
    system = dhcp_system(Config(1, 1, "nt35"))
    an = GraphAnalysis(explore(system))
    for n in range(40):
        wanted = (INIT, BOUND)[n % 2]
        e = predicate(system.variables, lambda s, wanted=wanted: s.st[0] == wanted)
        mask = an.mask(e)
        assert list(mask) == [int(interp.holds(e, st)) for st in an.graph.states]
        del e
