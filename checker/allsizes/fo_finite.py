"""The first-order model evaluated in one finite network: so many ids of each sort (DHCP: C
clients, A addresses).

:class:`FiniteReading` gives a state of the traced finite system (a tuple of domain indexes) its
first-order structure (kinds, field functions, relations) and computes, command by command, the
states the first-order transition relation allows next. Formulas are compiled to Python once.
This is how the tests compare the first-order form with the explicit engine state by state, and
how the invariant learner evaluates candidate clauses in reachable states.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from leasecheck.checker.allsizes.fo import (
    _SAMPLES,
    And,
    BoolConst,
    Command,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Iff,
    Kind,
    Not,
    Or,
    Pattern,
    Quant,
    Rel,
    RelRef,
    Term,
    Var,
    key_of,
)
from leasecheck.model.lang import System

State = tuple[int, ...]


class _Gen:
    """Formulas and terms as Python source over the arrays of :meth:`FiniteReading.structure`."""

    def __init__(self, fs: FoSystem):
        self.fs = fs
        self.keyid = {g.name: {k: i for i, k in enumerate(g.keys)} for g in fs.groups.values()}

    def term(self, t: Term | RelRef) -> str:
        if isinstance(t, Var):
            return t.name
        if isinstance(t, FieldFn | RelRef):
            return f"S[{('f', t.group, t.name)!r}][{self.term(t.index)}]"
        raise TypeError(t)

    def formula(self, f: Formula) -> str:
        if isinstance(f, BoolConst):
            return repr(f.value)
        if isinstance(f, Kind):
            kid = self.keyid[f.group][f.key]
            cell = f"S[{('k', f.group)!r}]" + (f"[{self.term(f.index)}]" if f.index is not None else "")
            return f"({cell} == {kid})"
        if isinstance(f, Rel):
            return f"(S[{('f', f.group, f.name)!r}][{self.term(f.index)}] == {self.term(f.value)})"
        if isinstance(f, EqT):
            return f"({self.term(f.left)} == {self.term(f.right)})"
        if isinstance(f, Not):
            return f"(not {self.formula(f.arg)})"
        if isinstance(f, And):
            return "(" + " and ".join(self.formula(a) for a in f.args) + ")"
        if isinstance(f, Or):
            return "(" + " or ".join(self.formula(a) for a in f.args) + ")"
        if isinstance(f, Iff):
            return f"({self.formula(f.left)} == {self.formula(f.right)})"
        if isinstance(f, Quant):
            loops = " ".join(f"for {v.name} in range(N[{v.sort!r}])" for v in f.vars)
            return f"({'any' if f.kind == 'exists' else 'all'}({self.formula(f.body)} {loops}))"
        raise TypeError(f)

    def compile(self, src: str, free: Sequence[Var]) -> Callable[..., Any]:
        args = ", ".join(["S", "N", *(v.name for v in free)])
        code = f"lambda {args}: {src}"
        return eval(code, {})  # noqa: S307 - source generated above from the model's own formulas


class FiniteReading:
    """One finite network of the first-order model, its states those of the traced system."""

    def __init__(self, fs: FoSystem, *sizes: int, system: System | None = None):
        if len(sizes) != len(fs.sorts):
            raise ValueError(f"a network of this model gives the size of each of {', '.join(fs.sorts)}")
        self.fs = fs
        self.sizes = dict(zip(fs.sorts, sizes, strict=True))
        self.cfg = fs.side.sized(fs.cfg, sizes)
        self.system = system or fs.side.system(self.cfg)
        self.gen = _Gen(fs)
        self.positions: dict[str, list[int]] = {}
        for pos, v in enumerate(self.system.variables):
            self.positions.setdefault(v.group, []).append(pos)
        # per variable position: domain index -> (kind id, {field: number})
        self.tables: list[list[tuple[int, dict[str, int]]]] = []
        for v in self.system.variables:
            rows = []
            for value in v.domain.values:
                key, fields = self._split(v.group, value)
                rows.append((self.gen.keyid[v.group][key], fields))
            self.tables.append(rows)
        self._compiled: dict[int, Callable[..., Any]] = {}
        self._cmds = [self._prepare(c) for c in fs.commands]
        self.instances = {(i.action, i.params): i for i in self.system.instances}

    # -- structure ---------------------------------------------------------------------------

    def _split(self, group: str, value: Any) -> tuple[tuple, dict[str, int]]:
        bare = self.fs.side.bare_number_sorts
        if isinstance(value, int) and not isinstance(value, bool) and group in bare:
            return ("index", bare[group]), {"": value}
        g = self.fs.groups[group]
        if g.index is None and self.fs.unbounded:
            raise ValueError("an unbounded budget has no finite state")
        key, numbered = key_of(value)
        return key, dict(numbered)

    def structure(self, state: State) -> dict[tuple, Any]:
        """The state's kinds and fields as arrays (a field the kind does not carry reads -1)."""
        S: dict[tuple, Any] = {}
        for group, poss in self.positions.items():
            g = self.fs.groups[group]
            kinds = []
            fields: dict[str, list[int]] = {n: [] for n, _, _ in g.fields}
            for pos in poss:
                kid, nums = self.tables[pos][state[pos]]
                kinds.append(kid)
                for n in fields:
                    fields[n].append(nums.get(n, -1))
            if g.index is None:
                S[("k", group)] = kinds[0]
            else:
                S[("k", group)] = kinds
                for n, col in fields.items():
                    S[("f", group, n)] = col
        return S

    def holds(self, f: Formula, state: State, env: dict[Var, int] | None = None) -> bool:
        env = env or {}
        free = list(env)
        fn = self._fn(f, free)
        return bool(fn(self.structure(state), self.sizes, *(env[v] for v in free)))

    def _fn(self, f: Formula, free: Sequence[Var]) -> Callable[..., Any]:
        key = id(f)
        if key not in self._compiled:
            self._compiled[key] = self.gen.compile(self.gen.formula(f), free)
        return self._compiled[key]

    def compile_formula(self, f: Formula, free: Sequence[Var]) -> Callable[..., Any]:
        """``fn(S, N, *values of free)``: the formula's truth in a structure."""
        return self.gen.compile(self.gen.formula(f), free)

    # -- commands ----------------------------------------------------------------------------

    def _prepare(self, cmd: Command) -> dict[str, Any]:
        free = [*cmd.params, *cmd.bound]
        ups = []
        for u in cmd.updates:
            scope = [*free] + ([u.index] if u.every and isinstance(u.index, Var) else [])
            idx = None if u.index is None or u.every else self.gen.compile(self.gen.term(u.index), free)
            cases = []
            for case in u.value.cases:
                cfree = scope + list(case.bound)
                cond = self.gen.compile(self.gen.formula(case.cond), cfree)
                fields = [(n, self.gen.compile(self.gen.term(t), cfree)) for n, t in case.pattern.fields]
                cases.append((case.bound, cond, case.pattern, fields))
            ups.append((u, idx, cases))
        return {"cmd": cmd, "guard": self.gen.compile(self.gen.formula(cmd.guard), free), "updates": ups}

    def _assignments(self, vs: Sequence[Var]) -> Iterator[tuple[int, ...]]:
        return itertools.product(*(range(self.sizes[v.sort]) for v in vs))

    def _instantiate(self, group: str, p: Pattern, numbers: dict[str, int]) -> Any:
        kind = p.key[0]
        if kind == "none":
            return None
        if kind == "atom":
            return p.key[1]
        if kind == "index":
            return numbers[""]
        return dataclasses.replace(_SAMPLES[p.key], **numbers)

    def _values(self, S: dict, scope: tuple[int, ...], group: str, cases: list) -> set[Any]:
        out = set()
        for bound, cond, pattern, fields in cases:
            for b in self._assignments(bound):
                vals = (*scope, *b)
                if cond(S, self.sizes, *vals):
                    out.add(self._instantiate(group, pattern, {n: fn(S, self.sizes, *vals) for n, fn in fields}))
        return out

    def successors(self, state: State) -> set[tuple[str, tuple[int, ...], State]]:
        """Every (action, parameters, next state) the first-order commands allow from ``state``."""
        S = self.structure(state)
        out: set[tuple[str, tuple[int, ...], State]] = set()
        for prep in self._cmds:
            cmd: Command = prep["cmd"]
            for params in self._assignments(cmd.params):
                for bound in self._assignments(cmd.bound):
                    vals = (*params, *bound)
                    if not prep["guard"](S, self.sizes, *vals):
                        continue
                    choices: list[list[tuple[int, int]]] = []  # per cell: [(position, domain index)]
                    for u, idx, cases in prep["updates"]:
                        poss = self.positions[u.group]
                        if u.every:
                            for y in range(len(poss)):
                                values = self._values(S, (*vals, y), u.group, cases)
                                choices.append([(poss[y], self._index(poss[y], v)) for v in values])
                        else:
                            cell = 0 if u.index is None else idx(S, self.sizes, *vals)
                            values = self._values(S, vals, u.group, cases)
                            choices.append([(poss[cell], self._index(poss[cell], v)) for v in values])
                    for combo in itertools.product(*choices):
                        new = list(state)
                        for pos, val in combo:
                            new[pos] = val
                        out.add((cmd.action, params, tuple(new)))
        return out

    def _index(self, pos: int, value: Any) -> int:
        return self.system.variables[pos].domain.index(value)

    def initial(self, candidates: Sequence[State]) -> list[State]:
        """Those of ``candidates`` where the first-order initial condition holds."""
        from leasecheck.checker.allsizes.fo import initial_formula

        f = initial_formula(self.fs)
        return [s for s in candidates if self.holds(f, s)]
