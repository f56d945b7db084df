"""Recovery for every number of clients and addresses: a ranking over one client's view.

The rule is the chain rule of :mod:`.ranking` (Manna and Pnueli's rule for response under weak
fairness), stated for one arbitrary client ``c0`` of a network of any size: an inductive
invariant ``Inv`` and levels ``L1 .. Lm``, each with a helpful fair action of ``c0``, such that

* cover: every ``Inv`` state where ``holds(c0)`` is false lies in some level;
* enabled: in ``Li`` the helpful action ``h_i(c0)`` is enabled;
* helpful: an ``h_i(c0)`` step from ``Li`` (any of its branches: ``ServeDiscover(c0)`` whatever
  address it offers) lands where ``holds(c0)`` is true or in a lower level;
* no step up: every step of every action instance, of every client, address and the environment,
  lands where ``holds(c0)`` is true, in a lower level, or in ``Li``; in the reading for every
  budget (``--any-budget``) a step that spends a budget (a disturbance, :func:`.fo.disturbances`)
  is spared this: each run of a finite budget has finitely many (docs/allsizes.md).

Weak fairness per instance then makes every fair run reach ``holds(c0)`` again and again. The
conditions are first-order queries over uninterpreted sorts, so "unsat" speaks of every network.

*The view.* A level is a set of *views*: what ``c0`` can see of the state, as the model's
first-order side describes it (its recovery's ``view`` and ``table``,
:class:`~leasecheck.properties.firstorder.FirstOrderView`); this module names no array of a model.
For DHCP a view gives ``c0``'s own state, error flag and message kinds, whether it has an address,
the lease-table status (FREE, offered or bound to ``c0``, offered or bound to another client) of
the address it holds, requests and is sent, which of those addresses are the same, whether some
entry names ``c0``, and the budgets left (none for every budget). Each part is a partition of the states
(:class:`Component`), so every state has exactly one view.

*Finding the levels.* The explicit engine explores finite networks; each reachable state is read
as the view of each of its clients, and each edge as a view edge labelled with the action (when
it is an action of that client) or as another's step. The levels are computed on that finite
graph backwards from the goal (as :func:`.ranking.rank` does on cubes). Then each condition is
asked of the first-order model. A counterexample is a step (or a state) the finite networks did
not show: its views join the graph, and the levels are computed again. The loop ends when every
condition is unsat (a proof), when the graph admits no ranking (the views left over are named), or
at the deadline.

The invariant is what the caller gives (for DHCP: the ghost map of :mod:`.ghost`, for "a client
with no entry has a free address", which A >= C gives, and ``single_binding``) and whatever the
learned clauses of :mod:`.safety` add.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import z3

from leasecheck.checker.allsizes.effort import Effort, OutOfTime, assert_all, effort_of
from leasecheck.checker.allsizes.epr import require_epr
from leasecheck.checker.allsizes.fo import (
    Command,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Kind,
    Rel,
    Var,
    budget_counters,
    command_formula,
    conj,
    disj,
    disturbances,
    key_of,
    neg,
    quant,
    rename_post,
    well_formed,
)
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.fo_z3 import Vocabulary, key_label
from leasecheck.checker.allsizes.learn import Clause, clause_holds_in
from leasecheck.checker.allsizes.safety import Shown, prove_invariant, read_structure, recheck

#: how many learned clauses one counterexample adds to the invariant at most
KILLERS = 1
#: how many times ``block`` views outside every level are looked for in one round
COVER_ROUNDS = 4
#: how many times the invariant is strengthened by such clauses at most (each time a proof)
STRENGTHEN = 2

#: the fair actions of one client that a level may name as its helpful action
Label = str
#: the label of a step that spends a budget (a disturbance), in a proof for every budget: it may
#: lead up, since each run has finitely many of them
DISTURBANCE = "!"


def disturbing_actions(fs: FoSystem) -> frozenset[str]:
    """The actions every command of which spends a budget (none with fixed budgets): a finite
    network's step of one of them is a disturbance."""
    spent = set(disturbances(fs))
    return frozenset(a.name for a in fs.actions
                     if fs.commands_of(a.name) and all(c in spent for c in fs.commands_of(a.name)))
View = tuple[int, ...]


@dataclass(frozen=True)
class Component:
    """One part of the view: options that exclude each other and cover every well-formed state."""

    name: str
    options: tuple[tuple[str, Formula], ...]


def components(fs: FoSystem) -> tuple[Component, ...]:
    """The parts of the view of the participant ``c0``, as the model's first-order side describes
    it (:class:`~leasecheck.properties.firstorder.FirstOrderView`), read off the model's arrays and
    their constructors."""
    rec = fs.side.recovery
    assert rec is not None
    view, table = rec.view, rec.table
    c = fs.participant
    out: list[Component] = []
    for name in view.own:
        g = fs.groups[name]
        out.append(Component(name, tuple((key_label(k), Kind(name, c, k, False)) for k in g.keys)))
    if table is not None and view.carriers:
        resource = fs.side.index_sorts[table.array]
        carriers = {}
        for name, n in view.carriers:
            g = fs.groups[name]
            keys = [k for k in g.keys if n in g.fields_of(k)]
            carriers[name] = (FieldFn(name, n, c, False, resource), disj(*(Kind(name, c, k, False) for k in keys)))
        free = key_of(table.free)[0]
        held = [(word, key_of(value)[0]) for word, value in table.held]
        for name, (t, has) in carriers.items():
            names_c = Rel(table.array, table.holder, t, c, False)
            opts = [("not carried", neg(has)), (str(table.free), conj(has, Kind(table.array, t, free, False)))]
            for word, key in held:
                opts.append((f"{word}({c.name})", conj(has, Kind(table.array, t, key, False), names_c)))
                opts.append((f"{word}(another)", conj(has, Kind(table.array, t, key, False), neg(names_c))))
            out.append(Component(f"{table.array}[{name}]", tuple(opts)))
        for left, right in view.compared:
            (t1, h1), (t2, h2) = carriers[left], carriers[right]
            both = conj(h1, h2)
            out.append(Component(f"{left} = {right}", (("not both", neg(both)), ("same", conj(both, EqT(t1, t2))),
                                                       ("different", conj(both, neg(EqT(t1, t2)))))))
        a = Var("ea", resource)
        entry = quant("exists", (a,), conj(disj(*(Kind(table.array, a, key, False) for _, key in held)),
                                           Rel(table.array, table.holder, a, c, False)))
        out.append(Component(f"an entry names {c.name}", (("no", neg(entry)), ("yes", entry))))
    counters = budget_counters(fs)  # for every budget: one value, never spent, no part of the view
    for g in fs.groups.values():
        if g.index is None and g.name not in counters:
            out.append(Component(g.name, tuple((key_label(k), Kind(g.name, None, k, False)) for k in g.keys)))
    return tuple(out)


def goal(fs: FoSystem) -> Formula:
    """The goal of the arbitrary client ``c0``, as the model's first-order side writes it (DHCP:
    ``holds(c0)``, bound and the lease table agrees)."""
    return fs.goal()


def own_fair_actions(fs: FoSystem) -> tuple[str, ...]:
    """The fair actions of one id of the participant's sort (DHCP: of one client)."""
    return tuple(a.name for a in fs.actions if a.fair and a.params == (fs.participant.sort,))


#: options that say a part of the view does not apply (left out of the text)
_SILENT = ("not carried", "not both")


def view_data(comps: Sequence[Component], view: View) -> dict[str, str]:
    """A view as data: each part's name and the option the view takes."""
    return {c.name: c.options[i][0] for c, i in zip(comps, view, strict=True)}


def view_text(data: dict[str, str]) -> str:
    """A view in words, the parts that do not apply left out."""
    return ", ".join(f"{name} = {word}" for name, word in data.items() if word not in _SILENT)


def describe(comps: Sequence[Component], view: View) -> str:
    return view_text(view_data(comps, view))


def level_data(proof: RankingProof) -> list[dict]:
    """The levels of a proof as data, lowest first: the helpful action and the views."""
    return [{"helpful": f"{lv.helpful}({proof.participant})", "views": [view_data(proof.components, v) for v in sorted(lv.views)]}
            for lv in proof.levels]


# ---------------------------------------------------------------------------------------------
# The finite view graph


class Explored(Protocol):
    """What :func:`read_views` reads of an explored state graph (the explicit engine's)."""

    @property
    def states(self) -> Sequence[tuple[int, ...]]: ...
    @property
    def expanded(self) -> int: ...
    @property
    def cmd(self) -> Sequence[int]: ...
    @property
    def dst(self) -> Sequence[int]: ...

    def out_edges(self, i: int) -> range: ...


@dataclass
class ViewGraph:
    """Views, their labelled edges, and which of the client's fair actions are enabled in each."""

    goal: set[View] = field(default_factory=set)
    views: set[View] = field(default_factory=set)
    #: view -> {(label, view)}: the label is the client's own action, or "" for any other step
    edges: dict[View, set[tuple[Label, View]]] = field(default_factory=dict)
    #: view -> actions enabled in every state of the view met so far
    enabled: dict[View, set[str]] = field(default_factory=dict)
    #: the views of reachable states of the finite networks explored (the others come from the
    #: solver's counterexamples: states the invariant does not exclude, reachable or not)
    reached: set[View] = field(default_factory=set)

    def add_view(self, v: View, enabled: set[str], is_goal: bool) -> None:
        if v not in self.views:
            self.views.add(v)
            self.edges[v] = set()
            self.enabled[v] = set(enabled)
            if is_goal:
                self.goal.add(v)
        else:
            self.enabled[v] &= enabled

    def add_edge(self, v: View, label: Label, w: View) -> None:
        self.edges.setdefault(v, set()).add((label, w))


def read_views(fs: FoSystem, reading: FiniteReading, graph: Explored, comps: Sequence[Component],
               out: ViewGraph) -> None:
    """Every reachable state of an explored finite network, as the view of each of its clients."""
    c0 = fs.participant
    fns = [[reading.compile_formula(f, [c0]) for _, f in comp.options] for comp in comps]
    goal_fn = reading.compile_formula(goal(fs), [c0])
    sizes = reading.sizes
    system = reading.system
    own = set(own_fair_actions(fs))
    disturbing = disturbing_actions(fs)
    clients = range(sizes[c0.sort])
    #: per state met: the view and whether the goal holds, of each client (its structure built once)
    seen: dict[int, tuple[tuple[View, ...], tuple[bool, ...]]] = {}

    def of(i: int) -> tuple[tuple[View, ...], tuple[bool, ...]]:
        got = seen.get(i)
        if got is None:
            S = reading.structure(graph.states[i])
            got = seen[i] = (tuple(tuple(next(m for m, fn in enumerate(opts) if fn(S, sizes, c)) for opts in fns)
                                   for c in clients),
                             tuple(bool(goal_fn(S, sizes, c)) for c in clients))
        return got

    for i in range(graph.expanded):
        views, goals = of(i)
        steps = [(system.commands[graph.cmd[e]], int(graph.dst[e])) for e in graph.out_edges(i)]
        for c in clients:
            v = views[c]
            labels = {cmd.action for cmd, _ in steps if cmd.action in own and cmd.params == (c,)}
            out.add_view(v, labels, goals[c])
            out.reached.add(v)
            for cmd, j in steps:
                label = (cmd.action if cmd.action in own and cmd.params == (c,)
                         else DISTURBANCE if cmd.action in disturbing else "")
                after, after_goals = of(j)
                w = after[c]
                if w not in out.views:
                    out.add_view(w, set(), after_goals[c])
                    out.enabled[w] = set(own)  # refined when the state is expanded
                out.reached.add(w)
                out.add_edge(v, label, w)


@dataclass(frozen=True)
class ViewLevel:
    helpful: str
    views: frozenset[View]


def rank_views(g: ViewGraph, actions: Sequence[str]) -> tuple[list[ViewLevel], set[View]]:
    """Levels over the view graph, backwards from the goal; the views left over."""
    ranked = set(g.goal)
    levels: list[ViewLevel] = []
    while True:
        grew = False
        for h in actions:
            w = {v for v in g.views - ranked
                 if h in g.enabled.get(v, set()) and all(u in ranked for lab, u in g.edges.get(v, ()) if lab == h)}
            while True:  # a disturbance may lead anywhere: finitely many in a run
                keep = {v for v in w if all(u in ranked or u in w for lab, u in g.edges.get(v, ()) if lab != DISTURBANCE)}
                if keep == w:
                    break
                w = keep
            if w:
                levels.append(ViewLevel(h, frozenset(w)))
                ranked |= w
                grew = True
        left = g.views - ranked
        if not left or not grew:
            return levels, left


# ---------------------------------------------------------------------------------------------
# The first-order conditions


@dataclass
class RankingCheck:
    """One round of the conditions: the counterexamples found, as facts for the view graph."""

    edges: list[tuple[View, Label, View]] = field(default_factory=list)
    new_views: list[tuple[View, set[str], bool]] = field(default_factory=list)
    disabled: list[tuple[View, str]] = field(default_factory=list)
    #: learned clauses false in the pre-state of a counterexample (it is then not reachable)
    killers: list[Clause] = field(default_factory=list)
    #: the client's fair actions enabled in the post-state of a step found (for a view not met before)
    post_enabled: dict[View, set[str]] = field(default_factory=dict)
    queries: int = 0
    unknown: str = ""

    @property
    def proved(self) -> bool:
        return not (self.edges or self.new_views or self.disabled or self.killers or self.unknown)


class _Views:
    """The view's options as Z3 Booleans before and after a step, in one vocabulary."""

    def __init__(self, fs: FoSystem, vocab: Vocabulary, comps: Sequence[Component]):
        self.fs, self.vocab, self.comps = fs, vocab, comps
        ctx = vocab.ctx
        self.pre = [[z3.Bool(f"pre{k}_{m}", ctx) for m in range(len(c.options))] for k, c in enumerate(comps)]
        self.post = [[z3.Bool(f"post{k}_{m}", ctx) for m in range(len(c.options))] for k, c in enumerate(comps)]
        self.defs: list[z3.BoolRef] = []
        for k, comp in enumerate(comps):
            for m, (_, f) in enumerate(comp.options):
                self.defs.append(self.pre[k][m] == vocab.formula(f))
                self.defs.append(self.post[k][m] == vocab.formula(rename_post(f)))
        self.goal_pre = vocab.formula(goal(fs))
        self.goal_post = vocab.formula(rename_post(goal(fs)))

    def view(self, v: View, post: bool) -> z3.BoolRef:
        bits = self.post if post else self.pre
        return z3.And([bits[k][m] for k, m in enumerate(v)])

    def level(self, views: frozenset[View], post: bool) -> z3.BoolRef:
        return z3.Or([self.view(v, post) for v in sorted(views)])

    def universes(self, model: z3.ModelRef) -> dict[str, list[z3.ExprRef]]:
        """The model's finite universe of each sort."""
        vocab = self.vocab
        universes = {}
        for name, sort in vocab.sorts.items():
            elems = vocab.elements.get(name) or model.get_universe(sort)
            universes[name] = list(elems) if elems else [z3.FreshConst(sort)]
        return universes

    def read(self, model: z3.ModelRef, post: bool) -> View:
        """The view of the model's pre-state (or post-state): each option's formula evaluated with
        its quantifiers expanded over the model's finite universes."""
        vocab = self.vocab
        universes = self.universes(model)
        out = []
        for comp in self.comps:
            hit = [m for m, (_, f) in enumerate(comp.options)
                   if z3.is_true(model.eval(vocab.expanded(rename_post(f) if post else f, universes), model_completion=True))]
            out.append(hit[0])
        return tuple(out)

    def enabled(self, model: z3.ModelRef, terms: dict[str, z3.BoolRef], post: bool) -> set[str]:
        """The participant's fair actions enabled in the model's pre-state (or post-state), each
        ``terms[h]`` (:func:`_enabled`) evaluated in the model. Z3 may leave a quantified formula
        unevaluated (neither true nor false, as it does for ``exists x. p(x)`` where p names one
        element), which read as false would leave a view where the action is enabled without it:
        such an answer is decided again with the guard's quantifiers expanded over the model's
        universes, as the view is read."""
        out: set[str] = set()
        universes = None
        for h, term in terms.items():
            got = model.eval(term, model_completion=True)
            if not (z3.is_true(got) or z3.is_false(got)):
                universes = universes or self.universes(model)
                got = model.eval(self.vocab.expanded(enabled_formula(self.fs, h, post), universes), model_completion=True)
            if z3.is_true(got):
                out.add(h)
        return out


def _fragment_parts(fs: FoSystem, comps: Sequence[Component], inv: Formula) -> list[tuple[str, Formula]]:
    parts: list[tuple[str, Formula]] = [("the well-formed pre-state", well_formed(fs)), ("the invariant", inv)]
    for comp in comps:
        for word, f in comp.options:
            parts.append((f"the view's {comp.name} = {word}", f))
            parts.append((f"the view's {comp.name} = {word}, negated", neg(f)))
    named = fs.side.recovery.goal_name if fs.side.recovery is not None else "the goal"
    parts.append((named, goal(fs)))
    parts.append((f"{named}, negated", neg(goal(fs))))
    return parts


def check_ranking(fs: FoSystem, inv: Formula, comps: Sequence[Component], levels: Sequence[ViewLevel],
                  effort: Effort, pool: Sequence[Clause] = (), block: int = 8) -> RankingCheck:
    """Ask every condition of the rule once (each counterexample blocked and asked again, up to
    ``block`` per question); what is found comes back as facts for the view graph, or, when a
    counterexample's pre-state violates clauses of ``pool`` (true in the finite networks), as
    those clauses, assumed for the rest of the question. Each query has the work of ``effort``
    (:mod:`.effort`); past its deadline :class:`.OutOfTime` is raised."""
    out = RankingCheck()
    require_epr(fs, _fragment_parts(fs, comps, inv))
    vocab = Vocabulary(fs, z3.Context())
    views = _Views(fs, vocab, comps)
    ctx = vocab.ctx
    base = [vocab.formula(well_formed(fs)), vocab.formula(inv), *views.defs]
    pre_lv = [views.level(lv.views, False) for lv in levels]
    post_lv = [views.level(lv.views, True) for lv in levels]
    actions = own_fair_actions(fs)
    enabled_post = {h: _enabled(fs, vocab, h, post=True) for h in actions}

    def solver() -> z3.Solver:
        s = effort.solver(ctx)
        assert_all(s, base)
        return s

    def ask(s: z3.Solver, name: str, found: Callable[[z3.ModelRef], z3.BoolRef | None]) -> None:
        for _ in range(block):
            out.queries += 1
            r = effort.check(s, name)
            if r == z3.unsat:
                return
            if r == z3.unknown:
                out.unknown = out.unknown or f"the solver gave up on {name} at its limit of work ({s.reason_unknown()})"
                return
            pre, sizes = read_structure(vocab, s.model(), post=False)
            killers = sorted((k for k in pool if not clause_holds_in(k, pre, sizes)),
                             key=lambda k: (not _within(k, comps), len(k.literals), len(k.shape.vars)))[:KILLERS]
            if killers:
                out.killers.extend(k for k in killers if k not in out.killers)
                s.add(*(vocab.formula(k.formula()) for k in killers))
                continue
            blocker = found(s.model())
            if blocker is None:
                return
            s.add(blocker)

    # cover
    s = solver()
    s.add(z3.Not(views.goal_pre), *(z3.Not(p) for p in pre_lv))

    def new_view(m: z3.ModelRef) -> z3.BoolRef:
        v = views.read(m, False)
        en = views.enabled(m, {h: _enabled(fs, vocab, h) for h in actions}, post=False)
        out.new_views.append((v, en, False))
        return z3.Not(views.view(v, False))
    for _ in range(COVER_ROUNDS):
        ask(s, "every state outside the goal is in a level", new_view)

    # enabled
    for h in actions:
        mine = [i for i, lv in enumerate(levels) if lv.helpful == h]
        if not mine:
            continue
        s = solver()
        s.add(z3.Or([pre_lv[i] for i in mine]), z3.Not(_enabled(fs, vocab, h)))

        def disabled(m: z3.ModelRef, h: str = h) -> z3.BoolRef:
            v = views.read(m, False)
            out.disabled.append((v, h))
            return z3.Not(views.view(v, False))
        ask(s, f"the helpful {h}(c0) is enabled in its levels", disabled)

    # no step up (but for a disturbance, for every budget); helpful
    spent = set(disturbances(fs))
    # "from level i to none of levels 1..i", the same for every step: made once, where the first
    # step's question needs it (the order in which terms are made decides their ids, which the
    # solver's search follows; made again it would be the same terms)
    up: list[z3.BoolRef] = []
    for cmd in fs.commands:
        step = vocab.formula(command_formula(fs, cmd))
        own = _own(fs, vocab, cmd)
        if cmd in spent:
            if own is None:
                continue
            raise AssertionError(f"{cmd.action} spends a budget and is a fair action of one client")
        s = solver()
        s.add(step, z3.Not(views.goal_post))
        if not up:
            up.append(z3.Or([z3.And(pre_lv[i], *(z3.Not(post_lv[j]) for j in range(i + 1))) for i in range(len(levels))]))
        s.add(up[0])

        def edge(m: z3.ModelRef, cmd: Command = cmd, own: z3.BoolRef | None = own) -> z3.BoolRef:
            v, w = views.read(m, False), views.read(m, True)
            label = cmd.action if own is not None and z3.is_true(m.eval(own, model_completion=True)) else ""
            out.edges.append((v, label, w))
            if w not in out.post_enabled:
                out.post_enabled[w] = views.enabled(m, enabled_post, post=True)
            return z3.Not(z3.And(views.view(v, False), views.view(w, True)))
        where = f"{cmd.action} {cmd.label}".strip()
        ask(s, f"no step of {where} leads up", edge)
        mine = [i for i, lv in enumerate(levels) if lv.helpful == cmd.action]
        if own is None or not mine:
            continue
        s = solver()
        s.add(step, own, z3.Not(views.goal_post))
        s.add(z3.Or([z3.And(pre_lv[i], *(z3.Not(post_lv[j]) for j in range(i))) for i in mine]))
        ask(s, f"the helpful step {where} of c0 leads down", edge)
    return out


def unranked_reason(comps: Sequence[Component], rest: set[View], reached: set[View], who: str = "participant") -> str:
    """Why no ranking was found, in words: the views left over that no explored network reaches
    (the invariant found does not exclude them: too weak, not a run of the model) apart from those
    that a reachable state shows (as far as one client's view tells, a fair run may stay there)."""
    seen, unseen = sorted(rest & reached), sorted(rest - reached)
    parts = []
    if unseen:
        shown = "; ".join(describe(comps, v) for v in unseen[:3])
        parts.append(f"{len(unseen)} views have no ranking and are not excluded by the invariant found, though no "
                     f"network explored reaches them (a stronger invariant may exclude them; for example {shown})")
    if seen:
        shown = "; ".join(describe(comps, v) for v in seen[:3])
        parts.append(f"{len(seen)} views of reachable states have no ranking: a fair run may stay among them as far "
                     f"as the view of one {who} tells (for example {shown})")
    return "; and ".join(parts)


def _within(clause: Clause, comps: Sequence[Component]) -> bool:
    """Whether the clause speaks only of arrays the view reads (such a clause is preferred)."""
    seen = {c.name.split("[")[0] for c in comps}
    return all(atom.spec[1] in seen for atom, _ in clause.literals)


def _own(fs: FoSystem, vocab: Vocabulary, cmd: Command) -> z3.BoolRef | None:
    """``the command's client is c0``, when it is a command of one of the client's fair actions."""
    if cmd.action not in own_fair_actions(fs):
        return None
    return vocab.formula(EqT(cmd.params[0], fs.participant))


def _branches_enabled(fs: FoSystem, action: str, post: bool) -> list[Formula]:
    """For each branch of ``action``: ``action(c0)`` takes it (before the step, or after it), for
    some choice of its bound variables."""
    out = []
    for cmd in fs.commands_of(action):
        f = quant("exists", (cmd.params[0], *cmd.bound), conj(EqT(cmd.params[0], fs.participant), cmd.guard))
        out.append(rename_post(f) if post else f)
    return out


def enabled_formula(fs: FoSystem, action: str, post: bool = False) -> Formula:
    """``action(c0)`` is enabled (before the step, or after it): some branch's guard holds for some
    choice of its bound variables."""
    return disj(*_branches_enabled(fs, action, post))


def _enabled(fs: FoSystem, vocab: Vocabulary, action: str, post: bool = False) -> z3.BoolRef:
    """:func:`enabled_formula` as the solver is asked it (a term a branch)."""
    return z3.Or([vocab.formula(f) for f in _branches_enabled(fs, action, post)])


# ---------------------------------------------------------------------------------------------
# The loop


@dataclass
class RankingProof:
    """The outcome: ``holds`` with the invariant and the levels, or ``unknown`` with the reason."""

    verdict: str
    reason: str
    levels: list[ViewLevel] = field(default_factory=list)
    components: tuple[Component, ...] = ()
    invariant: list[Clause] = field(default_factory=list)
    #: the participant's name in the levels' words (DHCP: c0)
    participant: str = "c0"
    rounds: int = 0
    queries: int = 0
    views: int = 0
    seconds: float = 0.0


def prove_recovery(fs: FoSystem, base: Formula, pool: Sequence[Clause], graph: ViewGraph, comps: Sequence[Component],
                   deadline: Effort | float, progress: Callable[[str], None] | None = None) -> RankingProof:
    """Levels from the view graph, checked in the first-order model, the graph grown from each
    counterexample and the invariant from each unreachable one, until every condition holds
    (then the invariant is re-checked by a fresh solver).

    ``base`` is what the invariant must contain (the ghost's lemmas, ``single_binding``); the
    invariant is ``base`` and the pool clauses that counterexamples showed needed, made inductive
    by :func:`.allsizes.prove_invariant`, which re-checks it.

    ``deadline`` is the run's :class:`.Effort` (or its deadline, a time of ``time.monotonic()``):
    every query's work is counted, so the path is the same on every machine; the deadline only
    ends the run, unknown."""
    effort = effort_of(deadline)
    start = time.monotonic()
    out = RankingProof("unknown", "", components=tuple(comps), participant=fs.participant.name)

    def finish(reason: str) -> RankingProof:
        out.reason, out.seconds = reason, time.monotonic() - start
        return out

    try:
        return _rank(fs, base, pool, graph, comps, effort, progress, out, finish)
    except OutOfTime as e:
        return finish(f"{e}, after {out.rounds} rounds")


def _rank(fs: FoSystem, base: Formula, pool: Sequence[Clause], graph: ViewGraph, comps: Sequence[Component],
          effort: Effort, progress: Callable[[str], None] | None, out: RankingProof,
          finish: Callable[[str], RankingProof]) -> RankingProof:
    actions = own_fair_actions(fs)
    wanted: list[Clause] = []
    shown = Shown()  # what each search showed, for the next: only a new clause's questions are new
    proof = prove_invariant(fs, base, pool, effort, final=False, shown=shown)
    out.queries += proof.queries
    if proof.out_of_time:
        raise OutOfTime(proof.reason)
    if proof.verdict != "holds":
        return finish(f"the invariant the ranking needs is not proved: {proof.reason}")
    out.invariant = list(proof.clauses)
    inv = conj(base, *(k.formula() for k in out.invariant))
    strengthen = STRENGTHEN
    for rnd in itertools.count(1):
        out.rounds = rnd
        if wanted:
            # the clauses unreachable counterexamples violated, with what makes them inductive; when
            # that fails (or after STRENGTHEN rounds) the invariant stays, and counterexamples are steps;
            # the invariant so far is inductive: it stays whole; the clauses asked for start the
            # search, and one that a step breaks is dropped, not the end of the strengthening
            known = list(out.invariant)
            t0 = time.monotonic()
            proof = prove_invariant(fs, conj(base, *(k.formula() for k in known)), pool, effort, final=False,
                                    shown=shown, seed=[k for k in wanted if k not in known])
            out.queries += proof.queries
            if proof.out_of_time:  # the run's deadline, not an answer: the run ends
                raise OutOfTime(proof.reason)
            strengthen -= 1
            if proof.verdict == "holds":
                out.invariant = [*known, *(k for k in proof.clauses if k not in known)]
                inv = conj(base, *(k.formula() for k in out.invariant))
            else:
                strengthen = 0
            if progress:
                kept = sum(k in out.invariant for k in wanted)
                progress(f"the invariant with {len(wanted)} more clauses: {proof.verdict} ({proof.reason}), "
                         f"{kept} of them kept, {len(out.invariant)} clauses, {time.monotonic() - t0:.1f} s")
            wanted = []
        levels, rest = rank_views(graph, actions)
        out.levels, out.views = levels, len(graph.views)
        if rest:
            return finish(unranked_reason(comps, rest, graph.reached, fs.participant.sort))
        t0 = time.monotonic()
        found = check_ranking(fs, inv, comps, levels, effort, pool if strengthen > 0 else ())
        out.queries += found.queries
        if progress:
            progress(f"round {rnd}: {len(levels)} levels over {len(graph.views)} views, checked in "
                     f"{time.monotonic() - t0:.1f} s ({found.queries} solver calls): {len(found.edges)} new steps, "
                     f"{len(found.new_views)} new views, {len(found.disabled)} actions not enabled, "
                     f"{len(found.killers)} clauses for the invariant")
        if found.unknown:
            return finish(found.unknown)
        if found.proved:
            # a round that proves the ranking asked each question once, in a fresh context, and got
            # "unsat" at once (a counterexample would have been a step, a view or a clause): asking
            # the same questions again would be the same queries with the same answers; the
            # invariant is re-checked by a fresh solver, and the whole proof by the kernel when it
            # is written as a certificate
            ok, why = recheck(fs, base, out.invariant, effort)
            if not ok:
                return finish(f"the fresh solver did not confirm the invariant: {why}")
            out.verdict = "holds"
            return finish(f"an inductive invariant and a ranking of the {fs.participant.sort}'s helpful actions, re-checked")
        wanted = list(found.killers)
        for v, en, is_goal in found.new_views:
            graph.add_view(v, en, is_goal)
        for v, h in found.disabled:
            graph.enabled[v].discard(h)
        for v, lab, w in found.edges:
            if w not in graph.views:
                graph.add_view(w, found.post_enabled.get(w, set(actions)), False)
            graph.add_edge(v, lab, w)
    raise AssertionError("unreachable")
