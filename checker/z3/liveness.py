"""Recovery under weak fairness: lasso-shaped bounded search, and a liveness-to-safety proof.

*Lassos.* A path ``x@0 .. x@k`` whose last state equals the state at a loop start ``l < k``
(one selector ``loop@l`` per candidate), every loop state avoiding the goal, and for every fair
action instance some loop step that takes it or a loop state where it is disabled (weak
fairness, SEMANTICS.md section 6). Deepened one step at a time, so the first lasso found has
the fewest states. A reachable deadlock outside the goal is also a violation (a finite run).

*Proof.* The liveness-to-safety reduction, as Horn clauses over one predicate
``R(x, saved, inloop, fair_1..fair_n)``: before the loop, states step as the model does; at any
state outside the goal the run may *save* it and enter the loop, taking its first step; in the
loop every step stays outside the goal, and ``fair_i`` records that instance ``i`` was taken or
seen disabled since the save. A fair loop avoiding the goal exists exactly when a state with
``inloop``, all ``fair_i`` and ``x = saved`` is derivable (or a deadlock outside the goal is).
Spacer's solution for ``R`` excludes that: it is the certificate, re-checked like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from model.lang import Expr

from ..results import Trace
from .horn import Clause, HornProblem, Predicate, Unknown
from .paths import Unrolling
from .translate import Translator


@dataclass(frozen=True)
class LassoOutcome:
    trace: Trace | None
    depth: int
    unknown: str = ""


def find_lasso(tr: Translator, goal: Expr, depth: int, timeout: float | None = None) -> LassoOutcome:
    """The shortest fair lasso (or path into a deadlock) of at most ``depth`` steps avoiding ``goal`` in its loop."""
    system = tr.system
    fair = [i for i in system.instances if i.fair]
    unrolling = Unrolling(tr, timeout)
    for k in range(depth + 1):
        if k > 0:
            unrolling.deepen()
        xs, fires = unrolling.states, unrolling.fires
        with unrolling.solver.scope() as s:
            s.add(z3.Not(tr.holds(goal, xs[k])), tr.deadlock(xs[k]))
            answer = s.check()
            if answer.sat:
                return LassoOutcome(unrolling.trace(k), k)
            if not answer.unsat:
                return LassoOutcome(None, k - 1, answer.reason)
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
            for inst in fair:
                where = []
                for j in range(k):
                    taken = fires[j][inst.index]
                    where.append(z3.And(inloop[j], z3.Or(taken, z3.Not(tr.enabled(inst, xs[j])))))
                s.add(z3.Or(where))
            answer = s.check()
            if answer.sat:
                model = s.model()
                start = next(m for m in range(k) if z3.is_true(model.eval(select[m], model_completion=True)))
                return LassoOutcome(unrolling.trace(k, start), k)
            if not answer.unsat:
                return LassoOutcome(None, k - 1, answer.reason)
    return LassoOutcome(None, depth)


def recovery_problem(tr: Translator, goal: Expr, statement: str) -> HornProblem:
    """The liveness-to-safety Horn clauses for "``goal`` infinitely often in every fair run".

    Two unknowns: ``Reach(x)`` over-approximates the reachable states, ``Loop(x, saved, fair..)``
    the states of a run that saved ``saved`` (outside the goal) and has since stayed outside it.
    """
    system = tr.system
    fair = [i for i in system.instances if i.fair]
    n = len(fair)
    position = {inst.index: p for p, inst in enumerate(fair)}
    reach_formals = tr.state("r")
    loop_formals = (*tr.state("l"), *tr.state("saved"), *(z3.Bool(f"fair {i}") for i in fair))
    x, y, saved = tr.state("x"), tr.state("y"), tr.state("s")
    flags = tuple(z3.Bool(f"fair {i}@x") for i in fair)

    def build(reach: Predicate, loop: Predicate) -> list[Clause]:
        out = [Clause("initiation", x, tr.initial(x), reach(*x))]
        avoid_x, avoid_y = z3.Not(tr.holds(goal, x)), z3.Not(tr.holds(goal, y))
        off_x = [z3.Not(tr.enabled(i, x)) for i in fair]
        off_y = [z3.Not(tr.enabled(i, y)) for i in fair]
        for cmd in system.commands:
            move = z3.And(tr.in_range(x), tr.command(cmd, x, y))
            name = f"{cmd.action}{cmd.params} {cmd.label}".rstrip()
            p = position.get(cmd.instance)
            out.append(Clause(f"step {name}", x + y, z3.And(reach(*x), move), reach(*y)))
            first = [z3.Or(off_x[j], off_y[j], z3.BoolVal(j == p)) for j in range(n)]
            out.append(Clause(f"enter the loop by {name}", x + y,
                              z3.And(reach(*x), move, avoid_x, avoid_y), loop(*y, *x, *first)))
            later = [z3.Or(flags[j], off_y[j], z3.BoolVal(j == p)) for j in range(n)]
            out.append(Clause(f"loop {name}", x + y + saved + flags,
                              z3.And(loop(*x, *saved, *flags), tr.in_range(saved), move, avoid_y),
                              loop(*y, *saved, *later)))
        out.append(Clause("no fair loop avoiding the goal", x + saved + flags,
                          z3.And(loop(*x, *saved, *flags), tr.equal(x, saved), *flags), z3.BoolVal(False)))
        out.append(Clause("no deadlock outside the goal", x,
                          z3.And(reach(*x), tr.in_range(x), avoid_x, tr.deadlock(x)), z3.BoolVal(False)))
        return out

    return HornProblem((Unknown("Reach", reach_formals), Unknown("Loop", loop_formals)), build, statement)
