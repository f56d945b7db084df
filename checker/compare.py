"""Two engines' reports on one configuration, compared verdict by verdict.

Engines disagree on a property only when one says "holds" and the other "violated"; an
"unknown" from one engine is no disagreement (the other engine's verdict then stands, and the
comparison says which engine could not decide). A disagreement is a bug in leasecheck.
"""

from __future__ import annotations

from dataclasses import dataclass

from properties.spec import Verdict

from .results import CheckResult, Report


@dataclass(frozen=True)
class Pair:
    name: str
    client: int | None
    first: CheckResult
    second: CheckResult

    @property
    def disagree(self) -> bool:
        return {self.first.verdict, self.second.verdict} == {Verdict.HOLDS, Verdict.VIOLATED}

    @property
    def verdict(self) -> Verdict:
        """The decided verdict: what either engine decided (unknown only when neither did)."""
        if self.disagree:
            return Verdict.UNKNOWN
        for v in (self.first.verdict, self.second.verdict):
            if v is not Verdict.UNKNOWN:
                return v
        return Verdict.UNKNOWN


@dataclass(frozen=True)
class Comparison:
    first: Report
    second: Report
    pairs: tuple[Pair, ...]

    @property
    def disagreements(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.disagree)


def compare(first: Report, second: Report) -> Comparison:
    """Pair the results of two reports on the same properties."""
    by_key = {(r.property, r.client): r for r in second.results}
    pairs = []
    for r in first.results:
        other = by_key.get((r.property, r.client))
        if other is None:
            raise ValueError(f"the {second.engine} report has no result for {r.property} client {r.client}")
        pairs.append(Pair(r.property, r.client, r, other))
    return Comparison(first, second, tuple(pairs))


def render_comparison(c: Comparison) -> str:
    """Text for the end of a two-engine run: agreement, or both answers where they disagree."""
    a, b = c.first.engine, c.second.engine
    lines = []
    if c.disagreements:
        lines.append(f"ENGINES DISAGREE (a bug in leasecheck, please report it): {len(c.disagreements)} properties")
        for p in c.disagreements:
            who = "" if p.client is None else f" client {p.client}"
            lines.append(f"  {p.name}{who}: {a} says {p.first.verdict} ({p.first.reason}); "
                         f"{b} says {p.second.verdict} ({p.second.reason})")
    else:
        both = sum(1 for p in c.pairs if Verdict.UNKNOWN not in (p.first.verdict, p.second.verdict))
        lines.append(f"engines agree: {both} of {len(c.pairs)} verdicts decided by both")
    for p in c.pairs:
        for r, engine in ((p.first, a), (p.second, b)):
            if r.verdict is Verdict.UNKNOWN and not p.disagree:
                who = "" if p.client is None else f" client {p.client}"
                lines.append(f"  {p.name}{who}: unknown to {engine}")
    return "\n".join(lines) + "\n"
