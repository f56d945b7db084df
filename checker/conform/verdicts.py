"""What the model decides of the server policies that explain a real server: the verdicts of
``recovery`` and ``no_duplicate_address`` that a policy sweep recorded at fixed sizes
(``leasecheck sweep``'s results files, such as docs/policies/sweep-3x3.jsonl), and the all-sizes
certificates committed for a named variant (tests/data/certificates).

Nothing here decides a property: a fixed-size verdict is read from the sweep's records (each
point decided by the explicit engine, at its size and budgets, with RFC 2131's client), and an
all-sizes proof is named by its certificate, which ``leasecheck certificate check`` re-checks.
Both are read strictly: a record or header that is not what ``leasecheck sweep`` or ``prove``
writes is refused with its file and line. A violation comes with the command that prints its
trace at the smallest size and budget swept (for ``recovery``, the lasso).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leasecheck.checker.render.inputfile import InputFileError, parse_json, read_bounded, shown_path
from leasecheck.errors import UserError
from leasecheck.model.policy import parse_policy, policy_name

#: the properties whose verdicts a server's policies are shown with
PROPERTIES = ("recovery", "no_duplicate_address")
VERDICTS = ("holds", "violated", "unknown")
MAX_RECORDS_BYTES = 256 * 1024 * 1024
MAX_CERTIFICATE_BYTES = 64 * 1024 * 1024
_HEADER = "(set-info :leasecheck-certificate |"


class VerdictsError(UserError):
    """A sweep's results file or a certificate that is not one."""


@dataclass(frozen=True, order=True)
class Point:
    """One point of a sweep: a size and a budget (deletes, losses, reboots, restart)."""

    clients: int
    addresses: int
    deletes: int
    losses: int
    reboots: int
    restart: bool

    @property
    def size(self) -> str:
        return f"{self.clients}x{self.addresses}"

    def budget(self) -> str:
        return f"D={self.deletes} L={self.losses} R={self.reboots}" + (", restart" if self.restart else "")

    def check_command(self, policy: str, prop: str) -> str:
        """The command that prints this point's trace of ``prop`` (a lasso for ``recovery``)."""
        args = ["leasecheck", "check", "--variant", policy, "--clients", str(self.clients), "--addresses",
                str(self.addresses), "--deletes", str(self.deletes)]
        args += ["--losses", str(self.losses)] if self.losses else []
        args += ["--reboots", str(self.reboots)] if self.reboots else []
        args += ["--restart"] if self.restart else []
        return shlex.join([*args, "--property", prop])


@dataclass(frozen=True)
class SizeVerdict:
    """A property of one policy at one size: the points swept, those violated and those undecided."""

    size: str
    points: int
    violated: tuple[Point, ...]
    unknown: int


@dataclass(frozen=True)
class Proof:
    """An all-sizes certificate of one property for a policy, with the budgets it covers."""

    path: str  # as given (a path from the repository's top in the docs)
    deletes: int
    losses: int
    reboots: int
    restart: bool
    any_budget: bool
    #: the property it proves ("" when not said)
    prop: str = ""

    def budget(self) -> str:
        return ("every budget" if self.any_budget else f"D={self.deletes} L={self.losses} R={self.reboots}") + (
            ", restart" if self.restart else "")

    def words(self) -> str:
        if self.any_budget and self.prop == "recovery":
            return f"proved for every network: recovers after any number of disturbances ({self.budget()}): {self.path}"
        return f"proved for every network ({self.budget()}): {self.path}"


@dataclass(frozen=True)
class PropertyVerdict:
    """What the sweep and the certificates say of one property of one policy."""

    policy: str
    prop: str
    sizes: tuple[SizeVerdict, ...]  # smallest first
    proofs: tuple[Proof, ...]

    @property
    def first_violation(self) -> Point | None:
        """The smallest point violated: the smallest size, then the smallest budget."""
        return min((p for s in self.sizes for p in s.violated), default=None)

    @property
    def holds_everywhere(self) -> bool:
        """Every point swept decided and none violated."""
        return bool(self.sizes) and all(not s.violated and not s.unknown for s in self.sizes)

    def words(self) -> str:
        """One cell of a table: where the sweep violates it, or the sizes where it holds."""
        if not self.sizes:
            text = "not swept"
        elif self.first_violation is None:
            sizes = ", ".join(s.size for s in self.sizes)
            unknown = sum(s.unknown for s in self.sizes)
            text = f"holds at {sizes}" + (f" ({unknown} points unknown)" if unknown else "")
        else:
            where = [f"{s.size}: {len(s.violated)} of {s.points}" for s in self.sizes if s.violated]
            first = self.first_violation
            assert first is not None
            text = f"violated from {first.size} ({'; '.join(where)} points; first {first.budget()})"
        return "; ".join([text, *(p.words() for p in self.proofs)])


@dataclass(frozen=True)
class ModelVerdicts:
    """The sweep's records and the certificates, by policy name."""

    sources: tuple[str, ...]  # the results files read
    records: Mapping[str, Mapping[Point, Mapping[str, str]]]  # policy -> point -> property -> verdict
    proofs: Mapping[tuple[str, str], tuple[Proof, ...]]  # (policy, property) -> certificates

    @property
    def sizes(self) -> tuple[str, ...]:
        found = {(p.clients, p.addresses) for points in self.records.values() for p in points}
        return tuple(f"{c}x{a}" for c, a in sorted(found))

    def verdict(self, policy: str, prop: str) -> PropertyVerdict:
        name = policy_name(parse_policy(policy))
        points = self.records.get(name, {})
        sizes = []
        for c, a in sorted({(p.clients, p.addresses) for p in points}):
            here = sorted(p for p in points if (p.clients, p.addresses) == (c, a) and prop in points[p])
            sizes.append(SizeVerdict(f"{c}x{a}", len(here), tuple(p for p in here if points[p][prop] == "violated"),
                                     sum(1 for p in here if points[p][prop] == "unknown")))
        return PropertyVerdict(name, prop, tuple(s for s in sizes if s.points), self.proofs.get((name, prop), ()))


def read_sweep_records(paths: Sequence[Path]) -> tuple[tuple[str, ...], dict[str, dict[Point, dict[str, str]]]]:
    """Every decided point of the sweeps' results files, by policy; a later record of a point
    replaces an earlier one (as a resumed sweep reads its file)."""
    records: dict[str, dict[Point, dict[str, str]]] = {}
    for path in paths:
        name = shown_path(path)
        try:
            lines = read_bounded(path, MAX_RECORDS_BYTES, "sweep's results file").splitlines()
        except InputFileError as exc:
            raise VerdictsError(str(exc)) from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                doc = parse_json(line)
                if number == 1:
                    if not (isinstance(doc, dict) and doc.get("leasecheck") == "sweep results"):
                        raise ValueError("is not the header of a sweep's results file")
                    continue
                policy, point, verdicts = _record(doc)
            except (ValueError, TypeError, KeyError, UserError) as exc:
                raise VerdictsError(f"{name}: line {number} {exc}") from None
            if verdicts is not None:
                records.setdefault(policy, {})[point] = verdicts
    return tuple(shown_path(p) for p in paths), records


def _record(doc: object) -> tuple[str, Point, dict[str, str] | None]:
    """(policy, point, verdicts) of one record; verdicts None when the point is not finished."""
    if not isinstance(doc, dict):
        raise ValueError("is not a sweep record (a JSON object)")
    p = doc["point"]
    if not isinstance(p, dict):
        raise ValueError("has no point")
    numbers = {k: p[k] for k in ("clients", "addresses", "deletes", "losses", "reboots")}
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers.values()) \
            or not isinstance(p["restart"], bool):
        raise ValueError("has a point whose sizes and budgets are not whole numbers and restart true or false")
    point = Point(restart=p["restart"], **numbers)
    policy = policy_name(parse_policy(p["policy"]))
    if doc.get("status") != "done" or doc.get("complete") is not True:
        return policy, point, None
    verdicts = doc["verdicts"]
    if not isinstance(verdicts, dict) or not all(isinstance(k, str) and v in VERDICTS for k, v in verdicts.items()):
        raise ValueError(f"has verdicts that are not each one of {', '.join(VERDICTS)}")
    return policy, point, dict(verdicts)


def read_certificates(paths: Iterable[Path]) -> dict[tuple[str, str], tuple[Proof, ...]]:
    """The all-sizes certificates among ``paths``, by (policy, property), from each one's header
    (fixed-size certificates are left out: they prove one size)."""
    found: dict[tuple[str, str], list[Proof]] = {}
    for path in sorted(paths):
        header = _certificate_header(path)
        if header.get("kind") != "all-sizes":
            continue
        try:
            cfg = header["config"]
            policy = policy_name(parse_policy(cfg["variant"]))
            if cfg.get("client_nak", "obey") != "obey" or cfg.get("client_reboot", "keep-on-silence") != "keep-on-silence":
                continue  # another client than the sweep's: not shown beside its verdicts
            proof = Proof(shown_path(path), int(cfg["deletes"]), int(cfg["losses"]), int(cfg["reboots"]),
                          bool(cfg["restart"]), header.get("any_budget") is True, str(header["property"]))
            found.setdefault((policy, str(header["property"])), []).append(proof)
        except (KeyError, TypeError, ValueError, UserError) as exc:
            raise VerdictsError(f"{shown_path(path)}: the certificate's header is not one leasecheck writes ({exc})") from None
    return {k: tuple(v) for k, v in found.items()}


def _certificate_header(path: Path) -> dict[str, Any]:
    try:
        data = read_bounded(path, MAX_CERTIFICATE_BYTES, "certificate")
    except InputFileError as exc:
        raise VerdictsError(str(exc)) from None
    for line in data.splitlines()[:200]:
        text = line.decode("utf-8", "replace")
        if text.startswith(_HEADER) and text.endswith("|)"):
            try:
                doc = parse_json(line[len(_HEADER):-2])
            except ValueError as exc:
                raise VerdictsError(f"{shown_path(path)}: its header {exc}") from None
            if isinstance(doc, dict):
                return doc
    raise VerdictsError(f"{shown_path(path)}: no leasecheck certificate header ({_HEADER}...|))")


def model_verdicts(sweeps: Sequence[Path], certificates: Sequence[Path] = ()) -> ModelVerdicts:
    """The verdicts the sweeps' results files record and the all-sizes certificates among ``certificates``."""
    sources, records = read_sweep_records(sweeps)
    return ModelVerdicts(sources, records, read_certificates(certificates))
