"""Property kinds as data: what an engine is asked, stated over traced state predicates.

Each kind says what "holds" means; engines decide it and never reinterpret it:

* :class:`Invariant`: every reachable state satisfies ``good``.
* :class:`Reachable`: some reachable state satisfies ``target`` (holds = reachable).
* :class:`Recovery`: in every fair run ``goal`` is true infinitely often (weak fairness per fair
  action instance); violated by a lasso whose loop is fair and avoids ``goal``.
* :class:`Recoverable`: AG EF ``goal``: from every reachable state some run reaches ``goal``.
* :class:`AfterAction`: from every reachable state satisfying ``pre``, every successor by the
  action instance ``action`` lies where every fair run reaches ``goal``.
* :class:`StuckReachable`: some reachable state satisfies ``target`` and no run from it that avoids
  the actions ``excluding`` reaches ``goal`` (holds = such a state is reachable).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from leasecheck.model.lang import Expr


class Verdict(enum.Enum):
    """An engine's answer: the property holds, is violated, or is unknown (a limit was hit, or the
    engine does not decide this kind; the result's reason says which)."""

    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Invariant:
    name: str
    client: int | None
    statement: str
    good: Expr


@dataclass(frozen=True)
class Reachable:
    name: str
    client: int | None
    statement: str
    target: Expr


@dataclass(frozen=True)
class Recovery:
    name: str
    client: int | None
    statement: str
    goal: Expr


@dataclass(frozen=True)
class Recoverable:
    name: str
    client: int | None
    statement: str
    goal: Expr


@dataclass(frozen=True)
class AfterAction:
    name: str
    client: int | None
    statement: str
    pre: Expr
    action: str
    params: tuple[int, ...]
    goal: Expr


@dataclass(frozen=True)
class StuckReachable:
    name: str
    client: int | None
    statement: str
    target: Expr
    goal: Expr
    excluding: tuple[str, ...]


Property = Invariant | Reachable | Recovery | Recoverable | AfterAction | StuckReachable
