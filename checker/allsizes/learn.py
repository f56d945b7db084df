"""Candidate invariants learned from finite networks: universally quantified clauses.

A clause speaks of a few clients and addresses, all different (a :class:`Shape`), and is a
disjunction of at most three literals over an :class:`Atom` vocabulary read off the model's
state: ``st[c] = BOUND``, ``to_srv[c] = REQUEST(RENEWING,a)``, ``db[a] names c`` and so on.
A candidate is kept when it is true in every reachable state of the finite networks the
explicit engine explored; :mod:`.allsizes` then keeps those the first-order logic proves
inductive. The model is symmetric in clients and in addresses (checker/symmetry.py), so a clause
true for one choice of distinct clients and addresses in every reachable state is true for every
choice: the data are read at that one choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from leasecheck.checker.allsizes.fo import (
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Group,
    Kind,
    Rel,
    Var,
    conj,
    disj,
    implies,
    neg,
    quant,
)
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import key_label


@dataclass(frozen=True, eq=False)
class Shape:
    """The variables a clause speaks of; variables of one sort stand for different elements.
    ``clients`` are of the model's first sort, ``addresses`` of its second (none for a model of
    one sort)."""

    clients: tuple[Var, ...]
    addresses: tuple[Var, ...]

    @property
    def vars(self) -> tuple[Var, ...]:
        return self.clients + self.addresses

    def distinct(self) -> Formula:
        pairs = [(x, y) for vs in (self.clients, self.addresses) for x, y in itertools.combinations(vs, 2)]
        return conj(*(neg(EqT(x, y)) for x, y in pairs))


def plural(sort: str) -> str:
    """Several ids of ``sort``, in words: ``clients``, ``addresses``, ``processes``."""
    return sort + ("es" if sort.endswith("s") else "s")


@dataclass(frozen=True, eq=False)
class Atom:
    """One fact about a state: ``spec`` says how to read it from a finite state."""

    text: str
    formula: Formula
    #: ("kind", group, var, keys) | ("carry", group, field, cvar, avar, keys) | ("rel", group, field, avar, cvar)
    spec: tuple

    @property
    def vars(self) -> tuple[Var, ...]:
        return tuple(x for x in self.spec if isinstance(x, Var))


@dataclass(frozen=True, eq=False)
class Clause:
    shape: Shape
    literals: tuple[tuple[Atom, bool], ...]

    def body(self) -> Formula:
        return disj(*(lit.formula if pos else neg(lit.formula) for lit, pos in self.literals))

    def formula(self) -> Formula:
        """The quantified clause (one object per clause, so that solvers can cache its terms)."""
        got = self.__dict__.get("_formula")
        if got is None:
            got = quant("forall", self.shape.vars, implies(self.shape.distinct(), self.body()))
            object.__setattr__(self, "_formula", got)
        return got

    def text(self) -> str:
        used = {id(v) for lit, _ in self.literals for v in lit.vars}
        cs = [v for v in self.shape.clients if id(v) in used]
        as_ = [v for v in self.shape.addresses if id(v) in used]
        names = []
        for vs in (cs, as_):
            if vs:
                names.append(f"{vs[0].sort if len(vs) == 1 else plural(vs[0].sort)} " + ", ".join(map(str, vs)))
        distinct = " (all different)" if len(cs) > 1 or len(as_) > 1 else ""
        negs = [lit.text for lit, pos in self.literals if not pos]
        poss = [lit.text for lit, pos in self.literals if pos]
        head = f"for every {' and '.join(names)}{distinct}: "
        if not negs:
            return head + " or ".join(poss)
        return head + "if " + " and ".join(negs) + " then " + (" or ".join(poss) if poss else "false")


def _one(sort: str | None) -> str:
    """"an address", "a process": one id of the sort, with its article."""
    return f"{'an' if str(sort)[:1] in 'aeiou' else 'a'} {sort}"


def _flag(g: Group) -> bool:
    """An array of two plain values (no id inside, no id itself): one atom says it all."""
    return len(g.keys) == 2 and all(k[0] == "atom" for k in g.keys)


def atoms(fs: FoSystem, shape: Shape, budgets: bool = False) -> list[Atom]:
    """The atoms over the shape's variables; with ``budgets``, also the value of each scalar (DHCP:
    each budget counter)."""
    out: list[Atom] = []
    if budgets:
        for g in fs.groups.values():
            if g.index is None and len(g.keys) > 1:
                for key in g.keys[1:]:
                    out.append(Atom(f"{g.name} = {key_label(key)}", Kind(g.name, None, key, False), ("kind", g.name, None, (key,))))
    first, second = (*fs.sorts, None)[:2]
    clientish = [g for g in fs.groups.values() if g.index == first]
    addressish = [g for g in fs.groups.values() if second is not None and g.index == second]
    for c in shape.clients:
        for g in clientish:
            for key in g.keys:
                if _flag(g) and key == g.keys[0]:
                    continue  # a flag's first value is the other one negated (DHCP: err = 0)
                label = key_label(key).replace("·", f"some {second}") if key[0] != "index" else _one(second)
                out.append(Atom(f"{g.name}[{c}] = {label}", Kind(g.name, c, key, False), ("kind", g.name, c, (key,))))
    for a in shape.addresses:
        for g in addressish:
            for key in g.keys:
                label = key_label(key).replace("·", f"some {first}")
                out.append(Atom(f"{g.name}[{a}] = {label}", Kind(g.name, a, key, False), ("kind", g.name, a, (key,))))
    for c in shape.clients:
        for a in shape.addresses:
            for g in clientish:
                for n, sort, how in g.fields:
                    if sort != second or how != "function":
                        continue
                    for key in g.keys:
                        if n not in g.fields_of(key):
                            continue
                        label = key_label(key).replace("·", str(a)) if key[0] != "index" else str(a)
                        f = conj(Kind(g.name, c, key, False), EqT(FieldFn(g.name, n, c, False, sort), a))
                        out.append(Atom(f"{g.name}[{c}] = {label}", f, ("carry", g.name, n, c, a, (key,))))
            for g in addressish:
                for n, sort, how in g.fields:
                    if sort == first and how == "relation":
                        out.append(Atom(f"{g.name}[{a}] names {c}", Rel(g.name, n, a, c, False), ("rel", g.name, n, a, c)))
    return out


# ---------------------------------------------------------------------------------------------
# Reading atoms in finite states


class StateMatrix:
    """Reachable states of one finite network as a matrix, with per-column lookup tables."""

    def __init__(self, reading: FiniteReading, states: Sequence[Sequence[int]] | np.ndarray):
        self.reading = reading
        self.matrix = np.asarray(states, dtype=np.int32)
        self.kid = [np.array([r[0] for r in rows], dtype=np.int32) for rows in reading.tables]
        self.num: list[dict[str, np.ndarray]] = []
        for rows in reading.tables:
            names = {n for _, f in rows for n in f}
            self.num.append({n: np.array([f.get(n, -1) for _, f in rows], dtype=np.int32) for n in names})

    def column(self, atom: Atom, env: dict[int, int]) -> np.ndarray:
        r = self.reading
        spec = atom.spec
        if spec[0] == "kind":
            _, g, v, keys = spec
            pos = r.positions[g][env[id(v)]] if r.fs.groups[g].index else r.positions[g][0]
            ids = [r.gen.keyid[g][k] for k in keys]
            return np.isin(self.kid[pos][self.matrix[:, pos]], ids)
        if spec[0] == "carry":
            _, g, n, c, a, keys = spec
            pos = r.positions[g][env[id(c)]]
            col = self.matrix[:, pos]
            ids = [r.gen.keyid[g][k] for k in keys]
            return np.isin(self.kid[pos][col], ids) & (self.num[pos][n][col] == env[id(a)])
        _, g, n, a, c = spec
        pos = r.positions[g][env[id(a)]]
        return self.num[pos][n][self.matrix[:, pos]] == env[id(c)]


def _bits(column: np.ndarray) -> int:
    return int.from_bytes(np.packbits(column.astype(np.uint8), bitorder="little").tobytes(), "little")


def literal_bits(atoms_: Sequence[Atom], samples: Iterable[tuple[StateMatrix, dict[int, int]]]) -> tuple[list[int], list[int], int]:
    """Bitsets of each atom and of its negation over the sample points, and the full mask."""
    pos_bits = [0] * len(atoms_)
    offset = 0
    for sm, env in samples:
        n = len(sm.matrix)
        for i, atom in enumerate(atoms_):
            pos_bits[i] |= _bits(sm.column(atom, env)) << offset
        offset += n
    full = (1 << offset) - 1
    return pos_bits, [full ^ b for b in pos_bits], full


def true_clauses(shape: Shape, atoms_: Sequence[Atom], bits: tuple[list[int], list[int], int], width: int = 3,
                 premises: Sequence[Sequence[int]] = ()) -> list[Clause]:
    """Every clause of at most ``width`` literals true at every sample point, none subsumed by a shorter one;
    and for each of ``premises`` (atom indexes), every clause of its negated atoms and one more literal
    true at every sample point, none subsumed by one found before it."""
    pos_bits, neg_bits, full = bits
    lits = [(i, True, pos_bits[i]) for i in range(len(atoms_))] + [(i, False, neg_bits[i]) for i in range(len(atoms_))]
    kept: list[tuple[tuple[int, bool], ...]] = []
    kept_sets: list[frozenset] = []
    for k in range(1, width + 1):
        for combo in itertools.combinations(range(len(lits)), k):
            ids = [lits[j][:2] for j in combo]
            if len({i for i, _ in ids}) < k:
                continue  # an atom and its negation, or an atom twice
            acc = 0
            for j in combo:
                acc |= lits[j][2]
            if acc != full:
                continue
            s = frozenset(ids)
            if any(prev <= s for prev in kept_sets):
                continue
            kept.append(tuple(ids))
            kept_sets.append(s)
    for premise in premises:
        # "if the client's local state is this one, then ...": the premise's negated atoms and one
        # more literal, a clause wider than ``width`` that only this shape of premise may have
        acc0 = 0
        for i in premise:
            acc0 |= neg_bits[i]
        if acc0 == full:
            continue  # the premise never holds: a shorter clause says so
        for i, pos, b in lits:
            if i in premise or acc0 | b != full:
                continue
            s = frozenset([*((j, False) for j in premise), (i, pos)])
            if any(prev <= s for prev in kept_sets):
                continue
            kept.append(tuple(sorted(s)))
            kept_sets.append(s)
    return [Clause(shape, tuple((atoms_[i], pos) for i, pos in ids)) for ids in kept]


def local_premises(atoms_: Sequence[Atom], client: Var, local: Sequence[str]) -> list[tuple[int, ...]]:
    """Each combination of one kind of each of the arrays ``local`` for ``client`` (the model's
    first-order side names them: its recovery view's ``local``, DHCP's st, to_srv and to_cli),
    as atom indexes: the premises of the clauses "if the client is in state X with messages Y
    and Z, then L"; none without such arrays."""
    if not local:
        return []
    by_group: dict[str, list[int]] = {g: [] for g in local}
    for n, atom in enumerate(atoms_):
        spec = atom.spec
        if spec[0] == "kind" and spec[1] in by_group and spec[2] is client:
            by_group[spec[1]].append(n)
    return [tuple(p) for p in itertools.product(*by_group.values())]


def clause_holds_in(clause: Clause, structure: dict, sizes: dict[str, int]) -> bool:
    """Is the clause true in one finite structure (a solver's model, read back)?"""
    shape = clause.shape
    n_c = sizes[shape.clients[0].sort] if shape.clients else 0
    n_a = sizes[shape.addresses[0].sort] if shape.addresses else 0
    for cs in itertools.permutations(range(n_c), len(shape.clients)):
        for as_ in itertools.permutations(range(n_a), len(shape.addresses)):
            env = {id(v): x for v, x in zip(shape.vars, (*cs, *as_), strict=True)}
            if not any(_atom_in(lit, structure, env) == pos for lit, pos in clause.literals):
                return False
    return True


def _atom_in(atom: Atom, S: dict, env: dict[int, int]) -> bool:
    spec = atom.spec
    if spec[0] == "kind":
        _, g, v, keys = spec
        return S[("key", g)][0 if v is None else env[id(v)]] in keys
    if spec[0] == "carry":
        _, g, n, c, a, keys = spec
        return S[("key", g)][env[id(c)]] in keys and S[("f", g, n)][env[id(c)]] == env[id(a)]
    _, g, n, a, c = spec
    return S[("f", g, n)][env[id(a)]] == env[id(c)]
