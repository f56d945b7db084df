"""Recovery under weak fairness: lasso-shaped bounded search, and a liveness-to-safety proof.

*Lassos.* A path ``x@0 .. x@k`` whose last state equals the state at a loop start ``l < k``
(one selector ``loop@l`` per candidate), every loop state avoiding the goal, and for every fair
action instance some loop step that takes it or a loop state where it is disabled (weak
fairness, SEMANTICS.md section 6). Deepened one step at a time, so the first lasso found has
the fewest states. A reachable deadlock outside the goal is also a violation (a finite run).

*Proof.* k-liveness (Claessen and Sorensson, 2012) as Horn clauses for Spacer: a monitor watches a
stretch of a run that starts at a reachable state outside the goal and stays outside it, and
counts *fair rounds*: a round completes when every fair instance has been taken or seen disabled
since the last one. A fair loop avoiding the goal completes rounds without end, so an inductive
invariant bounding the count by ``K`` proves that no such loop exists. The engine tries growing
``K``; Spacer's solution (``Reach`` and ``Mon``) is the certificate, re-checked like any other.
(The liveness-to-safety reduction with a saved state copy was tried first: Spacer did not solve
it within minutes even at one client and one address, as the invariant it needs relates two
copies of the state.)
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


def recovery_problem(tr: Translator, goal: Expr, statement: str, bound: int) -> HornProblem:
    """k-liveness Horn clauses: no run outside ``goal`` completes more than ``bound`` fair rounds.

    Two unknowns: ``Reach(x)`` over-approximates the reachable states; ``Mon(x, fair.., rounds)``
    the monitor's states along a stretch of a run that started at a reachable state outside the
    goal and has stayed outside it. ``fair_i`` records that instance ``i`` was taken or seen
    disabled since the last completed round; when all are set, ``rounds`` grows by one and the
    flags restart. A fair loop avoiding the goal would complete rounds without end, so an
    inductive invariant that keeps ``rounds <= bound`` proves there is none.
    """
    system = tr.system
    fair = [i for i in system.instances if i.fair]
    n = len(fair)
    position = {inst.index: p for p, inst in enumerate(fair)}
    reach_formals = tr.state("r")
    mon_formals = (*tr.state("m"), *(z3.Bool(f"fair {i}") for i in fair), z3.Int("rounds"))
    x, y = tr.state("x"), tr.state("y")
    flags = tuple(z3.Bool(f"fair {i}@x") for i in fair)
    rounds = z3.Int("rounds@x")

    def build(reach: Predicate, mon: Predicate) -> list[Clause]:
        out = [Clause("initiation", x, tr.initial(x), reach(*x))]
        avoid_x, avoid_y = z3.Not(tr.holds(goal, x)), z3.Not(tr.holds(goal, y))
        off_x = [z3.Not(tr.enabled(i, x)) for i in fair]
        off_y = [z3.Not(tr.enabled(i, y)) for i in fair]
        out.append(Clause("start watching outside the goal", x,
                          z3.And(reach(*x), tr.in_range(x), avoid_x), mon(*x, *off_x, z3.IntVal(0))))
        for cmd in system.commands:
            move = z3.And(tr.in_range(x), tr.command(cmd, x, y))
            name = f"{cmd.action}{cmd.params} {cmd.label}".rstrip()
            p = position.get(cmd.instance)
            out.append(Clause(f"step {name}", x + y, z3.And(reach(*x), move), reach(*y)))
            seen = [z3.Or(flags[j], off_y[j], z3.BoolVal(j == p)) for j in range(n)]
            done = z3.And(seen)
            head = mon(*y, *(z3.If(done, off_y[j], seen[j]) for j in range(n)), z3.If(done, rounds + 1, rounds))
            out.append(Clause(f"watch {name}", x + y + flags + (rounds,),
                              z3.And(mon(*x, *flags, rounds), rounds >= 0, move, avoid_y), head))
        out.append(Clause(f"at most {bound} fair rounds outside the goal", x + flags + (rounds,),
                          z3.And(mon(*x, *flags, rounds), rounds > bound), z3.BoolVal(False)))
        out.append(Clause("no deadlock outside the goal", x,
                          z3.And(reach(*x), tr.in_range(x), avoid_x, tr.deadlock(x)), z3.BoolVal(False)))
        return out

    return HornProblem((Unknown("Reach", reach_formals), Unknown("Mon", mon_formals)), build, statement)
