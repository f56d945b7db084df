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

from leasecheck.checker.conform.matrix import MEASURED, CellResult, Explanation, classify_cell
from leasecheck.checker.conform.scenarios import scenario
from leasecheck.checker.conform.validate import Steppers
from leasecheck.model.policy import policy_name, policy_space


@dataclass(frozen=True)
class PolicyFit:
    """One policy that explains every measured cell of a server, with the client mode per cell."""

    policy: str  # its name: an alias, or its written form
    modes: tuple[tuple[str, str, str], ...]  # (client, scenario, client mode) per cell


@dataclass(frozen=True)
class ServerPolicies:
    """The policies that explain a server configuration in every measured cell."""

    server: str
    cells: tuple[tuple[str, str], ...]  # (client, scenario) of each measured cell judged
    fits: tuple[PolicyFit, ...]
    unexplained: tuple[tuple[str, str], ...]  # cells that no policy explains
    per_cell: tuple[tuple[str, str, tuple[str, ...]], ...]  # (client, scenario, the policies that explain it)


def server_policies(cells: Sequence[CellResult], captures: Path, server: str,
                    policies: Sequence[str] | None = None,
                    progress: Callable[[str], None] | None = None,
                    steppers: Steppers | None = None) -> ServerPolicies:
    """Every measured cell of ``server`` judged under every policy (``policies``: all 54 unless
    given); ``steppers``: the compiled systems shared between cells (and servers)."""
    steppers = steppers if steppers is not None else Steppers()
    names = list(policies) if policies is not None else [policy_name(p) for p in policy_space()]
    mine = [c for c in cells if c.server == server and c.status == MEASURED and c.capture]
    fitting: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names}
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
            if name not in fit:
                fitting.pop(name, None)
            elif name in fitting:
                fitting[name].append((cell.client, cell.scenario, fit[name]))
        per_cell.append((cell.client, cell.scenario, tuple(n for n in names if n in fit)))
        if not fit:
            unexplained.append((cell.client, cell.scenario))
    fits = tuple(PolicyFit(name, tuple(modes)) for name, modes in fitting.items()) if mine else ()
    return ServerPolicies(server, tuple((c.client, c.scenario) for c in mine), fits, tuple(unexplained),
                          tuple(per_cell))


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


def policies_markdown(servers: Sequence[ServerPolicies]) -> str:
    """A Markdown table: each server configuration, the policies that explain every measured cell
    with the client modes they need, and the cells no policy explains."""
    rows = ["| server | measured cells | policies that explain every cell (client modes) | cells no policy explains |",
            "| --- | ---: | --- | --- |"]
    for s in servers:
        fits = "; ".join(f"`{f.policy}` ({', '.join(sorted({m for _c, _n, m in f.modes}))})" for f in s.fits)
        none = ", ".join(f"{c} x {n}" for c, n in s.unexplained)
        rows.append(f"| {s.server} | {len(s.cells)} | {fits or 'none'} | {none or '-'} |")
    return "\n".join(rows) + "\n"
