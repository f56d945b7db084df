"""Which server policies explain a real server's measured matrix cells, all of them at once.

The matrix names, per cell, the five named variants that explain its capture. The policies of
:func:`leasecheck.model.policy.policy_space` (54, the named variants among them) are finer: for a
server configuration, :func:`server_policies` judges each of its measured cells again under every
policy and every client mode of the cell's scenario, and keeps the policies that explain every
cell, each with the client mode it needs in each cell (the first of
:func:`~leasecheck.checker.conform.matrix.client_modes` that fits, an obeying client first). A
policy explains a cell as the matrix's labels count it: with no more lost messages than the
cell's simplest explanation needs (in a scenario whose harness loses messages on purpose, no more
than it knows it lost). A cell that no policy explains is named: then no policy explains the
server in all cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leasecheck.checker.conform.matrix import MEASURED, CellResult, Explanation, classify_cell
from leasecheck.checker.conform.scenarios import scenario
from leasecheck.checker.conform.validate import Steppers
from leasecheck.checker.conform.verdicts import PROPERTIES, ModelVerdicts
from leasecheck.checker.render.text import table
from leasecheck.model.policy import policy_name, policy_space


@dataclass(frozen=True)
class PolicyFit:
    """One policy with the client mode it needs in each cell it explains, and the cells it does not
    explain (none for a policy that explains the server)."""

    policy: str  # its name: an alias, or its written form
    modes: tuple[tuple[str, str, str], ...]  # (client, scenario, client mode) per cell explained
    missed: tuple[tuple[str, str], ...] = ()  # (client, scenario) of the cells it does not explain

    def client_modes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Per client (in the order of the cells), the client modes its cells need."""
        out: dict[str, list[str]] = {}
        for client, _scenario, mode in self.modes:
            seen = out.setdefault(client, [])
            if mode not in seen:
                seen.append(mode)
        return tuple((client, tuple(modes)) for client, modes in out.items())


@dataclass(frozen=True)
class ServerPolicies:
    """The policies that explain a server configuration in every measured cell."""

    server: str
    cells: tuple[tuple[str, str], ...]  # (client, scenario) of each measured cell judged
    fits: tuple[PolicyFit, ...]
    unexplained: tuple[tuple[str, str], ...]  # cells that no policy explains
    per_cell: tuple[tuple[str, str, tuple[str, ...]], ...]  # (client, scenario, the policies that explain it)
    #: when no policy explains every cell: those that explain the most, with the cells they miss
    closest: tuple[PolicyFit, ...] = ()


def server_policies(cells: Sequence[CellResult], captures: Path, server: str,
                    policies: Sequence[str] | None = None,
                    progress: Callable[[str], None] | None = None,
                    steppers: Steppers | None = None) -> ServerPolicies:
    """Every measured cell of ``server`` judged under every policy (``policies``: all 54 unless
    given); ``steppers``: the compiled systems shared between cells (and servers)."""
    steppers = steppers if steppers is not None else Steppers()
    names = list(policies) if policies is not None else [policy_name(p) for p in policy_space()]
    mine = [c for c in cells if c.server == server and c.status == MEASURED and c.capture]
    explained: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names}
    missed: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    unexplained = []
    per_cell = []
    for cell in mine:
        if progress is not None:
            progress(f"{server} x {cell.client} x {cell.scenario}")
        data = (captures / str(cell.capture)).read_bytes()
        _observed, explanations = classify_cell(data, scenario(cell.scenario), cell.delete_time, server, names,
                                                steppers)
        fit = _fitting(cell, explanations)
        for name in names:
            if name in fit:
                explained[name].append((cell.client, cell.scenario, fit[name]))
            else:
                missed[name].append((cell.client, cell.scenario))
        per_cell.append((cell.client, cell.scenario, tuple(n for n in names if n in fit)))
        if not fit:
            unexplained.append((cell.client, cell.scenario))
    every = [PolicyFit(n, tuple(explained[n]), tuple(missed[n])) for n in names]
    fits = tuple(f for f in every if not f.missed) if mine else ()
    most = max((len(f.modes) for f in every), default=0)
    closest = tuple(f for f in every if len(f.modes) == most) if mine and not fits and most else ()
    return ServerPolicies(server, tuple((c.client, c.scenario) for c in mine), fits, tuple(unexplained),
                          tuple(per_cell), closest)


def _fitting(cell: CellResult, explanations: Sequence[Explanation]) -> dict[str, str]:
    """The policies that explain ``cell`` as the matrix's labels count it (:meth:`CellResult.best`):
    with no more lost messages than the simplest explanation needs, or, in a scenario whose harness
    loses messages on purpose, no more than it knows it lost; each with the first client mode
    (an obeying client first) that needs that few."""
    need: dict[str, tuple[int, str]] = {}
    for e in explanations:
        for name, lost in zip(e.variants, e.losses_used, strict=True):
            if name not in need or lost < need[name][0]:
                need[name] = (lost, e.client_mode)
    if not need:
        return {}
    fewest = [lost for lost, _mode in need.values()]
    if scenario(cell.scenario).planned_losses:
        limit = cell.known_lost if cell.known_lost is not None else max(fewest)
    else:
        limit = min(fewest)
    return {name: mode for name, (lost, mode) in need.items() if lost <= limit}


@dataclass(frozen=True)
class Recovers:
    """Whether a real server recovers in every network checked, as far as its policies tell: "yes"
    when every policy that explains it holds ``recovery`` at every point swept, "no" when every
    one is violated somewhere, "undecided" when they differ (its cells cannot tell them apart),
    "unknown" when some policy is not swept or some point is undecided; with the command that
    prints a lasso when one is violated."""

    answer: str
    words: str
    lasso: str = ""  # a command that prints the lasso of a policy that explains the server


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def recovers(found: ServerPolicies, verdicts: ModelVerdicts) -> Recovers:
    fits = found.fits or found.closest
    if not fits:
        return Recovers("unknown", "no measured cell")
    mine = [verdicts.verdict(f.policy, "recovery") for f in fits]
    bad = [v for v in mine if v.first_violation is not None]
    good = [v for v in mine if v.holds_everywhere]
    sizes = ", ".join(verdicts.sizes)
    first = bad[0].first_violation if bad else None
    lasso = first.check_command(bad[0].policy, "recovery") if first is not None else ""
    n = len(fits)
    which = ("the closest " if found.closest else "the ") + (
        "policy" if n == 1 else f"{n} policies" if found.closest else f"{n} policies")
    if n == 1:
        which += f" {fits[0].policy}"
    if len(good) == n:
        proved = [v for v in good if v.proofs]
        proofs = [p for v in proved for p in v.proofs]
        both = {p.restart for p in proofs if p.any_budget} == {False, True}  # for every budget, restarts or not
        budgets = sorted({"every budget (restart off and on)" if both and p.any_budget else p.budget() for p in proofs})
        every = (f"; and in every network with A >= C, proved for {' and '.join(budgets)} (the certificate "
                 f"beside each policy)" if len(proved) == n else "")
        if every and all(any(p.any_budget for p in v.proofs) for v in proved):
            every += f"; so {_plural(n, 'it recovers', 'they recover')} after any number of disturbances"
        return Recovers("yes", f"{which} that {_plural(n, 'explains', 'explain')} it "
                               f"{_plural(n, 'recovers', 'recover')} at every point swept ({sizes}){every}")
    if len(bad) == n:
        smallest = min(v.first_violation for v in bad if v.first_violation is not None)
        return Recovers("no", f"{which} that {_plural(n, 'explains', 'explain')} it "
                              f"{_plural(n, 'deadlocks', 'deadlock')} after a delete, from {smallest.size}", lasso)
    if bad:
        return Recovers("undecided", f"{len(bad)} of the {n} policies that explain it "
                                     f"{_plural(len(bad), 'deadlocks', 'deadlock')} after a delete, {len(good)} "
                                     f"{_plural(len(good), 'recovers', 'recover')} at every point swept ({sizes}); "
                                     "its cells do not tell them apart", lasso)
    return Recovers("unknown", "some policy that explains it is not swept, or some point is undecided")


def _modes_text(fit: PolicyFit) -> str:
    return "; ".join(f"{client} {' '.join(f'[{m}]' for m in modes)}" for client, modes in fit.client_modes())


def render_server_policies(servers: Sequence[ServerPolicies], verdicts: ModelVerdicts, source: str = "") -> str:
    """Per server configuration, the policies that explain every measured cell (the closest when
    none does), the client modes each client needs, the fixed-size verdicts of ``recovery`` and
    ``no_duplicate_address`` (and the all-sizes proofs) of each, and whether the server recovers
    in every network checked, with the command that prints the lasso when it does not."""
    sizes = ", ".join(verdicts.sizes) or "none"
    lines = [f"the server policies (of 54) that explain every measured cell{f' of {source}' if source else ''}, and "
             f"what the model decides of them",
             f"fixed-size verdicts: the sweeps {', '.join(verdicts.sources) or '(none given)'} (sizes {sizes}; deletes, "
             "losses and reboots 0 or 1, restart off and on; RFC 2131's client); \"proved for every network\": "
             "an all-sizes certificate, re-checked by leasecheck certificate check", ""]
    rows = []
    for found in servers:
        r = recovers(found, verdicts)
        count = len(found.fits) if found.fits else 0
        rows.append([found.server, str(len(found.cells)), str(count) if count or not found.closest else
                     f"0 (closest {len(found.closest)})", f"{r.answer}: {r.words}"])
    lines += [table(["server", "cells", "policies", "recovers in every network checked"], rows), ""]
    for found in servers:
        r = recovers(found, verdicts)
        shown = found.fits or found.closest
        head = (f"{len(found.fits)} of the 54 policies {_plural(len(found.fits), 'explains', 'explain')} every one"
                if found.fits else
                "no policy explains every one; " + (
                    f"the closest {_plural(len(found.closest), 'policy explains', f'{len(found.closest)} explain')} "
                    f"{len(found.closest[0].modes)}" if found.closest else "none explains any"))
        lines.append(f"== {found.server}: {len(found.cells)} measured cells; {head} ==")
        groups: dict[tuple[str, ...], list[str]] = {}
        for fit in shown:  # policies alike in what they need and what the model decides: one entry
            said = (f"  client modes: {_modes_text(fit)}",
                    *([f"  does not explain: {', '.join(f'{c} x {n}' for c, n in fit.missed)}"] if fit.missed else []),
                    *(f"  {prop}: {verdicts.verdict(fit.policy, prop).words()}" for prop in PROPERTIES))
            groups.setdefault(said, []).append(fit.policy)
        for said, names in groups.items():
            lines += [*names, *said]
        if found.unexplained:
            lines.append(f"no policy explains: {', '.join(f'{c} x {n}' for c, n in found.unexplained)}")
        lines.append(f"recovers in every network checked: {r.answer}: {r.words}")
        if r.lasso:
            lines.append(f"  the lasso: {r.lasso}")
        lines.append("")
    return "\n".join(lines)


def policies_markdown(servers: Sequence[ServerPolicies], verdicts: ModelVerdicts | None = None) -> str:
    """A Markdown table: each server configuration, the policies that explain every measured cell
    with the client modes they need, and the cells no policy explains; with ``verdicts``, each
    policy's fixed-size verdicts of recovery and no_duplicate_address, and whether the server
    recovers in every network checked."""
    head = "| server | measured cells | policies that explain every cell (client modes) | cells no policy explains |"
    rule = "| --- | ---: | --- | --- |"
    if verdicts is not None:
        head += " recovery | no_duplicate_address | recovers in every network checked |"
        rule += " --- | --- | --- |"
    rows = [head, rule]
    for s in servers:
        fits = "; ".join(f"`{f.policy}` ({' / '.join(sorted({m for _c, _n, m in f.modes}))})" for f in s.fits)
        none = ", ".join(f"{c} x {n}" for c, n in s.unexplained)
        row = f"| {s.server} | {len(s.cells)} | {fits or 'none'} | {none or '-'} |"
        if verdicts is not None:
            r = recovers(s, verdicts)
            cols = ["<br>".join(f"`{f.policy}`: {verdicts.verdict(f.policy, prop).words()}" for f in s.fits) or "-"
                    for prop in PROPERTIES]
            lasso = f" (the lasso: `{r.lasso}`)" if r.lasso else ""
            row += f" {cols[0]} | {cols[1]} | {r.answer}: {r.words}{lasso} |"
        rows.append(row)
    return "\n".join(rows) + "\n"


def render_policy_verdicts(policies: Sequence[str], verdicts: ModelVerdicts) -> str:
    """What the model decides of ``policies`` (those that explain a capture): the fixed-size
    verdicts of recovery and no_duplicate_address, the all-sizes proofs, and the command that
    prints the lasso of each policy that does not recover."""
    rows = [[name, *(verdicts.verdict(name, prop).words() for prop in PROPERTIES)] for name in policies]
    lines = [f"what the model decides of the consistent policies (the sweeps {', '.join(verdicts.sources)}; "
             "RFC 2131's client):", table(["policy", *PROPERTIES], rows)]
    for name in policies:
        first = verdicts.verdict(name, "recovery").first_violation
        if first is not None:
            lines.append(f"the lasso of {name}: {first.check_command(name, 'recovery')}")
    return "\n".join(lines) + "\n"


def verdict_json(verdicts: ModelVerdicts, policy: str) -> dict[str, Any]:
    """What the model decides of one policy, for ``--format json``."""
    out: dict[str, Any] = {"policy": policy}
    for prop in PROPERTIES:
        v = verdicts.verdict(policy, prop)
        first = v.first_violation
        out[prop] = {
            "words": v.words(),
            "sizes": [{"size": s.size, "points": s.points, "violated": len(s.violated), "unknown": s.unknown}
                      for s in v.sizes],
            "first_violation": None if first is None else {
                "clients": first.clients, "addresses": first.addresses, "deletes": first.deletes,
                "losses": first.losses, "reboots": first.reboots, "restart": first.restart,
                "command": first.check_command(v.policy, prop)},
            "all_sizes_certificates": [{"path": p.path, "deletes": p.deletes, "losses": p.losses, "reboots": p.reboots,
                                        "restart": p.restart, "any_budget": p.any_budget} for p in v.proofs],
        }
    return out


def server_policies_json(servers: Sequence[ServerPolicies], verdicts: ModelVerdicts) -> dict[str, Any]:
    """:func:`render_server_policies` as a JSON document."""
    docs = []
    for found in servers:
        r = recovers(found, verdicts)
        docs.append({
            "server": found.server,
            "cells": [{"client": c, "scenario": n} for c, n in found.cells],
            "policies": [dict(verdict_json(verdicts, f.policy),
                              client_modes=[{"client": c, "scenario": n, "mode": m} for c, n, m in f.modes])
                         for f in found.fits],
            "closest": [dict(verdict_json(verdicts, f.policy),
                             client_modes=[{"client": c, "scenario": n, "mode": m} for c, n, m in f.modes],
                             missed=[{"client": c, "scenario": n} for c, n in f.missed]) for f in found.closest],
            "unexplained": [{"client": c, "scenario": n} for c, n in found.unexplained],
            "recovers": {"answer": r.answer, "words": r.words, "lasso": r.lasso or None},
        })
    return {"sweeps": list(verdicts.sources), "sizes": list(verdicts.sizes), "servers": docs}
