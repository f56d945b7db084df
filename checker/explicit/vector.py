"""Evaluating the traced expression language over numpy arrays: many states at once.

:class:`Program` turns the guards and updates of a system's guarded commands into one shared
table of expression nodes (structurally equal sub-expressions become one node), so that a test
such as ``to_srv[1] == None`` is computed once per batch of states however many guards use it.
Evaluation is elementwise over a matrix of states (one row per state, one column per variable,
value indexes as in :mod:`leasecheck.model.lang`): ``Map`` is ``table[arg]``, ``Eq``/``And``/``Or``/``Not``
compare and combine boolean arrays, ``Ite`` is ``np.where``.

:func:`successors` applies every guarded command to a batch of packed states: the guard becomes
a mask, the updates rewrite the fields of the packed keys that the command assigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leasecheck.checker.explicit.pack import Layout, unpack
from leasecheck.model.lang import BOOL, And, Const, Eq, Expr, Ite, Map, Not, Or, Read, System, conjuncts

Value = Any  # a numpy array over the batch, or a Python scalar that broadcasts


@dataclass(frozen=True)
class _Command:
    index: int
    guard: tuple[int, ...]  # node ids of the guard's conjuncts
    updates: tuple[tuple[int, int], ...]  # (variable, node id)


class Program:
    """The node table of a system's expressions, and the commands written over it."""

    def __init__(self, system: System):
        self.system = system
        self.nodes: list[tuple[Any, ...]] = []
        self._ids: dict[tuple[Any, ...], int] = {}
        self.tables: dict[int, np.ndarray] = {}
        self.commands = tuple(
            _Command(
                c.index,
                tuple(self.node(e) for e in conjuncts(c.guard)),
                tuple((v, self.node(e)) for v, e in c.updates),
            )
            for c in system.commands
        )

    def node(self, e: Expr) -> int:
        """The id of ``e``'s node, adding it (and its children) when new."""
        key: tuple[Any, ...]
        if isinstance(e, Const):
            key = ("const", e.domain is BOOL, e.index)
        elif isinstance(e, Read):
            key = ("read", e.var)
        elif isinstance(e, Map):
            key = ("map", self.node(e.arg), e.domain is BOOL, e.table)
        elif isinstance(e, Eq):
            key = ("eq", self.node(e.left), self.node(e.right))
        elif isinstance(e, Not):
            key = ("not", self.node(e.arg))
        elif isinstance(e, And):
            key = ("and", tuple(self.node(a) for a in e.args))
        elif isinstance(e, Or):
            key = ("or", tuple(self.node(a) for a in e.args))
        elif isinstance(e, Ite):
            key = ("ite", self.node(e.cond), self.node(e.then), self.node(e.orelse))
        else:
            raise TypeError(f"unknown expression node {type(e).__name__}")
        found = self._ids.get(key)
        if found is not None:
            return found
        self.nodes.append(key)
        self._ids[key] = len(self.nodes) - 1
        if isinstance(e, Map):  # the table as an array, for table[arg] gathers
            self.tables[len(self.nodes) - 1] = np.asarray(e.table, dtype=bool if e.domain is BOOL else np.int32)
        return len(self.nodes) - 1

    def evaluate(self, node: int, states: np.ndarray, memo: dict[int, Value]) -> Value:
        """The value of a node in every row of ``states`` (booleans as bool arrays)."""
        hit = memo.get(node)
        if hit is not None:
            return hit
        n = self.nodes[node]
        op = n[0]
        out: Value
        if op == "const":
            out = bool(n[2]) if n[1] else n[2]
        elif op == "read":
            out = states[:, n[1]]
        elif op == "map":
            arg = self.evaluate(n[1], states, memo)
            if isinstance(arg, np.ndarray) and arg.dtype == np.bool_:
                arg = arg.view(np.uint8)
            out = self.tables[node][arg]
        elif op == "eq":
            out = self.evaluate(n[1], states, memo) == self.evaluate(n[2], states, memo)
        elif op == "not":
            out = ~self.evaluate(n[1], states, memo)
        elif op == "and":
            out = self.evaluate(n[1][0], states, memo)
            for a in n[1][1:]:
                out = out & self.evaluate(a, states, memo)
        elif op == "or":
            out = self.evaluate(n[1][0], states, memo)
            for a in n[1][1:]:
                out = out | self.evaluate(a, states, memo)
        else:  # ite
            out = np.where(
                self.evaluate(n[1], states, memo),
                self.evaluate(n[2], states, memo),
                self.evaluate(n[3], states, memo),
            )
        memo[node] = out
        return out

    def predicate(self, e: Expr, states: np.ndarray) -> np.ndarray:
        """A boolean array: where the state predicate ``e`` holds, row by row."""
        value = self.evaluate(self.node(e), states, {})
        return np.broadcast_to(np.asarray(value, dtype=bool), (states.shape[0],)).copy()


@dataclass(frozen=True)
class Batch:
    """The successors of a batch of states: ``source`` row, ``command`` index, packed ``keys``."""

    source: np.ndarray
    command: np.ndarray
    keys: np.ndarray


def successors(program: Program, lay: Layout, keys: np.ndarray) -> Batch:
    """Every (state, command, successor) of the packed states ``keys``, command by command."""
    states = unpack(lay, keys)
    everyone = np.arange(keys.shape[0])
    memo: dict[int, Value] = {}
    sources: list[np.ndarray] = []
    commands: list[np.ndarray] = []
    new_keys: list[np.ndarray] = []
    for cmd in program.commands:
        if cmd.guard:
            mask = program.evaluate(cmd.guard[0], states, memo)
            for g in cmd.guard[1:]:
                mask = mask & program.evaluate(g, states, memo)
            rows = np.flatnonzero(mask)
        else:
            rows = everyone
        if rows.size == 0:
            continue
        out = keys[rows]
        if cmd.updates:
            sub = states[rows]
            sub_memo: dict[int, Value] = {}
            for var, node in cmd.updates:
                value = np.asarray(program.evaluate(node, sub, sub_memo)).astype(np.uint64)
                word, shift = lay.word[var], np.uint64(lay.shift[var])
                out[:, word] = (out[:, word] & ~np.uint64(lay.field_mask(var))) | (value << shift)
        sources.append(rows)
        commands.append(np.full(rows.size, cmd.index, dtype=np.int32))
        new_keys.append(out)
    if not sources:
        return Batch(np.empty(0, np.int64), np.empty(0, np.int32), np.empty((0, lay.words), np.uint64))
    return Batch(np.concatenate(sources), np.concatenate(commands), np.concatenate(new_keys))
