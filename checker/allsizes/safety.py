"""Safety for every number of clients and addresses: a learned, quantified inductive invariant.

:func:`prove_invariant` takes the property as a first-order formula (the model's first-order side
writes it with the model's own predicates over variables: :meth:`.fo.FoSystem.invariant`) and a pool of candidate clauses that hold in every reachable
state of the finite networks explored (:mod:`.learn`). It grows an invariant from the property:
while some step leads from a state satisfying the invariant to one violating it, the solver's
counterexample to induction (a finite structure) is read back, and the shortest pool clauses
false in its pre-state join the invariant; a clause whose violation no pool clause explains is
dropped. Every solver call is first checked to be in the decidable fragment (:mod:`.epr`).
The invariant found is re-checked by a fresh solver in a fresh context: it holds initially,
every command preserves it and the well-formedness of the state, and it contains the property.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import z3

from leasecheck.checker.allsizes.effort import Effort, OutOfTime, OutOfWork, assert_all, effort_of
from leasecheck.checker.allsizes.epr import Edge, part_edges, require_acyclic, require_epr
from leasecheck.checker.allsizes.fo import (
    And,
    Command,
    Formula,
    FoSystem,
    Var,
    command_formula,
    conj,
    initial_formula,
    neg,
    rename_post,
    well_formed,
)
from leasecheck.checker.allsizes.fo_z3 import Vocabulary
from leasecheck.checker.allsizes.learn import (
    Clause,
    Shape,
    StateMatrix,
    atoms,
    clause_holds_in,
    literal_bits,
    local_premises,
    true_clauses,
)


@dataclass
class InvariantProof:
    """The outcome: ``holds`` with the clauses, or ``unknown`` with the reason."""

    verdict: str
    reason: str
    clauses: list[Clause] = field(default_factory=list)
    candidates: int = 0
    queries: int = 0
    rechecked: bool = False
    seconds: float = 0.0
    #: the run's deadline ended the search (not an answer of the solver)
    out_of_time: bool = False


def read_structure(vocab: Vocabulary, model: z3.ModelRef, post: bool) -> tuple[dict, dict[str, int]]:
    """A model of a query read as a finite structure (the pre-state or the post-state), and its sizes."""
    universes: dict[str, list[z3.ExprRef]] = {}
    for name, sort in vocab.sorts.items():
        elems = vocab.elements.get(name) or model.get_universe(sort)
        universes[name] = list(elems) if elems else [z3.FreshConst(sort)]

    def index_of(sort: str, value: z3.ExprRef) -> int:
        for i, e in enumerate(universes[sort]):
            if z3.eq(e, value):
                return i
        return -1

    S: dict = {}
    for g in vocab.fs.groups.values():
        consts = vocab.enum[g.name][1]
        back = {str(v): k for k, v in consts.items()}
        sym = vocab.kind[(g.name, post)]
        if g.index is None:
            S[("key", g.name)] = [back[str(model.eval(sym, model_completion=True))]]
            continue
        elems = universes[g.index]
        S[("key", g.name)] = [back[str(model.eval(sym(e), model_completion=True))] for e in elems]
        for n, sort, how in g.fields:
            decl = vocab.field[(g.name, n, post)]
            if how == "function":
                S[("f", g.name, n)] = [index_of(sort, model.eval(decl(e), model_completion=True)) for e in elems]
            else:
                col = []
                for e in elems:
                    hit = [i for i, z in enumerate(universes[sort]) if z3.is_true(model.eval(decl(e, z), model_completion=True))]
                    col.append(hit[0] if hit else -1)
                S[("f", g.name, n)] = col
    return S, {k: len(v) for k, v in universes.items()}


#: The networks where a counterexample to induction is looked for first, smallest first: there
#: every quantifier is expanded and the solver is quick. Only when none has one is the question
#: asked for every network. By the model's number of sorts (DHCP: clients x addresses).
SMALL = {2: ((1, 1), (2, 1), (1, 2), (2, 2)), 1: ((1,), (2,))}
#: Where a counterexample found only in the question for every network is read back, if it fits.
READ_BACK = {2: ((3, 2), (2, 3), (3, 3), (4, 4)), 1: ((3,), (4,))}

Net = tuple[int, ...]


def network(fs: FoSystem, net: Net) -> Vocabulary:
    """The vocabulary of the finite network ``net`` (so many ids of each sort), in a context of its own."""
    return Vocabulary(fs, z3.Context(), dict(zip(fs.sorts, net, strict=True)))


def _bounded_cti(fs: FoSystem, parts: Sequence[tuple[str, Formula]], vocabs: dict[Net, Vocabulary],
                 effort: Effort) -> tuple[z3.ModelRef, Vocabulary] | None:
    for net in READ_BACK[len(fs.sorts)]:
        vocab = vocabs.setdefault(net, network(fs, net))
        s = _ask(fs, vocab, parts, effort)
        # no second try: a read-back that gives up at its limit is the next size's question
        if effort.check(s, f"the read-back in {'x'.join(map(str, net))} of {parts[2][0]}", escalate=False) == z3.sat:
            return s.model(), vocab
    return None


def _ask(fs: FoSystem, vocab: Vocabulary, parts: Sequence[tuple[str, Formula]], effort: Effort) -> z3.Solver:
    require_epr(fs, parts)
    s = effort.solver(vocab.ctx)
    # each part translated just before it is asserted, as ``s.add`` one by one did: the order in
    # which terms are made decides their ids, and the solver's search follows the ids
    assert_all(s, (vocab.formula(g) for _, f in parts for g in (f.args if isinstance(f, And) else (f,))))
    return s


def _step_parts(fs: FoSystem, cmd: Command, pre: Formula, goal: Formula,
                wf: Formula | None = None, step: Formula | None = None) -> list[tuple[str, Formula]]:
    """The parts of the question "does ``cmd``'s step keep ``goal`` from a state satisfying ``pre``";
    ``wf`` and ``step``: the well-formed state and the command's step formula, when the caller asks
    many questions of one command (the same objects, so the solver's terms are translated once)."""
    where = f"{cmd.action}{'(' + cmd.label + ')' if cmd.label else ''}"
    return [("the well-formed pre-state", well_formed(fs) if wf is None else wf), ("the invariant", pre),
            (f"the step {where}", command_formula(fs, cmd) if step is None else step),
            ("the negated invariant after the step", neg(rename_post(goal)))]


def recheck(fs: FoSystem, prop: Formula, clauses: Sequence[Clause],
            deadline: Effort | float | None = None) -> tuple[bool, str]:
    """A fresh solver, a fresh context: initiation, consecution for every command, the property.
    Consecution is asked a few conjuncts at a time, each group first from itself (:class:`_Kept`),
    then, when that is not "unsat", from the whole invariant. Each question gets the effort's work (:mod:`.effort`), and none is asked after its deadline
    (``deadline``: an :class:`.Effort`, or a time of ``time.monotonic()``)."""
    effort = effort_of(deadline)
    vocab = Vocabulary(fs, z3.Context())

    def ask(parts: Sequence[tuple[str, Formula]]) -> z3.Solver:
        return _ask(fs, vocab, parts, effort)

    try:
        return _recheck(fs, prop, clauses, ask, _Kept(fs, vocab), effort)
    except OutOfWork as exc:  # the run's count of work, not the clock
        return False, str(exc)  # it names the re-check's question it did not ask
    except OutOfTime:
        return False, "the time ran out during the re-check"


class _Kept:
    """The re-check's first question of a few conjuncts: does a step from a well-formed state that
    satisfies *those conjuncts* (not the whole invariant) keep them? Most conjuncts are kept on
    their own; asked with a handful of quantified formulas instead of the whole invariant, the
    solver answers in a fraction of the time. "No" from it proves nothing either way: the question
    with the whole invariant is then asked. Each part's terms and fragment edges are built once."""

    def __init__(self, fs: FoSystem, vocab: Vocabulary):
        self.fs, self.vocab = fs, vocab
        wf = well_formed(fs)
        self.wf = vocab.formula(wf)
        self.wf_edges = part_edges("the well-formed pre-state", wf)
        self._parts: dict[int, tuple[Formula, z3.BoolRef, z3.BoolRef, list[Edge], list[Edge]]] = {}
        self._steps: dict[int, tuple[Formula, z3.BoolRef, list[Edge]]] = {}

    def _part(self, f: Formula) -> tuple[Formula, z3.BoolRef, z3.BoolRef, list[Edge], list[Edge]]:
        got = self._parts.get(id(f))
        if got is None:
            after = neg(rename_post(f))
            got = self._parts[id(f)] = (f, self.vocab.formula(f), self.vocab.formula(after),
                                        part_edges("a conjunct", f), part_edges("a conjunct negated after the step", after))
        return got

    def solver(self, step: Formula, group: Sequence[Formula], effort: Effort) -> z3.Solver:
        """A fresh solver asked whether ``step`` leads from the well-formed state of ``group`` to one
        that violates a formula of it."""
        got = self._steps.get(id(step))
        if got is None:
            got = self._steps[id(step)] = (step, self.vocab.formula(step), part_edges("the step", step))
        parts = [self._part(f) for f in group]
        require_acyclic(self.fs, [self.wf_edges, got[2], *(p[3] for p in parts), *(p[4] for p in parts)])
        s = effort.solver(self.vocab.ctx)
        assert_all(s, [self.wf, got[1], *(p[1] for p in parts), z3.Or([p[2] for p in parts])])
        return s


def _recheck(fs: FoSystem, prop: Formula, clauses: Sequence[Clause],
             ask: Callable[[Sequence[tuple[str, Formula]]], z3.Solver], kept: _Kept,
             effort: Effort) -> tuple[bool, str]:
    inv = conj(prop, *(c.formula() for c in clauses))
    whole = conj(inv, well_formed(fs))
    s = ask([("the initial state", initial_formula(fs)), ("the negated invariant", neg(whole))])
    if effort.check(s, "the re-check of initiation") != z3.unsat:
        return False, "the invariant does not hold in the initial state"
    # consecution a few conjuncts at a time: each question negates a handful of clauses, so the
    # solver's search stays small however many clauses the invariant has; a group it cannot
    # decide is asked again one conjunct at a time
    goals = list(whole.args if isinstance(whole, And) else (whole,))
    wf = well_formed(fs)
    for cmd in fs.commands:
        where = f"{cmd.action} {cmd.label}".strip()
        step = command_formula(fs, cmd)  # built once per command: its terms are translated once
        for first in range(0, len(goals), RECHECK_GROUP):
            group = goals[first:first + RECHECK_GROUP]
            what = f"the re-check of {where}, conjuncts {first + 1} to {first + len(group)}"
            # first from the group alone: unsat there is unsat with the whole invariant (fewer
            # assumptions); any other answer, the whole invariant's question decides
            if effort.check(kept.solver(step, group, effort), what + " from themselves",
                            escalate=False) == z3.unsat:
                continue
            s = ask(_step_parts(fs, cmd, whole, conj(*group), wf, step))
            # a group that gives up at its limit is split, not asked again with more
            r = effort.check(s, what, escalate=len(group) == 1)
            if r == z3.unknown and len(group) > 1:
                for n, goal in enumerate(group, first + 1):
                    s = ask(_step_parts(fs, cmd, whole, goal, wf, step))
                    if (r := effort.check(s, f"the re-check of {where}, conjunct {n}")) != z3.unsat:
                        break
            if r != z3.unsat:
                return False, f"the step {where} is not shown to keep the invariant ({r})"
    return True, ""


#: how many conjuncts of the invariant one re-check question negates together
RECHECK_GROUP = 6


class Shown:
    """What a search has shown so far: a command's step keeps a formula, in one network or in
    every network, when the state before it satisfies a set of formulas. Kept under some formulas,
    it is kept under any more of them, so a search asks only of the formulas not yet shown kept
    under those it has now: after a clause joins the invariant, only the new clause's questions
    are new. One record may serve the searches of one run (a recovery proof grows its invariant
    several times); it only spares questions, never answers one differently, and the invariant
    found is re-checked by a fresh solver without it."""

    def __init__(self) -> None:
        self._under: dict[tuple[Net | None, Command, Formula], frozenset[Formula]] = {}

    def kept(self, net: Net | None, cmd: Command, f: Formula, pre: frozenset[Formula]) -> bool:
        under = self._under.get((net, cmd, f))
        return under is not None and under <= pre

    def add(self, net: Net | None, cmd: Command, kept: Sequence[Formula], pre: frozenset[Formula]) -> None:
        for f in kept:
            self._under[(net, cmd, f)] = pre


def conjuncts(f: Formula) -> list[Formula]:
    """The conjuncts of ``f``, nested conjunctions opened."""
    return [g for a in f.args for g in conjuncts(a)] if isinstance(f, And) else [f]


class _Steps:
    """Step queries over one vocabulary, the terms of each clause built once."""

    def __init__(self, fs: FoSystem, vocab: Vocabulary, net: Net | None = None):
        self.fs, self.vocab, self.net = fs, vocab, net
        self.terms: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = {}
        self.cmds: dict[int, z3.BoolRef] = {}
        self.wf = vocab.formula(well_formed(fs))
        self.wf_edges = part_edges("the well-formed pre-state", well_formed(fs))
        self._part_edges: dict[tuple[int, bool], tuple[object, list[Edge]]] = {}

    def _edges(self, where: str, part: Formula | Command, negated: bool) -> list[Edge]:
        key = (id(part), negated)
        got = self._part_edges.get(key)
        if got is None:
            if isinstance(part, Command):
                f = command_formula(self.fs, part)
            else:
                f = neg(rename_post(part)) if negated else part
            got = self._part_edges[key] = (part, part_edges(where, f))  # the part kept alive: ids stay unique
        return got[1]

    def clause(self, f: Formula) -> tuple[z3.BoolRef, z3.BoolRef]:
        got = self.terms.get(id(f))
        if got is None:
            got = self.terms[id(f)] = (self.vocab.formula(f), self.vocab.formula(rename_post(f)))
        return got

    def solver(self, cmd: Command, pre: Sequence[Formula], post: Sequence[Formula], effort: Effort,
               track: bool = False) -> tuple[z3.Solver, list[z3.BoolRef]]:
        # the fragment check of the whole query, before the call; each part's edges found once
        parts = [(f"the invariant clause {i}", f, False) for i, f in enumerate(pre)]
        parts += [(f"the negated clause {i} after the step", f, True) for i, f in enumerate(post)]
        edges = [self._edges(where, f, negated) for where, f, negated in parts]
        edges.append(self._edges(f"the step {cmd.action} {cmd.label}".strip(), cmd, False))
        require_acyclic(self.fs, [self.wf_edges, *edges])
        if id(cmd) not in self.cmds:
            self.cmds[id(cmd)] = self.vocab.formula(command_formula(self.fs, cmd))
        s = effort.solver(self.vocab.ctx)
        assert_all(s, (self.wf, self.cmds[id(cmd)]))
        marks: list[z3.BoolRef] = []
        # each clause made just before it is asserted (the order in which terms are made decides
        # their ids, and the solver's search follows the ids)
        assert_all(s, (self._pre(f, i, marks) if track else self.clause(f)[0] for i, f in enumerate(pre)))
        s.add(z3.Or([z3.Not(self.clause(f)[1]) for f in post]))
        return s, marks

    def _pre(self, f: Formula, i: int, marks: list[z3.BoolRef]) -> z3.BoolRef:
        m = z3.Bool(f"inv{i}", self.vocab.ctx)
        marks.append(m)
        return z3.Implies(m, self.clause(f)[0])

    def where(self, cmd: Command) -> str:
        sizes = self.vocab.elements
        net = "every network" if not sizes else f"the {'x'.join(str(len(sizes[k])) for k in self.fs.sorts)} network"
        return f"{cmd.action} {cmd.label}".strip() + f" in {net}"

    def counterexample(self, cmd: Command, forms: Sequence[Formula], effort: Effort, split: bool,
                       shown: Shown) -> tuple[z3.CheckSatResult, z3.Solver | None, int]:
        """Whether ``cmd`` leads from a state of every formula to one that violates one of them
        (of those ``shown`` does not already have kept); with ``split``, one question per few
        formulas after the step (each a smaller search for the solver), the first counterexample
        found ending it. The answer, the last solver asked (None: none was), and how many were."""
        where = self.where(cmd)
        pre = frozenset(forms)
        todo = [f for f in forms if not shown.kept(self.net, cmd, f, pre)]
        number = {id(f): n for n, f in enumerate(forms, 1)}
        if not todo:
            return z3.unsat, None, 0
        if not split:
            q, _ = self.solver(cmd, forms, todo, effort)
            r = effort.check(q, f"a counterexample to induction for {where}")
            if r == z3.unsat:
                shown.add(self.net, cmd, todo, pre)
            return r, q, 1
        undecided: z3.Solver | None = None
        asked = 0
        for first in range(0, len(todo), RECHECK_GROUP):
            group = todo[first:first + RECHECK_GROUP]
            clauses = ", ".join(str(number[id(f)]) for f in group)
            # first from the group alone, as the re-check asks: unsat there is unsat with every
            # formula (fewer assumptions); any other answer, the question with every formula decides
            q, _ = self.solver(cmd, group, group, effort)
            asked += 1
            if effort.check(q, f"a counterexample to induction for {where}, clauses {clauses} from themselves",
                            escalate=False) == z3.unsat:
                shown.add(self.net, cmd, group, pre)
                continue
            q, _ = self.solver(cmd, forms, group, effort)
            asked += 1
            # a group that gives up at its limit is split, not asked again with more
            r = effort.check(q, f"a counterexample to induction for {where}, clauses {clauses}",
                             escalate=len(group) == 1)
            if r == z3.unsat:
                shown.add(self.net, cmd, group, pre)
            if r == z3.unknown and len(group) > 1:  # one at a time
                for f in group:
                    q, _ = self.solver(cmd, forms, [f], effort)
                    asked += 1
                    r = effort.check(q, f"a counterexample to induction for {where}, clause {number[id(f)]}")
                    if r != z3.unsat:
                        break
                    shown.add(self.net, cmd, [f], pre)
            if r == z3.sat:
                return r, q, asked
            if r == z3.unknown and undecided is None:
                undecided = q
        return (z3.unsat, q, asked) if undecided is None else (z3.unknown, undecided, asked)


def prove_invariant(fs: FoSystem, prop: Formula, pool: Sequence[Clause], deadline: Effort | float,
                    per_round: int = 8, networks: Sequence[Net] | None = None,
                    final: bool = True, shown: Shown | None = None, seed: Sequence[Clause] = ()) -> InvariantProof:
    """Grow an invariant from the property with pool clauses that exclude counterexamples to induction.

    ``deadline`` is the run's :class:`.Effort` (or its deadline, a time of ``time.monotonic()``):
    each query's work is counted, so the path taken does not depend on the machine; the deadline
    only ends the search, unknown. With ``final`` the clauses are pruned to those the property
    needs and the result is re-checked by a fresh solver; without, the result is the search's (its
    last question, for every network, found no counterexample to induction), for a caller that
    re-checks a larger invariant later. ``shown`` is what earlier searches of the same system
    showed (:class:`Shown`), and is added to. ``seed`` are clauses the invariant starts with
    besides the property: unlike the property, one that a step breaks (with no pool clause to
    exclude the step's pre-state) is dropped, not the end of the search."""
    effort = effort_of(deadline)
    start = time.monotonic()
    out = InvariantProof("unknown", "", candidates=len(pool))
    inv: list[Clause] = list(dict.fromkeys(seed))

    def finish(reason: str) -> InvariantProof:
        out.reason, out.clauses, out.seconds = reason, inv, time.monotonic() - start
        return out

    try:
        return _grow(fs, prop, pool, effort, per_round, networks, final, shown or Shown(), out, inv, finish)
    except OutOfTime as e:
        out.out_of_time = True
        return finish(f"{e} after {out.queries} solver calls, with {len(inv)} clauses")


def _grow(fs: FoSystem, prop: Formula, pool: Sequence[Clause], effort: Effort, per_round: int,
          networks: Sequence[Net] | None, final: bool, shown: Shown, out: InvariantProof, inv: list[Clause],
          finish: Callable[[str], InvariantProof]) -> InvariantProof:
    vocab = Vocabulary(fs)
    s = _ask(fs, vocab, [("the initial state", initial_formula(fs)), ("the negated property", neg(prop))], effort)
    out.queries += 1
    if effort.check(s, "the property in the initial state") != z3.unsat:
        return finish("the property does not hold in the initial state of some network")
    pool = list(pool)
    steps = [_Steps(fs, network(fs, net), net) for net in (SMALL[len(fs.sorts)] if networks is None else networks)]
    steps.append(_Steps(fs, vocab))
    readback: dict[Net, Vocabulary] = {}

    level, index = 0, 0  # the network size tried, and the command where the last counterexample was
    order = list(fs.commands)
    while True:
        forms = [*conjuncts(prop), *(c.formula() for c in inv)]
        cti = None
        for step in range(len(order)):
            cmd = order[(index + step) % len(order)]
            r, q, asked = steps[level].counterexample(cmd, forms, effort, split=level == len(steps) - 1, shown=shown)
            out.queries += asked
            if q is None:
                continue
            if r == z3.unknown:
                return finish(f"the solver gave up on {steps[level].where(cmd)} at its limit of work "
                              f"({q.reason_unknown()})")
            if r == z3.sat:
                index = (index + step) % len(order)
                model, where = q.model(), steps[level].vocab
                if level == len(steps) - 1:  # a small network with the same counterexample reads better
                    found = _bounded_cti(fs, _step_parts(fs, cmd, conj(*forms), conj(*forms)), readback, effort)
                    if found is not None:
                        model, where = found
                cti = (cmd, model, where)
                break
        if cti is None:
            if level == len(steps) - 1:
                break  # no counterexample in any network: inductive
            level += 1
            continue
        cmd, model, where = cti
        pre, sizes = read_structure(where, model, post=False)
        killers = [k for k in pool if k not in inv and not clause_holds_in(k, pre, sizes)]
        if killers:
            killers.sort(key=lambda k: (len(k.literals), len(k.shape.vars)))
            inv.extend(killers[:per_round])
            level = 0
            continue
        post, psizes = read_structure(where, model, post=True)
        broken = [k for k in inv if not clause_holds_in(k, post, psizes)]
        if not broken:
            return finish(f"the step {cmd.action} ({cmd.label or 'its only branch'}) leads from a state no learned "
                          f"clause excludes to one that violates the property")
        for k in broken:
            inv.remove(k)
            if k in pool:
                pool.remove(k)
        level = 0
    if not final:
        out.verdict = "holds"
        return finish("inductive (not re-checked)")
    need = _needed(fs, steps[-1], prop, inv, effort)
    out.queries += len(fs.commands)
    if need is not None:
        inv[:] = need
    ok, why = recheck(fs, prop, inv, effort)
    out.rechecked = ok
    out.verdict = "holds" if ok else "unknown"
    return finish("inductive" if ok else f"the fresh solver did not confirm the invariant: {why}")


def _needed(fs: FoSystem, steps: _Steps, prop: Formula, inv: list[Clause], effort: Effort) -> list[Clause] | None:
    """The clauses the property needs, by unsat cores from the property outwards (None: no answer):
    each clause newly found needed is asked once per command, a few together, what keeps it."""
    need: list[Clause] = []
    forms = [prop, *(c.formula() for c in inv)]
    frontier = [prop]
    while frontier:
        found: list[Formula] = []
        for cmd in fs.commands:
            for first in range(0, len(frontier), RECHECK_GROUP):
                q, marks = steps.solver(cmd, forms, frontier[first:first + RECHECK_GROUP], effort, track=True)
                if effort.check(q, f"the clauses needed by {steps.where(cmd)}", *marks) != z3.unsat:
                    return None
                core = {str(m) for m in q.unsat_core()}
                for i, k in enumerate(inv):
                    if f"inv{i + 1}" in core and k not in need:
                        need.append(k)
                        found.append(k.formula())
        frontier = found
    return need


# ---------------------------------------------------------------------------------------------
# The pool learned from finite networks


def shapes(fs: FoSystem) -> list[tuple[Shape, int]]:
    """The clause shapes learned, with the most literals each may have: of one or two ids of the
    first sort (``c``, ``d`` for clients) and, for a model of two, one or two of the second
    (``a``, ``b`` for addresses)."""
    def two(sort: str) -> tuple[Var, Var]:
        return Var(sort[0], sort), Var(chr(ord(sort[0]) + 1), sort)
    c, c2 = two(fs.sorts[0])
    if len(fs.sorts) == 1:
        return [(Shape((c,), ()), 3), (Shape((c, c2), ()), 2)]
    a, a2 = two(fs.sorts[1])
    return [(Shape((c,), (a,)), 3), (Shape((c,), (a, a2)), 2), (Shape((c, c2), (a,)), 2)]


def learn_pool(fs: FoSystem, samples: Sequence[StateMatrix], budgets: bool = False,
               local: bool = False) -> list[Clause]:
    """Every clause of the shapes above true in every sampled reachable state (with ``budgets``,
    clauses may also speak of the scalars' values: DHCP's budgets left, whether a lock is taken; with ``local``, the shape of one client and one
    address also has the clauses "if the client's state and message kinds are these, then one
    more literal": four literals, :func:`.learn.local_premises`, over the arrays the recovery's
    view names ``local``)."""
    pool: list[Clause] = []
    own = fs.side.recovery.view.local if fs.side.recovery is not None else ()
    for shape, width in shapes(fs):
        usable = [sm for sm in samples
                  if all(sm.reading.sizes[vs[0].sort] >= len(vs) for vs in (shape.clients, shape.addresses) if vs)]
        if not usable:
            continue
        vocabulary = atoms(fs, shape, budgets)
        env_of = {id(v): i for vs in (shape.clients, shape.addresses) for i, v in enumerate(vs)}
        bits = literal_bits(vocabulary, [(sm, env_of) for sm in usable])
        premises = local_premises(vocabulary, shape.clients[0], own) if local and len(shape.vars) == 2 else []
        for clause in true_clauses(shape, vocabulary, bits, width, premises):
            used = {id(v) for lit, _ in clause.literals for v in lit.vars}
            if len(shape.vars) > 2 and len(used) < len(shape.vars):
                continue  # a clause of a smaller shape
            pool.append(clause)
    return pool
