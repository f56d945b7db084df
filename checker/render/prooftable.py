"""The all-sizes table of the server design space turned into something to read: the table of
``leasecheck prove --policies`` (one row a policy, one column a property, with counts) and its
picture (one panel a property, the 54 policies as a grid of their four fields).

Everything here reads the plain records of :mod:`leasecheck.checker.cli.prove_table` (dictionaries
with ``policy``, ``property``, ``verdict`` and, for a failure, ``size``) and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from leasecheck.checker.render.chart import check_picture_path, save_figure
from leasecheck.checker.render.text import table
from leasecheck.model.policy import ALIASES, ANSWERS, DELETE_MODES, FIELDS, parse_policy, policy_name

Record = Mapping[str, Any]

#: A cell with no record: the run that writes the table has not decided it (yet).
UNDECIDED = "not decided in this run"
#: The verdicts in the order the counts and the legend show them, each with its colour.
CATEGORIES = (("holds", "#2e7d32"), ("fails", "#c62828"), ("unknown", "#f9a825"), (UNDECIDED, "#d9d9d9"))
#: The configuration each column is asked at, in words.
COLUMN_WORDS = {"recovery": "D=1, every C and A >= C", "single_binding": "D=0, every C and A",
                "no_duplicate_address": "D=0, every C and A"}


def _cell(r: Record | None) -> str:
    if r is None:
        return "-"
    if r["verdict"] == "fails":
        return f"fails {r['size']}"
    return str(r["verdict"])


def _by_cell(records: Sequence[Record]) -> dict[tuple[str, str], Record]:
    return {(r["policy"], r["property"]): r for r in records}


def counts(records: Sequence[Record], policies: Sequence[str], prop: str) -> Counter[str]:
    cells = _by_cell(records)
    return Counter(cells[(p, prop)]["verdict"] if (p, prop) in cells else UNDECIDED for p in policies)


def render_table(records: Sequence[Record], policies: Sequence[str], props: Sequence[str]) -> str:
    """The table, its counts, and what the recovery column says."""
    cells = _by_cell(records)
    rows = []
    for name in policies:
        p = parse_policy(name)
        alias = name if name in ALIASES else ""
        rows.append([*(getattr(p, f) for f in FIELDS), alias, *(_cell(cells.get((name, prop))) for prop in props)])
    lines = [f"all-sizes verdicts of {len(policies)} server policies ("
             + "; ".join(f"{prop}: {COLUMN_WORDS[prop]}" for prop in props)
             + "); '-': not decided in this run", ""]
    lines += table([*FIELDS, "variant", *props], rows).rstrip("\n").split("\n")
    lines += ["", *table(["property", *(c for c, _ in CATEGORIES)],
                         [[prop, *(str(counts(records, policies, prop)[c]) for c, _ in CATEGORIES)] for prop in props]
                         ).rstrip("\n").split("\n")]
    proofs = [r for r in records if r.get("how") == "prover" and "cpu_seconds" in r]
    lines.append("")
    for prop in props:
        for verdict in ("holds", "fails", "unknown"):
            spent = sorted(float(r["cpu_seconds"]) for r in proofs if r["property"] == prop and r["verdict"] == verdict)
            if spent:
                lines.append(f"{prop}, {verdict} by the prover: {len(spent)}, CPU a cell {spent[0]:.0f} to "
                             f"{spent[-1]:.0f} s (median {spent[len(spent) // 2]:.0f} s)")
    unknown = [r for r in records if r["verdict"] == "unknown"]
    if unknown:
        lines += ["", "unknown, and why:"]
        lines += [f"  {r['property']} of {r['policy']}: {_short(str(r['reason']))}" for r in unknown]
    if "recovery" in props:
        lines += ["", *_recovery_words(records, policies)]
    return "\n".join(lines) + "\n"


def _short(reason: str, most: int = 150) -> str:
    return reason if len(reason) <= most else reason[: most - 3] + "..."


def _recovery_words(records: Sequence[Record], policies: Sequence[str]) -> list[str]:
    cells = _by_cell(records)
    mine = [cells.get((p, "recovery")) for p in policies]
    holds = [r for r in mine if r is not None and r["verdict"] == "holds"]
    fails = [r for r in mine if r is not None and r["verdict"] == "fails"]
    sizes = Counter(str(r["size"]) for r in fails)
    small = [r for r in fails if r["size"] not in ("1x1", "1x2", "2x1", "2x2")]
    out = [f"recovery holds in every network (A >= C): {len(holds)} policies",
           f"recovery fails: {len(fails)} policies, the smallest network that shows it "
           + (", ".join(f"{s} for {n}" for s, n in sorted(sizes.items())) or "-"),
           f"recovery holds up to 2x2 and fails in a larger network: {len(small)} policies"]
    if fails:
        keep = sum(1 for r in fails if parse_policy(r["policy"]).keeps_record)
        out.append(f"  of the policies where it fails, {keep} keep the record on delete")
    return out


def draw_table(records: Sequence[Record], policies: Sequence[str], props: Sequence[str]) -> Any:
    """A matplotlib Figure: one panel a property; rows the renewing and rebinding answers, columns
    the rebooting answer and the delete mode; each cell a policy, coloured by its verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    cells = _by_cell(records)
    rows = [(a, b) for a in ANSWERS for b in ANSWERS]
    cols = [(c, d) for c in ANSWERS for d in DELETE_MODES]
    index = {c: i for i, (c, _) in enumerate(CATEGORIES)}
    fig, axes = plt.subplots(1, len(props), figsize=(3.3 * len(props) + 1, 4.6), squeeze=False)
    cmap = ListedColormap([c for _, c in CATEGORIES])
    wanted = set(policies)
    for ax, prop in zip(axes[0], props, strict=True):
        grid = [[float("nan")] * len(cols) for _ in rows]
        for i, (ren, reb) in enumerate(rows):
            for j, (boot, delete) in enumerate(cols):
                name = policy_name(parse_policy(f"renewing={ren},rebinding={reb},rebooting={boot},delete={delete}"))
                if name not in wanted:
                    continue
                r = cells.get((name, prop))
                grid[i][j] = index[r["verdict"] if r is not None else UNDECIDED]
                if name in ALIASES:
                    ax.text(j, i, name, ha="center", va="center", fontsize=5.5, color="white" if r else "black")
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(CATEGORIES) - 0.5, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(cols)), [f"{boot}\n{'keep' if d == 'keep-record' else 'clear'}" for boot, d in cols],
                      fontsize=6)
        ax.set_yticks(range(len(rows)), [f"{a} / {b}" for a, b in rows], fontsize=6)
        ax.set_xlabel("rebooting answer / delete: record", fontsize=6.5)
        ax.set_ylabel("renewing / rebinding answer", fontsize=6.5)
        ax.set_title(f"{prop}\n({COLUMN_WORDS[prop]})", fontsize=8)
    fig.legend(handles=[Patch(color=c, label=n) for n, c in CATEGORIES], fontsize=7, loc="lower center",
               ncol=len(CATEGORIES), frameon=False)
    fig.suptitle("every server policy, for every number of clients and addresses", fontsize=9)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def save_table_picture(records: Sequence[Record], policies: Sequence[str], props: Sequence[str], path: Path) -> None:
    check_picture_path(path)
    save_figure(draw_table(records, policies, props), path)
