"""The reality matrix drawn: JSON, a Markdown table and a heatmap (pairs by scenarios, coloured by
the variants that explain each cell), each with the measured recovery time beside the lease-timer
events of the model's matching run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leasecheck.checker.conform.matrix import MEASURED, UNAVAILABLE, CellResult
from leasecheck.checker.conform.scenarios import OPERATIONS, SCENARIOS


def label(cell: CellResult) -> str:
    """The heatmap's category of a cell: the variants of its simplest explanation (fewest lost
    messages, an obeying client first), the client mode when it is not ``obey``; or why it has no
    verdict."""
    if cell.status == UNAVAILABLE:
        return "cannot run here"
    if cell.status != MEASURED:
        return "run failed"
    best = cell.best()
    if best is None:
        return "no variant"
    mode, variants, _losses = best
    return ", ".join(variants) + ("" if mode == "obey" else f" [{mode}]")


def prediction(cell: CellResult) -> str:
    """The lease-timer events of the simplest explanation's matching run."""
    best = cell.best()
    if best is None:
        return "-"
    e = next(e for e in cell.explanations if e.client_mode == best[0])
    lost = f" ({best[2]} lost)" if best[2] else ""
    return (" ".join(e.timer_events) or "none") + lost


def measured(cell: CellResult) -> str:
    if cell.status != MEASURED:
        return "-"
    if cell.seconds_to_rebind is None:
        return "not rebound"
    return f"{cell.seconds_to_rebind:.1f} s"


def matrix_json(cells: Sequence[CellResult], versions: dict[str, str]) -> dict[str, Any]:
    return {
        "versions": versions,
        "scenarios": [{"name": s.name, "title": s.title, "model_actions": list(s.model_actions),
                       "steps": list(s.steps), "losses": s.losses, "restart": s.restart} for s in SCENARIOS],
        "operations": OPERATIONS,
        "cells": [dict(c.to_json(), label=label(c), timer_prediction=prediction(c)) for c in cells],
    }


def _pairs(cells: Sequence[CellResult]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for c in cells:
        seen.setdefault((c.server, c.client), None)
    return list(seen)


def _scenarios(cells: Sequence[CellResult]) -> list[str]:
    present = {c.scenario for c in cells}
    return [s.name for s in SCENARIOS if s.name in present]


def matrix_markdown(cells: Sequence[CellResult], versions: dict[str, str]) -> str:
    names = _scenarios(cells)
    by_key = {c.key: c for c in cells}
    lines = ["| server | client | " + " | ".join(names) + " |", "| --- | --- | " + " | ".join("---" for _ in names) + " |"]
    for server, client in _pairs(cells):
        row = [server, client]
        for n in names:
            c = by_key.get((server, client, n))
            if c is None:
                row.append("not run")
            elif c.status != MEASURED:
                row.append(f"**{c.status}**: {c.reason[:160]}")
            else:
                row.append(f"{label(c)}; {measured(c)}; model: {prediction(c)}")
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    counts = {s: sum(1 for c in cells if c.status == s) for s in ("measured", "failed", "unavailable")}
    lines += ["", f"{len(cells)} cells: {counts['measured']} measured, {counts['failed']} failed, "
              f"{counts['unavailable']} unavailable here."]
    if versions:
        lines += ["", "Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()) + "."]
    return "\n".join(lines) + "\n"


def heatmap(cells: Sequence[CellResult], path: Path) -> None:
    """A PNG: one row per server x client pair, one column per scenario, coloured by :func:`label`,
    each cell annotated with the measured time and the model's timer events."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    pairs, names = _pairs(cells), _scenarios(cells)
    by_key = {c.key: c for c in cells}
    labels = sorted({label(c) for c in cells})
    fixed = {"cannot run here": "#bdbdbd", "run failed": "#404040", "no variant": "#d7301f"}
    palette = ["#1b9e77", "#7570b3", "#e6ab02", "#66a61e", "#e7298a", "#a6761d", "#1f78b4", "#b2df8a",
               "#fb9a99", "#cab2d6", "#ff7f00", "#6a3d9a", "#b15928", "#8dd3c7"]
    colours: dict[str, str] = {}
    free = iter(palette * 3)
    for lab in labels:
        colours[lab] = fixed.get(lab) or next(free)
    fig, ax = plt.subplots(figsize=(2.3 * len(names) + 3.5, 0.42 * len(pairs) + 2.2))
    for y, (server, client) in enumerate(pairs):
        for x, n in enumerate(names):
            c = by_key.get((server, client, n))
            lab = label(c) if c is not None else "not run"
            ax.add_patch(plt.Rectangle((x, y), 1, 1, color=colours.get(lab, "#ffffff"), ec="white"))
            if c is not None and c.status == MEASURED:
                timers = prediction(c)
                text = f"{measured(c)}\n{timers if len(timers) < 22 else timers[:20] + '…'}"
                dark = lab in ("run failed",)
                ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=6.5,
                        color="white" if dark else "black")
    ax.set_xlim(0, len(names))
    ax.set_ylim(len(pairs), 0)
    ax.set_xticks([x + 0.5 for x in range(len(names))], names, fontsize=8)
    ax.set_yticks([y + 0.5 for y in range(len(pairs))], [f"{s} x {c}" for s, c in pairs], fontsize=7)
    ax.xaxis.tick_top()
    ax.set_title("variants that explain each capture (measured time; model run's timer events)", fontsize=9,
                 pad=22)
    ax.legend(handles=[Patch(color=colours[lab], label=lab) for lab in labels], fontsize=7, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(cells: Sequence[CellResult], out_dir: Path, versions: dict[str, str]) -> list[Path]:
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "matrix.json", out_dir / "matrix.md", out_dir / "matrix.png"]
    paths[0].write_text(json.dumps(matrix_json(cells, versions), indent=1) + "\n")
    paths[1].write_text(matrix_markdown(cells, versions))
    heatmap(cells, paths[2])
    return paths
