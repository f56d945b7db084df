"""The sweep's grid: which points a sweep decides, each a plain, hashable description.

A :class:`Point` is one configuration of the model (a server policy, a size, the budgets of
deletes, losses and reboots, restart on or off) and whether the explicit engine explores it up to
symmetry. Its :attr:`Point.key` names it in the results file; :func:`grid` lists the points of a
:class:`Grid` in a fixed order, policies outermost.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from itertools import product

from leasecheck.errors import UserError, quoted
from leasecheck.model.dhcp import MAX_BUDGET, MAX_HOSTS, Config
from leasecheck.model.policy import ALIASES, PolicyError, parse_policy, policy_name, policy_space

#: Sizes at or above this many client x address pairs are explored up to symmetry when the sweep
#: leaves it to ``auto``: 3x3 and larger.
SYMMETRY_FROM = 9


class SweepError(UserError):
    """A sweep asked for in a way that does not make sense (one line, exit 2)."""


@dataclass(frozen=True)
class Point:
    """One configuration of the sweep."""

    policy: str  # a variant name, or a written policy
    clients: int
    addresses: int
    deletes: int
    losses: int
    reboots: int
    restart: bool
    symmetry: bool

    @property
    def key(self) -> str:
        return (f"{self.policy}|{self.clients}x{self.addresses}|D{self.deletes}L{self.losses}R{self.reboots}"
                f"|{'restart' if self.restart else 'no-restart'}|{'symmetry' if self.symmetry else 'full'}")

    @property
    def size(self) -> str:
        return f"{self.clients}x{self.addresses}"

    def config(self) -> Config:
        return Config(clients=self.clients, addresses=self.addresses, variant=self.policy,
                      deletes=self.deletes, losses=self.losses, reboots=self.reboots, restart=self.restart)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Point:
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Grid:
    """What to sweep: each field lists the values it takes."""

    policies: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...]
    deletes: tuple[int, ...] = (0, 1)
    losses: tuple[int, ...] = (0, 1)
    reboots: tuple[int, ...] = (0, 1)
    restart: tuple[bool, ...] = (False, True)
    symmetry: str = "auto"  # auto, on or off

    def __post_init__(self) -> None:
        for name in ("policies", "sizes", "deletes", "losses", "reboots", "restart"):
            if not getattr(self, name):
                raise SweepError(f"the sweep has no {name} to take")
        if self.symmetry not in ("auto", "on", "off"):
            raise SweepError(f"symmetry is auto, on or off, not {quoted(self.symmetry)}")


def grid(g: Grid) -> tuple[Point, ...]:
    """Every point of ``g``, policies outermost, in the order the fields list their values."""
    out = []
    for policy, (c, a), d, l_, r, restart in product(g.policies, g.sizes, g.deletes, g.losses, g.reboots, g.restart):
        sym = g.symmetry == "on" or (g.symmetry == "auto" and c * a >= SYMMETRY_FROM)
        out.append(Point(policy, c, a, d, l_, r, restart, sym))
    return tuple(out)


# -- reading the command line's forms --------------------------------------------------------


def parse_policies(text: str) -> tuple[str, ...]:
    """``all`` (the 54 policies), ``named`` (the five variants), or policies and names separated by ``;``."""
    if text == "all":
        return tuple(policy_name(p) for p in policy_space())
    if text == "named":
        return tuple(ALIASES)
    out: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        try:
            name = policy_name(parse_policy(part))
        except PolicyError as exc:
            raise SweepError(str(exc)) from None
        if name not in out:
            out.append(name)
    if not out:
        raise SweepError("--policies names no policy; give all, named, or policies separated by ';'")
    return tuple(out)


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """``1x1,2x2``: clients x addresses, each from 1 to the model's limit."""
    out: list[tuple[int, int]] = []
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(\d{1,4})x(\d{1,4})", part)
        if not m:
            raise SweepError(f"a size is CLIENTSxADDRESSES, such as 2x2, not {quoted(part)}")
        c, a = int(m.group(1)), int(m.group(2))
        if not (1 <= c <= MAX_HOSTS and 1 <= a <= MAX_HOSTS):
            raise SweepError(f"clients and addresses go from 1 to {MAX_HOSTS}, not {quoted(part)}")
        if (c, a) not in out:
            out.append((c, a))
    return tuple(out)


def parse_range(text: str, what: str) -> tuple[int, ...]:
    """``0..1`` or ``0,2,3``: whole numbers from 0 to the model's budget limit."""
    m = re.fullmatch(r"(\d{1,4})\.\.(\d{1,4})", text.strip())
    if m:
        low, high = int(m.group(1)), int(m.group(2))
        if low > high:
            raise SweepError(f"{what} {quoted(text)} is an empty range")
        values = list(range(low, high + 1))
    else:
        try:
            values = [int(p) for p in text.split(",")]
        except ValueError:
            raise SweepError(f"{what} is a range such as 0..1 or a list such as 0,2, not {quoted(text)}") from None
    if any(not 0 <= v <= MAX_BUDGET for v in values):
        raise SweepError(f"{what} go from 0 to {MAX_BUDGET:,}, not {quoted(text)}")
    return tuple(sorted(set(values)))


def parse_restart(text: str) -> tuple[bool, ...]:
    forms = {"both": (False, True), "on": (True,), "off": (False,)}
    if text not in forms:
        raise SweepError(f"--restart is both, on or off, not {quoted(text)}")
    return forms[text]
