"""Message sequence charts as pictures (SVG, PNG, PDF) drawn with matplotlib from :class:`~leasecheck.checker.render.msc.Chart`.

matplotlib is imported when a picture is asked for, with the non-interactive Agg backend, so the
command line starts quickly and works without a display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leasecheck.checker.render.msc import Arrow, Chart
from leasecheck.errors import UserError

PICTURE_SUFFIXES = (".svg", ".png", ".pdf")

_LANE_COLOURS = {"server": "#1f4e79", "admin": "#8b1a1a"}
_CLIENT_COLOUR = "#2e6b30"


class ChartFileError(UserError):
    """A picture that cannot be written (unknown suffix, unwritable path)."""


def check_picture_path(path: Path) -> None:
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        raise ChartFileError(f"cannot draw a chart as {path.name!r}: use a file ending in {', '.join(PICTURE_SUFFIXES)}")


def draw_chart(chart: Chart) -> Any:
    """A matplotlib Figure of the chart (lanes across, steps down, the loop shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = chart.rows
    lanes = len(chart.lanes)
    height = 1.2 + 0.32 * len(rows)
    fig, ax = plt.subplots(figsize=(2.6 * lanes + 1.0, height))
    ax.set_xlim(-0.9, lanes - 0.4)
    ax.set_ylim(len(rows) + 0.2, -1.3)
    ax.axis("off")
    colour = [_LANE_COLOURS.get(name, _CLIENT_COLOUR) for name in chart.lanes]
    for i, name in enumerate(chart.lanes):
        ax.plot([i, i], [-0.6, len(rows)], color=colour[i], lw=1.2, alpha=0.6, zorder=1)
        ax.text(i, -0.9, name, ha="center", va="center", fontsize=10, weight="bold", color="white",
                bbox={"boxstyle": "round,pad=0.35", "fc": colour[i], "ec": colour[i]})
    if chart.loop is not None:
        ys = [y for y, r in enumerate(rows) if chart.in_loop(r.step)]
        if ys:
            ax.add_patch(plt.Rectangle((-0.75, min(ys) - 0.45), lanes + 0.25, max(ys) - min(ys) + 0.9,
                                       fc="#fff4cc", ec="#c9a227", lw=1.0, ls="--", zorder=0))
            ax.text(lanes - 0.55, min(ys) - 0.3, f"loop: steps {chart.loop[0]}–{chart.loop[1]} repeat forever",
                    fontsize=8, color="#7a5c00", va="top", ha="right", style="italic")
    seen: set[int] = set()
    for y, row in enumerate(rows):
        if row.step not in seen:
            ax.text(-0.8, y, str(row.step), ha="left", va="center", fontsize=8, color="#555555")
            seen.add(row.step)
        if isinstance(row, Arrow):
            x0, x1 = row.sender, row.receiver
            end = (x0 + x1) / 2 if row.lost else x1
            ax.annotate("", xy=(end, y), xytext=(x0, y),
                        arrowprops={"arrowstyle": "-|>", "color": "#999999" if row.lost else "#222222",
                                    "lw": 1.3, "ls": "--" if row.lost else "-"}, zorder=3)
            if row.lost:
                ax.plot([end], [y], marker="x", color="#c00000", ms=9, mew=2, zorder=4)
            label = row.message + (" (lost)" if row.lost else "")
            ax.text((x0 + end) / 2, y - 0.12, label, ha="center", va="bottom", fontsize=8.5, family="monospace",
                    zorder=4, bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
        else:
            ax.text(row.lane, y, row.text, ha="center", va="center", fontsize=8.5, zorder=4,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "#f2f2f2", "ec": colour[row.lane], "lw": 0.8})
    if chart.title:
        ax.set_title(chart.title, fontsize=11, loc="left")
    fig.tight_layout()
    return fig


def save_chart(chart: Chart, path: Path) -> None:
    """Draw ``chart`` into ``path``; the suffix picks the format."""
    check_picture_path(path)
    save_figure(draw_chart(chart), path)


def save_figure(fig: Any, path: Path) -> None:
    """Write a matplotlib figure to ``path`` (format by suffix) and close it; same picture, same bytes.
    The file appears whole when it is complete, or not at all (:mod:`leasecheck.checker.render.files`)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from leasecheck.checker.render.files import atomic_file

    kind = path.suffix.lower()
    try:
        with matplotlib.rc_context({"svg.hashsalt": "leasecheck"}), atomic_file(path, binary=True) as f:
            fig.savefig(f, format=kind[1:], metadata={"Date": None} if kind == ".svg" else None)
    except OSError as exc:
        raise ChartFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
