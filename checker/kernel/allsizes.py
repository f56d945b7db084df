"""All-sizes certificates checked: a proof for every number of clients and addresses, over the
uninterpreted sorts ``client`` and ``address`` (docs/certificates.md, "All-sizes certificates"),
or of another model's sorts.

The header names the configuration, the property, the proof rule and the fingerprint of the
first-order model it was proved against, and the model's family when it is not DHCP
(:mod:`leasecheck.properties.families`: the family's first-order side gives the model, the
properties and their statements). The kernel traces that model again from the
configuration (:mod:`leasecheck.checker.allsizes.fo`, trusted like :mod:`leasecheck.model.lang`),
refuses a fingerprint that differs, and takes from the file only the proof's definitions, each
built here from the reader's nodes over the model's symbols. It writes every obligation of the
rule itself, checks that each is in the decidable fragment (its sort graph, Skolem functions
included, has no cycle) before any solver sees it, and asks Z3 and cvc5. Rules: ``invariant``
(``Inv``) for the model's invariants (DHCP: ``single_binding`` and ``no_duplicate_address``);
``ranking`` (``Inv``, ``Level1`` ..) for its recovery (DHCP: ``recovery`` of one arbitrary client
``c0``, over the model with the ghost map
(:mod:`leasecheck.checker.allsizes.ghost`, for A >= C)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

import leasecheck.checker.allsizes.fo as fo
from leasecheck.checker.allsizes.fo_z3 import Vocabulary, key_label
from leasecheck.checker.allsizes.ghost import with_ghost
from leasecheck.checker.allsizes.recovery import goal
from leasecheck.checker.kernel.fixed import SolverAnswer, cvc5_answer, cvc5_answers, header_value
from leasecheck.checker.kernel.reader import Atom, Expr, Node, NotACertificate, read, show, strict_json
from leasecheck.checker.kernel.terms import RESERVED, node_array, node_expr, sort_ids, symbol
from leasecheck.errors import UserError, quoted
from leasecheck.properties.families import DEFAULT_FAMILY, FAMILIES
from leasecheck.properties.firstorder import FirstOrder
from leasecheck.properties.model import ModelFamily

FORMAT, KIND = 2, "all-sizes"
KEYS = {"format", "kind", "config", "any_budget", "property", "rule", "model"}


def rules(side: FirstOrder) -> dict[str, str]:
    """Each property's proof rule: an invariant, or a ranking for recovery (DHCP: of c0's helpful
    actions, for A >= C)."""
    out = {p.name: "invariant" for p in side.invariants}
    return {**out, side.recovery.name: "ranking"} if side.recovery is not None else out


#: how many conjuncts of the invariant one consecution obligation shows after the step
GROUP = 6


@dataclass(frozen=True)
class AllSizesHeader:
    """What an all-sizes certificate claims: ``property`` of ``config`` (DHCP: its variant and
    budgets, every budget with ``any_budget``) for every number of ids of each sort, by ``rule``,
    proved against the first-order model whose fingerprint is ``model``; ``family``: the name of
    the model's family in :data:`~leasecheck.properties.families.FAMILIES`, "" for the default
    one (DHCP, which a header names by leaving the family out)."""

    config: Any
    any_budget: bool
    property: str
    rule: str
    model: str
    #: the model's first-order side (its family's)
    side: FirstOrder
    #: for the ranking rule, the helpful action of ``c0`` at each level, lowest first
    levels: tuple[str, ...] = ()
    family: str = ""
    client = None

    def as_json(self) -> str:
        from leasecheck.checker.kernel.fixed import json_dumps

        doc = {"format": FORMAT, "kind": KIND, "config": {k: getattr(self.config, k) for k in self.side.recorded},
               "any_budget": self.any_budget, "property": self.property, "rule": self.rule, "model": self.model}
        doc = {**doc, "family": self.family} if self.family else doc
        return json_dumps({**doc, "levels": list(self.levels)} if self.rule == "ranking" else doc)

    @staticmethod
    def from_doc(doc: dict[str, object], families: Mapping[str, ModelFamily] = FAMILIES) -> AllSizesHeader:
        keys = KEYS | ({"levels"} if doc.get("rule") == "ranking" else set()) | ({"family"} if "family" in doc else set())
        if set(doc) != keys or type(doc["format"]) is not int or doc["format"] != FORMAT or doc["kind"] != KIND:
            raise NotACertificate(f"an all-sizes header needs exactly the keys {', '.join(sorted(keys))}, "
                                  f"format {FORMAT} and kind {KIND}")
        family = doc.get("family", "")
        chosen = families.get(family) if isinstance(family, str) and "family" in doc else DEFAULT_FAMILY
        if chosen is None or chosen.first_order is None or ("family" in doc and chosen is DEFAULT_FAMILY):
            raise NotACertificate(f"its family {quoted(family)} is not a family of models with a first-order side "
                                  f"(the default one is named by no family)")
        side = chosen.first_order
        cfg = doc["config"]
        if not isinstance(cfg, dict) or set(cfg) != set(side.recorded):
            raise NotACertificate(f"its configuration needs exactly the keys {', '.join(side.recorded)}")
        try:
            config = side.config_of(cfg)
        except (UserError, TypeError) as exc:
            raise NotACertificate(f"its configuration: {exc}") from None
        prop, rule, model, anyb = doc["property"], doc["rule"], doc["model"], doc["any_budget"]
        levels = doc.get("levels", [])
        if not isinstance(prop, str) or prop not in rules(side) or rule != rules(side)[prop]:
            raise NotACertificate(f"{quoted(prop)} by {quoted(rule)} is not a property and rule of an all-sizes certificate")
        if not isinstance(model, str) or not isinstance(anyb, bool):
            raise NotACertificate("model must be a fingerprint, any_budget true or false")
        if not isinstance(levels, list) or not all(isinstance(h, str) for h in levels):
            raise NotACertificate("levels must be a list of action names")
        return AllSizesHeader(config, anyb, prop, str(rule), model, side, tuple(levels), str(family))

    def describe(self) -> str:
        return f"{self.property}, {self.side.describe(self.config, self.any_budget)}, {self.sizes()}"

    def sizes(self, joined: str = " ") -> str:
        """The sizes the claim is for, in words (a ranking's with its condition: ``A >= C``)."""
        recovery = self.side.recovery
        condition = recovery.condition if recovery is not None and self.rule == "ranking" else ""
        return self.side.sizes + (f"{joined}{condition}" if condition else "")

    def claim(self) -> str:
        """The claim in words, the property's statement after it."""
        statement = self.side.statements[self.property]
        return f"{self.property} holds for {self.sizes(' with ')}: {statement}"

    def definitions(self) -> tuple[str, ...]:
        """The proof's definitions a certificate of this header supplies."""
        return ("Inv", *(f"Level{i + 1}" for i in range(len(self.levels))))


def is_all_sizes(items: Sequence[Expr]) -> bool:
    """Whether the header (read strictly; none is no certificate) says ``"kind": "all-sizes"``."""
    value = header_value(items)
    try:
        doc = strict_json(value)
    except NotACertificate:
        raise
    except ValueError as exc:
        raise NotACertificate(f"its header is not JSON: {exc}") from None
    return isinstance(doc, dict) and "kind" in doc


# -- the model's symbols ------------------------------------------------------------------------


def constant_name(group: str, key: tuple) -> str:
    """A constructor of ``group``'s values as a simple symbol: ``to_srv=REQUEST.SELECTING._``."""
    label = key_label(key).replace("·", "_")
    return f"{group}={re.sub(r'[(),]', '.', label).rstrip('.')}"


def symbols(vocab: Vocabulary, post: bool) -> dict[str, z3.ExprRef | z3.FuncDeclRef]:
    """The names a proof may use: each array's kind (``st``), field (``db.client``) and constructor
    (``st=BOUND``), for the state before a step or, with ``post``, after it."""
    out: dict[str, z3.ExprRef | z3.FuncDeclRef] = {}
    for g in vocab.fs.groups.values():
        out[g.name] = vocab.kind[(g.name, post)]
        for n, _, _ in g.fields:
            out[f"{g.name}.{n or 'value'}"] = vocab.field[(g.name, n, post)]
        for key, const in vocab.enum[g.name][1].items():
            out[constant_name(g.name, key)] = const
    bad = [n for n in out if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.=]*", n) or n in RESERVED]
    if bad or len(out) != sum(1 + len(g.fields) + len(g.keys) for g in vocab.fs.groups.values()):
        raise AssertionError(f"the model's symbols are not distinct simple symbols: {bad}")
    return out


# -- the proof's definitions, built from the file's nodes ----------------------------------------


def _need(ok: bool, at: str, why: str) -> None:
    if not ok:
        raise NotACertificate(f"{at}: {why}")


_CONNECTIVES = ("not", "and", "or", "=>", "=", "distinct", "ite")


class _Builder:
    """First-order terms over the model's symbols: connectives, ``=``, ``distinct``, ``ite``, and
    ``forall``/``exists`` over ``client`` and ``address``; nothing else."""

    def __init__(self, vocab: Vocabulary, post: bool, c0: bool):
        self.ctx, self.sorts, self.names = vocab.ctx, vocab.sorts, symbols(vocab, post)
        if c0:  # the one client a ranking speaks of
            participant = vocab.fs.participant
            self.names[participant.name] = vocab.var(participant)
        self.bound = 0
        # sorts compared as the ids of Z3's one node for each sort (Z3 shares every sort)
        self.ref = self.ctx.ref()
        self.bool_sort = z3.Z3_get_sort_id(self.ref, z3.BoolSort(self.ctx).ast)
        self.signatures: dict[str, tuple[int, list[int]]] = {}

    def term(self, e: Expr, env: Mapping[str, z3.ExprRef]) -> z3.ExprRef:
        if isinstance(e, Atom):
            _need(e.kind == "symbol", e.at, f"{show(e)[:40]} is not a term of a first-order proof")
            if e.text in env:
                return env[e.text]
            if e.text in ("true", "false"):
                return z3.BoolVal(e.text == "true", self.ctx)
            got = self.names.get(e.text)
            _need(isinstance(got, z3.ExprRef), e.at, f"unknown symbol {e.text}")
            return got  # type: ignore[return-value]
        if not (e.items and isinstance(e.items[0], Atom) and e.items[0].kind == "symbol"):
            raise NotACertificate(f"{e.at}: {show(e)[:40]} is not an application")  # shown only when refused
        head, rest = e.items[0].text, e.items[1:]  # type: ignore[union-attr]
        if head in ("forall", "exists"):
            return self._quantifier(e, head, rest, env)
        _need(head in _CONNECTIVES or isinstance(self.names.get(head), z3.FuncDeclRef), e.items[0].at,
              f"unknown function {head}")
        args = [self.term(a, env) for a in rest]
        ref, n = self.ref, len(args)
        sorts = sort_ids(args)
        if head not in _CONNECTIVES:
            f = self.names[head]
            assert isinstance(f, z3.FuncDeclRef)
            arity, domain = self._signature(head, f)
            _need(n == arity, e.at, f"{head} takes {arity} arguments, not {n}")
            _need(sorts == domain, e.at, f"an argument of {head} has the wrong sort")
            return node_expr(z3.Z3_mk_app(ref, f.ast, n, node_array(args)), self.ctx)
        bools = all(s == self.bool_sort for s in sorts)
        same = bool(args) and all(s == sorts[0] for s in sorts)
        # built as z3's own Not, And, Or, Implies, ==, Distinct and If build them for well-sorted
        # arguments, without their coercions
        if head == "not" and n == 1 and bools:
            return z3.BoolRef(z3.Z3_mk_not(ref, args[0].as_ast()), self.ctx)
        if head in ("and", "or") and args and bools:
            return z3.BoolRef((z3.Z3_mk_and if head == "and" else z3.Z3_mk_or)(ref, n, node_array(args)), self.ctx)
        if head == "=>" and n == 2 and bools:
            return z3.BoolRef(z3.Z3_mk_implies(ref, args[0].as_ast(), args[1].as_ast()), self.ctx)
        if head in ("=", "distinct") and n >= 2 and same:
            if head == "distinct":
                return z3.BoolRef(z3.Z3_mk_distinct(ref, n, node_array(args)), self.ctx)
            eqs = [z3.BoolRef(z3.Z3_mk_eq(ref, a.as_ast(), b.as_ast()), self.ctx) for a, b in zip(args, args[1:], strict=False)]
            return z3.BoolRef(z3.Z3_mk_and(ref, len(eqs), node_array(eqs)), self.ctx)
        if head == "ite" and n == 3 and sorts[0] == self.bool_sort and sorts[1] == sorts[2]:
            return node_expr(z3.Z3_mk_ite(ref, args[0].as_ast(), args[1].as_ast(), args[2].as_ast()), self.ctx)
        raise NotACertificate(f"{e.at}: {show(e)[:60]} is not a well-sorted first-order term")

    def _signature(self, name: str, f: z3.FuncDeclRef) -> tuple[int, list[int]]:
        """The arity of the model's function ``f`` and its domain's sorts (as :func:`_sort_id`)."""
        got = self.signatures.get(name)
        if got is None:
            ref = self.ref
            domain = [z3.Z3_get_sort_id(ref, z3.Z3_get_domain(ref, f.ast, i)) for i in range(f.arity())]
            self.signatures[name] = got = (f.arity(), domain)
        return got

    def formulas(self, nodes: Sequence[Expr]) -> list[z3.BoolRef]:
        out = [self.term(n, {}) for n in nodes]
        for n, t in zip(nodes, out, strict=True):
            _need(z3.is_bool(t), n.at, "a proof's definition or conjunct is not a formula")
        return out  # type: ignore[return-value]

    def _quantifier(self, e: Node, head: str, rest: tuple[Expr, ...], env: Mapping[str, z3.ExprRef]) -> z3.ExprRef:
        _need(len(rest) == 2 and isinstance(rest[0], Node) and bool(rest[0].items), e.at,
              f"a quantifier is ({head} ((NAME SORT) ...) BODY)")
        inner, names = dict(env), []
        for b in rest[0].items:  # type: ignore[union-attr]
            _need(isinstance(b, Node) and len(b.items) == 2 and isinstance(b.items[1], Atom) and b.items[1].kind == "symbol"
                  and b.items[1].text in self.sorts, b.at,
                  "a bound variable is " + " or ".join(f"(NAME {s})" for s in self.sorts))
            assert isinstance(b, Node) and isinstance(b.items[1], Atom)
            name = symbol(b.items[0], "a bound variable")
            _need(name not in inner and name not in self.names and name not in names, b.at, f"{name} shadows a name")
            self.bound += 1  # the kernel's own name: the file's never reaches a solver
            inner[name] = z3.Const(f"q{self.bound}", self.sorts[b.items[1].text])
            names.append(name)
        body = self.term(rest[1], inner)
        _need(z3.is_bool(body), e.at, "a quantifier's body is not a formula")
        vs = [inner[n] for n in names]
        return z3.ForAll(vs, body) if head == "forall" else z3.Exists(vs, body)


def _body(node: Node) -> Expr:
    ok = (len(node.items) == 5 and isinstance(node.items[2], Node) and not node.items[2].items
          and node.items[3] == Atom("symbol", "Bool"))
    _need(ok, node.at, "a proof's definition is (define-fun NAME () Bool BODY), over the state's symbols")
    return node.items[4]


def conjuncts(node: Node) -> tuple[Expr, ...]:
    """The conjuncts of a definition ``(define-fun NAME () Bool BODY)``: those of an ``and``, or the body."""
    body = _body(node)
    if isinstance(body, Node) and len(body.items) > 1 and body.items[0] == Atom("symbol", "and"):
        return body.items[1:]
    return (body,)


# -- the fragment ---------------------------------------------------------------------------------


Edges = frozenset[tuple[str, str]]


class _Edges:
    """Sort-graph edges of terms: a function from its arguments' sorts to its own, and from each
    universal in scope to each existential (negations pushed inward). Each subterm is walked once
    per polarity and universals in scope, however many obligations share it (the invariant, the
    well-formedness), through Z3's own calls on its nodes."""

    def __init__(self, ctx: z3.Context):
        self.ctx, self.ref = ctx, ctx.ref()
        #: (a node's id, polarity, universals) -> the edges of the node read so
        self.memo: dict[tuple[int, bool, frozenset[str]], Edges] = {}
        self.names: dict[int, str] = {}  # a sort's id -> its name
        #: the terms asked about, kept so that no node's id is reused while the memo stands
        self.roots: list[z3.ExprRef] = []

    def of(self, t: z3.ExprRef) -> Edges:
        self.roots.append(t)
        return self._walk(t.as_ast(), True, frozenset())

    def _sort(self, a: z3.Ast) -> str:
        s = z3.Z3_get_sort(self.ref, a)
        return self._name(s)

    def _name(self, s: z3.Sort) -> str:
        key = z3.Z3_get_sort_id(self.ref, s)
        name = self.names.get(key)
        if name is None:
            self.names[key] = name = z3.z3._symbol2py(self.ctx, z3.Z3_get_sort_name(self.ref, s))
        return name

    def _walk(self, a: z3.Ast, positive: bool, universals: frozenset[str]) -> Edges:
        ref = self.ref
        key = (z3.Z3_get_ast_id(ref, a), positive, universals)
        got = self.memo.get(key)
        if got is not None:
            return got
        out: set[tuple[str, str]] = set()
        kind = z3.Z3_get_ast_kind(ref, a)
        if kind == z3.Z3_QUANTIFIER_AST:
            if z3.Z3_is_lambda(ref, a):
                raise NotACertificate("an obligation has a lambda")
            sorts = {self._name(z3.Z3_get_quantifier_bound_sort(ref, a, i))
                     for i in range(z3.Z3_get_quantifier_num_bound(ref, a))}
            body = z3.Z3_get_quantifier_body(ref, a)
            if bool(z3.Z3_is_quantifier_forall(ref, a)) == positive:
                out |= self._walk(body, positive, universals | sorts)
            else:
                out.update((u, s) for u in universals for s in sorts)
                out |= self._walk(body, positive, universals)
        elif kind == z3.Z3_APP_AST:  # a numeral has no arguments and no edges
            op = z3.Z3_get_decl_kind(ref, z3.Z3_get_app_decl(ref, a))
            kids = [z3.Z3_get_app_arg(ref, a, i) for i in range(z3.Z3_get_app_num_args(ref, a))]
            if (op == z3.Z3_OP_UNINTERPRETED and kids
                    and z3.Z3_get_sort_kind(ref, z3.Z3_get_sort(ref, a)) != z3.Z3_BOOL_SORT):
                own = self._sort(a)
                out.update((self._sort(k), own) for k in kids)
            if op == z3.Z3_OP_NOT:
                out |= self._walk(kids[0], not positive, universals)
            elif op in (z3.Z3_OP_AND, z3.Z3_OP_OR):
                for k in kids:
                    out |= self._walk(k, positive, universals)
            elif op == z3.Z3_OP_IMPLIES:
                out |= self._walk(kids[0], not positive, universals)
                out |= self._walk(kids[1], positive, universals)
            else:  # an atom's terms, or a connective read both ways (=, ite, xor over formulas)
                for k in kids:
                    out |= self._walk(k, positive, universals)
                    out |= self._walk(k, not positive, universals)
        got = self.memo[key] = frozenset(out)
        return got


def cycle(edges: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """A cycle of the sort graph (empty: none, the query is effectively propositional)."""
    graph: dict[str, list[str]] = {}
    for s, t in sorted(edges):
        graph.setdefault(s, []).append(t)
    state: dict[str, int] = {}

    def visit(n: str, path: list[tuple[str, str]]) -> list[tuple[str, str]]:
        state[n] = 1
        for m in graph.get(n, []):
            if state.get(m) == 1:
                start = next((i for i, (s, _) in enumerate(path) if s == m), len(path))
                return [*path[start:], (n, m)]
            if m not in state and (found := visit(m, [*path, (n, m)])):
                return found
        state[n] = 2
        return []

    for n in list(graph):
        if n not in state and (found := visit(n, [])):
            return found
    return []


# -- the audit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """The certificate read: ``refusals`` (empty: its definitions are the rule's), and each
    obligation's name and assertions (discharged when their conjunction is unsatisfiable)."""

    header: AllSizesHeader
    refusals: tuple[str, ...]
    goals: tuple[tuple[str, tuple[z3.BoolRef, ...]], ...] = ()
    claim: str = ""


def audit(text: str, families: Mapping[str, ModelFamily] | None = None) -> Audit:
    """The certificate ``text`` read and its obligations written; ``families``: the model families
    a header may name (default: those leasecheck ships)."""
    try:
        return _audit(read(text), FAMILIES if families is None else families)
    except RecursionError:
        raise NotACertificate("it nests terms deeper than the checker reads") from None


def _audit(items: list[Expr], families: Mapping[str, ModelFamily]) -> Audit:
    for command in items:
        _need(isinstance(command, Node) and bool(command.items) and isinstance(command.items[0], Atom)
              and command.items[0].kind == "symbol", command.at, "a top-level item that is not a command")
    doc = strict_json(header_value(items))
    assert isinstance(doc, dict)
    header = AllSizesHeader.from_doc(doc, families)
    ranking = header.rule == "ranking"
    claim = header.claim()
    fs = fo.first_order_system(header.side, header.config, unbounded=header.any_budget)
    fs = with_ghost(fs) if ranking else fs  # for A >= C: a ghost map from clients to addresses, injective initially
    refusals: list[str] = []
    if fo.fingerprint(fs) != header.model:
        refusals.append(f"its model {quoted(header.model)} is not the first-order model of its configuration "
                        f"({fo.fingerprint(fs)})")
    defs: dict[str, Node] = {}
    logic = False
    version = read("(set-info :smt-lib-version 2.6)")[0]
    for item in items:
        assert isinstance(item, Node) and isinstance(item.items[0], Atom)
        head = item.items[0].text
        if item == version or head == "set-info" and len(item.items) == 3 and item.items[1] == Atom("keyword", ":leasecheck-certificate"):
            continue
        if item == read("(set-logic ALL)")[0] and not logic and not defs:
            logic = True
        elif head == "define-fun" and len(item.items) == 5 and isinstance(item.items[1], Atom):
            name = item.items[1].text
            if name in defs or name not in header.definitions():
                refusals.append(f"{item.at}: it defines {name} "
                                + ("twice" if name in defs else f"(the {header.rule} rule's definitions are "
                                                                  f"{', '.join(header.definitions())})"))
            defs[name] = item
        else:
            refusals.append(f"{item.at}: a command that is no part of an all-sizes certificate: {show(item)[:80]}")
    if not logic:
        refusals.append("it sets no logic ALL before its definitions")
    refusals += [f"it lacks the proof's definition {n}" for n in header.definitions() if n not in defs]
    own = {a.name for a in fs.actions if a.fair and a.params == (fs.participant.sort,)} if ranking else set()
    refusals += [f"level {i + 1}'s helpful action {quoted(h)} is not a fair action of one client"
                 for i, h in enumerate(header.levels) if h not in own]
    if ranking:  # for every budget: a fair action's enabledness must not depend on a budget
        for c in fs.commands:
            if c.fair and (counters := sorted(fo.budgets_read(fs, c) | fo.budgets_spent(fs, c))):
                refusals.append(f"the fair action {c.action} reads the budget {', '.join(counters)}: a ranking for every "
                                "budget needs fair actions that a budget never enables or disables")
    if refusals:
        return Audit(header, tuple(refusals), claim=claim)
    vocab = Vocabulary(fs, z3.Context())
    pre, post = _Builder(vocab, False, ranking), _Builder(vocab, True, ranking)
    parts = conjuncts(defs["Inv"])
    inv, inv_after = pre.formulas(parts), post.formulas(parts)
    whole = z3.And(inv)
    wf = vocab.formula(fo.well_formed(fs))
    wf_parts = [vocab.formula(f) for f in _args(fo.well_formed(fs))]
    wf_after_parts = [vocab.formula(f) for f in _args(fo.well_formed(fs, post=True))]
    keep, keep_after = [*wf_parts, *inv], [*wf_after_parts, *inv_after]
    goals: list[tuple[str, tuple[z3.BoolRef, ...]]] = [
        ("initiation", (vocab.formula(fo.initial_formula(fs)), z3.Not(z3.And(keep))))]
    for cmd in fs.commands:
        step = vocab.formula(fo.command_formula(fs, cmd))
        where = f"{cmd.action} {cmd.label}".strip()
        for first in range(0, len(keep), GROUP):
            group = keep_after[first:first + GROUP]
            goals.append((f"consecution {where}, conjuncts {first + 1} to {first + len(group)}",
                          (wf, whole, step, z3.Not(z3.And(group)))))
    if not ranking:
        goals.append(("safety", (wf, whole, z3.Not(vocab.formula(fs.invariant(header.property))))))
    goals += [(f"first() at {ob.where}", (wf, whole, z3.Not(vocab.formula(ob.formula)))) for ob in fs.obligations]
    if ranking:
        bodies = [_body(defs[name]) for name in header.definitions()[1:]]
        goals += _ranking(fs, vocab, header.levels, (wf, whole), pre.formulas(bodies), post.formulas(bodies))
    graph = _Edges(vocab.ctx)
    for name, assertions in goals:
        edges: set[tuple[str, str]] = set()
        for a in assertions:
            edges |= graph.of(a)
        if found := cycle(edges):
            refusals.append(f"the obligation {quoted(name)} is outside the decidable fragment: its sorts form a cycle "
                            + ", ".join(f"{s} -> {t}" for s, t in found))
    return Audit(header, tuple(refusals), () if refusals else tuple(goals), claim)


def _args(f: fo.Formula) -> tuple[fo.Formula, ...]:
    return f.args if isinstance(f, fo.And) else (f,)


def _enabled(cmd: fo.Command, c0: fo.Var) -> fo.Formula:
    """``c0`` may take the command: its guard for some choice of its bound variables, the conjuncts
    that do not name them outside that choice (the same formula, kept in the decidable fragment)."""
    def names(f: fo.Formula) -> bool:
        return any(id(v) == id(b) for v in fo.free_vars(f) for b in cmd.bound)
    parts = _args(cmd.guard)
    inner = fo.quant("exists", cmd.bound, fo.conj(*(f for f in parts if names(f))))
    return fo.quant("exists", cmd.params[:1], fo.conj(fo.EqT(cmd.params[0], c0), *(f for f in parts if not names(f)), inner))


def _ranking(fs: fo.FoSystem, vocab: Vocabulary, helpful: Sequence[str], base: tuple[z3.BoolRef, ...],
             lv: list[z3.BoolRef], after: list[z3.BoolRef]) -> list[tuple[str, tuple[z3.BoolRef, ...]]]:
    """The ranking rule under weak fairness, for the arbitrary client ``c0``: outside the goal a
    state is in a level; level i's helpful action of ``c0`` is enabled there and each of its steps
    goes to the goal or a lower level; no step goes from level i to none of levels 1..i, but, in
    the reading for every budget, a step that spends a budget (:func:`.fo.disturbances`, found in
    the model here: the counters it writes): each run of a finite budget has finitely many, and
    after the last one the levels only fall (docs/allsizes.md, "Recovery for every budget")."""
    c0 = fs.participant
    g, g_after = vocab.formula(goal(fs)), z3.Not(vocab.formula(fo.rename_post(goal(fs))))
    out = [("cover", (*base, z3.Not(g), *(z3.Not(x) for x in lv)))]
    for i, h in enumerate(helpful):
        cmds = fs.commands_of(h)
        enabled = fo.disj(*(_enabled(c, c0) for c in cmds))
        out.append((f"level {i + 1} enabled: {h}(c0)", (*base, lv[i], z3.Not(vocab.formula(enabled)))))
        for c in cmds:
            step = (vocab.formula(fo.command_formula(fs, c)), vocab.formula(fo.EqT(c.params[0], c0)))
            out.append((f"level {i + 1} progress: {c.action} {c.label}".strip(),
                         (*base, lv[i], *step, g_after, *(z3.Not(x) for x in after[:i]))))
    spent = set(fo.disturbances(fs))
    if not lv:
        return out
    up = z3.Or([z3.And(lv[i], *(z3.Not(x) for x in after[:i + 1])) for i in range(len(lv))])  # the same for every step
    for c in fs.commands:
        if c in spent:
            continue
        out.append((f"no increase: {c.action} {c.label}".strip(), (*base, vocab.formula(fo.command_formula(fs, c)), g_after, up)))
    return out


# -- discharging ----------------------------------------------------------------------------------


def discharge_z3(audited: Audit, timeout: float | None) -> tuple[SolverAnswer, ...]:
    out = []
    for name, assertions in audited.goals:
        solver = z3.Solver(ctx=assertions[0].ctx)
        if timeout is not None:
            solver.set("timeout", max(1, int(timeout * 1000)))
        solver.add(*assertions)
        try:
            r = solver.check()
            answer = "unsat" if r == z3.unsat else "sat" if r == z3.sat else "unknown"
            why = "" if answer != "unknown" else f"z3 could not decide: {solver.reason_unknown()}"
        except z3.Z3Exception as exc:
            answer, why = "unknown", f"z3 failed: {exc}"
        out.append(SolverAnswer(name, answer, why))
    return tuple(out)


def cvc5_script(assertions: Sequence[z3.BoolRef]) -> str:
    """The text cvc5 reads for one obligation: Z3's printing of the terms the kernel built (the
    model's symbols and the kernel's bound names; none of the file's text)."""
    solver = z3.Solver(ctx=assertions[0].ctx)
    solver.add(*assertions)
    return "(set-logic ALL)\n" + solver.to_smt2()


#: cvc5's ways of deciding an obligation, in the order asked: its default instantiation first
#: (about half the time of the second where it decides), then, for what it leaves undecided, finite
#: model finding, which is complete in the decidable fragment that every obligation is checked to be
#: in. "unsat" or "sat" from either way is cvc5's own answer, and final.
CVC5_WAYS: tuple[dict[str, str], ...] = ({}, {"finite-model-find": "true"})


def discharge_cvc5(audited: Audit, timeout: float | None,
                   ways: Sequence[Mapping[str, str]] = CVC5_WAYS) -> tuple[SolverAnswer, ...]:
    out = []
    for name, assertions in audited.goals:
        script = cvc5_script(assertions)
        answer = SolverAnswer(name, "unknown", "cvc5 was not asked")
        for options in ways:
            try:
                answers = cvc5_answers(script, options, timeout)
            except RuntimeError as exc:
                answer = SolverAnswer(name, "unknown", f"cvc5 failed: {str(exc).strip()[:200]}")
                continue
            answer = cvc5_answer(name, answers[0] if len(answers) == 1 else "no single answer")
            if answer.answer != "unknown":
                break
        out.append(answer)
    return tuple(out)
