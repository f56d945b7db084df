"""Which server policies explain a real server's measured matrix cells, all of them at once.

The matrix names, per cell, the five named variants that explain its capture. The policies of
:func:`leasecheck.model.policy.policy_space` (54, the named variants among them) are finer: for a
server configuration, :func:`server_policies` judges each of its measured cells again under every
policy and every client mode of the cell's scenario, and keeps the policies that explain every
cell, each with the client mode it needs in each cell (the first of
:func:`~leasecheck.checker.conform.matrix.client_modes` that fits, an obeying client first). A
cell that no policy explains is named: then no policy explains the server in all cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from leasecheck.checker.conform.matrix import MEASURED, CellResult, classify_cell
from leasecheck.checker.conform.scenarios import scenario
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
    per_cell: tuple[tuple[str, str, int], ...]  # (client, scenario, how many policies explain it)


def server_policies(cells: Sequence[CellResult], captures: Path, server: str,
                    policies: Sequence[str] | None = None,
                    progress: Callable[[str], None] | None = None) -> ServerPolicies:
    """Every measured cell of ``server`` judged under every policy (``policies``: all 54 unless given)."""
    names = list(policies) if policies is not None else [policy_name(p) for p in policy_space()]
    mine = [c for c in cells if c.server == server and c.status == MEASURED and c.capture]
    fitting: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names}
    unexplained = []
    per_cell = []
    for cell in mine:
        if progress is not None:
            progress(f"{server} x {cell.client} x {cell.scenario}")
        data = (captures / str(cell.capture)).read_bytes()
        _observed, explanations = classify_cell(data, scenario(cell.scenario), cell.delete_time, server, names)
        count = 0
        for name in names:
            mode = next((e.client_mode for e in explanations if name in e.variants), None)
            if mode is None:
                fitting.pop(name, None)
                continue
            count += 1
            if name in fitting:
                fitting[name].append((cell.client, cell.scenario, mode))
        per_cell.append((cell.client, cell.scenario, count))
        if not count:
            unexplained.append((cell.client, cell.scenario))
    fits = tuple(PolicyFit(name, tuple(modes)) for name, modes in fitting.items()) if mine else ()
    return ServerPolicies(server, tuple((c.client, c.scenario) for c in mine), fits, tuple(unexplained),
                          tuple(per_cell))


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
