"""The all-sizes prover takes the same path on every machine: its queries are limited by work
counted by the solver, and the clock only ends a run (docs/allsizes.md, "Limits")."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import z3

from leasecheck.checker.allsizes import fo, safety
from leasecheck.checker.allsizes.fo import conj, first_order_system
from leasecheck.checker.allsizes.ghost import ghost_lemmas, with_ghost
from leasecheck.model.dhcp import Config
from leasecheck.properties.dhcp_fo import DHCP_FIRST_ORDER as SIDE


@contextmanager
def machine(speed: float, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine ``speed`` times as fast as this one: every wall-clock limit a solver is given
    lets it do ``speed`` times the work, and the clock the prover reads runs ``1 / speed`` times
    as fast as this one's."""
    real_set, real_clock = z3.Solver.set, time.monotonic
    t0 = real_clock()

    def scaled_set(self: z3.Solver, *args: object, **keys: object) -> None:
        if len(args) == 2 and args[0] == "timeout":
            args = ("timeout", max(1, min(2**32 - 2, int(float(args[1]) * speed))))  # type: ignore[arg-type]
        real_set(self, *args, **keys)

    with monkeypatch.context() as m:
        # the same start as a fresh process: the traced variables' names (and so the solver's
        # terms) are those of the first run, not numbered on from it
        m.setattr(fo, "_fresh", itertools.count(10_000))
        m.setattr(z3.Solver, "set", scaled_set)
        m.setattr(time, "monotonic", lambda: t0 + (real_clock() - t0) / speed)
        yield


def _nt40_ghost_invariant() -> tuple[object, object]:
    ghosted = with_ghost(first_order_system(SIDE, Config(variant="nt40")))
    return ghosted, conj(*(f for _, f in ghost_lemmas(ghosted)), ghosted.invariant("single_binding"))


@pytest.mark.proofs
@pytest.mark.slow  # two proofs of the invariant recovery starts from: about 20 s each under load
def test_a_slow_machine_and_a_fast_one_prove_the_same_invariant_by_the_same_queries(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The invariant recovery starts from, grown as on a machine a thousand times slower than
    this one and as on one a thousand times faster: the same verdict, clauses and solver calls."""
    runs = []
    for speed in (1e-3, 1e3):
        with machine(speed, monkeypatch):
            ghosted, base = _nt40_ghost_invariant()
            proof = safety.prove_invariant(ghosted, base, [], deadline=time.monotonic() + 1e6)  # type: ignore[arg-type]
        runs.append((proof.verdict, proof.reason, [k.text() for k in proof.clauses], proof.queries))
    assert runs[0] == runs[1]
    assert runs[0][0] == "holds", runs[0][1]


@pytest.mark.proofs
@pytest.mark.slow  # two re-checks whose queries are split and asked again: about 15 s each under load
def test_a_query_that_gives_up_is_split_the_same_way_on_every_machine(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With a work limit so small that queries give up, the re-check splits them and asks again
    with more: the same queries, answers and work on a slow machine and on a fast one."""
    from leasecheck.checker.allsizes.effort import Effort, Query

    traces: list[list[tuple[str, str, int, int]]] = []
    for speed in (1e-3, 1e3):
        seen: list[Query] = []
        with machine(speed, monkeypatch):
            ghosted, base = _nt40_ghost_invariant()
            ok, why = safety.recheck(ghosted, base, [], Effort(rlimit=60_000, deadline=time.monotonic() + 1e6,  # type: ignore[arg-type]
                                                                  trace=seen.append))
        traces.append([(q.what, q.result, q.rlimit, q.work) for q in seen])
        assert ok, why
    assert traces[0] == traces[1]
    gave_up = [t for t in traces[0] if t[1] == "unknown"]
    assert gave_up, "the limit was meant to be small enough for some query to give up"
    assert any(", conjunct " in t[0] for t in traces[0])  # a group that gave up, asked one conjunct at a time


def test_the_deadline_ends_the_run_unknown_and_says_so() -> None:
    ghosted, base = _nt40_ghost_invariant()
    proof = safety.prove_invariant(ghosted, base, [], deadline=time.monotonic() - 1)  # type: ignore[arg-type]
    assert proof.verdict == "unknown" and proof.reason.startswith("the time ran out")


def test_a_clause_asked_for_that_a_step_breaks_is_dropped_not_the_end_of_the_search() -> None:
    """A recovery proof strengthens its invariant with the clauses its counterexamples asked for;
    one of them that is not inductive (here: every client stays INIT) is dropped, and the rest of
    the search goes on, instead of the whole strengthening failing on it."""
    from leasecheck.checker.allsizes.learn import Clause, atoms

    ghosted, base = _nt40_ghost_invariant()
    shape = safety.shapes(ghosted)[0][0]
    init = next(a for a in atoms(ghosted, shape) if a.text == "st[c] = INIT")  # type: ignore[arg-type]
    stays_init = Clause(shape, ((init, True),))
    proof = safety.prove_invariant(ghosted, base, [], deadline=time.monotonic() + 1e6, final=False,  # type: ignore[arg-type]
                                   seed=[stays_init])
    assert proof.verdict == "holds", proof.reason
    assert stays_init not in proof.clauses
