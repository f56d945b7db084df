"""Safety proofs by backward reachability over cube covers, within the mined invariant.

The care states that can reach a bad state are built as a union of cubes (:mod:`.cubes`): the
bad states first, then, round by round, the care states with a step into the newest cubes that
are not covered yet (pre-images need no quantifier: every command is deterministic, so "some
step of ``g -> x := f(x)`` lands in ``S``" is ``g(x) and S(f(x))``), until a round adds nothing.
When no initial state is among them, the care set less those states is an inductive invariant
that excludes every bad state: the certificate, re-checked like every other. When an initial
state is reached, the bad states are reachable; the search says nothing more (the bounded search
gives the counterexample) and the engine goes on to PDR.
"""

from __future__ import annotations

import z3

from leasecheck.checker.z3.cubes import Cube, CubeSets


def backward_closure(sets: CubeSets, bad: z3.BoolRef, initial: z3.BoolRef) -> tuple[Cube, ...] | None:
    """The cubes of the care states that can reach ``bad``; None when an initial state is one.
    Raises :class:`~.cubes.Undecided` when a solver call or the time allowed runs out."""
    closure = list(sets.cover(bad))
    frontier = tuple(closure)
    commands = sets.tr.system.commands
    while frontier:
        if not sets.is_empty(z3.And(initial, sets.union(frontier))):
            return None
        frontier = sets.cover(z3.And(sets.some_step_into(sets.union(frontier), commands), z3.Not(sets.union(closure))))
        closure += frontier
    return tuple(closure)
