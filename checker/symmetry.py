"""Symmetry reduction: an exact canonical representative of every state, for the sorts a model declares.

A model declares its interchangeable ids as :class:`~leasecheck.model.lang.Sort` s on its
system (DHCP: clients and addresses, docs/model.md section 8): renaming the ids of a sort by a
permutation, in every variable index and in every value that names one, maps behaviours to
behaviours. Two states are *equivalent* when one is such a renaming of the other. This module
reads only those declarations; it knows no model's variables.

The first sort declared is *keyed* (its ids' keys are sorted), the second, if any, is
*enumerated* (every permutation of its ids is tried). For a fixed permutation ``pi`` of the
enumerated ids, a state is described completely by its scalars and, per keyed id, a *key*: its
own variables (the groups the keyed sort indexes) with enumerated ids renamed by ``pi``, and, for
each variable group the enumerated sort indexes and each kind of value there that names a keyed
id, the set of enumerated ids (renamed) whose variable holds that value for it (DHCP: the
addresses the lease table marks OFFERED, and BOUND, to the client). Sorting the keys forgets the
keyed ids, so the sorted keys are the same for every renaming of them. The representative is the
state decoded from the smallest sorted key tuple over all ``pi``: it depends only on the
equivalence class and is a member of it.

With ``fixed`` keyed ids (the subgroup that leaves those ids alone), the fixed ids' keys keep
their positions and only the others are sorted: per-client properties of a fixed client are
preserved by that subgroup.

What the exact form needs of the declarations, and :class:`SymmetryError` refuses otherwise: at
most two sorts; keyed-indexed values that name no keyed id; enumerated-indexed values that name
no enumerated id and, except for one value (DHCP: FREE), exactly one keyed id; scalars that name
no id.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from leasecheck.errors import UserError
from leasecheck.model.lang import Domain, Sort, System, mentions, rename


class SymmetryError(UserError):
    """The system declares no symmetry this module knows how to reduce."""


def _renamed(value: Hashable, sort: Sort, perm: Sequence[int], valued: bool) -> Hashable:
    """``value`` with the ids of ``sort`` renamed by ``perm``: the value itself when the
    variable's values are ids of the sort (``valued``), else the ids inside it."""
    if value is None:
        return None
    if valued:
        return perm[value]  # type: ignore[call-overload]
    return rename(value, sort.name, perm)


def _names(domain: Domain, sort: Sort, group: str) -> bool:
    """Whether the values of ``group`` (of ``domain``) name ids of ``sort``."""
    return group in sort.valued or any(mentions(v, sort.name) for v in domain.values)


@dataclass(frozen=True)
class _Field:
    group: str
    variables: tuple[int, ...]  # per keyed id
    width: int
    shift: int
    renames: bool  # values name enumerated ids


@dataclass(frozen=True)
class _Slot:
    """One kind of value, in one group the enumerated sort indexes, that names a keyed id: per
    keyed id, the index of that value naming it; a set of enumerated ids per keyed id in the key."""

    variables: tuple[int, ...]  # per enumerated id
    index: tuple[int, ...]  # per keyed id
    empty: int  # the index of the one value that names no keyed id


class Symmetry:
    """The canonical-form map for one system and one group (all renamings fixing ``fixed``)."""

    def __init__(self, system: System, fixed: tuple[int, ...] = ()):
        self.system = system
        self.fixed = tuple(sorted(set(fixed)))
        if not system.sorts:
            raise SymmetryError(f"{system.name} declares no interchangeable ids to reduce by")
        if len(system.sorts) > 2:
            raise SymmetryError(f"{system.name} declares {len(system.sorts)} sorts; symmetry reduction takes two at most")
        keyed = system.sorts[0]
        enumerated = system.sorts[1] if len(system.sorts) > 1 else Sort("", 0, ())
        self.keyed, self.enumerated = keyed, enumerated
        groups: dict[str, dict[int, int]] = {}
        scalars: list[int] = []
        for i, v in enumerate(system.variables):
            if v.key is None:
                scalars.append(i)
            else:
                groups.setdefault(v.group, {})[v.key] = i
        declared = set(keyed.indexes) | set(enumerated.indexes)
        if set(groups) != declared:
            extra = sorted(set(groups) ^ declared)
            raise SymmetryError(f"the sorts of {system.name} do not declare exactly its indexed variables ({', '.join(extra)})")
        for s in (keyed, enumerated):
            for g in s.indexes:
                if sorted(groups[g]) != list(range(s.size)):
                    raise SymmetryError(f"{g} is not indexed by the {s.size} {s.plural}")
        for i in scalars:
            v = system.variables[i]
            if any(_names(v.domain, s, v.group) for s in (keyed, enumerated)):
                raise SymmetryError(f"{v.name} names ids of a sort but belongs to none")
        self.clients = keyed.size
        self.addresses = enumerated.size
        if any(c >= self.clients or c < 0 for c in self.fixed):
            raise SymmetryError(f"no {keyed.name} {self.fixed} to keep fixed")
        self.free = tuple(c for c in range(self.clients) if c not in self.fixed)
        self.scalars = tuple(scalars)
        A = self.addresses
        self.perms = list(itertools.permutations(range(A)))
        fields: list[_Field] = []
        shift = 0
        for g in keyed.indexes:
            vars_ = tuple(groups[g][c] for c in range(self.clients))
            dom = system.variables[vars_[0]].domain
            if _names(dom, keyed, g):
                raise SymmetryError(f"the values of {g} name {keyed.plural}, which its index already is")
            width = max(1, (len(dom) - 1).bit_length())
            fields.append(_Field(g, vars_, width, shift, _names(dom, enumerated, g)))
            shift += width
        self.fields = tuple(fields)
        self.slots = self._slots(groups)
        self.set_shift = shift
        if shift + len(self.slots) * A > 63:
            raise SymmetryError("the configuration is too large for symmetry reduction (keys exceed 63 bits)")
        # value renaming tables per enumerated permutation: tables[field][perm] -> new index by old
        self.tables: dict[str, np.ndarray] = {}
        for f in self.fields:
            if not f.renames:
                continue
            dom = system.variables[f.variables[0]].domain
            t = np.empty((len(self.perms), len(dom)), dtype=np.int64)
            for p, pi in enumerate(self.perms):
                for i, value in enumerate(dom.values):
                    t[p, i] = dom.index(_renamed(value, enumerated, pi, f.group in enumerated.valued))
            self.tables[f.group] = t
        # permuting the bits of a set of enumerated ids: bits[perm][mask]
        self.bits = np.zeros((len(self.perms), 1 << A), dtype=np.int64)
        for p, pi in enumerate(self.perms):
            for m in range(1 << A):
                self.bits[p, m] = sum(1 << pi[a] for a in range(A) if m >> a & 1)
        # one table per permutation for all renamed fields of a keyed id at once, indexed by the
        # mixed-radix number of their values; and one for all its sets together
        self.renamed = tuple(f for f in self.fields if f.renames)
        self.radix = tuple(len(system.variables[f.variables[0]].domain) for f in self.renamed)
        # (combo and sets, built on first use: the compiled explorer's canonical form needs neither)
        # keys packed several to a word, most significant first, for comparisons
        self.key_bits = self.set_shift + len(self.slots) * A
        self.per_word = max(1, 63 // self.key_bits)

    @functools.cached_property
    def combo(self) -> np.ndarray:
        """Per permutation, the renamed fields of a keyed id at their shifts, by the mixed-radix
        number of their values."""
        combo = np.zeros((len(self.perms), int(np.prod(self.radix))), dtype=np.int64)
        if self.renamed:
            digits = np.indices(self.radix).reshape(len(self.radix), -1)
            for p in range(len(self.perms)):
                for f, d in zip(self.renamed, digits, strict=True):
                    combo[p] |= self.tables[f.group][p][d] << f.shift
        return combo

    @functools.cached_property
    def sets(self) -> np.ndarray:
        """Per permutation, every slot's set of enumerated ids renamed, at its place in the key."""
        A = self.addresses
        T, mask = len(self.slots), (1 << A) - 1
        sets = np.arange(1 << (T * A))
        table = np.zeros((len(self.perms), 1 << (T * A)), dtype=np.int64)
        for k in range(T):  # slot k's set: bits A*(T-1-k) up in the index, at set_shift + A*k in the key
            table |= self.bits[:, (sets >> (A * (T - 1 - k))) & mask] << (self.set_shift + A * k)
        return table

    def _slots(self, groups: dict[str, dict[int, int]]) -> tuple[_Slot, ...]:
        keyed, enumerated = self.keyed, self.enumerated
        everyone = tuple(range(keyed.size))
        out = []
        for g in enumerated.indexes:
            vars_ = tuple(groups[g][a] for a in range(enumerated.size))
            dom = self.system.variables[vars_[0]].domain
            if _names(dom, enumerated, g):
                raise SymmetryError(f"the values of {g} name {enumerated.plural}, which its index already is")
            tags: list[Hashable] = []
            empty = []
            for value in dom.values:
                named = (value,) if g in keyed.valued else mentions(value, keyed.name)
                if value is None or not named:
                    empty.append(value)
                    continue
                if len(named) != 1:
                    raise SymmetryError(f"a value of {g} names {len(named)} {keyed.plural}: {value}")
                tag = 0 if g in keyed.valued else rename(value, keyed.name, [0] * keyed.size)
                if tag not in tags:
                    tags.append(tag)
            if len(empty) != 1:
                raise SymmetryError(f"{g} has {len(empty)} values that name no {keyed.name}; the exact form needs one")
            for tag in tags:
                index = tuple(dom.index(_renamed(tag, keyed, [c] * keyed.size, g in keyed.valued)) for c in everyone)
                out.append(_Slot(vars_, index, dom.index(empty[0])))
        return tuple(out)

    @property
    def order(self) -> int:
        """How many renamings the group has."""
        free = len(self.free)
        return len(self.perms) * int(np.prod(range(1, free + 1)))

    def describe(self) -> str:
        keyed, enumerated = self.keyed.plural, self.enumerated.plural
        which = ", ".join(map(str, self.fixed))
        if not self.addresses:
            return f"every renaming of {keyed}" if not self.fixed else f"every renaming of the {keyed} other than {which}"
        if not self.fixed:
            return f"every renaming of {keyed} and of {enumerated}"
        return f"every renaming of {enumerated} and of the {keyed} other than {which}"

    def canonical(self, states: np.ndarray) -> np.ndarray:
        """The class representative of every row of ``states`` (n, variables)."""
        n = states.shape[0]
        C, A = self.clients, self.addresses
        x = states.astype(np.int64)
        base, combo, sets = [], [], []
        for c in range(C):
            b = np.zeros(n, dtype=np.int64)
            for f in self.fields:
                if not f.renames:
                    b |= x[:, f.variables[c]] << f.shift
            base.append(b)
            k = np.zeros(n, dtype=np.int64)
            for f, r in zip(self.renamed, self.radix, strict=True):
                k = k * r + x[:, f.variables[c]]
            combo.append(k)
            # per slot, the enumerated ids whose variable holds its value for c (first slot highest)
            m = np.zeros(n, dtype=np.int64)
            for t, slot in enumerate(self.slots):
                up = A * (len(self.slots) - 1 - t)
                for a, var in enumerate(slot.variables):
                    m |= (x[:, var] == slot.index[c]).astype(np.int64) << (up + a)
            sets.append(m)
        order = list(self.fixed) + list(self.free)
        nfixed = len(self.fixed)
        best: list[np.ndarray] | None = None
        for p in range(len(self.perms)):
            table, set_table = self.combo[p], self.sets[p]
            keys = [base[c] | table[combo[c]] | set_table[sets[c]] for c in order]
            nfree = len(keys) - nfixed
            for i in range(nfree):  # a sorting network over the free clients' keys
                for j in range(nfixed, nfixed + nfree - 1 - i):
                    lo, hi = np.minimum(keys[j], keys[j + 1]), np.maximum(keys[j], keys[j + 1])
                    keys[j], keys[j + 1] = lo, hi
            words = self._words(keys)
            if best is None:
                best = words
                continue
            less = np.zeros(n, dtype=bool)
            same = np.ones(n, dtype=bool)
            for w, b in zip(words, best, strict=True):
                less |= same & (w < b)
                same &= w == b
            best = [np.where(less, w, b) for w, b in zip(words, best, strict=True)]
        assert best is not None
        return self._decode(self._unwords(best), states)

    def _words(self, keys: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for lo in range(0, len(keys), self.per_word):
            w = keys[lo]
            for k in keys[lo + 1: lo + self.per_word]:
                w = (w << self.key_bits) | k
            out.append(w)
        return out

    def _unwords(self, words: list[np.ndarray]) -> np.ndarray:
        keys = []
        mask = (1 << self.key_bits) - 1
        for lo, w in zip(range(0, self.clients, self.per_word), words, strict=True):
            count = min(self.per_word, self.clients - lo)
            for i in range(count):
                keys.append((w >> (self.key_bits * (count - 1 - i))) & mask)
        return np.stack(keys, axis=1)

    def _decode(self, best: np.ndarray, states: np.ndarray) -> np.ndarray:
        """The state whose client keys (in client order fixed..., free...) are ``best``."""
        out = np.empty_like(states)
        positions = list(self.fixed) + list(self.free)
        for j, c in enumerate(positions):
            key = best[:, j]
            for f in self.fields:
                out[:, f.variables[c]] = (key >> f.shift) & ((1 << f.width) - 1)
        for t, slot in enumerate(self.slots):
            shift = self.set_shift + self.addresses * t
            for a, var in enumerate(slot.variables):
                col = out[:, var] if t and slot.variables == self.slots[t - 1].variables else \
                    np.full(states.shape[0], slot.empty, dtype=np.int64)
                for j, c in enumerate(positions):
                    col = np.where((best[:, j] >> (shift + a)) & 1 == 1, slot.index[c], col)
                out[:, var] = col
        for var in self.scalars:
            out[:, var] = states[:, var]
        return out

    def canonical_state(self, state: Sequence[int]) -> tuple[int, ...]:
        """The representative of one state tuple."""
        return tuple(int(v) for v in self.canonical(np.asarray([state], dtype=np.int64))[0])


@dataclass(frozen=True)
class ClientRenaming:
    """Renaming the ids of a system's keyed sort (its first: DHCP's clients) by the permutation
    ``sigma`` (client ``c`` becomes ``sigma[c]``), on states, on ``(variable, value)`` literals
    and on action instances.

    ``variable[v]`` is the index of the variable that ``v`` becomes, ``value[v][i]`` the value
    index (in that variable's domain) that value index ``i`` of ``v`` becomes. Clients are
    interchangeable, so the renaming maps every transition to a transition and every run of
    client ``c``'s property to a run of client ``sigma[c]``'s; whoever relies on it still
    re-checks what it renames.
    """

    system: System
    sigma: tuple[int, ...]
    variable: tuple[int, ...]
    value: tuple[tuple[int, ...], ...]

    def state(self, state: Sequence[int]) -> tuple[int, ...]:
        out = [0] * len(state)
        for v, i in enumerate(state):
            out[self.variable[v]] = self.value[v][i]
        return tuple(out)

    def literal(self, v: int, i: int) -> tuple[int, int]:
        return self.variable[v], self.value[v][i]

    def params(self, action: str, params: Sequence[int]) -> tuple[int, ...]:
        """The parameters of an instance of ``action``, with the keyed ones (clients) renamed."""
        names = next(a.params for a in self.system.actions if a.name == action)
        keyed = self.system.sorts[0].name
        return tuple(self.sigma[p] if kind == keyed else p for kind, p in zip(names, params, strict=True))


def client_renaming(system: System, sigma: Sequence[int]) -> ClientRenaming:
    """The renaming of ``system``'s keyed ids (clients) by ``sigma``; :class:`SymmetryError` for a
    system whose declared sorts :class:`Symmetry` refuses."""
    sym = Symmetry(system)
    sigma = tuple(sigma)
    if sorted(sigma) != list(range(sym.clients)):
        raise SymmetryError(f"{sigma} is not a permutation of the {sym.clients} {sym.keyed.plural}")
    variable = list(range(len(system.variables)))
    for f in sym.fields:
        for c, v in enumerate(f.variables):
            variable[v] = f.variables[sigma[c]]
    value = tuple(tuple(var.domain.index(_renamed(x, sym.keyed, sigma, var.group in sym.keyed.valued))
                        for x in var.domain.values) for var in system.variables)
    return ClientRenaming(system, sigma, tuple(variable), value)


def client_swap(system: System, client: int) -> ClientRenaming:
    """The renaming that swaps clients 0 and ``client``."""
    sigma = list(range(Symmetry(system).clients))
    if not 0 <= client < len(sigma):
        raise SymmetryError(f"no {system.sorts[0].name} {client} to swap with {system.sorts[0].name} 0")
    sigma[0], sigma[client] = client, 0
    return client_renaming(system, sigma)
