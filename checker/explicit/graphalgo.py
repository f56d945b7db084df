"""The graph analyses' inner loops in C (``graphalgo.c`` beside this file), built, cached and loaded
as the compiled explorer's search is (:mod:`leasecheck.checker.explicit.compiled`).

:func:`load` gives a :class:`GraphAlgo` whose methods take the explored graph's own arrays (offsets
``int64``, destinations and commands ``int32``) and numpy arrays, and return numpy arrays:

* :meth:`GraphAlgo.enabled`: per expanded state, the bits of the fair instances enabled there;
* :meth:`GraphAlgo.fair`: the strong components of a subgraph and, per state, whether it lies in a
  component where a fair run can stay, or is a deadlock (one pass of an iterative Tarjan search
  over the edges, the fairness of each component settled as it completes; one int32 per state);
* :meth:`GraphAlgo.reverse` and :meth:`GraphAlgo.backward`: the in-edges in CSR form and a
  breadth-first search backwards over them.

The library's name is the SHA-256 of the C file, the compiler and its options, in the compiled
explorer's cache folder. Without a C compiler or cffi, :func:`load` returns None and the analyses
keep their numpy and scipy forms (:mod:`leasecheck.checker.explicit.vanalysis`), which compute the same sets.
An allocation that fails inside C raises :class:`MemoryError` (the engine makes that property unknown).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from leasecheck.checker.explicit.compiled import _compile, cache_dir, compiler, source_key
from leasecheck.errors import InternalError

SOURCE = Path(__file__).with_name("graphalgo.c")

CDEF = """
void ga_enabled(int64_t expanded, const int64_t *off, const int32_t *cmd, const int64_t *cmd_bits, int64_t *out);
int64_t ga_fair(int64_t n, const int64_t *off, const int32_t *dst, const int32_t *cmd,
                const int64_t *cmd_bits, const uint8_t *allowed, int32_t *label, uint8_t *flags);
void ga_reverse(int64_t n, int64_t expanded, const int64_t *off, const int32_t *dst, const int32_t *cmd,
                int64_t *roff, int32_t *rsrc, int32_t *rcmd);
int64_t ga_backward(int64_t n, const int64_t *roff, const int32_t *rsrc, const int32_t *rcmd,
                    const uint8_t *allowed, const uint8_t *skip, uint8_t *seen);
"""


def _library(env: Mapping[str, str]) -> Path | None:
    """The built library's path (built now when not cached), or None when it cannot be built."""
    source = SOURCE.read_text()
    command = compiler(env)
    folder = cache_dir(env)
    name = f"ga-{source_key(source, command)[:32]}.so"
    if folder is not None and (folder / name).is_file():
        return folder / name
    if command is None:
        return None
    try:
        if folder is None:
            raise OSError("no cache folder")
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise OSError("the cache folder cannot be written")
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="leasecheck-graphalgo-"))
    out = folder / f".{name}.{os.getpid()}.tmp"
    with tempfile.TemporaryDirectory(prefix="leasecheck-build-") as tmp:
        try:
            failed = _compile(command, source, Path(tmp, "graphalgo.c"), out)
            if failed:
                if _compile(command, "int lc_probe(void) { return 0; }\n", Path(tmp, "probe.c"), Path(tmp, "probe.so")):
                    return None  # the compiler cannot build a shared library at all
                raise InternalError(f"the C compiler failed on the graph analyses' C file: {failed}")
            os.replace(out, folder / name)
        finally:
            out.unlink(missing_ok=True)
    return folder / name


def load(env: Mapping[str, str] | None = None) -> GraphAlgo | None:
    """The C analyses, or None when there is no C compiler (and no cached build) or no cffi."""
    try:
        import cffi  # noqa: PLC0415  (an optional dependency: the "compiled" extra)
    except ImportError:
        return None
    path = _library(os.environ if env is None else env)
    if path is None:
        return None
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    lib = ffi.dlopen(str(path))
    if path.parent.name.startswith("leasecheck-graphalgo-"):  # a folder of this run's own
        shutil.rmtree(path.parent, ignore_errors=True)
    return GraphAlgo(ffi, lib)


class GraphAlgo:
    """The loaded library; every method reads the arrays given in place (no copy)."""

    def __init__(self, ffi: Any, lib: Any):
        self._ffi, self._lib = ffi, lib

    def _in(self, kind: str, values: Any) -> Any:
        return self._ffi.from_buffer(kind, values) if len(values) else self._ffi.NULL

    def enabled(self, expanded: int, offsets: Any, cmd: Any, cmd_bits: np.ndarray) -> np.ndarray:
        """Per expanded state, the OR of ``cmd_bits`` over its out-edges (int64)."""
        out = np.zeros(expanded, dtype=np.int64)
        bits = np.ascontiguousarray(cmd_bits, dtype=np.int64)
        if expanded:
            self._lib.ga_enabled(expanded, self._in("int64_t[]", offsets), self._in("int32_t[]", cmd),
                                 self._in("int64_t[]", bits), self._in("int64_t[]", out))
        return out

    def fair(self, offsets: Any, dst: Any, cmd: Any, cmd_bits: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(label: the component of each state, -1 where ``allowed`` is 0; flags: 1 for a state of a
        fair component, 2 for a deadlock, else 0). ``allowed`` (uint8, one per state) marks expanded
        states only; a component is fair when it has an inner edge and each instance ``cmd_bits``
        marks that is enabled in all its states is taken on an inner edge."""
        n = allowed.size
        label = np.empty(n, dtype=np.int32)
        flags = np.zeros(n, dtype=np.uint8)
        bits = np.ascontiguousarray(cmd_bits, dtype=np.int64)
        allow = np.ascontiguousarray(allowed, dtype=np.uint8)
        if not n:
            return label, flags
        count = self._lib.ga_fair(n, self._in("int64_t[]", offsets), self._in("int32_t[]", dst), self._in("int32_t[]", cmd),
                                  self._in("int64_t[]", bits), self._in("uint8_t[]", allow),
                                  self._in("int32_t[]", label), self._in("uint8_t[]", flags))
        if count < 0:
            raise MemoryError("the strong-component search ran out of memory")
        return label, flags

    def reverse(self, n: int, expanded: int, offsets: Any, dst: Any, cmd: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The in-edges: (offsets, source, command), ordered by destination, then as the out-edges are."""
        edges = len(dst)
        roff = np.zeros(n + 1, dtype=np.int64)
        rsrc = np.empty(edges, dtype=np.int32)
        rcmd = np.empty(edges, dtype=np.int32)
        if edges:
            self._lib.ga_reverse(n, expanded, self._in("int64_t[]", offsets), self._in("int32_t[]", dst),
                                 self._in("int32_t[]", cmd), self._in("int64_t[]", roff),
                                 self._in("int32_t[]", rsrc), self._in("int32_t[]", rcmd))
        return roff, rsrc, rcmd

    def backward(self, reverse: tuple[np.ndarray, np.ndarray, np.ndarray], seeds: np.ndarray,
                 allowed: np.ndarray | None, skip: np.ndarray | None) -> np.ndarray:
        """The states (uint8 marks) that reach one ``seeds`` marks through the in-edges ``reverse``,
        entering only sources ``allowed`` marks by edges whose command ``skip`` does not mark."""
        roff, rsrc, rcmd = reverse
        seen = np.ascontiguousarray(seeds, dtype=np.uint8).copy()
        n = seen.size
        if not n:
            return seen
        ffi = self._ffi
        allow = ffi.NULL if allowed is None else ffi.from_buffer("uint8_t[]", np.ascontiguousarray(allowed, dtype=np.uint8))
        sk = ffi.NULL if skip is None or not skip.size else ffi.from_buffer("uint8_t[]", np.ascontiguousarray(skip, dtype=np.uint8))
        done = self._lib.ga_backward(n, self._in("int64_t[]", roff), self._in("int32_t[]", rsrc), self._in("int32_t[]", rcmd),
                                     allow, sk, self._in("uint8_t[]", seen))
        if done < 0:
            raise MemoryError("the backward search ran out of memory")
        return seen
