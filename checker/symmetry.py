"""Symmetry reduction for the DHCP model: an exact canonical representative of every state.

Clients are interchangeable, and so are addresses (docs/model.md section 8): renaming client ids
by a permutation ``sigma`` and address ids by a permutation ``pi``, in every variable index and
in every value that names a client or an address, maps behaviours to behaviours. Two states are
*equivalent* when one is such a renaming of the other.

The canonical form is exact: two states get the same representative exactly when they are
equivalent. For a fixed address permutation ``pi``, a state is described completely by its
budgets and, per client, a *client key*: its own variables with addresses renamed by ``pi``, and
the sets of addresses (renamed) that the lease table marks OFFERED or BOUND to it. Sorting the
client keys forgets the client ids, so the sorted keys are the same for every client renaming.
The representative is the state decoded from the smallest sorted key tuple over all ``pi``: it
depends only on the equivalence class and is a member of it.

With ``fixed`` clients (the subgroup that leaves those client ids alone), the fixed clients' keys
keep their positions and only the others are sorted: per-client properties of a fixed client
are preserved by that subgroup.

Only this module knows how the DHCP variables mention clients and addresses; a system whose
variables it does not recognise is refused with :class:`SymmetryError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from leasecheck.errors import UserError
from leasecheck.model import values as V
from leasecheck.model.lang import System

#: client-indexed variable groups, in the order their fields appear in a client key
CLIENT_GROUPS = ("st", "err", "addr", "to_srv", "to_cli", "mem")
ADDRESS_GROUPS = ("db",)


class SymmetryError(UserError):
    """The system is not one whose symmetry this module knows how to reduce."""


def _rename(value: Hashable, pi: Sequence[int], address_valued: bool) -> Hashable:
    """A message or address value with its address renamed by ``pi``."""
    if value is None:
        return None
    if address_valued:
        return pi[value]  # type: ignore[call-overload]
    if isinstance(value, V.Request):
        return V.Request(value.kind, pi[value.addr])
    if isinstance(value, V.Release | V.Offer | V.Ack):
        return type(value)(pi[value.addr])
    return value


@dataclass(frozen=True)
class _Field:
    group: str
    variables: tuple[int, ...]  # per client
    width: int
    shift: int
    renames: bool  # values mention addresses


class Symmetry:
    """The canonical-form map for one DHCP system and one group (all renamings fixing ``fixed``)."""

    def __init__(self, system: System, fixed: tuple[int, ...] = ()):
        self.system = system
        self.fixed = tuple(sorted(set(fixed)))
        groups: dict[str, dict[int, int]] = {}
        scalars: list[int] = []
        for i, v in enumerate(system.variables):
            if v.key is None:
                scalars.append(i)
            else:
                groups.setdefault(v.group, {})[v.key] = i
        known = set(CLIENT_GROUPS) | set(ADDRESS_GROUPS)
        if set(groups) != known:
            raise SymmetryError(f"symmetry reduction knows the DHCP model only, not {system.name}")
        self.clients = len(groups["st"])
        self.addresses = len(groups["db"])
        if any(c >= self.clients or c < 0 for c in self.fixed):
            raise SymmetryError(f"no client {self.fixed} to keep fixed")
        self.free = tuple(c for c in range(self.clients) if c not in self.fixed)
        self.scalars = tuple(scalars)
        A = self.addresses
        self.perms = list(itertools.permutations(range(A)))
        fields: list[_Field] = []
        shift = 0
        for g in CLIENT_GROUPS:
            vars_ = tuple(groups[g][c] for c in range(self.clients))
            dom = system.variables[vars_[0]].domain
            width = max(1, (len(dom) - 1).bit_length())
            renames = g in ("addr", "to_srv", "to_cli", "mem")
            fields.append(_Field(g, vars_, width, shift, renames))
            shift += width
        self.fields = tuple(fields)
        self.offered_shift = shift
        self.bound_shift = shift + A
        if shift + 2 * A > 63:
            raise SymmetryError("the configuration is too large for symmetry reduction (client keys exceed 63 bits)")
        # value renaming tables per address permutation: tables[field][perm] -> new index by old
        self.tables: dict[str, np.ndarray] = {}
        for f in self.fields:
            if not f.renames:
                continue
            dom = system.variables[f.variables[0]].domain
            address_valued = f.group in ("addr", "mem")
            t = np.empty((len(self.perms), len(dom)), dtype=np.int64)
            for p, pi in enumerate(self.perms):
                for i, value in enumerate(dom.values):
                    t[p, i] = dom.index(_rename(value, pi, address_valued))
            self.tables[f.group] = t
        # permuting the bits of an address set: bits[perm][mask]
        self.bits = np.zeros((len(self.perms), 1 << A), dtype=np.int64)
        for p, pi in enumerate(self.perms):
            for m in range(1 << A):
                self.bits[p, m] = sum(1 << pi[a] for a in range(A) if m >> a & 1)
        self.db_vars = tuple(groups["db"][a] for a in range(A))
        lease = system.variables[self.db_vars[0]].domain
        self.free_index = lease.index(V.FREE)
        self.offered_index = tuple(lease.index(V.Offered(c)) for c in range(self.clients))
        self.bound_index = tuple(lease.index(V.Bound(c)) for c in range(self.clients))
        # one table per permutation for all renamed fields of a client at once, indexed by the
        # mixed-radix number of their values; and one for the two address sets together
        self.renamed = tuple(f for f in self.fields if f.renames)
        self.radix = tuple(len(system.variables[f.variables[0]].domain) for f in self.renamed)
        size = int(np.prod(self.radix))
        combo = np.zeros((len(self.perms), size), dtype=np.int64)
        digits = np.indices(self.radix).reshape(len(self.radix), -1)
        for p in range(len(self.perms)):
            for f, d in zip(self.renamed, digits, strict=True):
                combo[p] |= self.tables[f.group][p][d] << f.shift
        self.combo = combo
        sets = np.arange(1 << (2 * A))
        self.sets = (self.bits[:, sets >> A] << self.offered_shift) | (self.bits[:, sets & ((1 << A) - 1)] << self.bound_shift)
        # client keys packed several to a word, most significant first, for comparisons
        self.key_bits = self.bound_shift + A
        self.per_word = max(1, 63 // self.key_bits)

    @property
    def order(self) -> int:
        """How many renamings the group has."""
        free = len(self.free)
        return len(self.perms) * int(np.prod(range(1, free + 1)))

    def describe(self) -> str:
        if not self.fixed:
            return "every renaming of clients and of addresses"
        which = ", ".join(map(str, self.fixed))
        return f"every renaming of addresses and of the clients other than {which}"

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
            # the addresses the lease table offers (high bits) and binds (low bits) to client c
            m = np.zeros(n, dtype=np.int64)
            for a, var in enumerate(self.db_vars):
                col = x[:, var]
                m |= ((col == self.offered_index[c]).astype(np.int64) << (A + a)) | (
                    (col == self.bound_index[c]).astype(np.int64) << a)
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
        for a, var in enumerate(self.db_vars):
            col = np.full(states.shape[0], self.free_index, dtype=np.int64)
            for j, c in enumerate(positions):
                key = best[:, j]
                col = np.where((key >> (self.offered_shift + a)) & 1 == 1, self.offered_index[c], col)
                col = np.where((key >> (self.bound_shift + a)) & 1 == 1, self.bound_index[c], col)
            out[:, var] = col
        for var in self.scalars:
            out[:, var] = states[:, var]
        return out

    def canonical_state(self, state: Sequence[int]) -> tuple[int, ...]:
        """The representative of one state tuple."""
        return tuple(int(v) for v in self.canonical(np.asarray([state], dtype=np.int64))[0])


@dataclass(frozen=True)
class ClientRenaming:
    """Renaming client ids by the permutation ``sigma`` (client ``c`` becomes ``sigma[c]``), on
    states, on ``(variable, value)`` literals and on action instances of one DHCP system.

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
        """The parameters of an instance of ``action``, with the client ones renamed."""
        names = next(a.params for a in self.system.actions if a.name == action)
        return tuple(self.sigma[p] if kind == "client" else p for kind, p in zip(names, params, strict=True))


def client_renaming(system: System, sigma: Sequence[int]) -> ClientRenaming:
    """The renaming of ``system``'s client ids by ``sigma``; :class:`SymmetryError` for a system
    that is not the DHCP model."""
    sym = Symmetry(system)
    sigma = tuple(sigma)
    if sorted(sigma) != list(range(sym.clients)):
        raise SymmetryError(f"{sigma} is not a permutation of the {sym.clients} clients")
    variable = list(range(len(system.variables)))
    for f in sym.fields:
        for c, v in enumerate(f.variables):
            variable[v] = f.variables[sigma[c]]
    value: list[tuple[int, ...]] = []
    for v, var in enumerate(system.variables):
        if v in sym.db_vars:
            def renamed(x: object) -> object:
                if isinstance(x, V.Offered | V.Bound):
                    return type(x)(sigma[x.client])
                return x

            value.append(tuple(var.domain.index(renamed(x)) for x in var.domain.values))
        else:
            value.append(tuple(range(len(var.domain))))
    return ClientRenaming(system, sigma, tuple(variable), tuple(value))


def client_swap(system: System, client: int) -> ClientRenaming:
    """The renaming that swaps clients 0 and ``client``."""
    sigma = list(range(Symmetry(system).clients))
    if not 0 <= client < len(sigma):
        raise SymmetryError(f"no client {client} to swap with client 0")
    sigma[0], sigma[client] = client, 0
    return client_renaming(system, sigma)
