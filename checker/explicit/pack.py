"""The bit layout of a packed state: each variable in a fixed field of a few 64-bit words.

A variable over a domain of ``n`` values takes ``max(1, ceil(log2(n)))`` bits. Fields are laid
out in variable order and never straddle a word, so a state of the reference configurations
packs into one or two ``uint64`` words. Packing is exact (a bijection between states and the
words it produces), which is what lets the vectorised explorer de-duplicate packed keys.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from leasecheck.model.lang import System

WORD_BITS = 64


@dataclass(frozen=True)
class Layout:
    """Where each variable lives: ``word[v]``, ``shift[v]`` and ``width[v]`` bits."""

    width: tuple[int, ...]
    word: tuple[int, ...]
    shift: tuple[int, ...]
    words: int

    @property
    def bits(self) -> int:
        return sum(self.width)

    @property
    def dtype(self) -> type:
        """The narrowest unsigned type that holds every value index."""
        return np.uint8 if max(self.width) <= 8 else np.uint16

    def field_mask(self, var: int) -> int:
        return ((1 << self.width[var]) - 1) << self.shift[var]


def layout(system: System) -> Layout:
    """The packed layout of ``system``'s states."""
    width, word, shift = [], [], []
    w, used = 0, 0
    for v in system.variables:
        bits = max(1, (len(v.domain) - 1).bit_length())
        if used + bits > WORD_BITS:
            w, used = w + 1, 0
        width.append(bits)
        word.append(w)
        shift.append(used)
        used += bits
    return Layout(tuple(width), tuple(word), tuple(shift), w + 1)


def pack(lay: Layout, states: np.ndarray) -> np.ndarray:
    """Rows of value indexes (n, variables) to packed keys (n, words) of ``uint64``."""
    out = np.zeros((states.shape[0], lay.words), dtype=np.uint64)
    for v in range(len(lay.width)):
        out[:, lay.word[v]] |= states[:, v].astype(np.uint64) << np.uint64(lay.shift[v])
    return out


def unpack(lay: Layout, keys: np.ndarray, only: Collection[int] | None = None) -> np.ndarray:
    """Packed keys (n, words) back to rows of value indexes (n, variables) (``Layout.dtype``);
    with ``only``, just those variables' columns (the others 0)."""
    if only is not None:
        out: np.ndarray = np.zeros((keys.shape[0], len(lay.width)), dtype=lay.dtype)
    else:
        out = np.empty((keys.shape[0], len(lay.width)), dtype=lay.dtype)
    for v in range(len(lay.width)) if only is None else sorted(only):
        mask = np.uint64((1 << lay.width[v]) - 1)
        out[:, v] = (keys[:, lay.word[v]] >> np.uint64(lay.shift[v])) & mask
    return out
