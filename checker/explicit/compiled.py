"""The compiled explorer: the model's breadth-first search as C, built once and cached on disk.

:func:`explore_compiled` takes what the vector explorer takes (a traced
:class:`~leasecheck.model.lang.System`, :class:`~leasecheck.checker.explicit.explore.Limits`, a
progress callback) and returns the same :class:`~leasecheck.checker.explicit.explore.StateGraph`:
the same states in the same numbering (the model's order of exploration, docs/model.md section
10), the same parents, the same edges in the same order, the states kept as packed keys
(:class:`~leasecheck.checker.explicit.vexplore.PackedStates`), so the analyses and verdicts of
the vector explorer run on it unchanged.

The C file comes from :mod:`leasecheck.checker.explicit.codegen`. It is compiled into a shared
library with the C compiler (``$CC``, else ``cc`` or ``gcc`` on the ``PATH``) and loaded with
cffi (ABI mode: no Python headers needed). The library is kept in a cache folder under a name
that is the SHA-256 of the source, the compiler command and its options, so a model that changes gets a new
build and an unchanged one is not built again: ``$LEASECHECK_CACHE_DIR``, else
``$XDG_CACHE_HOME/leasecheck/compiled``, else ``~/.cache/leasecheck/compiled``; when none can be
written the build goes to a temporary folder, used for this run only.

Without a C compiler (and no cached build) or without cffi, :func:`explore_compiled` raises
:class:`CompilerUnavailable`, whose message says why; the engine then explores with the vector
explorer and says so in the report's engine line. A compiler that fails on the generated file
is the program's fault: an :class:`~leasecheck.errors.InternalError` with the compiler's words
(unless the compiler cannot build even a trivial library: then it is the compiler's, and the
explorer is unavailable).

The search runs in slices of :data:`SLICE` states; between slices the run's deadline, signals,
memory budget and progress are looked at, as the vector explorer does between batches.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from leasecheck.checker.explicit import codegen
from leasecheck.checker.explicit.ccanon import NotCompilable
from leasecheck.checker.explicit.explore import Limits, Progress, StateGraph
from leasecheck.checker.explicit.memory import memory_budget
from leasecheck.checker.explicit.pack import layout
from leasecheck.checker.explicit.vector import Program
from leasecheck.checker.explicit.vexplore import PackedStates
from leasecheck.checker.symmetry import Symmetry
from leasecheck.errors import InternalError, UserError
from leasecheck.model.lang import System

#: states expanded between two looks at the deadline, signals, memory and progress
SLICE = 1 << 16

#: the compiler's options (part of the cache key)
CFLAGS = ("-O2", "-std=c99", "-shared", "-fPIC")

CACHE_ENV = "LEASECHECK_CACHE_DIR"


class CompilerUnavailable(UserError):
    """The compiled explorer cannot run here (no C compiler, no cffi): a missing prerequisite;
    the message says why (the engine catches it and explores with the vector explorer)."""


@dataclass(frozen=True)
class Build:
    """A built search: its source's key, the library's path, and whether it was built just now."""

    key: str
    path: Path
    built: bool
    seconds: float
    temporary: bool = False  # built in a folder of this run's own (the cache cannot be written)


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where built libraries are kept (None when no home is known)."""
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    base = env.get("XDG_CACHE_HOME") or ""
    if not base:
        home = env.get("HOME") or ""
        if not home:
            return None
        base = os.path.join(home, ".cache")
    return Path(base, "leasecheck", "compiled")


def compiler(env: Mapping[str, str] | None = None) -> list[str] | None:
    """The C compiler's command: ``$CC`` (split as a shell would), else ``cc`` or ``gcc``."""
    env = os.environ if env is None else env
    if env.get("CC"):
        words = shlex.split(env["CC"])
        return words if words and shutil.which(words[0], path=env.get("PATH")) else None
    for name in ("cc", "gcc"):
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return [found]
    return None


def source_key(source: str, command: list[str] | None) -> str:
    """The cache key of a build: the source, the compiler command and its options."""
    h = hashlib.sha256()
    for part in (source, "\0".join(command or ()), "\0".join(CFLAGS)):
        h.update(part.encode())
        h.update(b"\1")
    return h.hexdigest()


def build(system: System, env: Mapping[str, str] | None = None, symmetry: Symmetry | None = None) -> Build:
    """The library of ``system``'s search (of its quotient by ``symmetry``): from the cache, or
    compiled now (and cached)."""
    start = time.perf_counter()
    if len(system.commands) > codegen.MAX_COMMANDS:
        raise CompilerUnavailable(f"{len(system.commands):,} commands, more than the {codegen.MAX_COMMANDS:,} "
                                  "the generated search numbers")
    try:
        source = codegen.c_source(system, symmetry)
    except NotCompilable as e:
        raise CompilerUnavailable(f"its symmetry is not compiled: {e}") from None
    command = compiler(env)
    key = source_key(source, command)
    folder = cache_dir(env)
    name = f"lc-{key[:32]}.so"
    if folder is not None and (folder / name).is_file():
        return Build(key, folder / name, False, time.perf_counter() - start)
    if command is None:
        cc = (env or os.environ).get("CC")
        raise CompilerUnavailable(f"no C compiler: $CC is {cc!r}, which is not found" if cc
                                  else "no C compiler: neither cc nor gcc is on the PATH, and $CC is not set")
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = None
    temporary = False
    if folder is None or not os.access(folder, os.W_OK):
        folder, temporary = Path(tempfile.mkdtemp(prefix="leasecheck-compiled-")), True
    final = folder / name
    with tempfile.TemporaryDirectory(prefix="leasecheck-build-") as tmp:
        # built beside its final name, then renamed: a run reading the cache meets a whole file
        out = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            failed = _compile(command, source, Path(tmp, "search.c"), out)
            if failed:
                # the compiler's fault or the generated file's? a trivial library tells them apart
                if _compile(command, "int lc_probe(void) { return 0; }\n", Path(tmp, "probe.c"), Path(tmp, "probe.so")):
                    raise CompilerUnavailable(f"the C compiler {command[0]} cannot build a shared library: {failed}")
                raise InternalError(f"the C compiler failed on the generated search of {system.name}: {failed}")
            os.replace(out, final)
        finally:  # a failed or interrupted build leaves nothing behind
            out.unlink(missing_ok=True)
    return Build(key, final, True, time.perf_counter() - start, temporary)


def prebuild(systems: Sequence[System], env: Mapping[str, str] | None = None) -> int:
    """Build the searches of ``systems`` not yet cached, as many compilers at a time as there are
    cores (a run about to explore many small models pays one compiler's time per core, not per
    model); how many were built. Where the compiled explorer cannot run nothing is built: each
    exploration then says why."""
    if not systems or compiler(env) is None:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, min(len(systems), os.cpu_count() or 1))) as pool:
        try:
            return sum(made.built for made in pool.map(lambda s: build(s, env), systems))
        except CompilerUnavailable:
            return 0


def _compile(command: list[str], source: str, c_file: Path, out: Path) -> str:
    """Compile ``source`` into the shared library ``out``: "" when done, else what went wrong."""
    c_file.write_text(source)
    try:
        done = subprocess.run([*command, *CFLAGS, "-o", str(out), str(c_file)], capture_output=True, text=True)
    except OSError as e:
        return f"it could not be run: {e}"
    if done.returncode != 0:
        return (done.stderr or done.stdout).strip()[:2000] or f"exit status {done.returncode}"
    return ""


def _ffi() -> Any:
    try:
        import cffi  # noqa: PLC0415  (an optional dependency: the "compiled" extra)
    except ImportError:
        raise CompilerUnavailable("cffi is not installed: pip install cffi") from None
    ffi = cffi.FFI()
    ffi.cdef(codegen.CDEF)
    return ffi


def load(system: System, env: Mapping[str, str] | None = None, symmetry: Symmetry | None = None) -> tuple[Any, Any]:
    """cffi and the loaded library of ``system``'s search (built if need be)."""
    ffi = _ffi()
    made = build(system, env, symmetry)
    lib = ffi.dlopen(str(made.path))
    if made.temporary:  # loaded: the file is no longer needed
        shutil.rmtree(made.path.parent, ignore_errors=True)
    lay = layout(system)
    if lib.lc_words() != lay.words or lib.lc_commands() != len(system.commands) \
            or lib.lc_symmetric() != (symmetry is not None):
        raise InternalError(f"the compiled search {made.path} does not match {system.name}")
    return ffi, lib


def canonical_keys(ffi: Any, lib: Any, keys: np.ndarray, every: bool = False) -> tuple[np.ndarray, int]:
    """The representatives of packed ``keys`` (n, words) by a library built with a symmetry, and
    how many states fell back to trying every renaming (``every``: all of them do)."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    out = np.empty_like(keys)
    n = keys.shape[0]
    fell = lib.lc_canonical(ffi.cast("const uint64_t *", keys.ctypes.data), ffi.cast("uint64_t *", out.ctypes.data),
                            n, int(every))
    if fell < 0:
        raise InternalError("the compiled search has no canonical form")
    return out, int(fell)


def explore_compiled(
    system: System,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
    env: Mapping[str, str] | None = None,
    symmetry: Symmetry | None = None,
) -> StateGraph:
    """Explore every reachable state up to the limits with the compiled search (the build's
    time included in the graph's ``seconds``); with ``symmetry``, every class of reachable
    states, each stored as the representative the vector explorer stores."""
    limits = limits or Limits()
    start = time.perf_counter()
    deadline = limits.deadline(time.monotonic())
    ffi, lib = load(system, env, symmetry)
    first = np.asarray([codegen.initial_key(system)], dtype=np.uint64)
    if symmetry is not None:
        first = canonical_keys(ffi, lib, first)[0]
    initial = ffi.new("uint64_t[]", [int(w) for w in first[0]])
    g = lib.lc_new(initial, -1 if limits.max_states is None else limits.max_states)
    memory = memory_budget(limits.max_memory)
    if g == ffi.NULL:
        raise MemoryError(memory.reason())
    next_report = start + progress_every
    stop_reason = ""
    try:
        try:
            while True:
                now = time.perf_counter()
                if (deadline is not None and time.monotonic() > deadline) or limits.cancelled():
                    stop_reason = limits.stop_reason()
                    break
                stop_reason = memory.exceeded()
                if stop_reason:
                    break
                if progress is not None and now >= next_report:
                    progress(Progress(int(g.states), int(g.expanded), int(g.edges), now - start))
                    next_report = now + progress_every
                status = lib.lc_expand(g, SLICE)
                if status == codegen.DONE:
                    break
                if status == codegen.STATE_LIMIT:
                    stop_reason = f"state limit of {limits.max_states} reached"
                    break
                if status == codegen.NO_MEMORY:
                    stop_reason = memory.reason()
                    break
                if status == codegen.TOO_MANY:
                    stop_reason = f"{codegen.MAX_STATES:,} states reached, the most the explorer numbers"
                    break
        except KeyboardInterrupt:
            stop_reason = limits.interrupted()
        return _graph(_Taker(ffi, lib, g), system, stop_reason, start)
    finally:
        lib.lc_free(g)


class _Taker:
    """Copies the graph's arrays out of the C search one by one, letting go of each copied one,
    so that the copy never holds the whole graph twice."""

    def __init__(self, ffi: Any, lib: Any, g: Any):
        self.ffi, self.lib, self.g = ffi, lib, g

    def take(self, field: str, code: str, n: int) -> array:
        out = array(code)
        pointer = getattr(self.g, field)
        if n:
            out.frombytes(self.ffi.buffer(pointer, n * out.itemsize))
        self.lib.lc_drop(pointer)
        setattr(self.g, field, self.ffi.NULL)
        return out

    def widened(self, field: str, n: int) -> array:
        """A uint16 array of the search as int32: one pass into the graph's own array (the
        16-bit one and the 32-bit one side by side, never the 32-bit one twice)."""
        out = array("i", [0]) * n
        pointer = getattr(self.g, field)
        if n:
            np.frombuffer(out, dtype=np.int32)[:] = np.frombuffer(self.ffi.buffer(pointer, n * 2), dtype=np.uint16)
        self.lib.lc_drop(pointer)
        setattr(self.g, field, self.ffi.NULL)
        return out

    def keys(self, n: int, words: int) -> np.ndarray:
        data = np.frombuffer(self.ffi.buffer(self.g.keys, n * words * 8), dtype=np.uint64).copy() if n else \
            np.empty(0, dtype=np.uint64)
        self.lib.lc_drop(self.g.keys)
        self.g.keys = self.ffi.NULL
        return data.reshape(n, words)


def _graph(taker: _Taker, system: System, stop_reason: str, start: float) -> StateGraph:
    g = taker.g
    n, expanded, edges = int(g.states), int(g.expanded), int(g.edges)
    lay = layout(system)
    taker.lib.lc_drop(g.slots)  # the visited set first: it is not part of the graph
    g.slots = taker.ffi.NULL
    dst, cmd = taker.take("dst", "i", edges), taker.widened("cmd", edges)
    offsets = taker.take("offsets", "q", expanded + 1)
    parent, parent_cmd = taker.take("parent", "i", n), taker.take("parent_cmd", "i", n)
    keys = taker.keys(n, lay.words)
    return StateGraph(
        system=system,
        states=PackedStates(Program(system), lay, keys),
        parent=parent,
        parent_cmd=parent_cmd,
        offsets=offsets,
        dst=dst,
        cmd=cmd,
        expanded=expanded,
        complete=not stop_reason,
        stop_reason=stop_reason,
        seconds=time.perf_counter() - start,
    )
