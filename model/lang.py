"""The small modelling language: finite domains, traced expressions, guarded commands.

A transition system is a list of state variables, each over a finite :class:`Domain`, and a list
of actions. An action body is ordinary-looking Python over a :class:`StateView`
(``s.st[c] == "BOUND"``, ``s.db[a] = Bound(c)``); it is *traced* once per parameter value into
one or more :class:`GuardedCommand` objects, whose guards and updates are expression trees of the
seven node kinds below. Every engine (the scalar interpreter, the compiled explorer, the
vectorised explorer, the Z3 translation) reads those trees and nothing else.

Expression nodes (all over domain *indexes*, never raw values):

* :class:`Const` a value of a domain;
* :class:`Read` the current value of a state variable;
* :class:`Map` a total function of one argument, given as a table over the argument's domain;
* :class:`Eq`, :class:`Not`, :class:`And`, :class:`Or` booleans;
* :class:`Ite` if-then-else.

Branching on a traced value with a Python ``if`` raises :class:`TraceError`: use :func:`ite`,
:meth:`StateView.case` or two actions instead.

Quantifier combinators range over the indexes of an array, so that a body never names the number
of clients or addresses: :func:`exists` and :func:`forall` (a condition over every index),
:func:`choose` (one branch per index: ``for a in choose(s.db): with s.case(...)``), :func:`each`
(an update of every index) and :func:`first` (the first index where a condition holds, or a
default). Finite tracing unrolls them over the indexes. A symbolic tracing of the same bodies
(a first-order reading, ``checker/allsizes/fo.py``) hands the bodies a view whose arrays are
:class:`Symbolic` and keeps each combinator as a quantifier over a sort instead.

What a body may see is a rule of the language (docs/model.md section 3.4): the state view, its
indexes as opaque values of their sort (no number, no order, no comparison with a literal), the
configuration's behaviour but not its sizes or budgets, domains but not their values. The
first-order trace enforces it and refuses anything else with the line that does it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from leasecheck.errors import UserError


class ModelError(UserError):
    """A mistake in how a model is written (not a user's input error)."""


class TraceError(ModelError):
    """An action body did something tracing cannot represent."""


@dataclass(frozen=True, eq=False)
class Domain:
    """A finite, ordered set of hashable values; expressions and states carry value indexes."""

    name: str
    values: tuple[Hashable, ...]
    _index: dict[Hashable, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {v: i for i, v in enumerate(self.values)}
        if len(index) != len(self.values):
            raise ModelError(f"domain {self.name} lists a value twice")
        if not self.values:
            raise ModelError(f"domain {self.name} is empty")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Domain({self.name}, {len(self.values)} values)"

    def index(self, value: Hashable) -> int:
        try:
            return self._index[value]
        except (KeyError, TypeError):
            raise ModelError(f"{value!r} is not a value of domain {self.name}") from None

    def __contains__(self, value: object) -> bool:
        try:
            return value in self._index
        except TypeError:
            return False

    def const(self, value: Hashable) -> Const:
        return Const(self, self.index(value))


BOOL = Domain("bool", (False, True))


class Symbolic:
    """Base of the values a symbolic tracing hands an action body in place of expressions.

    The combinators below and :func:`ite` pass a call on to the symbolic value's class when one
    of their arguments is symbolic, so one body serves both tracings.
    """

    @classmethod
    def symbolic_ite(cls, cond: object, then: object, orelse: object) -> Any:
        raise NotImplementedError

    def symbolic_exists(self, fn: Callable[[Any], object]) -> Any:
        raise NotImplementedError

    def symbolic_forall(self, fn: Callable[[Any], object]) -> Any:
        raise NotImplementedError

    def symbolic_choose(self) -> Iterator[Any]:
        raise NotImplementedError

    def symbolic_each(self) -> Iterator[Any]:
        raise NotImplementedError

    def symbolic_first(self, cond: Callable[[Any], object], default: object) -> Any:
        raise NotImplementedError


def _as_expr(value: object, domain: Domain) -> Expr:
    if isinstance(value, Expr):
        if value.domain is not domain:
            raise TraceError(f"expected a value of domain {domain.name}, got one of {value.domain.name}")
        return value
    return domain.const(value)  # type: ignore[arg-type]


def _as_bool(value: object) -> Expr:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, Expr) and value.domain is BOOL:
        return value
    raise TraceError(f"expected a boolean condition, got {value!r}")


@dataclass(frozen=True, eq=False)
class Expr:
    """Base of all expression nodes. ``==``, ``!=``, ``&``, ``|``, ``~`` build new nodes."""

    domain: Domain

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return eq(self, _as_expr(other, self.domain))

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return not_(eq(self, _as_expr(other, self.domain)))

    __hash__ = object.__hash__

    def __and__(self, other: object) -> Expr:
        if isinstance(other, Symbolic):
            return NotImplemented
        return and_(self, _as_bool(other))

    def __rand__(self, other: object) -> Expr:
        if isinstance(other, Symbolic):
            return NotImplemented
        return and_(_as_bool(other), self)

    def __or__(self, other: object) -> Expr:
        if isinstance(other, Symbolic):
            return NotImplemented
        return or_(self, _as_bool(other))

    def __ror__(self, other: object) -> Expr:
        if isinstance(other, Symbolic):
            return NotImplemented
        return or_(_as_bool(other), self)

    def __invert__(self) -> Expr:
        return not_(self)

    def __bool__(self) -> bool:
        raise TraceError(
            "a traced value was used where Python needs a plain truth value (an `if`, `and`, "
            "`or`, `not` or `in`); use ite(), & | ~, StateView.case(), or split the action"
        )

    def isin(self, values: Iterable[Hashable]) -> Expr:
        """True when the value is one of ``values``."""
        wanted = {self.domain.index(v) for v in values}
        return self.map(lambda v: self.domain.index(v) in wanted, BOOL)

    def map(self, fn: Callable[[Any], Hashable], result: Domain) -> Expr:
        """Apply a Python function pointwise: a table over this expression's domain."""
        table = tuple(result.index(fn(v)) for v in self.domain.values)
        return map_(self, table, result)


@dataclass(frozen=True, eq=False)
class Const(Expr):
    index: int


@dataclass(frozen=True, eq=False)
class Read(Expr):
    var: int


@dataclass(frozen=True, eq=False)
class Map(Expr):
    arg: Expr
    table: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Eq(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Not(Expr):
    arg: Expr


@dataclass(frozen=True, eq=False)
class And(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Or(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Ite(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


TRUE = Const(BOOL, 1)
FALSE = Const(BOOL, 0)


def is_true(e: Expr) -> bool:
    return isinstance(e, Const) and e.domain is BOOL and e.index == 1


def is_false(e: Expr) -> bool:
    return isinstance(e, Const) and e.domain is BOOL and e.index == 0


def _same(a: Expr, b: Expr) -> bool:
    """Structural identity for the cheap cases the simplifier needs."""
    if a is b:
        return True
    if isinstance(a, Const) and isinstance(b, Const):
        return a.domain is b.domain and a.index == b.index
    if isinstance(a, Read) and isinstance(b, Read):
        return a.var == b.var
    return False


def eq(a: Expr, b: Expr) -> Expr:
    if a.domain is not b.domain:
        raise TraceError(f"cannot compare a {a.domain.name} with a {b.domain.name}")
    if isinstance(a, Const) and isinstance(b, Const):
        return TRUE if a.index == b.index else FALSE
    if _same(a, b):
        return TRUE
    if isinstance(a, Const):
        a, b = b, a
    if a.domain is BOOL and isinstance(b, Const):
        return a if b.index == 1 else not_(a)
    if isinstance(b, Const) and isinstance(a, Map):
        # f(x) == k  becomes  x in f^-1(k): keeps guards as tests on variables
        wanted = {i for i, r in enumerate(a.table) if r == b.index}
        return map_(a.arg, tuple(int(i in wanted) for i in range(len(a.table))), BOOL)
    return Eq(BOOL, a, b)


def not_(a: Expr) -> Expr:
    a = _as_bool(a)
    if isinstance(a, Const):
        return FALSE if a.index else TRUE
    if isinstance(a, Not):
        return a.arg
    if isinstance(a, Map) and a.domain is BOOL:
        return Map(BOOL, a.arg, tuple(1 - r for r in a.table))
    return Not(BOOL, a)


def and_(*args: object) -> Expr:
    flat: list[Expr] = []
    for raw in args:
        x = _as_bool(raw)
        if is_false(x):
            return FALSE
        if is_true(x):
            continue
        flat.extend(x.args if isinstance(x, And) else (x,))
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(BOOL, tuple(flat))


def or_(*args: object) -> Expr:
    flat: list[Expr] = []
    for raw in args:
        x = _as_bool(raw)
        if is_true(x):
            return TRUE
        if is_false(x):
            continue
        flat.extend(x.args if isinstance(x, Or) else (x,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(BOOL, tuple(flat))


def all_(items: Iterable[object]) -> Expr:
    return and_(*items)


def any_(items: Iterable[object]) -> Expr:
    return or_(*items)


def ite(cond: object, then: object, orelse: object) -> Expr:
    """``then`` where ``cond`` holds, else ``orelse``; both branches share one domain."""
    for x in (cond, then, orelse):
        if isinstance(x, Symbolic):
            return type(x).symbolic_ite(cond, then, orelse)  # type: ignore[no-any-return]
    c = _as_bool(cond)
    if isinstance(then, Expr):
        dom = then.domain
    elif isinstance(orelse, Expr):
        dom = orelse.domain
    else:
        raise TraceError("ite() needs at least one traced branch to know its domain; use a Const")
    t, e = _as_expr(then, dom), _as_expr(orelse, dom)
    if is_true(c):
        return t
    if is_false(c):
        return e
    if _same(t, e):
        return t
    return Ite(dom, c, t, e)


def map_(arg: Expr, table: tuple[int, ...], result: Domain) -> Expr:
    if len(table) != len(arg.domain):
        raise TraceError("a map table must give one result per value of its argument's domain")
    if isinstance(arg, Const):
        return Const(result, table[arg.index])
    if len(set(table)) == 1:
        return Const(result, table[0])
    if isinstance(arg, Map):  # fuse f(g(x)) into one table
        return map_(arg.arg, tuple(table[r] for r in arg.table), result)
    return Map(result, arg, table)


def conjuncts(e: Expr) -> tuple[Expr, ...]:
    if is_true(e):
        return ()
    return e.args if isinstance(e, And) else (e,)


def structure(e: Expr) -> tuple:
    """A hashable key equal for two expressions exactly when they are the same tree."""
    if isinstance(e, Const):
        return ("c", e.domain.name, len(e.domain), e.index)
    if isinstance(e, Read):
        return ("r", e.var)
    if isinstance(e, Map):
        return ("m", e.table, structure(e.arg))
    if isinstance(e, Eq):
        return ("=", structure(e.left), structure(e.right))
    if isinstance(e, Not):
        return ("!", structure(e.arg))
    if isinstance(e, And | Or):
        return ("&" if isinstance(e, And) else "|", *(structure(a) for a in e.args))
    if isinstance(e, Ite):
        return ("?", structure(e.cond), structure(e.then), structure(e.orelse))
    raise TypeError(f"unknown expression node {type(e).__name__}")


def reads(e: Expr) -> set[int]:
    """The state variables an expression reads."""
    out: set[int] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Read):
            out.add(x.var)
        elif isinstance(x, Map | Not):
            stack.append(x.arg)
        elif isinstance(x, Eq):
            stack.extend((x.left, x.right))
        elif isinstance(x, And | Or):
            stack.extend(x.args)
        elif isinstance(x, Ite):
            stack.extend((x.cond, x.then, x.orelse))
    return out


# ---------------------------------------------------------------------------------------------
# Variables and the system


@dataclass(frozen=True)
class Variable:
    """One state variable. ``group``/``key`` let renderers show arrays (``st[0]``)."""

    name: str
    domain: Domain
    initial: Hashable
    group: str
    key: int | None


def render_value(value: object) -> object:
    """A JSON-friendly form of a domain value: None, int and str stay; other values (messages,
    lease entries) become their ``str``."""
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


@dataclass(frozen=True)
class Sort:
    """A set of interchangeable ids (``0 .. size-1``) that the model declares: renaming them maps
    behaviours to behaviours.

    ``indexes``: the variable groups with one variable per id (``st[c]``), in the order a
    symmetry reduction lays out its key; ``valued``: the groups whose values are ids of the sort
    (or None). Values that mention ids inside them (a message carrying an address) say so with
    :func:`names_sort` on their dataclass fields. An action parameter of kind ``name`` is an id of
    the sort.
    """

    name: str
    size: int
    indexes: tuple[str, ...]
    valued: tuple[str, ...] = ()
    #: the name of several ids, in words ("" for the name and an s)
    plural_name: str = ""

    @property
    def plural(self) -> str:
        return self.plural_name or f"{self.name}s"


def names_sort(sort: str) -> Any:
    """A dataclass field (of a domain value) that holds an id of ``sort``."""
    return field(metadata={"sort": sort})


def mentions(value: Hashable, sort: str) -> tuple[int, ...]:
    """The ids of ``sort`` that a dataclass value holds in its :func:`names_sort` fields."""
    if not dataclasses.is_dataclass(value):
        return ()
    return tuple(getattr(value, f.name) for f in dataclasses.fields(value) if f.metadata.get("sort") == sort)


def rename(value: Hashable, sort: str, perm: Sequence[int]) -> Hashable:
    """``value`` with the ids of ``sort`` in its :func:`names_sort` fields renamed by ``perm``
    (id ``i`` becomes ``perm[i]``); other values unchanged."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes = {f.name: perm[getattr(value, f.name)] for f in dataclasses.fields(value) if f.metadata.get("sort") == sort}
    return dataclasses.replace(value, **changes) if changes else value


@dataclass(frozen=True)
class Action:
    """A parameterised action: one instance per parameter tuple, traced into commands.

    ``params`` names the parameter ranges (keys of :attr:`System.ranges`, e.g. ``"client"``).
    ``fair`` means every instance is weakly fair. ``actor`` says who takes it (``client``,
    ``server``, ``admin``, ``network``), for reports and charts.
    """

    name: str
    params: tuple[str, ...]
    body: Callable[..., None]
    fair: bool
    actor: str


@dataclass(frozen=True)
class GuardedCommand:
    """One traced branch of one action instance: when ``guard`` holds, apply ``updates``."""

    index: int
    action: str
    params: tuple[int, ...]
    instance: int
    label: str
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]


@dataclass(frozen=True)
class Instance:
    """An action applied to concrete parameters: the unit that fairness speaks of."""

    index: int
    action: str
    params: tuple[int, ...]
    fair: bool
    actor: str

    def __str__(self) -> str:
        return f"{self.action}({', '.join(map(str, self.params))})"


@dataclass(frozen=True, eq=False)
class System:
    """A traced transition system: variables, one initial state, guarded commands."""

    name: str
    variables: tuple[Variable, ...]
    initial: tuple[int, ...]
    commands: tuple[GuardedCommand, ...]
    instances: tuple[Instance, ...]
    actions: tuple[Action, ...]
    #: the sorts of interchangeable ids the model declares (symmetry reduction reads them)
    sorts: tuple[Sort, ...] = ()

    def sort(self, name: str) -> Sort:
        for s in self.sorts:
            if s.name == name:
                return s
        raise ModelError(f"the model declares no sort {name!r}")

    def var_index(self, name: str) -> int:
        for i, v in enumerate(self.variables):
            if v.name == name:
                return i
        raise KeyError(name)

    def decode(self, state: Sequence[int]) -> dict[str, Any]:
        """A state as {group: value or [values]}, with domain values (not indexes)."""
        out: dict[str, Any] = {}
        for v, i in zip(self.variables, state, strict=True):
            value = v.domain.values[i]
            if v.key is None:
                out[v.group] = value
            else:
                out.setdefault(v.group, []).append(value)
        return out

    def encode(self, values: dict[str, Any]) -> tuple[int, ...]:
        """Inverse of :meth:`decode`; raises ModelError naming what does not fit."""
        out = []
        for v in self.variables:
            if v.group not in values:
                raise ModelError(f"the state has no variable {v.group!r}")
            raw = values[v.group]
            if v.key is not None:
                if not isinstance(raw, list) or v.key >= len(raw):
                    raise ModelError(f"variable {v.group!r} needs a list with an entry for {v.key}")
                raw = raw[v.key]
            out.append(v.domain.index(raw))
        return tuple(out)

    def instance_of(self, action: str, params: Sequence[int]) -> Instance:
        for inst in self.instances:
            if inst.action == action and inst.params == tuple(params):
                return inst
        raise ModelError(f"the model has no action {action}({', '.join(map(str, params))})")


# ---------------------------------------------------------------------------------------------
# Tracing


class _ArrayView:
    def __init__(self, tracer: StateView, group: str, indexes: dict[int, int]):
        self._tracer = tracer
        self._group = group
        self._indexes = indexes

    def _var(self, key: int) -> int:
        try:
            return self._indexes[key]
        except (KeyError, TypeError):
            raise TraceError(f"{self._group}[{key!r}] is not a variable of the model") from None

    def __getitem__(self, key: int) -> Expr:
        return self._tracer._read(self._var(key))

    def __setitem__(self, key: int, value: object) -> None:
        self._tracer._write(self._var(key), value)

    def __len__(self) -> int:
        return len(self._indexes)

    def indexes(self) -> tuple[int, ...]:
        """The array's indexes, in order."""
        return tuple(sorted(self._indexes))


def _indexes(over: object, what: str) -> tuple[int, ...]:
    if isinstance(over, _ArrayView):
        return over.indexes()
    raise TraceError(f"{what} ranges over the indexes of an array of the state (s.db, s.st), not {over!r}")


def exists(over: Any, fn: Callable[[Any], object]) -> Expr:
    """True when ``fn(i)`` holds for some index ``i`` of the array ``over``."""
    if isinstance(over, Symbolic):
        return over.symbolic_exists(fn)  # type: ignore[no-any-return]
    return any_(fn(i) for i in _indexes(over, "exists"))


def forall(over: Any, fn: Callable[[Any], object]) -> Expr:
    """True when ``fn(i)`` holds for every index ``i`` of the array ``over``."""
    if isinstance(over, Symbolic):
        return over.symbolic_forall(fn)  # type: ignore[no-any-return]
    return all_(fn(i) for i in _indexes(over, "forall"))


def choose(over: Any) -> Iterator[Any]:
    """The indexes of ``over``, for one branch each (``for a in choose(s.db): with s.case(...)``).

    The branches opened inside the loop are one nondeterministic choice of an index: symbolic
    tracing keeps them as one branch under an existential quantifier. Every use of the index
    must lie inside a branch opened in the loop.
    """
    if isinstance(over, Symbolic):
        return over.symbolic_choose()
    return iter(_indexes(over, "choose"))


def each(over: Any) -> Iterator[Any]:
    """The indexes of ``over``, for an update of every one (``for c in each(s.st): s.mem[c] = ...``)."""
    if isinstance(over, Symbolic):
        return over.symbolic_each()
    return iter(_indexes(over, "each"))


def first(over: Any, cond: Callable[[Any], object], default: Expr) -> Expr:
    """The first index of ``over`` where ``cond`` holds, else ``default`` (a value of the same domain).

    Symbolic tracing reads it as *some* index where ``cond`` holds: the two agree where at most
    one index satisfies ``cond``, which the model's callers must ensure; the first-order trace
    records it as an obligation that every proof for all sizes discharges (docs/model.md 3.4).
    """
    if isinstance(over, Symbolic):
        return over.symbolic_first(cond, default)  # type: ignore[no-any-return]
    out = default
    for i in reversed(_indexes(over, "first")):
        out = ite(cond(i), i, out)
    return out


@dataclass
class _Context:
    guard: list[Expr]
    updates: dict[int, Expr]
    label: str
    parent: _Context | None
    children: list[_Context] = field(default_factory=list)


class StateView:
    """What an action body sees: reads give expressions over the pre-state, writes record updates.

    Arrays are reached by their group name (``s.st[c]``), scalars by name (``s.deletes_left``).
    ``s.require(cond)`` adds to the guard. ``with s.case(cond, label):`` opens a branch: every
    leaf branch becomes its own guarded command of the same action instance (nondeterministic
    choice, or rules tried in order when their conditions exclude each other).
    With ``writable=False`` the view only reads (for property predicates).
    """

    def __init__(self, variables: Sequence[Variable], writable: bool = True):
        object.__setattr__(self, "_variables", tuple(variables))
        object.__setattr__(self, "_writable", writable)
        groups: dict[str, Any] = {}
        arrays: dict[str, dict[int, int]] = {}
        for i, v in enumerate(variables):
            if v.key is None:
                groups[v.group] = i
            else:
                arrays.setdefault(v.group, {})[v.key] = i
        for g, idx in arrays.items():
            groups[g] = _ArrayView(self, g, idx)
        object.__setattr__(self, "_groups", groups)
        object.__setattr__(self, "_root", _Context([], {}, "", None))
        object.__setattr__(self, "_current", self._root)

    def __getattr__(self, name: str) -> Any:
        groups = object.__getattribute__(self, "_groups")
        if name not in groups:
            raise TraceError(f"the model has no state variable {name!r}")
        g = groups[name]
        return g if isinstance(g, _ArrayView) else self._read(g)

    def __setattr__(self, name: str, value: object) -> None:
        g = self._groups.get(name)
        if g is None:
            raise TraceError(f"the model has no state variable {name!r}")
        if isinstance(g, _ArrayView):
            raise TraceError(f"{name} is an array: assign to {name}[i]")
        self._write(g, value)

    def _read(self, var: int) -> Expr:
        return Read(self._variables[var].domain, var)

    def _write(self, var: int, value: object) -> None:
        if not self._writable:
            raise TraceError("this view is read-only (a property predicate cannot assign)")
        v = self._variables[var]
        expr = _as_expr(value, v.domain)
        ctx: _Context | None = self._current
        while ctx is not None:
            if var in ctx.updates:
                raise TraceError(f"{v.name} is assigned twice in one action")
            ctx = ctx.parent
        self._current.updates[var] = expr

    def require(self, *conds: object) -> None:
        """Conjoin conditions to the guard of the current branch."""
        for c in conds:
            self._current.guard.append(_as_bool(c))

    @contextmanager
    def case(self, cond: object, label: str = "") -> Iterator[None]:
        """A branch of the action: its own guard conjunct, its own updates."""
        ctx = _Context([_as_bool(cond)], {}, label, self._current)
        self._current.children.append(ctx)
        object.__setattr__(self, "_current", ctx)
        try:
            yield
        finally:
            object.__setattr__(self, "_current", ctx.parent)

    def _leaves(self) -> Iterator[tuple[Expr, dict[int, Expr], str]]:
        def walk(ctx: _Context, guard: list[Expr], updates: dict[int, Expr], labels: list[str]) -> Iterator[tuple[Expr, dict[int, Expr], str]]:
            g = guard + ctx.guard
            u = {**updates, **ctx.updates}
            lab = labels + ([ctx.label] if ctx.label else [])
            if not ctx.children:
                yield and_(*g), u, ": ".join(lab)
            for child in ctx.children:
                yield from walk(child, g, u, lab)

        yield from walk(self._root, [], {}, [])


def trace_action(
    action: Action, params: tuple[int, ...], variables: Sequence[Variable]
) -> list[tuple[Expr, tuple[tuple[int, Expr], ...], str]]:
    """Run an action body once on a tracing view; return its branches (guard, updates, label)."""
    view = StateView(variables)
    action.body(view, *params)
    out = []
    for guard, updates, label in view._leaves():
        if is_false(guard):
            continue
        ups = tuple(
            sorted((v, e) for v, e in updates.items() if not (isinstance(e, Read) and e.var == v))
        )
        out.append((guard, ups, label))
    return out


def build_system(
    name: str,
    variables: Sequence[Variable],
    actions: Sequence[Action],
    ranges: Mapping[str, Sequence[int]],
    sorts: Sequence[Sort] = (),
) -> System:
    """Trace every action for every parameter tuple into a :class:`System` (``sorts``: the
    interchangeable ids the model declares)."""
    commands: list[GuardedCommand] = []
    instances: list[Instance] = []
    for action in actions:
        for kind in action.params:
            if kind not in ranges:
                raise ModelError(f"action {action.name} takes a {kind!r}, which has no range")
        for params in itertools.product(*(ranges[k] for k in action.params)):
            inst = Instance(len(instances), action.name, tuple(params), action.fair, action.actor)
            instances.append(inst)
            for guard, updates, label in trace_action(action, tuple(params), variables):
                commands.append(
                    GuardedCommand(len(commands), action.name, tuple(params), inst.index, label, guard, updates)
                )
    initial = tuple(v.domain.index(v.initial) for v in variables)
    return System(name, tuple(variables), initial, tuple(commands), tuple(instances), tuple(actions), tuple(sorts))


def predicate(variables: Sequence[Variable], fn: Callable[[StateView], object]) -> Expr:
    """Trace a state predicate (for properties) on a read-only view."""
    return _as_bool(fn(StateView(variables, writable=False)))
