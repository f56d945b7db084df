"""Recovery under weak fairness: the lasso-shaped bounded search for a counterexample.

*Lassos.* A path ``x@0 .. x@k`` whose last state equals the state at a loop start ``l < k``
(one selector ``loop@l`` per candidate), every loop state avoiding the goal, and for every fair
action instance some loop step that takes it or a loop state where it is disabled (weak
fairness, docs/model.md section 6). Deepened one step at a time, so the first lasso found has
the fewest states. A reachable deadlock outside the goal is also a violation (a finite run).

The proof that no such lasso exists is in :mod:`.ranking`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import z3

from leasecheck.checker.results import Trace
from leasecheck.checker.z3 import bmc
from leasecheck.checker.z3.paths import SearchOutcome, Unrolling, trace_of
from leasecheck.checker.z3.sample import Sample
from leasecheck.checker.z3.solver import Timeout
from leasecheck.checker.z3.terms import disj
from leasecheck.checker.z3.translate import State, Translator
from leasecheck.model.lang import Expr


def find_lasso(tr: Translator, goal: Expr, depth: int, timeout: Timeout = None) -> SearchOutcome:
    """The shortest fair lasso (or path into a deadlock) of at most ``depth`` steps avoiding ``goal`` in its loop."""
    unrolling = Unrolling(tr, timeout)
    for k in range(depth + 1):
        if k > 0:
            unrolling.deepen()
        xs, fires = unrolling.states, unrolling.fires
        with unrolling.solver.scope() as s:
            s.add(z3.Not(tr.holds(goal, xs[k])), tr.deadlock(xs[k]))
            answer = s.check()
            if answer.sat:
                return SearchOutcome(unrolling.trace(k), k)
            if not answer.unsat:
                return SearchOutcome(None, k - 1, answer.reason)
        if k == 0:
            continue
        with unrolling.solver.scope() as s:
            select = [z3.Bool(f"loop@{m}") for m in range(k)]
            s.add(z3.PbEq([(b, 1) for b in select], 1))
            inloop = [z3.Or(select[: j + 1]) for j in range(k)]
            for m in range(k):
                s.add(z3.Implies(select[m], tr.equal(xs[k], xs[m])))
            for j in range(k):
                s.add(z3.Implies(inloop[j], z3.Not(tr.holds(goal, xs[j]))))
            s.add(weakly_fair(tr, xs[:k], fires[:k], inloop))
            answer = s.check()
            if answer.sat:
                model = s.model()
                first = next(m for m in range(k) if z3.is_true(model.eval(select[m], model_completion=True)))
                return SearchOutcome(unrolling.trace(k, first), k)
            if not answer.unsat:
                return SearchOutcome(None, k - 1, answer.reason)
    return SearchOutcome(None, depth)


def weakly_fair(tr: Translator, xs: Sequence[State], fires: Sequence[Sequence[z3.BoolRef]],
                inloop: Sequence[z3.BoolRef] | None = None) -> z3.BoolRef:
    """Every fair instance is taken at some loop step ``j``, or disabled in the state ``xs[j]`` before it."""
    where = inloop if inloop is not None else [z3.BoolVal(True)] * len(xs)
    return z3.And([z3.Or([z3.And(where[j], z3.Or(fires[j][inst.index], z3.Not(tr.enabled(inst, xs[j]))))
                          for j in range(len(xs))])
                   for inst in tr.system.instances if inst.fair])


#: how many fair loops are gathered before one path search looks for the nearest of them
LOOP_BATCH = 64


def find_loop_then_path(tr: Translator, goal: Expr, within: Callable[[State], z3.BoolRef], depth: int,
                        timeout: Timeout = None, reached: Sample | None = None) -> SearchOutcome:
    """A fair lasso in two searches: the shortest fair loops of states satisfying ``within``,
    then the shortest path from the initial state to a state of one of them.

    ``within`` holds in every state of every fair run that avoids the goal (the states a ranking
    left over, :mod:`.ranking`), so no lasso is lost, and loops are searched from any state,
    without a prefix: short searches instead of one long one, each of at most ``depth`` steps.
    The loops of one length are gathered (up to :data:`LOOP_BATCH` at a time, each loop's states
    then excluded from the next) and one path search looks for the nearest of them: a path
    search that finds nothing, which costs the most, is paid once per batch, not once per loop.
    Loops that no path of ``depth`` steps reaches are set aside and the search goes on.
    The lasso is the path followed by its loop, rotated to begin where the path ends: its loop is
    a shortest one, its prefix the shortest to any loop of the batch, the whole not necessarily
    the shortest.

    With ``reached`` (states met by running the model, :mod:`.sample`), the path is first looked
    up there: the first state of the batch the breadth-first search met gives a shortest path
    from its parent links (the same length as the path search's, and used only within ``depth``
    steps, as the path search would be), and when that search met every reachable state, a batch
    it met no state of within ``depth`` steps is set aside at once.
    The path search runs only when neither applies.
    """
    loops = Unrolling(tr, timeout, start=lambda xs: z3.And(tr.in_range(xs), within(xs), z3.Not(tr.holds(goal, xs))),
                      tag="loop ")
    set_aside: list[tuple[int, ...]] = []
    for k in range(1, depth + 1):
        loops.deepen()
        xs, fires = loops.states, loops.fires
        if k > 1:
            loops.solver.add(within(xs[k - 1]), z3.Not(tr.holds(goal, xs[k - 1])))
        with loops.solver.scope() as s:
            s.add(tr.equal(xs[k], xs[0]), weakly_fair(tr, xs[:k], fires))
            s.add(*(z3.Not(tr.is_state(xs[0], r)) for r in set_aside))
            exhausted = False
            while not exhausted:
                batch: list[tuple[list[tuple[int, ...]], list[tuple[str, tuple[int, ...]]]]] = []
                while len(batch) < LOOP_BATCH:
                    answer = s.check()
                    if answer.unsat:
                        exhausted = True
                        break
                    if not answer.sat:
                        return SearchOutcome(None, k - 1, answer.reason)
                    states, fired = loops.path(k)
                    batch.append((states, fired))
                    s.add(*(z3.Not(tr.is_state(xs[0], r)) for r in set(states[:k])))
                if not batch:
                    break
                ring = sorted({r for states, _ in batch for r in states[:k]})
                if reached is not None:
                    known = _known_path(tr, reached, ring)
                    if known is not None and len(known) <= depth:
                        end = known.steps[-1].state
                        states, fired = next((st, f) for st, f in batch if end in st[:k])
                        return SearchOutcome(_lasso(tr, known, states, fired), len(known) + k)
                    if reached.complete:  # unreachable, or further than the path search would look
                        set_aside += ring
                        continue
                entry = bmc.shortest_path_to(tr, functools.partial(_one_of, tr, ring), depth, timeout)
                if entry.unknown:
                    return SearchOutcome(None, k - 1, entry.unknown)
                if entry.trace is not None:
                    end = entry.trace.steps[-1].state
                    states, fired = next((st, f) for st, f in batch if end in st[:k])
                    return SearchOutcome(_lasso(tr, entry.trace, states, fired), len(entry.trace) + k)
                set_aside += ring
    return SearchOutcome(None, depth)


def _known_path(tr: Translator, reached: Sample, ring: Sequence[tuple[int, ...]]) -> Trace | None:
    """The path to the state of ``ring`` the breadth-first search met first (a nearest one), or None."""
    met = [reached.index[r] for r in ring if r in reached.index]
    if not met:
        return None
    found = reached.path_to(tr.system, reached.states[min(met)])
    assert found is not None
    return trace_of(tr.system, *found)


def _one_of(tr: Translator, states: Sequence[Sequence[int]], xs: State) -> z3.BoolRef:
    return disj([tr.is_state(xs, r) for r in states])


def _lasso(tr: Translator, path: Trace, loop: list[tuple[int, ...]], fired: list[tuple[str, tuple[int, ...]]]) -> Trace:
    """``path`` followed by the loop (``loop[-1] == loop[0]``), rotated to begin where the path ends."""
    prefix = [step.state for step in path.steps]
    k = len(fired)
    e = loop.index(prefix[-1])
    around = loop[e:k] + loop[:e + 1]
    steps = [(step.action, step.params) for step in path.steps[1:]] + fired[e:] + fired[:e]
    return trace_of(tr.system, prefix + around[1:], steps, len(prefix) - 1)  # type: ignore[arg-type]
