"""Is a first-order query effectively propositional? The check made before every solver call.

A query (a conjunction of formulas asked to be satisfiable) is in the effectively propositional
fragment when its sort graph has no cycle. The graph has an edge from sort S to sort T for every
function symbol from S to T (a field function, a kind function into its constructors), and for
every existential quantifier over T within the scope of a universal one over S, read after
negations are pushed inward (a Skolem function from S to T). Without a cycle the Herbrand
universe of each sort is finite, so the query is decidable and Z3's answer is complete.
When the check fails, :class:`FragmentError` names each edge of the cycle and where it comes
from: the function symbol or the quantifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leasecheck.checker.allsizes.fo import (
    And,
    BoolConst,
    EqT,
    FieldFn,
    Formula,
    FoSystem,
    Iff,
    Kind,
    Not,
    Or,
    Quant,
    Rel,
    Same,
    Term,
    Var,
)
from leasecheck.errors import InternalError


class FragmentError(InternalError):
    """A query outside the decidable fragment: the message names what makes the cycle."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    why: str


@dataclass(frozen=True)
class FragmentReport:
    edges: tuple[Edge, ...]
    cycle: tuple[Edge, ...]

    @property
    def ok(self) -> bool:
        return not self.cycle


def function_edges(fs: FoSystem) -> list[Edge]:
    out = []
    for g in fs.groups.values():
        if g.index is None:
            continue
        out.append(Edge(g.index, f"{g.name}_kind", f"the function {g.name} from {g.index} to its constructors"))
        for n, sort, how in g.fields:
            if how == "function":
                out.append(Edge(g.index, sort, f"the function {g.name}.{n or 'value'} from {g.index} to {sort}"))
    return out


def _terms_edges(t: Term, out: list[Edge]) -> None:
    if isinstance(t, FieldFn):
        _terms_edges(t.index, out)


def quantifier_edges(f: Formula, where: str, out: list[Edge], universals: tuple[Var, ...] = (), positive: bool = True) -> None:
    """Edges from each universal in scope to each existential (after negations move inward)."""
    if isinstance(f, BoolConst | Kind | Rel | EqT):
        return
    if isinstance(f, Same):
        if not positive:  # its universal over a relation's second sort would become existential
            raise FragmentError(f"a frame condition of {f.group} appears negated in {where}")
        return
    if isinstance(f, Not):
        quantifier_edges(f.arg, where, out, universals, not positive)
        return
    if isinstance(f, And | Or):
        for a in f.args:
            quantifier_edges(a, where, out, universals, positive)
        return
    if isinstance(f, Iff):
        for side in (f.left, f.right):
            quantifier_edges(side, where, out, universals, positive)
            quantifier_edges(side, where, out, universals, not positive)
        return
    if isinstance(f, Quant):
        universal = (f.kind == "forall") == positive
        if universal:
            quantifier_edges(f.body, where, out, universals + f.vars, positive)
            return
        for e in f.vars:
            for u in universals:
                out.append(Edge(u.sort, e.sort, f"the quantifier 'exists {e.name}: {e.sort}' under "
                                                f"'forall {u.name}: {u.sort}' in {where}"))
        quantifier_edges(f.body, where, out, universals, positive)
        return
    raise TypeError(f)


def _cycle(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    graph: dict[str, list[Edge]] = {}
    for e in edges:
        graph.setdefault(e.source, []).append(e)
    state: dict[str, int] = {}
    path: list[Edge] = []

    def visit(node: str) -> tuple[Edge, ...]:
        state[node] = 1
        for e in graph.get(node, []):
            if state.get(e.target) == 1:
                start = next((i for i, p in enumerate(path) if p.source == e.target), len(path))
                return (*path[start:], e)
            if e.target not in state:
                path.append(e)
                found = visit(e.target)
                if found:
                    return found
                path.pop()
        state[node] = 2
        return ()

    for node in list(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return ()


def fragment_report(fs: FoSystem, assertions: Iterable[tuple[str, Formula]]) -> FragmentReport:
    edges = function_edges(fs)
    for where, f in assertions:
        quantifier_edges(f, where, edges)
    unique = tuple(dict.fromkeys(edges))
    return FragmentReport(unique, _cycle(unique))


def part_edges(where: str, f: Formula) -> list[Edge]:
    """The quantifier edges of one part of a query (to cache, when parts recur across queries)."""
    out: list[Edge] = []
    quantifier_edges(f, where, out)
    return out


def require_acyclic(fs: FoSystem, parts_edges: Iterable[Iterable[Edge]]) -> FragmentReport:
    """:func:`require_epr` for a query given as the edges of its parts."""
    edges = function_edges(fs)
    for es in parts_edges:
        edges.extend(es)
    unique = tuple(dict.fromkeys(edges))
    return _raise_on_cycle(FragmentReport(unique, _cycle(unique)))


def require_epr(fs: FoSystem, assertions: Iterable[tuple[str, Formula]]) -> FragmentReport:
    """The report, or :class:`FragmentError` naming every edge of a cycle."""
    return _raise_on_cycle(fragment_report(fs, assertions))


def _raise_on_cycle(report: FragmentReport) -> FragmentReport:
    if not report.ok:
        steps = "; ".join(f"{e.source} -> {e.target} by {e.why}" for e in report.cycle)
        raise FragmentError(f"the query is outside the decidable fragment: the sorts form a cycle ({steps})")
    return report
