"""Two engines' reports on one configuration, compared verdict by verdict.

Engines disagree on a property only when one says "holds" and the other "violated"; an
"unknown" from one engine is no disagreement (the other engine's verdict then stands, and the
comparison says which engine could not decide). A disagreement is a bug in leasecheck.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.checker.results import CheckResult, Report
from leasecheck.errors import InternalError
from leasecheck.properties.spec import Verdict


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
    #: results of the second report that the first does not have (with symmetry reduction the
    #: explicit engine decides per-client properties for client 0 only): they stand as they are
    unpaired: tuple[CheckResult, ...] = ()

    @property
    def disagreements(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.disagree)

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """The decided verdict of every pair, then the unpaired results' verdicts."""
        return tuple(p.verdict for p in self.pairs) + tuple(r.verdict for r in self.unpaired)


def compare(first: Report, second: Report) -> Comparison:
    """Pair the results of two reports on the same properties; every result of ``first`` must
    have a partner in ``second``."""
    by_key = {(r.property, r.client): r for r in second.results}
    pairs = []
    for r in first.results:
        other = by_key.pop((r.property, r.client), None)
        if other is None:
            raise InternalError(f"the {second.engine} report has no result for {r.property} client {r.client}")
        pairs.append(Pair(r.property, r.client, r, other))
    return Comparison(first, second, tuple(pairs), tuple(by_key.values()))
