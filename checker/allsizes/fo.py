"""The model in first-order logic, for any number of clients and addresses.

The action bodies of a model are traced a second time, on a symbolic view (:class:`FoView`),
as the model's first-order side (:class:`~leasecheck.properties.firstorder.FirstOrder`: for DHCP,
:mod:`leasecheck.properties.dhcp_fo`) gives them: a parameter is a variable of one of its sorts
(DHCP's ``client`` and ``address``), and the
quantifier combinators of :mod:`leasecheck.model.lang` (``exists``, ``forall``, ``choose``,
``each``, ``first``) stay quantifiers instead of being unrolled. Nothing here writes a DHCP rule.

The state of one network, whatever its size, is a first-order structure:

- each array ``X`` indexed by a sort (``st``, ``to_cli``, ``db``, ...) has a *kind* function from
  its index sort into a finite enumerated sort: the constructor of the value (``OFFER``,
  ``BOUND``, ``none``, a client state, ...);
- a number a value carries (the address of ``OFFER(a)``, the client of ``BOUND(c)``) is a
  *field*: a function from the index sort when it points from clients to addresses, and a binary
  relation when it points back (``db.client(a, c)``), so that no function leads from one sort to
  the other and back (the queries stay in the effectively propositional fragment);
- a scalar (a budget counter) is a constant of an enumerated sort.

A :class:`Command` is one traced branch: its parameters, the variables it chooses existentially
(``ServeDiscover(c)`` offering *some* free address), its guard and its updates. :mod:`.fo_z3`
writes commands as Z3 formulas; :mod:`.fo_finite` evaluates them in one finite network, which is
how the tests compare them with the explicit engine. :func:`canonical` writes the traced model
as plain data, up to the names of variables, and :func:`fingerprint` is its digest (an all-sizes
certificate names the model it was proved against by it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import linecache
import re
import sys
import traceback
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from leasecheck.errors import LeasecheckError
from leasecheck.model.lang import BOOL, Const, Domain, Expr, Symbolic, TraceError, Variable
from leasecheck.properties.firstorder import FirstOrder

#: A budget that no run exhausts: ``deletes_left`` is always positive and never falls.
UNBOUNDED = float("inf")

_fresh = itertools.count()


# ---------------------------------------------------------------------------------------------
# Terms and formulas


class _Bool(Symbolic):
    """Operators shared by formulas: ``&``, ``|``, ``~``; never a Python truth value."""

    def __and__(self, other: object) -> Formula:
        return conj(self, as_formula(other))

    def __rand__(self, other: object) -> Formula:
        return conj(as_formula(other), self)

    def __or__(self, other: object) -> Formula:
        return disj(self, as_formula(other))

    def __ror__(self, other: object) -> Formula:
        return disj(as_formula(other), self)

    def __invert__(self) -> Formula:
        return neg(self)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        raise TraceError("a first-order condition was used where Python needs a plain truth value")

    @classmethod
    def symbolic_ite(cls, cond: object, then: object, orelse: object) -> Any:
        return fo_ite(cond, then, orelse)


class Formula(_Bool):
    """Base of formula nodes."""


class Term(_Bool):
    """Base of terms of the model's sorts (DHCP: ``client`` and ``address``).

    An index is an opaque value of its sort: it can be compared with another index or value of
    the same sort, used to index an array, and printed in a label; nothing else (no number, no
    order, no arithmetic), so that what a body does with it means the same in every network.
    """

    sort: str

    def __eq__(self, other: object) -> Formula:  # type: ignore[override]
        return value_eq(lift(self), lift(other))

    def __ne__(self, other: object) -> Formula:  # type: ignore[override]
        return neg(value_eq(lift(self), lift(other)))

    __hash__ = object.__hash__

    def _opaque(self, *_: object) -> Any:
        raise TraceError(f"an index of sort {self.sort} is an opaque value: no conversion to a number, "
                         "no order, no arithmetic")

    __lt__ = __le__ = __gt__ = __ge__ = _opaque
    __int__ = __index__ = __float__ = _opaque
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __mod__ = __floordiv__ = _opaque


@dataclass(frozen=True, eq=False)
class Var(Term):
    name: str
    sort: str

    def __str__(self) -> str:
        return self.name

    __hash__ = object.__hash__


@dataclass(frozen=True, eq=False)
class FieldFn(Term):
    """``X.f(i)``: the number a value of array ``X`` carries, a function of the index."""

    group: str
    name: str
    index: Term
    post: bool
    sort: str

    def __str__(self) -> str:
        return f"{self.group}.{self.name or 'value'}{chr(39) if self.post else ''}({self.index})"

    __hash__ = object.__hash__


@dataclass(frozen=True, eq=False)
class RelRef:
    """The number a value of array ``X`` carries when it is kept as a relation ``X.f(i, v)``."""

    group: str
    name: str
    index: Term
    post: bool
    sort: str


@dataclass(frozen=True, eq=False)
class BoolConst(Formula):
    value: bool


TRUE_F = BoolConst(True)
FALSE_F = BoolConst(False)


@dataclass(frozen=True, eq=False)
class Kind(Formula):
    """The value of ``X[index]`` (or of the scalar ``X`` when ``index`` is None) has constructor ``key``."""

    group: str
    index: Term | None
    key: tuple
    post: bool


@dataclass(frozen=True, eq=False)
class Rel(Formula):
    """``X.f(index, value)``: the value of ``X[index]`` carries ``value`` in its field ``f``."""

    group: str
    name: str
    index: Term
    value: Term
    post: bool


@dataclass(frozen=True, eq=False)
class Same(Formula):
    """Every symbol of ``X[index]`` (its kind, its field functions, its relations) is the same
    after the step as before. Only transitions use it, and only positively."""

    group: str
    index: Term | None


@dataclass(frozen=True, eq=False)
class EqT(Formula):
    left: Term
    right: Term


@dataclass(frozen=True, eq=False)
class Not(Formula):
    arg: Formula


@dataclass(frozen=True, eq=False)
class And(Formula):
    args: tuple[Formula, ...]


@dataclass(frozen=True, eq=False)
class Or(Formula):
    args: tuple[Formula, ...]


@dataclass(frozen=True, eq=False)
class Iff(Formula):
    left: Formula
    right: Formula


@dataclass(frozen=True, eq=False)
class Quant(Formula):
    """``forall`` or ``exists`` over variables (each of a sort)."""

    kind: str
    vars: tuple[Var, ...]
    body: Formula


def as_formula(x: object) -> Formula:
    if isinstance(x, bool):
        return TRUE_F if x else FALSE_F
    if isinstance(x, Formula):
        return x
    if isinstance(x, Const) and x.domain is BOOL:
        return TRUE_F if x.index else FALSE_F
    raise TraceError(f"expected a first-order condition, got {x!r}")


def conj(*args: object) -> Formula:
    flat: list[Formula] = []
    for raw in args:
        f = as_formula(raw)
        if f is FALSE_F or (isinstance(f, BoolConst) and not f.value):
            return FALSE_F
        if isinstance(f, BoolConst):
            continue
        flat.extend(f.args if isinstance(f, And) else (f,))
    if not flat:
        return TRUE_F
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def disj(*args: object) -> Formula:
    flat: list[Formula] = []
    for raw in args:
        f = as_formula(raw)
        if isinstance(f, BoolConst) and f.value:
            return TRUE_F
        if isinstance(f, BoolConst):
            continue
        flat.extend(f.args if isinstance(f, Or) else (f,))
    if not flat:
        return FALSE_F
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def neg(f: Formula) -> Formula:
    f = as_formula(f)
    if isinstance(f, BoolConst):
        return FALSE_F if f.value else TRUE_F
    if isinstance(f, Not):
        return f.arg
    return Not(f)


def implies(a: Formula, b: Formula) -> Formula:
    return disj(neg(a), b)


def quant(kind: str, vs: Sequence[Var], body: Formula) -> Formula:
    if not vs or isinstance(body, BoolConst):
        return body
    return Quant(kind, tuple(vs), body)


def fresh(sort: str, hint: str = "") -> Var:
    return Var(f"{hint or sort[0]}{next(_fresh)}", sort)


# ---------------------------------------------------------------------------------------------
# Values: which constructor, which numbers


Field = Term | RelRef


@dataclass(frozen=True, eq=False)
class Pattern:
    """A value with symbolic numbers: its constructor ``key`` and one term per field."""

    key: tuple
    fields: tuple[tuple[str, Field], ...]


@dataclass(frozen=True, eq=False)
class Case:
    """One possibility of a value: when ``cond`` holds for some values of ``bound``, ``pattern``."""

    cond: Formula
    bound: tuple[Var, ...]
    pattern: Pattern


def field_sorts(value: object) -> dict[str, str]:
    """The fields of a dataclass value that hold an id, and the sort of each: the model declares
    them with :func:`leasecheck.model.lang.names_sort`."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return {}
    return {f.name: f.metadata["sort"] for f in dataclasses.fields(value) if "sort" in f.metadata}


def key_of(value: object) -> tuple[tuple, tuple[tuple[str, Any], ...]]:
    """A finite or symbolic value split into its constructor key and its numbered fields (those
    the model declares to hold ids, :func:`field_sorts`)."""
    if value is None:
        return ("none",), ()
    if isinstance(value, Term | RelRef):
        return ("index", value.sort), (("", value),)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain, numbered = [], []
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if "sort" in f.metadata:
                numbered.append((f.name, v))
            else:
                plain.append((f.name, v))
        if numbered:
            return ("ctor", type(value).__name__, tuple(plain)), tuple(numbered)
    return ("atom", value), ()


@dataclass(frozen=True, eq=False)
class FoValue(Symbolic):
    """A value of a state variable or an expression over them: a list of guarded patterns."""

    cases: tuple[Case, ...]
    #: the constructor keys the value may have (None: not known), to refuse what no network has
    keys: frozenset[tuple] | None = None
    #: a plain value written in the body (``None``, ``V.BOUND``, ``OFFER(a)``), not a read
    literal: bool = False

    def __eq__(self, other: object) -> Formula:  # type: ignore[override]
        return value_eq(self, lift(other))

    def __ne__(self, other: object) -> Formula:  # type: ignore[override]
        return neg(value_eq(self, lift(other)))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TraceError("a first-order value was used where Python needs a plain truth value")

    def isin(self, values: Sequence[Hashable]) -> Formula:
        return disj(*(value_eq(self, lift(v)) for v in values))

    @property
    def domain(self) -> FoDomain:
        """The value's domain as a body may see it (to map into: ``e.map(fn, e.domain)``)."""
        if self.keys is None:
            raise TraceError("this first-order value has no known domain")
        return FoDomain("the same domain", self.keys)

    def map(self, fn: Callable[[Any], Hashable], result: Any) -> Any:
        """Apply ``fn`` to each possible value, its numbers symbolic; a boolean result is a formula."""
        if result is BOOL:
            return disj(*(quant("exists", c.bound, conj(c.cond, as_formula(fn(python_value(c.pattern)))))
                          for c in self.cases))
        keys = result.keys if isinstance(result, FoDomain) else None
        out: list[Case] = []
        for c in self.cases:
            image = lift(fn(python_value(c.pattern)))
            if keys is not None:
                _require_keys(image, keys, f"a value of {result.name}")
            for d in image.cases:
                out.append(Case(conj(c.cond, d.cond), c.bound + d.bound, d.pattern))
        return FoValue(tuple(out), keys)

    @classmethod
    def symbolic_ite(cls, cond: object, then: object, orelse: object) -> Any:
        return fo_ite(cond, then, orelse)


_SAMPLES: dict[tuple, Any] = {}


def python_value(p: Pattern) -> Any:
    """The pattern as the model's own value type, its numbers left symbolic."""
    kind = p.key[0]
    fields = dict(p.fields)
    if kind == "none":
        return None
    if kind == "atom":
        return p.key[1]
    if kind == "index":
        return fields[""]
    sample = _SAMPLES[p.key]
    return dataclasses.replace(sample, **fields)


def lift(x: object) -> FoValue:
    """Anything a body may compare or assign, as a :class:`FoValue`."""
    if isinstance(x, FoValue):
        return x
    if isinstance(x, Formula):
        raise TraceError("a condition is not a value of a state variable")
    if isinstance(x, Term | RelRef):
        return FoValue((Case(TRUE_F, (), Pattern(("index", x.sort), (("", x),))),), frozenset({("index", x.sort)}))
    if isinstance(x, Const):
        x = x.domain.values[x.index]
    elif isinstance(x, Expr):
        raise TraceError("a finite expression reached a first-order trace")
    key, numbered = key_of(x)
    if key[0] == "ctor":
        _SAMPLES.setdefault(key, x)
        for _name, v in numbered:
            if not isinstance(v, Term | RelRef):
                raise TraceError(f"a first-order trace met the concrete number {v!r} in {x}")
    return FoValue((Case(TRUE_F, (), Pattern(key, tuple(numbered))),), frozenset({key}), literal=True)


def _shown(key: tuple) -> str:
    if key[0] == "atom":
        return repr(key[1])
    if key[0] == "index":
        return f"an index of sort {key[1]}"
    if key[0] == "none":
        return "None"
    return f"a {key[1]}"


def _require_keys(value: FoValue, keys: frozenset[tuple], what: str) -> None:
    """Refuse a value that may have a constructor outside ``keys``: a number where an index of a
    sort is meant folds to a constant in a finite trace, and means nothing in every network."""
    if value.keys is None:
        return
    extra = sorted(value.keys - keys, key=repr)
    if extra:
        opaque = " (an index is an opaque value of its sort: it is never a number)" if any(
            k[0] == "index" for k in keys) else ""
        raise TraceError(f"{_shown(extra[0])} is not {what}{opaque}")


def field_eq(a: Field, b: Field) -> Formula:
    if isinstance(a, RelRef) and isinstance(b, RelRef):
        v = fresh(a.sort)
        return quant("exists", (v,), conj(Rel(a.group, a.name, a.index, v, a.post), Rel(b.group, b.name, b.index, v, b.post)))
    if isinstance(a, RelRef):
        a, b = b, a
    if isinstance(b, RelRef):
        assert isinstance(a, Term)
        return Rel(b.group, b.name, b.index, a, b.post)
    assert isinstance(a, Term) and isinstance(b, Term)
    if a.sort != b.sort:
        raise TraceError(f"cannot compare a {a.sort} with a {b.sort}")
    if a is b:
        return TRUE_F
    return EqT(a, b)


def pattern_eq(p: Pattern, q: Pattern) -> Formula:
    if p.key != q.key:
        return FALSE_F
    qf = dict(q.fields)
    return conj(*(field_eq(v, qf[name]) for name, v in p.fields))


def value_eq(x: FoValue, y: FoValue) -> Formula:
    for lit, other in ((x, y), (y, x)):
        if lit.literal and other.keys is not None:
            _require_keys(lit, other.keys, f"a value of {_shown(sorted(other.keys, key=repr)[0])}"
                          if len(other.keys) == 1 else "a value the other side can take")
    if x.keys is not None and y.keys is not None and not x.keys & y.keys:
        raise TraceError(f"cannot compare {_shown(sorted(x.keys, key=repr)[0])} with {_shown(sorted(y.keys, key=repr)[0])}")
    out = []
    for a in x.cases:
        for b in y.cases:
            same = pattern_eq(a.pattern, b.pattern)
            if same is FALSE_F:
                continue
            out.append(quant("exists", a.bound + b.bound, conj(a.cond, b.cond, same)))
    return disj(*out)


def fo_ite(cond: object, then: object, orelse: object) -> Any:
    c = as_formula(cond)
    if isinstance(then, Formula | bool) and isinstance(orelse, Formula | bool):
        return disj(conj(c, then), conj(neg(c), orelse))
    t, e = lift(then), lift(orelse)
    if t.keys is not None and e.keys is not None and t.literal != e.literal:
        _require_keys(t if t.literal else e, e.keys if t.literal else t.keys, "a value the other branch can take")
    cases = tuple(Case(conj(c, k.cond), k.bound, k.pattern) for k in t.cases)
    cases += tuple(Case(conj(neg(c), k.cond), k.bound, k.pattern) for k in e.cases)
    keys = None if t.keys is None or e.keys is None else t.keys | e.keys
    return FoValue(cases, keys)


# ---------------------------------------------------------------------------------------------
# The shape of the state


@dataclass(frozen=True)
class Group:
    """One array (or scalar) of the model: its index sort, its constructors and their fields."""

    name: str
    index: str | None
    keys: tuple[tuple, ...]
    #: field name -> (sort, "function" or "relation")
    fields: tuple[tuple[str, str, str], ...]
    #: constructor key -> the field names it carries
    carries: tuple[tuple[tuple, tuple[str, ...]], ...]
    initial: tuple
    domain: Domain

    def field(self, name: str) -> tuple[str, str]:
        for n, sort, how in self.fields:
            if n == name:
                return sort, how
        raise KeyError(name)

    def fields_of(self, key: tuple) -> tuple[str, ...]:
        return dict(self.carries)[key]


def _group_of(side: FirstOrder, name: str, vs: list[Variable], budget_unbounded: bool) -> Group:
    index = side.index_sorts.get(name) if vs[0].key is not None else None
    if vs[0].key is not None and index is None:
        raise TraceError(f"the array {name} has no index sort in the model's first-order side")
    domain = vs[0].domain
    if any(v.initial != vs[0].initial for v in vs):
        raise TraceError(f"the cells of {name} start with different values")
    values: list[Any] = list(domain.values)
    initial = vs[0].initial
    if index is None and budget_unbounded and name in side.budgets:
        values, initial = [UNBOUNDED], UNBOUNDED
    keys: dict[tuple, tuple[str, ...]] = {}
    fields: dict[str, str] = {}
    for v in values:
        numbered: tuple[tuple[str, str], ...]
        if isinstance(v, int) and not isinstance(v, bool) and name in side.bare_number_sorts:
            key, numbered = ("index", side.bare_number_sorts[name]), (("", side.bare_number_sorts[name]),)
        else:
            key, raw = key_of(v)
            if key[0] == "ctor":
                _SAMPLES.setdefault(key, v)
            sorts = field_sorts(v)
            numbered = tuple((n, sorts[n]) for n, _ in raw)
        keys[key] = tuple(n for n, _ in numbered)
        for n, sort in numbered:
            fields[n] = sort
    init_key = key_of(initial)[0]
    if init_key not in keys or keys[init_key]:
        raise TraceError(f"the initial value of {name} must be a constant without numbers")
    out_fields = []
    for n, sort in fields.items():
        if index is None:
            raise TraceError(f"the scalar {name} carries a number")
        how = "function" if side.sorts.index(index) < side.sorts.index(sort) else "relation"
        out_fields.append((n, sort, how))
    return Group(name, index, tuple(keys), tuple(out_fields), tuple(keys.items()), init_key, domain)


def read(g: Group, index: Term | None, post: bool = False) -> FoValue:
    """The value of ``g[index]`` in the pre-state (or the post-state), as cases over its kind."""
    cases = []
    for key in g.keys:
        fields: list[tuple[str, Field]] = []
        for n in g.fields_of(key):
            sort, how = g.field(n)
            assert index is not None
            f: Field = FieldFn(g.name, n, index, post, sort) if how == "function" else RelRef(g.name, n, index, post, sort)
            fields.append((n, f))
        cases.append(Case(Kind(g.name, index, key, post), (), Pattern(key, tuple(fields))))
    return FoValue(tuple(cases), frozenset(g.keys))


# ---------------------------------------------------------------------------------------------
# The symbolic view


@dataclass
class _Ctx:
    guard: list[Formula]
    updates: dict[tuple[str, int], Update]
    label: str
    parent: _Ctx | None
    bound: tuple[Var, ...] = ()
    children: list[_Ctx] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Update:
    """``group[index] := value``; ``index`` is None for a scalar; ``every`` marks ``for i in each(...)``."""

    group: str
    index: Term | None
    value: FoValue
    every: bool


class FoArray(Symbolic):
    def __init__(self, view: FoView, group: Group):
        self._view = view
        self.group = group

    def __getitem__(self, index: object) -> FoValue:
        return read(self.group, self._view._index(self.group, index))

    def __setitem__(self, index: object, value: object) -> None:
        self._view._write(self.group, self._view._index(self.group, index), value)

    def symbolic_exists(self, fn: Callable[[Any], object]) -> Formula:
        assert self.group.index is not None
        v = fresh(self.group.index)
        return quant("exists", (v,), as_formula(fn(v)))

    def symbolic_forall(self, fn: Callable[[Any], object]) -> Formula:
        assert self.group.index is not None
        v = fresh(self.group.index)
        return quant("forall", (v,), as_formula(fn(v)))

    def symbolic_choose(self) -> Iterator[Var]:
        assert self.group.index is not None
        v = fresh(self.group.index)
        self._view._choices.append((v, self._view._current))
        try:
            yield v
        finally:
            self._view._choices.pop()

    def symbolic_each(self) -> Iterator[Var]:
        assert self.group.index is not None
        v = fresh(self.group.index)
        self._view._every.append(v)
        try:
            yield v
        finally:
            self._view._every.pop()

    def symbolic_first(self, cond: Callable[[Any], object], default: object) -> FoValue:
        """*Some* index where ``cond`` holds, else ``default``: the first such index exactly when at
        most one index satisfies ``cond``, which becomes an obligation of every proof (:attr:`FoSystem.obligations`)."""
        assert self.group.index is not None
        if not self._view._writable:
            raise TraceError("first() is for action bodies; a predicate says the same with exists()")
        w, u = fresh(self.group.index), fresh(self.group.index)
        some = Case(as_formula(cond(w)), (w,), Pattern(("index", w.sort), (("", w),)))
        none = quant("exists", (u,), as_formula(cond(u)))
        d = lift(default)
        _require_keys(d, frozenset({("none",), ("index", w.sort)}), f"a default of first() over {self.group.name}")
        rest = tuple(Case(conj(neg(none), k.cond), k.bound, k.pattern) for k in d.cases)
        w1, w2 = fresh(self.group.index), fresh(self.group.index)
        unique = implies(conj(as_formula(cond(w1)), as_formula(cond(w2))), EqT(w1, w2))
        free = [v for v in free_vars(unique) if v is not w1 and v is not w2]
        self._view._obligations.append(Obligation(self._view.where(), quant("forall", (*free, w1, w2), unique)))
        return FoValue((some, *rest), None if d.keys is None else d.keys | {("index", w.sort)})


@dataclass(frozen=True, eq=False)
class Obligation:
    """What a proof must show of every reachable state for the first-order model to be the model:
    here, that a ``first()`` at ``where`` has at most one index to choose from."""

    where: str
    formula: Formula


def free_vars(f: object) -> list[Var]:
    """The variables ``f`` leaves free, in the order met."""
    out: dict[int, Var] = {}

    def walk(x: object, bound: frozenset[int]) -> None:
        if isinstance(x, Var):
            if id(x) not in bound:
                out.setdefault(id(x), x)
        elif isinstance(x, FieldFn | RelRef):
            walk(x.index, bound)
        elif isinstance(x, Kind | Same):
            if x.index is not None:
                walk(x.index, bound)
        elif isinstance(x, Rel):
            walk(x.index, bound)
            walk(x.value, bound)
        elif isinstance(x, EqT):
            walk(x.left, bound)
            walk(x.right, bound)
        elif isinstance(x, Not):
            walk(x.arg, bound)
        elif isinstance(x, And | Or):
            for a in x.args:
                walk(a, bound)
        elif isinstance(x, Iff):
            walk(x.left, bound)
            walk(x.right, bound)
        elif isinstance(x, Quant):
            walk(x.body, bound | {id(v) for v in x.vars})

    walk(f, frozenset())
    return list(out.values())


class FoDomain:
    """A domain as a first-order trace shows it to an action body: something to map into and to
    take a constant of, nothing more (its values, and so its size, depend on the network)."""

    def __init__(self, name: str, keys: frozenset[tuple]):
        self.name = name
        self.keys = keys

    def const(self, value: object) -> FoValue:
        v = lift(value)
        _require_keys(v, self.keys, f"a value of {self.name}")
        return v

    def __getattr__(self, name: str) -> Any:
        raise TraceError(f"an action body may not read {name!r} of the domain {self.name}: its values depend on "
                         "the network's size")

    def _sized(self, *_: object) -> Any:
        raise TraceError(f"an action body may not count or list the values of {self.name}: they depend on the "
                         "network's size")

    __len__ = __iter__ = __contains__ = _sized


class SealedConfig:
    """The configuration as an action body sees it in a first-order trace: what the model's
    first-order side makes ``visible`` (DHCP: how the server and the clients behave), never the
    number of ids (the model is for every network), nor the budgets (a budget is a state
    variable, and may be unbounded)."""

    def __init__(self, cfg: Any, visible: tuple[str, ...]):
        object.__setattr__(self, "_cfg", cfg)
        object.__setattr__(self, "_visible", visible)

    def __getattr__(self, name: str) -> Any:
        visible = object.__getattribute__(self, "_visible")
        if name in visible:
            return getattr(object.__getattribute__(self, "_cfg"), name)
        raise TraceError(f"an action body may not read the configuration's {name!r}: the first-order model is for "
                         f"every network and budget (it may read {', '.join(visible)})")

    def __setattr__(self, name: str, value: object) -> None:
        raise TraceError("an action body may not change its configuration")


class FoView:
    """What an action body sees in a first-order trace: the same interface as ``StateView``."""

    def __init__(self, groups: dict[str, Group], writable: bool = True, model_file: str = ""):
        object.__setattr__(self, "_groups", groups)
        object.__setattr__(self, "_writable", writable)
        object.__setattr__(self, "_model_file", model_file)
        object.__setattr__(self, "_obligations", [])
        object.__setattr__(self, "_root", _Ctx([], {}, "", None))
        object.__setattr__(self, "_current", self._root)
        object.__setattr__(self, "_choices", [])
        object.__setattr__(self, "_every", [])

    def __getattr__(self, name: str) -> Any:
        groups = object.__getattribute__(self, "_groups")
        if name not in groups:
            raise TraceError(f"the model has no state variable {name!r}")
        g = groups[name]
        return FoArray(self, g) if g.index is not None else read(g, None)

    def __setattr__(self, name: str, value: object) -> None:
        g = self._groups.get(name)
        if g is None:
            raise TraceError(f"the model has no state variable {name!r}")
        if g.index is not None:
            raise TraceError(f"{name} is an array: assign to {name}[i]")
        self._write(g, None, value)

    def _index(self, g: Group, index: object) -> Term:
        if not isinstance(index, Term) or index.sort != g.index:
            raise TraceError(f"{g.name} is indexed by a {g.index}, not by {index!r}")
        return index

    def where(self) -> str:
        """The line of the model that is running (the innermost frame in the model's file)."""
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self._model_file:
                return source_line(frame.f_code.co_filename, frame.f_lineno)
            frame = frame.f_back  # type: ignore[assignment]
        return "an unknown line"

    def _check_choice_scope(self) -> None:
        for _, opened_in in self._choices:
            if opened_in is self._current:
                raise TraceError("an index from choose() is used outside a branch opened in its loop")

    def _write(self, g: Group, index: Term | None, value: object) -> None:
        if not self._writable:
            raise TraceError("this view is read-only (a property predicate cannot assign)")
        self._check_choice_scope()
        every = bool(self._every) and index is self._every[-1]
        written = lift(value)
        _require_keys(written, frozenset(g.keys), f"a value of {g.name}")
        slot = (g.name, id(index))
        ctx: _Ctx | None = self._current
        while ctx is not None:
            if slot in ctx.updates or any(u.group == g.name and u.every for u in ctx.updates.values()):
                raise TraceError(f"{g.name} is assigned twice in one action")
            ctx = ctx.parent
        self._current.updates[slot] = Update(g.name, index, written, every)

    def require(self, *conds: object) -> None:
        self._check_choice_scope()
        for c in conds:
            self._current.guard.append(as_formula(c))

    @contextmanager
    def case(self, cond: object, label: str = "") -> Iterator[None]:
        taken: set[int] = set()
        ctx2: _Ctx | None = self._current
        while ctx2 is not None:
            taken |= {id(v) for v in ctx2.bound}
            ctx2 = ctx2.parent
        bound = tuple(v for v, _ in self._choices if id(v) not in taken)
        ctx = _Ctx([as_formula(cond)], {}, label, self._current, bound)
        self._current.children.append(ctx)
        object.__setattr__(self, "_current", ctx)
        try:
            yield
        finally:
            object.__setattr__(self, "_current", ctx.parent)

    def leaves(self) -> Iterator[tuple[Formula, tuple[Var, ...], tuple[Update, ...], str]]:
        def walk(ctx: _Ctx, guard: list[Formula], bound: tuple[Var, ...], ups: dict, labels: list[str]) -> Iterator:
            g = guard + ctx.guard
            b = bound + ctx.bound
            u = {**ups, **ctx.updates}
            lab = labels + ([ctx.label] if ctx.label else [])
            if not ctx.children:
                yield conj(*g), b, tuple(u.values()), ": ".join(lab)
            for child in ctx.children:
                yield from walk(child, g, b, u, lab)

        yield from walk(self._root, [], (), {}, [])


# ---------------------------------------------------------------------------------------------
# The first-order system


@dataclass(frozen=True, eq=False)
class Command:
    """One traced branch of an action: ``exists bound. guard and updates``, parameters free."""

    action: str
    params: tuple[Var, ...]
    label: str
    bound: tuple[Var, ...]
    guard: Formula
    updates: tuple[Update, ...]
    fair: bool


@dataclass(frozen=True, eq=False)
class ActionInfo:
    name: str
    params: tuple[str, ...]
    fair: bool
    actor: str


@dataclass(frozen=True, eq=False)
class FoSystem:
    """The model of one configuration (DHCP: one variant and budget), for every number of ids of
    each sort; ``side``: the model's first-order side it was traced from."""

    side: FirstOrder
    cfg: Any
    unbounded: bool
    groups: dict[str, Group]
    actions: tuple[ActionInfo, ...]
    commands: tuple[Command, ...]
    #: what the initial state satisfies besides the model's initial values (a ghost's assumption)
    assumptions: tuple[Formula, ...] = ()
    #: what every reachable state must satisfy for these commands to be the model's (each ``first()``
    #: of an action that has a command: at most one index to choose from); a proof discharges them
    obligations: tuple[Obligation, ...] = ()

    def view(self) -> FoView:
        """A read-only view for predicates (``holding(s, c)`` with ``c`` a variable)."""
        return FoView(self.groups, writable=False)

    def commands_of(self, action: str) -> tuple[Command, ...]:
        return tuple(c for c in self.commands if c.action == action)

    @property
    def sorts(self) -> tuple[str, ...]:
        """The model's sorts of ids, in order."""
        return self.side.sorts

    def invariant(self, name: str) -> Formula:
        """The model's invariant ``name`` as a first-order formula over every network: its
        condition over one variable per bound name, quantified universally."""
        p = self.side.invariant(name)
        vs = tuple(Var(n, sort) for n, sort in p.bound)
        return quant("forall", vs, as_formula(p.condition(self.view(), *vs)))

    @property
    def participant(self) -> Var:
        """The one arbitrary id a recovery proof speaks of (DHCP: the client ``c0``)."""
        if self.side.recovery is None:
            raise TraceError("the model's first-order side offers no recovery property")
        return Var(*self.side.recovery.participant)

    def goal(self) -> Formula:
        """The recovery's goal of :attr:`participant` as a first-order formula."""
        assert self.side.recovery is not None
        return as_formula(self.side.recovery.goal(self.view(), self.participant))


def first_order_system(side: FirstOrder, cfg: Any, unbounded: bool = False,
                       template: tuple[int, ...] | None = None) -> FoSystem:
    """Trace the model of ``cfg`` symbolically, as its first-order ``side`` gives it (its sizes are not used:
    for DHCP, the model of ``cfg``'s variant and budgets).

    With ``unbounded``, every budget counter is :data:`UNBOUNDED`: a run may spend any number of
    deletes, losses and reboots, so its runs include those of every finite budget.

    The bodies see what the language allows and nothing else: indexes as opaque :class:`Var`
    terms, domains as :class:`FoDomain`, the configuration as :class:`SealedConfig`. Anything else a
    body does is refused with the line that does it. ``template`` is the network whose variables
    give the shape of the state (the constructors of each array's values), the same in every
    network of at least one id of each sort (default: one of each).
    """
    shape = side.sized(cfg, template or (1,) * len(side.sorts))
    variables, _ = side.actions(shape)
    by_group: dict[str, list[Variable]] = {}
    for v in variables:
        by_group.setdefault(v.group, []).append(v)
    groups = {name: _group_of(side, name, vs, unbounded) for name, vs in by_group.items()}
    model_file = _code_of(side.actions).co_filename
    sealed = [dataclasses.replace(v, domain=FoDomain(v.domain.name, frozenset(groups[v.group].keys)))  # type: ignore[arg-type]
              for v in variables]
    _, actions = _traced(model_file, "the model's actions", side.actions, SealedConfig(cfg, side.visible), sealed)
    commands: list[Command] = []
    infos: list[ActionInfo] = []
    obligations: list[Obligation] = []
    for action in actions:
        infos.append(ActionInfo(action.name, action.params, action.fair, action.actor))
        params = tuple(Var(f"{kind[0]}_{action.name}", kind) for kind in action.params)
        view = FoView(groups, model_file=model_file)
        _traced(model_file, f"action {action.name}", action.body, view, *params)
        kept = 0
        for guard, bound, updates, label in view.leaves():
            if isinstance(guard, BoolConst) and not guard.value:
                continue
            commands.append(Command(action.name, params, label, bound, guard, updates, action.fair))
            kept += 1
        if kept:
            obligations += view._obligations
    return FoSystem(side, cfg, unbounded, groups, tuple(infos), tuple(commands), obligations=tuple(obligations))


def _code_of(fn: Any) -> Any:
    """The code of the model's function (through ``functools.partial``): whose file is the model's."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn.__code__


def source_line(filename: str, lineno: int) -> str:
    """``dhcp.py line 391: return first(...)``: a line of the model, as an error names it."""
    text = linecache.getline(filename, lineno).strip()
    name = filename.rsplit("/", 1)[-1]
    return f"{name} line {lineno}" + (f": {text}" if text else "")


def _traced(model_file: str, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, every mistake it makes in the model refused as a :class:`TraceError` that names
    the model's line: the innermost frame in the model's file."""
    try:
        return fn(*args)
    except LeasecheckError as exc:
        if not isinstance(exc, TraceError):
            raise
        error: Exception = exc
    except Exception as exc:  # noqa: BLE001 - whatever a body does that the trace does not offer
        error = exc
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == model_file]
    at = f" (at {source_line(model_file, frames[-1].lineno or 0)})" if frames else ""
    detail = str(error) if isinstance(error, TraceError) else f"{type(error).__name__}: {error}"
    raise TraceError(f"the first-order trace of {what} refuses: {detail}{at}") from None


# ---------------------------------------------------------------------------------------------
# Transition and initial formulas


def post_pattern(g: Group, index: Term | None, p: Pattern) -> Formula:
    """The post-state value of ``g[index]`` is ``p`` (its relations exactly the pattern's numbers)."""
    parts: list[Formula] = [Kind(g.name, index, p.key, True)]
    given = dict(p.fields)
    for n, sort, how in g.fields:
        if how == "function":
            if n in given:
                v = given[n]
                if not isinstance(v, Term):
                    raise TraceError(f"{g.name}.{n} cannot take a number kept as a relation")
                parts.append(EqT(FieldFn(g.name, n, index, True, sort), v))  # type: ignore[arg-type]
            continue
        z = fresh(sort)
        assert index is not None
        target = field_eq(given[n], z) if n in given else FALSE_F
        parts.append(quant("forall", (z,), Iff(Rel(g.name, n, index, z, True), target)))
    return conj(*parts)


def post_is(g: Group, index: Term | None, v: FoValue) -> Formula:
    return disj(*(quant("exists", c.bound, conj(c.cond, post_pattern(g, index, c.pattern))) for c in v.cases))


def _unchanged(g: Group, index: Term | None) -> Formula:
    """The cell keeps its value (and the numbers its kind does not carry, which nothing reads)."""
    return Same(g.name, index)


def command_formula(fs: FoSystem, cmd: Command) -> Formula:
    """``exists bound. guard and post-state``; the command's parameters stay free."""
    parts: list[Formula] = [cmd.guard]
    by_group: dict[str, list[Update]] = {}
    for u in cmd.updates:
        by_group.setdefault(u.group, []).append(u)
    for g in fs.groups.values():
        ups = by_group.get(g.name, [])
        if g.index is None:
            parts.append(post_is(g, None, ups[0].value) if ups else _unchanged(g, None))
            continue
        every = [u for u in ups if u.every]
        if every:
            u = every[0]
            assert isinstance(u.index, Var)
            parts.append(quant("forall", (u.index,), post_is(g, u.index, u.value)))
            continue
        y = fresh(g.index)
        for u in ups:
            parts.append(post_is(g, u.index, u.value))
        others = conj(*(neg(EqT(y, u.index)) for u in ups if u.index is not None))
        parts.append(quant("forall", (y,), implies(others, _unchanged(g, y))))
    return quant("exists", cmd.bound, conj(*parts))


def initial_formula(fs: FoSystem) -> Formula:
    parts: list[Formula] = []
    for g in fs.groups.values():
        if g.index is None:
            parts.append(Kind(g.name, None, g.initial, False))
            continue
        y = fresh(g.index)
        cell: list[Formula] = [Kind(g.name, y, g.initial, False)]
        for n, sort, how in g.fields:
            if how == "relation":
                z = fresh(sort)
                cell.append(quant("forall", (z,), neg(Rel(g.name, n, y, z, False))))
        parts.append(quant("forall", (y,), conj(*cell)))
    return conj(*parts, *fs.assumptions)


def well_formed(fs: FoSystem, post: bool = False) -> Formula:
    """What every state satisfies: a relation field holds one number at most, and only when the
    constructor carries the field."""
    parts: list[Formula] = []
    for g in fs.groups.values():
        for n, sort, how in g.fields:
            if how != "relation":
                continue
            assert g.index is not None
            i, z1, z2 = fresh(g.index), fresh(sort), fresh(sort)
            r1, r2 = Rel(g.name, n, i, z1, post), Rel(g.name, n, i, z2, post)
            carriers = [k for k in g.keys if n in g.fields_of(k)]
            parts.append(quant("forall", (i, z1, z2), implies(conj(r1, r2), EqT(z1, z2))))
            parts.append(quant("forall", (i, z1), implies(r1, disj(*(Kind(g.name, i, k, post) for k in carriers)))))
    return conj(*parts)


def rename_post(f: Formula) -> Formula:
    """The same formula over the post-state."""
    return _map_state(f, True)


def _map_state(f: Any, post: bool) -> Any:
    if isinstance(f, Kind):
        return Kind(f.group, _map_state(f.index, post) if f.index is not None else None, f.key, post)
    if isinstance(f, Rel):
        return Rel(f.group, f.name, _map_state(f.index, post), _map_state(f.value, post), post)
    if isinstance(f, FieldFn):
        return FieldFn(f.group, f.name, _map_state(f.index, post), post, f.sort)
    if isinstance(f, EqT):
        return EqT(_map_state(f.left, post), _map_state(f.right, post))
    if isinstance(f, Not):
        return Not(_map_state(f.arg, post))
    if isinstance(f, And):
        return And(tuple(_map_state(a, post) for a in f.args))
    if isinstance(f, Or):
        return Or(tuple(_map_state(a, post) for a in f.args))
    if isinstance(f, Iff):
        return Iff(_map_state(f.left, post), _map_state(f.right, post))
    if isinstance(f, Quant):
        return Quant(f.kind, f.vars, _map_state(f.body, post))
    return f


# ---------------------------------------------------------------------------------------------
# The traced model as plain data


class _Canon:
    """A command written out with its variables numbered in the order they are met."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.by_name: dict[str, str] = {}

    def var(self, v: Var) -> str:
        if id(v) not in self.names:
            self.names[id(v)] = f"{v.sort}#{len(self.names)}"
            self.by_name[v.name] = self.names[id(v)]
        return self.names[id(v)]

    def term(self, t: object) -> object:
        if isinstance(t, Var):
            return self.var(t)
        if isinstance(t, FieldFn | RelRef):
            return (type(t).__name__, t.group, t.name, self.term(t.index), t.post, t.sort)
        if t is None:
            return None
        raise TypeError(t)

    def formula(self, f: object) -> object:
        if isinstance(f, BoolConst):
            return f.value
        if isinstance(f, Kind):
            return ("kind", f.group, self.term(f.index), f.key, f.post)
        if isinstance(f, Rel):
            return ("rel", f.group, f.name, self.term(f.index), self.term(f.value), f.post)
        if isinstance(f, Same):
            return ("same", f.group, self.term(f.index))
        if isinstance(f, EqT):
            return ("=", self.term(f.left), self.term(f.right))
        if isinstance(f, Not):
            return ("not", self.formula(f.arg))
        if isinstance(f, Iff):
            return ("iff", self.formula(f.left), self.formula(f.right))
        if isinstance(f, Quant):
            return (f.kind, tuple(self.var(v) for v in f.vars), self.formula(f.body))
        if hasattr(f, "args"):
            return (type(f).__name__, tuple(self.formula(a) for a in f.args))  # type: ignore[attr-defined]
        raise TypeError(f)

    def value(self, v: FoValue) -> object:
        return tuple(self.case(c) for c in v.cases)

    def case(self, c: Case) -> object:
        return (tuple(self.var(b) for b in c.bound), self.formula(c.cond), c.pattern.key,
                tuple((n, self.term(t)) for n, t in c.pattern.fields))

    def label(self, text: str) -> str:
        return re.sub(r"[A-Za-z_]\w*", lambda m: self.by_name.get(m.group(0), m.group(0)), text)


def canonical(fs: FoSystem) -> list[object]:
    """The traced model as plain data, the same for two traces exactly when they differ only in
    the names of variables."""
    out: list[object] = [tuple((g.name, g.index, g.keys, g.fields, g.carries, g.initial) for g in fs.groups.values())]
    for cmd in fs.commands:
        k = _Canon()
        body = (cmd.action, tuple(k.var(p) for p in cmd.params), tuple(k.var(b) for b in cmd.bound),
                k.formula(cmd.guard),
                tuple((u.group, k.term(u.index), u.every, k.value(u.value)) for u in cmd.updates), cmd.fair)
        out.append((body, k.label(cmd.label)))
    for ob in fs.obligations:
        out.append(("obligation", ob.where, _Canon().formula(ob.formula)))
    return out


def fingerprint(fs: FoSystem) -> str:
    """``sha256:`` and the digest of :func:`canonical`'s text, the line numbers of the model left
    out (a line moved in ``model/dhcp.py`` is the same model; a rule changed is another)."""
    text = re.sub(r" line \d+", "", repr(canonical(fs)))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Budgets: what a command of the reading for every budget spends and reads


def budget_counters(fs: FoSystem) -> frozenset[str]:
    """The budget counters of a reading for every budget (``unbounded``): the scalars the model's
    first-order side names as budgets, each made :data:`UNBOUNDED` by :func:`first_order_system`;
    none in a reading of fixed budgets."""
    if not fs.unbounded:
        return frozenset()
    return frozenset(g.name for g in fs.groups.values() if g.index is None and g.name in fs.side.budgets)


def budgets_spent(fs: FoSystem, cmd: Command) -> frozenset[str]:
    """The budget counters ``cmd`` writes: a step of it spends one of each (DHCP: ``AdminDelete``
    spends a delete, ``LoseToServer`` a loss, ``Reboot`` a reboot)."""
    counters = budget_counters(fs)
    return frozenset(u.group for u in cmd.updates if u.index is None and u.group in counters)


def budgets_read(fs: FoSystem, cmd: Command) -> frozenset[str]:
    """The budget counters ``cmd``'s guard or the values it writes read (a counter's kind, or its
    frame), found in the command's plain data."""
    counters = budget_counters(fs)
    k = _Canon()
    data = (k.formula(cmd.guard), tuple(k.value(u.value) for u in cmd.updates))
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, tuple):
            if len(x) >= 3 and x[0] in ("kind", "same") and x[1] in counters and x[2] is None:
                out.add(str(x[1]))
            for y in x:
                walk(y)

    walk(data)
    return frozenset(out)


def disturbances(fs: FoSystem) -> tuple[Command, ...]:
    """The commands that spend a budget: in a run of any finite budget each happens finitely often
    (the counter it spends is a number that no step raises), so a ranking for every budget may
    let them raise the level (docs/allsizes.md, "Recovery for every budget")."""
    return tuple(c for c in fs.commands if budgets_spent(fs, c))
