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

Every property carries its own wording (:class:`GoalWords`): engines phrase a verdict's reason
from it ("a fair run never again holds a lease") and never know what the goal means.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from leasecheck.errors import UserError
from leasecheck.model.lang import Expr


class PropertyError(UserError):
    """A property that does not exist, or does not make sense for the configuration."""


@dataclass(frozen=True)
class PropertyInfo:
    """One property name a model offers: one instance per id of a sort (``per_client``) or one
    in all, its kind in words, and its statement."""

    name: str
    per_client: bool
    kind: str
    statement: str


@dataclass(frozen=True)
class GoalWords:
    """How a property names its goal in a verdict's reason; each phrase fits the sentence shown.

    ``goal``: the goal itself ("holds(0)"); ``holds``: "a fair run never again ..."; ``held``:
    "a state where ..."; ``not_held``: "a deadlock where ..."; ``without``: "no fair loop ...";
    ``get`` and ``gets``: "no run can ever ... again", "every fair run ..."; ``thing``: "a path
    to ...".
    """

    goal: str = "the goal"
    holds: str = "reaches the goal"
    held: str = "the goal holds"
    not_held: str = "the goal does not hold"
    without: str = "without the goal"
    get: str = "reach the goal"
    gets: str = "reaches the goal"
    thing: str = "the goal"


#: the wording of a property that says nothing of its own
PLAIN = GoalWords()


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
    words: GoalWords = field(default=PLAIN, kw_only=True)


@dataclass(frozen=True)
class Reachable:
    name: str
    client: int | None
    statement: str
    target: Expr
    words: GoalWords = field(default=PLAIN, kw_only=True)


@dataclass(frozen=True)
class Recovery:
    name: str
    client: int | None
    statement: str
    goal: Expr
    words: GoalWords = field(default=PLAIN, kw_only=True)


@dataclass(frozen=True)
class Recoverable:
    name: str
    client: int | None
    statement: str
    goal: Expr
    words: GoalWords = field(default=PLAIN, kw_only=True)


@dataclass(frozen=True)
class AfterAction:
    name: str
    client: int | None
    statement: str
    pre: Expr
    action: str
    params: tuple[int, ...]
    goal: Expr
    words: GoalWords = field(default=PLAIN, kw_only=True)


@dataclass(frozen=True)
class StuckReachable:
    name: str
    client: int | None
    statement: str
    target: Expr
    goal: Expr
    excluding: tuple[str, ...]
    words: GoalWords = field(default=PLAIN, kw_only=True)


Property = Invariant | Reachable | Recovery | Recoverable | AfterAction | StuckReachable

