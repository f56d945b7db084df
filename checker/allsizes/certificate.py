"""All-sizes certificates written from a proof (docs/certificates.md, "All-sizes certificates");
reading and checking them is the kernel's (:mod:`leasecheck.checker.kernel.allsizes`).

A certificate holds the header (the configuration, the property, the proof rule and the
fingerprint of the first-order model), the legend of the model's symbols as comments, and the
proof's definitions only, each a closed formula over the sorts ``client`` and ``address`` and the
state's symbols (``st``, ``db.client``, ``st=BOUND``): for the invariant rule, ``Inv``, the
property and the clauses that make it inductive. The model, its steps and the obligations are
the kernel's to rebuild; nothing else in the file is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import leasecheck.checker.allsizes.fo as fo
from leasecheck.checker.kernel.allsizes import AllSizesHeader, constant_name
from leasecheck.checker.kernel.fixed import KEY


def sexpr(f: fo.Formula | fo.Term) -> str:
    """A formula of the pre-state in the certificate's symbols."""
    if getattr(f, "post", False):
        raise ValueError("a proof's formula speaks of the state before a step only")
    if isinstance(f, fo.Var):
        return f.name
    if isinstance(f, fo.FieldFn):
        return f"({f.group}.{f.name or 'value'} {sexpr(f.index)})"
    if isinstance(f, fo.BoolConst):
        return "true" if f.value else "false"
    if isinstance(f, fo.Kind):
        cell = f.group if f.index is None else f"({f.group} {sexpr(f.index)})"
        return f"(= {cell} {constant_name(f.group, f.key)})"
    if isinstance(f, fo.Rel):
        return f"({f.group}.{f.name or 'value'} {sexpr(f.index)} {sexpr(f.value)})"
    if isinstance(f, fo.EqT):
        return f"(= {sexpr(f.left)} {sexpr(f.right)})"
    if isinstance(f, fo.Not):
        return f"(not {sexpr(f.arg)})"
    if isinstance(f, fo.And | fo.Or):
        return f"({'and' if isinstance(f, fo.And) else 'or'} {' '.join(sexpr(a) for a in f.args)})"
    if isinstance(f, fo.Iff):
        return f"(= {sexpr(f.left)} {sexpr(f.right)})"
    if isinstance(f, fo.Quant):
        bound = " ".join(f"({v.name} {v.sort})" for v in f.vars)
        return f"({f.kind} ({bound}) {sexpr(f.body)})"
    raise ValueError(f"{type(f).__name__} has no place in a proof's formula")


def legend(fs: fo.FoSystem) -> list[str]:
    """The symbols, in words, for the comments of a certificate."""
    sorts = " and ".join(fs.sorts)
    lines = [f"The sort{'s' if len(fs.sorts) > 1 else ''} {sorts} {'have' if len(fs.sorts) > 1 else 'has'} any number "
             "of elements. The state's symbols:"]
    for g in fs.groups.values():
        values = ", ".join(constant_name(g.name, k) for k in g.keys)
        lines.append(f"  {g.name}{' : ' + g.index if g.index else ''} -> one of {values}")
        for n, sort, how in g.fields:
            arrow = f"{g.index} -> {sort}" if how == "function" else f"{g.index} {sort} -> Bool"
            lines.append(f"  {g.name}.{n or 'value'} : {arrow} (the {sort} a value of {g.name} carries)")
    return lines


def invariant_certificate(fs: fo.FoSystem, cfg: Any, any_budget: bool, prop: str,
                          invariant: Sequence[fo.Formula], family: str = "") -> str:
    """The certificate of an invariant proof: ``invariant`` (the property first, then the clauses
    that make it inductive) as the conjuncts of ``Inv``; ``family``: the name of the model's
    family the header records ("": the default one, DHCP)."""
    header = AllSizesHeader(cfg, any_budget, prop, "invariant", fo.fingerprint(fs), fs.side, family=family)
    rule = ["; rule: an inductive invariant Inv: it holds initially, every step of the first-order model keeps it",
            ";   (and the state well formed), it implies the property and each first() of the model has one choice."]
    return _text(fs, header, header.claim(), rule, invariant, [])


def ranking_certificate(fs: fo.FoSystem, cfg: Any, invariant: Sequence[fo.Formula],
                        levels: Sequence[tuple[str, fo.Formula]], family: str = "", any_budget: bool = False) -> str:
    """The certificate of a recovery proof over the model with the ghost map (``fs``): the invariant,
    and each level (lowest first) with its helpful action, a formula over the state and ``c0``;
    ``any_budget``: for every budget (``fs`` traced so), where a step that spends one may lead up."""
    assert fs.side.recovery is not None and fs.unbounded == any_budget
    header = AllSizesHeader(cfg, any_budget, fs.side.recovery.name, "ranking", fo.fingerprint(fs), fs.side,
                            tuple(h for h, _ in levels), family)
    who = fs.participant.name
    ghost = f" The model has the ghost map ({fs.side.recovery.condition})." if fs.side.recovery.ghost else ""
    rule = [f"; rule: a ranking of {who}'s helpful actions under weak fairness, over an inductive invariant Inv:",
            ";   outside the goal a state is in some level; level i's helpful action (the header's levels[i-1])",
            f";   of {who} is enabled there and each of its steps goes to the goal or a lower level; no step",
            f";   leaves levels 1..i for a higher one.{ghost}"]
    if any_budget:
        rule += [";   For every budget: a step that spends a budget (each run has finitely many) may lead up;",
                 ";   the checker finds those steps in the model, and no fair action may read a budget."]
    return _text(fs, header, header.claim(), rule, invariant, [f for _, f in levels])


def level_formula(components: Sequence[tuple[str, Sequence[tuple[str, fo.Formula]]]],
                  views: Sequence[Sequence[int]]) -> fo.Formula:
    """A level as a formula: one of its views, each view every component's option."""
    return fo.disj(*(fo.conj(*(components[k][1][m][1] for k, m in enumerate(v))) for v in views))


def _text(fs: fo.FoSystem, header: AllSizesHeader, claim: str, rule: list[str], invariant: Sequence[fo.Formula],
          levels: Sequence[fo.Formula]) -> str:
    lines = [
        f"; leasecheck all-sizes certificate: {header.describe()}",
        f"; claim: {claim}",
        *rule,
        "; Check it with: leasecheck certificate check FILE (the checker traces the model again and writes",
        ";   every obligation itself; this file supplies only the proof's definitions).",
        f"(set-info {KEY} |{header.as_json()}|)",
        "(set-info :smt-lib-version 2.6)",
        "(set-logic ALL)",
        *(f"; {line}" for line in legend(fs)),
        f"; Inv: {len(invariant)} conjuncts",
        "(define-fun Inv () Bool (and",
        *(f"  {sexpr(f)}" for f in invariant),
        "))",
    ]
    for i, f in enumerate(levels, 1):
        lines += [f"; level {i}: its helpful action is {header.levels[i - 1]}({fs.participant.name})",
                  f"(define-fun Level{i} () Bool", f"  {sexpr(f)})"]
    return "\n".join(lines) + "\n"
