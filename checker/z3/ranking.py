"""Recovery proofs: a ranking of helpful actions under weak fairness, found symbolically.

The certificate follows Manna and Pnueli's rule for response under weak fairness ("chain rule";
Manna and Pnueli, *Temporal Verification of Reactive Systems: Progress*): an inductive invariant
``Inv`` and *levels* ``L1 .. Lm``, each with a *helpful* fair action instance ``h_i`` (or none,
for a level every step leaves), such that for the goal ``holds(c)``:

* cover: every ``Inv`` state outside the goal lies in some level;
* enabled: in ``Li`` the helpful instance ``h_i`` is enabled (a level without one: some command is);
* helpful: a step by ``h_i`` from ``Li`` lands in the goal or a lower level (without one: every step);
* no step up: every step from ``Li`` lands in the goal, a lower level, or ``Li``.

Sound: along a run that never reaches the goal, the lowest level a state lies in never grows,
so from some point on it stays some ``i`` forever; then ``h_i`` is enabled at every state from
that point and never taken (its step would go lower), so the run is not weakly fair. Hence
every fair run from a reachable state reaches the goal, again and again: ``recovery`` holds.

*Finding the levels.* Backwards from the goal: with ``R`` the goal and the levels so far, the
next level for a fair instance ``h`` is the largest set ``W`` outside ``R`` where ``h`` is enabled,
every ``h`` step lands in ``R``, and every step lands in ``R`` or ``W`` (a greatest fixpoint,
computed on cube covers relative to the invariant, see :mod:`.cubes`); a level without helpful
instance is the set of states, outside ``R`` and not deadlocked, whose every step lands in ``R``.
Rounds over the fair instances repeat until the levels cover every invariant state outside the
goal, or a round adds nothing: then the states left over (the *remainder*) hold every run that
avoids the goal fairly (when the invariant is exactly the reachable states, the search is
complete: the levels follow the order of the strongly connected components of the graph outside
the goal, each non-fair component having an instance that is enabled throughout it and leaves
it). A remainder either contains a reachable state, and ``recovery`` fails, or it does not, and a
stronger invariant (from PDR) removes it and the search goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import z3

from leasecheck.checker.z3.cubes import Cube, CubeSets, Undecided
from leasecheck.checker.z3.horn import Clause, HornProblem, Predicate, Unknown
from leasecheck.checker.z3.terms import disj
from leasecheck.checker.z3.translate import Translator
from leasecheck.model.lang import Expr, Instance


@dataclass(frozen=True)
class Level:
    """States of one level, and the fair instance that leads down from them (None: every step does)."""

    helpful: Instance | None
    cubes: tuple[Cube, ...]

    def describe(self) -> str:
        return f"{self.helpful} leads down" if self.helpful is not None else "every step leads down"


@dataclass(frozen=True)
class RankingOutcome:
    """The levels found; the remainder not ranked (empty when the ranking is complete)."""

    levels: tuple[Level, ...]
    remainder: tuple[Cube, ...]
    unknown: str = ""

    @property
    def complete(self) -> bool:
        return not self.remainder and not self.unknown


def rank(sets: CubeSets, goal: z3.BoolRef, start: Sequence[Level] = ()) -> RankingOutcome:
    """Levels below the goal, over ``sets.xs``, extending ``start`` (levels already proved)."""
    tr, xs = sets.tr, sets.xs
    commands = tr.system.commands
    fair = [i for i in tr.system.instances if i.fair]
    levels = list(start)
    ranked = z3.Or(goal, *(sets.union(level.cubes) for level in levels))

    def add(helpful: Instance | None, cubes: tuple[Cube, ...]) -> None:
        nonlocal ranked
        levels.append(Level(helpful, cubes))
        ranked = z3.Or(ranked, sets.union(cubes))

    try:
        while True:
            grew = False
            for inst in fair:
                seed = z3.And(z3.Not(ranked), tr.enabled(inst, xs), sets.all_steps_into(ranked, tr.commands_of(inst)))
                level = sets.cover(seed)
                while level:
                    inside = sets.union(level)
                    kept = sets.refine(level, sets.all_steps_into(z3.Or(ranked, inside), commands))
                    if kept == level or sets.is_empty(z3.And(inside, z3.Not(sets.union(kept)))):
                        break
                    level = kept
                if level:
                    add(inst, level)
                    grew = True
            passing = sets.cover(z3.And(z3.Not(ranked), z3.Not(tr.deadlock(xs)), sets.all_steps_into(ranked, commands)))
            if passing:
                add(None, passing)
                grew = True
            if sets.is_empty(z3.Not(ranked)):
                return RankingOutcome(tuple(levels), ())
            if not grew:
                return RankingOutcome(tuple(levels), sets.cover(z3.Not(ranked)))
    except Undecided as exc:
        return RankingOutcome(tuple(levels), (), f"the ranking search stopped: {exc}")


def ranking_problem(tr: Translator, goal: Expr, levels: Sequence[Level], statement: str) -> HornProblem:
    """The rule's conditions as clauses over the unknowns ``Inv`` and ``Level1 .. Levelm``.

    Nothing solves this problem: its certificate is built by :func:`rank` and mined invariants,
    and :func:`.horn.recheck` confirms it clause by clause like every other certificate.
    """
    formals = tr.state("r")
    x, y = tr.state("x"), tr.state("y")
    unknowns = (Unknown("Inv", formals), *(Unknown(f"Level{i + 1}", formals) for i in range(len(levels))))

    def build(inv: Predicate, *level: Predicate) -> list[Clause]:
        out = [Clause("initiation", x, tr.initial(x), inv(*x))]
        care = z3.And(tr.in_range(x), inv(*x))
        for cmd in tr.system.commands:
            name = f"{cmd.action}{cmd.params} {cmd.label}".rstrip()
            out.append(Clause(f"consecution {name}", x + y, z3.And(care, tr.command(cmd, x, y)), inv(*y)))
        goal_x, goal_y = tr.holds(goal, x), tr.holds(goal, y)
        out.append(Clause("every state outside the goal is in a level", x,
                          z3.And(care, z3.Not(goal_x)), z3.Or([lv(*x) for lv in level])))
        step = disj([tr.command(cmd, x, y) for cmd in tr.system.commands])
        for i, (lv, spec) in enumerate(zip(level, levels, strict=True)):
            here = z3.And(care, lv(*x))
            lower = z3.Or(goal_y, *(level[j](*y) for j in range(i)))
            if spec.helpful is None:
                out.append(Clause(f"level {i + 1}: some command is enabled", x, here, z3.Not(tr.deadlock(x))))
                out.append(Clause(f"level {i + 1}: every step leads down", x + y, z3.And(here, step), lower))
                continue
            own = disj([tr.command(cmd, x, y) for cmd in tr.commands_of(spec.helpful)])
            out.append(Clause(f"level {i + 1}: {spec.helpful} is enabled", x, here, tr.enabled(spec.helpful, x)))
            out.append(Clause(f"level {i + 1}: {spec.helpful} leads down", x + y, z3.And(here, own), lower))
            out.append(Clause(f"level {i + 1}: no step leads up", x + y, z3.And(here, step), z3.Or(lower, lv(*y))))
        return out

    return HornProblem(unknowns, build, statement)
