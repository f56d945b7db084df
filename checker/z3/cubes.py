"""Sets of states as unions of cubes, relative to a care set, and their pre-images.

A *cube* fixes some state variables to values (``st[0] = INIT and to_srv[0] = none``); a set
of states is a union of cubes. :meth:`CubeSets.cover` turns any formula into such a union that
agrees with it on the *care set* (the states of an inductive invariant; what happens outside
it does not matter). It finds one state of the formula not yet covered, asks a solver which of
that state's values already force the formula (an unsat core, then shrunk one literal at a time,
each successful drop narrowing the core to the solver's new one), and adds that cube; so the
cubes found are as large as the formula allows and their number follows the formula's
structure, not its number of states. :meth:`CubeSets.refine` covers a subset of a union of
cubes, keeping whole every cube that already lies inside it.

Two solvers hold the care set for the life of a :class:`CubeSets`: one finds states, the other
(with one indicator per variable value) decides which values force a formula; each question
is asked inside a push/pop scope, so the care set is given to Z3 once, not once per question.

Because every guarded command is deterministic, the states whose every step lands in a set are
given by substitution, with no quantifier: for a command with guard ``g`` and successor terms
``f(x)``, "``g(x)`` implies ``S(f(x))``" (:meth:`CubeSets.all_steps_into`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import z3

from leasecheck.checker.z3.solver import Solver, Timeout
from leasecheck.checker.z3.terms import conj, disj
from leasecheck.checker.z3.translate import State, Substitution, Translator
from leasecheck.errors import InternalError, Signal
from leasecheck.model.lang import GuardedCommand

Cube = tuple[tuple[int, int], ...]


def cube_formula(cube: Cube, xs: State) -> z3.BoolRef:
    return conj([xs[v] == a for v, a in cube])


def union_formula(cubes: Iterable[Cube], xs: State) -> z3.BoolRef:
    return disj([cube_formula(c, xs) for c in cubes])


class Undecided(Signal):
    """A solver call could not decide, or the time allowed ran out; the message says which."""


class CubeSets:
    """Cube covers over one set of state constants, within ``care``; ``deadline`` is monotonic time."""

    def __init__(self, tr: Translator, care: z3.BoolRef, xs: State,
                 timeout: Timeout = None, deadline: float | None = None):
        self.tr = tr
        self.xs = xs
        self.care = care
        self.timeout = timeout
        self.deadline = deadline
        self._after = {cmd.index: Substitution(xs, tr.successor(cmd, xs)) for cmd in tr.system.commands}
        self._guard = {cmd.index: tr.guard(cmd, xs) for cmd in tr.system.commands}
        self.calls = 0
        self._find = tr.solver(timeout)
        self._find.add(care)
        self._force = tr.solver(timeout)
        self._force.add(care)
        #: the indicator of "variable v has value a", and back from its Z3 id; the literal itself
        self._indicator: dict[tuple[int, int], z3.BoolRef] = {}
        self._pair: dict[int, tuple[int, int]] = {}
        self._literal: dict[tuple[int, int], z3.BoolRef] = {}
        for v, var in enumerate(tr.system.variables):
            for a in range(len(var.domain)):
                b = z3.Bool(f"{var.name}={a}")
                self._indicator[(v, a)] = b
                self._pair[b.get_id()] = (v, a)
                self._literal[(v, a)] = xs[v] == a
                self._force.add(z3.Implies(b, self._literal[(v, a)]))

    # -- formulas -----------------------------------------------------------------------------

    def cube(self, cube: Cube) -> z3.BoolRef:
        return conj([self._literal[lit] for lit in cube])

    def union(self, cubes: Iterable[Cube]) -> z3.BoolRef:
        return disj([self.cube(c) for c in cubes])

    def after(self, formula: z3.BoolRef, cmd: GuardedCommand) -> z3.BoolRef:
        """``formula`` of the state ``cmd`` leads to."""
        return self._after[cmd.index].apply(formula)

    def all_steps_into(self, formula: z3.BoolRef, commands: Sequence[GuardedCommand]) -> z3.BoolRef:
        """The states from which every step by one of ``commands`` lands in ``formula``."""
        return conj([z3.Implies(self._guard[c.index], self.after(formula, c)) for c in commands])

    def some_step_into(self, formula: z3.BoolRef, commands: Sequence[GuardedCommand]) -> z3.BoolRef:
        """The states from which some step by one of ``commands`` lands in ``formula``."""
        return disj([z3.And(self._guard[c.index], self.after(formula, c)) for c in commands])

    # -- decisions ----------------------------------------------------------------------------

    def _check(self, solver: Solver, *assumptions: z3.BoolRef) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Undecided("ran out of time")
        self.calls += 1
        answer = solver.check(*assumptions)
        if not (answer.sat or answer.unsat):
            raise Undecided(answer.reason)
        return answer.sat

    def is_empty(self, formula: z3.BoolRef) -> bool:
        """No care state satisfies ``formula``."""
        with self._find.scope() as find:
            find.add(formula)
            return not self._check(find)

    def cover(self, formula: z3.BoolRef, covered: Sequence[Cube] = ()) -> tuple[Cube, ...]:
        """Cubes whose union, within the care set, is exactly ``formula`` (less the ``covered``
        cubes, which lie inside ``formula`` and are not returned again)."""
        cubes: list[Cube] = []
        with self._find.scope() as find:
            find.add(formula, *(z3.Not(self.cube(c)) for c in covered))
            if not self._check(find):
                return ()
            with self._force.scope() as force:
                force.add(z3.Not(formula))
                while True:
                    cube = self._generalise(self.tr.decode(find.model(), self.xs))
                    cubes.append(cube)
                    find.add(z3.Not(self.cube(cube)))
                    if not self._check(find):
                        return tuple(cubes)

    def refine(self, cubes: Sequence[Cube], formula: z3.BoolRef) -> tuple[Cube, ...]:
        """A cover of the union of ``cubes`` within ``formula``: every cube that lies wholly inside
        ``formula`` is kept as it is, the others are covered anew."""
        kept: list[Cube] = []
        broken: list[Cube] = []
        with self._force.scope() as force:
            force.add(z3.Not(formula))
            for cube in cubes:
                inside = not self._check(force, *(self._indicator[lit] for lit in cube))
                (kept if inside else broken).append(cube)
        if not broken:
            return tuple(kept)
        return (*kept, *self.cover(z3.And(self.union(broken), formula), kept))

    def _generalise(self, state: Sequence[int]) -> Cube:
        """The smallest cube around ``state`` (a state of the formula in the force solver's scope)
        that the formula still contains within the care set, found by dropping literals."""
        assumed = [self._indicator[(v, a)] for v, a in enumerate(state)]
        if self._check(self._force, *assumed):
            raise InternalError("a state of a formula does not force it")
        core = self._narrow(assumed)
        k = 0
        while k < len(core):
            trial = core[:k] + core[k + 1:]
            if self._check(self._force, *trial):
                k += 1  # this literal is needed; so it is in every smaller core, and stays
            else:
                core = self._narrow(trial)
        return tuple(sorted(self._pair[b.get_id()] for b in core))

    def _narrow(self, assumed: list[z3.BoolRef]) -> list[z3.BoolRef]:
        """The assumptions the force solver's last unsat answer used, in their order."""
        used = {b.get_id() for b in self._force.core()}
        return [b for b in assumed if b.get_id() in used]
