"""The traced model as Z3 terms: state copies, guarded commands, action-instance indicators.

This is the only place where the modelling language (:mod:`leasecheck.model.lang`) meets Z3. A state is one
``Int`` constant per state variable (or, with ``bitvectors``, one bit-vector constant, for Z3's
SAT-based finite-domain solver: :meth:`Translator.solver`), holding the variable's value *index*,
named after the variable and a tag (``st[0]@3`` is ``st[0]`` at step 3). Expressions of the BOOL
domain become Z3 booleans, all others terms of the state's sort; a :class:`~leasecheck.model.lang.Map`
becomes a chain of ``If`` over its argument's values (a disjunction of equalities when its result
is boolean).

A command's formula is its guard over the pre-state, each update as an equation over the
post-state and, for every variable the command does not name, the frame condition "keeps its
value". A step of the interleaving semantics fires exactly one action instance; the indicator
``Fire(i)@k`` says which instance fired at step ``k``, so a model of a path says which action
fired with which parameters. No DHCP rule is written here: everything is read off the traced
commands of :class:`~leasecheck.model.lang.System`.

Every predicate, update and command is translated once, over formal constants, and each use
substitutes the state it is about; the bounded searches and proofs ask for the same commands over
many states, and substitution is done inside Z3.
"""

from __future__ import annotations

from collections.abc import Sequence

import z3

from leasecheck.checker.z3.solver import Solver, Timeout, state_solver
from leasecheck.checker.z3.terms import conj, disj
from leasecheck.errors import InternalError
from leasecheck.model.lang import BOOL, And, Const, Eq, Expr, GuardedCommand, Instance, Ite, Map, Not, Or, Read, System

State = tuple[z3.ArithRef, ...]


class Substitution:
    """Replace the constants ``src`` by the terms ``dst`` in formulas, with Z3's native
    ``Z3_substitute`` and argument arrays built once (the wrapper ``z3.substitute`` rebuilds and
    type-checks them on every call)."""

    def __init__(self, src: Sequence[z3.ExprRef], dst: Sequence[z3.ExprRef]):
        if len(src) != len(dst):
            raise ValueError("a substitution needs as many terms as constants")
        self._keep = (tuple(src), tuple(dst))  # the arrays point into these terms
        self._n = len(src)
        self._src, self._dst = (z3.Ast * self._n)(), (z3.Ast * self._n)()
        for i, (f, t) in enumerate(zip(src, dst, strict=True)):
            self._src[i], self._dst[i] = f.as_ast(), t.as_ast()

    def apply(self, formula: z3.ExprRef) -> z3.ExprRef:
        ctx = formula.ctx
        return z3.z3._to_expr_ref(z3.Z3_substitute(ctx.ref(), formula.as_ast(), self._n, self._src, self._dst), ctx)


class Translator:
    """Translate one traced :class:`System` and its predicates to Z3 terms."""

    def __init__(self, system: System, bitvectors: bool = False):
        self.system = system
        self.bitvectors = bitvectors
        self._width = max(1, max(len(v.domain) for v in system.variables).bit_length()) + 1
        self._by_instance: dict[int, list[GuardedCommand]] = {i.index: [] for i in system.instances}
        for cmd in system.commands:
            self._by_instance[cmd.instance].append(cmd)
        # predicates and updates are translated once, over these formal constants, then substituted
        self._formals = self.state("formal")
        self._predicates: dict[int, tuple[Expr, z3.BoolRef]] = {}
        self._updates: dict[int, dict[int, z3.ExprRef]] = {}
        self._nexts = self.state("formal'")
        self._renamings: dict[tuple[int, int], tuple[State, State | None, Substitution]] = {}
        self._relations: dict[int, z3.BoolRef] = {}
        self._range = z3.And([z3.And(x >= 0, x < len(v.domain)) if not bitvectors else z3.ULT(x, len(v.domain))
                              for x, v in zip(self._formals, system.variables, strict=True)])

    def solver(self, timeout: Timeout = None) -> Solver:
        """An incremental solver for formulas of this translator (:func:`.solver.state_solver`)."""
        return state_solver(self.bitvectors, timeout)

    # -- states -------------------------------------------------------------------------------

    def state(self, tag: object) -> State:
        """Fresh constants for every state variable, named ``<variable>@<tag>``."""
        if self.bitvectors:
            return tuple(z3.BitVec(f"{v.name}@{tag}", self._width) for v in self.system.variables)
        return tuple(z3.Int(f"{v.name}@{tag}") for v in self.system.variables)

    def num(self, value: int) -> z3.ExprRef:
        """A value index as a constant of the state variables' sort."""
        return z3.BitVecVal(value, self._width) if self.bitvectors else z3.IntVal(value)

    def in_range(self, xs: State) -> z3.BoolRef:
        """Every constant holds an index of its variable's domain."""
        return self._at(self._range, xs)  # type: ignore[return-value]

    def initial(self, xs: State) -> z3.BoolRef:
        return conj([x == i for x, i in zip(xs, self.system.initial, strict=True)])

    def equal(self, xs: State, ys: State) -> z3.BoolRef:
        return conj([x == y for x, y in zip(xs, ys, strict=True)])

    def is_state(self, xs: State, state: Sequence[int]) -> z3.BoolRef:
        return conj([x == i for x, i in zip(xs, state, strict=True)])

    def decode(self, model: z3.ModelRef, xs: State) -> tuple[int, ...]:
        """The concrete state (value indexes) a model gives the constants ``xs``."""
        return tuple(model.eval(x, model_completion=True).as_long() for x in xs)

    # -- expressions --------------------------------------------------------------------------

    def term(self, e: Expr, xs: State, memo: dict[int, z3.ExprRef] | None = None) -> z3.ExprRef:
        """``e`` over the state ``xs``: a Z3 boolean for BOOL expressions, an integer otherwise."""
        memo = {} if memo is None else memo
        key = id(e)
        if key in memo:
            return memo[key]
        out = self._term(e, xs, memo)
        memo[key] = out
        return out

    def _term(self, e: Expr, xs: State, memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        boolean = e.domain is BOOL
        if isinstance(e, Const):
            return z3.BoolVal(bool(e.index)) if boolean else self.num(e.index)
        if isinstance(e, Read):
            x = xs[e.var]
            return x == 1 if boolean else x
        if isinstance(e, Map):
            arg = self.term(e.arg, xs, memo)
            if e.arg.domain is BOOL:
                cases = [(arg, e.table[1]), (z3.Not(arg), e.table[0])]
            else:
                cases = [(arg == i, r) for i, r in enumerate(e.table)]
            if boolean:
                return z3.Or([c for c, r in cases if r == 1])
            if e.arg.domain is BOOL:
                return z3.If(arg, self.num(e.table[1]), self.num(e.table[0]))
            out: z3.ExprRef = self.num(e.table[-1])
            for i in range(len(e.table) - 2, -1, -1):
                if e.table[i] != e.table[-1]:
                    out = z3.If(arg == i, self.num(e.table[i]), out)
            return out
        if isinstance(e, Eq):
            return self.term(e.left, xs, memo) == self.term(e.right, xs, memo)
        if isinstance(e, Not):
            return z3.Not(self.term(e.arg, xs, memo))
        if isinstance(e, And):
            return z3.And([self.term(a, xs, memo) for a in e.args])
        if isinstance(e, Or):
            return z3.Or([self.term(a, xs, memo) for a in e.args])
        if isinstance(e, Ite):
            return z3.If(self.term(e.cond, xs, memo), self.term(e.then, xs, memo), self.term(e.orelse, xs, memo))
        raise TypeError(f"unknown expression node {type(e).__name__}")

    def holds(self, e: Expr, xs: State) -> z3.BoolRef:
        """A BOOL predicate of the model as a Z3 formula over ``xs``."""
        if e.domain is not BOOL:
            raise TypeError("holds() needs a boolean expression")
        if id(e) not in self._predicates:  # the expression is kept, so its id is never reused
            self._predicates[id(e)] = (e, self.term(e, self._formals))  # type: ignore[assignment]
        return self._at(self._predicates[id(e)][1], xs)  # type: ignore[return-value]

    def _at(self, formula: z3.ExprRef, xs: State, ys: State | None = None) -> z3.ExprRef:
        """A formula over the formal state (and the formal next state), over ``xs`` (and ``ys``)
        instead; the substitution for each pair of states is built once, since the same states
        are substituted into again and again."""
        if xs is self._formals and ys is None:
            return formula
        key = (id(xs), id(ys))
        entry = self._renamings.get(key)
        if entry is None or entry[0] is not xs or entry[1] is not ys:
            src, dst = self._formals, xs
            if ys is not None:
                src, dst = src + self._nexts, dst + ys
            entry = (xs, ys, Substitution(src, dst))  # keeping the states keeps their ids unique
            self._renamings[key] = entry
        return entry[2].apply(formula)

    def _value(self, e: Expr, xs: State, memo: dict[int, z3.ExprRef]) -> z3.ArithRef:
        """``e`` as a value index (BOOL expressions as 0/1), for assignments to variables."""
        t = self.term(e, xs, memo)
        return z3.If(t, self.num(1), self.num(0)) if e.domain is BOOL else t  # type: ignore[return-value]

    # -- commands and steps -------------------------------------------------------------------

    def guard(self, cmd: GuardedCommand, pre: State) -> z3.BoolRef:
        return self.holds(cmd.guard, pre)

    def successor(self, cmd: GuardedCommand, pre: State) -> State:
        """The state ``cmd`` leads to from ``pre`` (when its guard holds), as terms over ``pre``.

        A variable the command does not update is ``pre``'s own constant (the same object)."""
        if cmd.index not in self._updates:
            memo: dict[int, z3.ExprRef] = {}
            self._updates[cmd.index] = {v: self._value(e, self._formals, memo) for v, e in cmd.updates}
        updates = self._updates[cmd.index]
        return tuple(self._at(updates[v], pre) if v in updates else x for v, x in enumerate(pre))  # type: ignore[misc]

    def command(self, cmd: GuardedCommand, pre: State, post: State) -> z3.BoolRef:
        """``post`` is the successor of ``pre`` by ``cmd``: guard, updates and frame."""
        if cmd.index not in self._relations:
            after = self.successor(cmd, self._formals)
            self._relations[cmd.index] = z3.And([self.holds(cmd.guard, self._formals),
                                                 *(y == t for y, t in zip(self._nexts, after, strict=True))])
        return self._at(self._relations[cmd.index], pre, post)  # type: ignore[return-value]

    def commands_of(self, instance: Instance) -> list[GuardedCommand]:
        return self._by_instance[instance.index]

    def enabled(self, instance: Instance, xs: State) -> z3.BoolRef:
        """Some command of the instance has a true guard in ``xs``."""
        return disj([self.guard(c, xs) for c in self.commands_of(instance)])

    def deadlock(self, xs: State) -> z3.BoolRef:
        return z3.Not(disj([self.guard(c, xs) for c in self.system.commands]))

    def fire(self, tag: object) -> tuple[z3.BoolRef, ...]:
        """One indicator per action instance: ``Fire(i)@tag`` is true when it fires at the step."""
        return tuple(z3.Bool(f"{inst}@{tag}") for inst in self.system.instances)

    def step(self, pre: State, post: State, fire: Sequence[z3.BoolRef]) -> z3.BoolRef:
        """One interleaving step: exactly one instance fires, and one of its commands relates the states."""
        parts = [z3.PbEq([(f, 1) for f in fire], 1)]
        for inst, f in zip(self.system.instances, fire, strict=True):
            cmds = self.commands_of(inst)
            if not cmds:
                parts.append(z3.Not(f))
                continue
            parts.append(z3.Implies(f, disj([self.command(c, pre, post) for c in cmds])))
        return z3.And(parts)

    def fired(self, model: z3.ModelRef, fire: Sequence[z3.BoolRef]) -> Instance:
        """The instance a model says fired at a step."""
        for inst, f in zip(self.system.instances, fire, strict=True):
            if z3.is_true(model.eval(f, model_completion=True)):
                return inst
        raise InternalError("a model of a step fires no action instance")
