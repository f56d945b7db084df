"""Sets of states as unions of cubes, relative to a care set, and their pre-images.

A *cube* fixes some state variables to values (``st[0] = INIT and to_srv[0] = none``); a set
of states is a union of cubes. :meth:`CubeSets.cover` turns any formula into such a union that
agrees with it on the *care set* (the states of an inductive invariant; what happens outside
it does not matter). It finds one state of the formula not yet covered, asks a solver which of
that state's values already force the formula (an unsat core, then shrunk one literal at a time),
and adds that cube; so the cubes found are as large as the formula allows and their number
follows the formula's structure, not its number of states.

Because every guarded command is deterministic, the states whose every step lands in a set are
given by substitution, with no quantifier: for a command with guard ``g`` and successor terms
``f(x)``, "``g(x)`` implies ``S(f(x))``" (:meth:`CubeSets.all_steps_into`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import z3

from model.lang import GuardedCommand

from .solver import Solver
from .translate import State, Translator

Cube = tuple[tuple[int, int], ...]


def cube_formula(cube: Cube, xs: State) -> z3.BoolRef:
    return z3.And([xs[v] == a for v, a in cube])


def union_formula(cubes: Iterable[Cube], xs: State) -> z3.BoolRef:
    return z3.Or([cube_formula(c, xs) for c in cubes])


class Undecided(Exception):
    """A solver call could not decide, or the time allowed ran out; the message says which."""


class CubeSets:
    """Cube covers over one set of state constants, within ``care``; ``deadline`` is monotonic time."""

    def __init__(self, tr: Translator, care: z3.BoolRef, xs: State,
                 timeout: float | None = None, deadline: float | None = None):
        self.tr = tr
        self.xs = xs
        self.care = care
        self.timeout = timeout
        self.deadline = deadline
        self._after = {cmd.index: tr.successor(cmd, xs) for cmd in tr.system.commands}
        self._guard = {cmd.index: tr.guard(cmd, xs) for cmd in tr.system.commands}
        self.calls = 0

    # -- formulas -----------------------------------------------------------------------------

    def union(self, cubes: Iterable[Cube]) -> z3.BoolRef:
        return union_formula(cubes, self.xs)

    def after(self, formula: z3.BoolRef, cmd: GuardedCommand) -> z3.BoolRef:
        """``formula`` of the state ``cmd`` leads to."""
        return z3.substitute(formula, *zip(self.xs, self._after[cmd.index], strict=True))  # type: ignore[return-value]

    def all_steps_into(self, formula: z3.BoolRef, commands: Sequence[GuardedCommand]) -> z3.BoolRef:
        """The states from which every step by one of ``commands`` lands in ``formula``."""
        return z3.And([z3.Implies(self._guard[c.index], self.after(formula, c)) for c in commands])

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
        solver = Solver(self.timeout)
        solver.add(self.care, formula)
        return not self._check(solver)

    def cover(self, formula: z3.BoolRef) -> tuple[Cube, ...]:
        """Cubes whose union, within the care set, is exactly ``formula``."""
        find = Solver(self.timeout)
        find.add(self.care, formula)
        force = Solver(self.timeout)
        force.add(self.care, z3.Not(formula))
        literal: dict[z3.BoolRef, tuple[int, int]] = {}
        for v, var in enumerate(self.tr.system.variables):
            for a in range(len(var.domain)):
                b = z3.Bool(f"{var.name}={a}")
                literal[b] = (v, a)
                force.add(z3.Implies(b, self.xs[v] == a))
        by_pair = {pair: b for b, pair in literal.items()}
        cubes: list[Cube] = []
        while self._check(find):
            state = self.tr.decode(find.model(), self.xs)
            assumed = [by_pair[(v, a)] for v, a in enumerate(state)]
            if self._check(force, *assumed):
                raise RuntimeError("internal error: a state of a formula does not force it")
            core = [b for b in assumed if any(b.eq(c) for c in force.core())]
            k = 0
            while k < len(core):
                trial = core[:k] + core[k + 1:]
                if self._check(force, *trial):
                    k += 1
                else:
                    core = trial
            cube = tuple(sorted(literal[b] for b in core))
            cubes.append(cube)
            find.add(z3.Not(cube_formula(cube, self.xs)))
        return tuple(cubes)
