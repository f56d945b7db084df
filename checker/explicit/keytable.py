"""The visited set of the vectorised explorer: an open-addressing hash table of packed keys.

Keys are rows of one or more ``uint64`` words (:mod:`leasecheck.checker.explicit.pack`); each distinct key gets the
next state number. :meth:`KeyTable.find` looks a batch up without adding;
:meth:`KeyTable.find_or_add` handles a whole batch at once with vectorised
linear probing: empty slots are claimed by writing a marker and reading it back, so duplicates
inside one batch resolve to a single new state, introduced by its first row: new keys are
numbered in the order of the rows that first hold them, whatever row won the slot. Comparison is on the full key, never on a hash
alone, so the set is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EMPTY = -1
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _hash(keys: np.ndarray) -> np.ndarray:
    h = np.zeros(keys.shape[0], dtype=np.uint64)
    for w in range(keys.shape[1]):
        h ^= keys[:, w]
        h *= _MULTIPLIER
        h ^= h >> np.uint64(29)
    return h


@dataclass(frozen=True)
class Added:
    """What :meth:`KeyTable.find_or_add` did: the state number of each key, and which are new.

    ``first`` gives, for each new state in number order, the batch row that introduced it: the
    first row that holds its key (so ``first`` is increasing).
    """

    ids: np.ndarray
    first: np.ndarray


class KeyTable:
    """Distinct packed keys, numbered in the order they were added."""

    def __init__(self, words: int, capacity: int = 1 << 12):
        self.words = words
        self.keys = np.empty((capacity, words), dtype=np.uint64)
        self.n = 0
        self.slots = np.full(1 << 14, _EMPTY, dtype=np.int32)

    @property
    def bytes(self) -> int:
        return int(self.keys.nbytes + self.slots.nbytes)

    def stored(self) -> np.ndarray:
        return self.keys[: self.n]

    def _grow_keys(self, needed: int) -> None:
        if needed <= self.keys.shape[0]:
            return
        size = max(needed, self.keys.shape[0] * 3 // 2)
        grown = np.empty((size, self.words), dtype=np.uint64)
        grown[: self.n] = self.keys[: self.n]
        self.keys = grown

    def _grow_slots(self, needed: int) -> None:
        if needed * 2 <= self.slots.size:
            return
        size = self.slots.size
        while needed * 2 > size:
            size *= 2
        self.slots = np.full(size, _EMPTY, dtype=np.int32)
        mask = size - 1
        ids = np.arange(self.n, dtype=np.int64)
        pos = (_hash(self.keys[: self.n]) & np.uint64(mask)).astype(np.int64)
        while ids.size:
            p = pos[ids]
            free = self.slots[p] == _EMPTY
            self.slots[p[free]] = ids[free]
            won = np.zeros(ids.size, dtype=bool)
            won[free] = self.slots[p[free]] == ids[free]
            ids = ids[~won]
            pos[ids] = (pos[ids] + 1) & mask

    def grow_for(self, m: int) -> None:
        """Make room for ``m`` more keys now, as ``find_or_add`` of ``m`` rows would."""
        self._grow_slots(self.n + m)

    def find(self, batch: np.ndarray) -> np.ndarray:
        """The state number of every row of ``batch``, or -1 for a key not in the table."""
        m = batch.shape[0]
        result = np.full(m, -1, dtype=np.int64)
        if not m or not self.n:
            return result
        mask = self.slots.size - 1
        pos = (_hash(batch) & np.uint64(mask)).astype(np.int64)
        pending = np.arange(m, dtype=np.int64)
        while pending.size:
            occupant = self.slots[pos[pending]].astype(np.int64)
            live = occupant != _EMPTY  # an empty slot ends the probe: the key is absent
            pending, occupant = pending[live], occupant[live]
            same = (self.keys[occupant] == batch[pending]).all(axis=1)
            result[pending[same]] = occupant[same]
            pending = pending[~same]
            pos[pending] = (pos[pending] + 1) & mask
        return result

    def find_or_add(self, batch: np.ndarray) -> Added:
        """The state number of every row of ``batch``, adding the keys not seen before."""
        m = batch.shape[0]
        self._grow_slots(self.n + m)
        slots = self.slots
        mask = slots.size - 1
        pos = (_hash(batch) & np.uint64(mask)).astype(np.int64)
        # result: a state number (>= 0), or the marker -(2 + row) of the batch row that claimed a slot
        result = np.full(m, _EMPTY, dtype=np.int64)
        claimed = np.full(m, -1, dtype=np.int64)
        pending = np.arange(m, dtype=np.int64)
        while pending.size:
            p = pos[pending]
            occupant = slots[p].astype(np.int64)
            empty = occupant == _EMPTY
            retry = np.empty(0, dtype=np.int64)
            if empty.any():
                rows, at = pending[empty], p[empty]
                marker = -(2 + rows)
                slots[at] = marker
                won = slots[at] == marker
                result[rows[won]] = marker[won]
                claimed[rows[won]] = at[won]
                retry = rows[~won]  # lost the race: look at the winner's key next round
            full = ~empty
            rows, occ = pending[full], occupant[full]
            if rows.size:
                stored = np.empty((rows.size, self.words), dtype=np.uint64)
                known = occ >= 0
                stored[known] = self.keys[occ[known]]
                stored[~known] = batch[-(occ[~known] + 2)]
                same = (stored == batch[rows]).all(axis=1)
                result[rows[same]] = occ[same]
                miss = rows[~same]
                pos[miss] = (pos[miss] + 1) & mask
                pending = np.concatenate((retry, miss))
            else:
                pending = retry
        # which row of a new key claimed its slot is up to the race; the key's first row in the
        # batch introduces it, and new keys are numbered in the order of their first rows
        claimant = np.flatnonzero(result == -(2 + np.arange(m)))
        fresh = np.flatnonzero(result < -1)
        if fresh.size == claimant.size:  # no key twice: each claimant is its key's only row
            first = claimant
        else:
            _, at = np.unique(-(result[fresh] + 2), return_index=True)
            first = np.sort(fresh[at])
        owner = -(result[first] + 2)
        new_ids = np.arange(self.n, self.n + first.size, dtype=np.int64)
        number = np.empty(m, dtype=np.int64)
        number[owner] = new_ids
        slots[claimed[owner]] = new_ids
        ids = np.where(result >= 0, result, 0)
        dup = result < -1
        ids[dup] = number[-(result[dup] + 2)]
        self._grow_keys(self.n + first.size)
        self.keys[self.n: self.n + first.size] = batch[first]
        self.n += first.size
        return Added(ids, first)
