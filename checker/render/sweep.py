"""A sweep's records turned into something to read: a summary by policy, classes of policies that
behave alike, the JSON document of ``leasecheck sweep --format json``, and the picture of the
space (a heatmap of verdicts, and safety against recovery latency).

Everything here reads the plain records of :mod:`leasecheck.checker.sweep` and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leasecheck.checker.render.chart import check_picture_path, save_figure
from leasecheck.checker.render.text import table
from leasecheck.checker.sweep.sweep import SweepOutcome
from leasecheck.checker.sweep.task import PROPERTIES
from leasecheck.model.policy import ALIASES, FIELDS, parse_policy

Record = Mapping[str, Any]

def _reference(records: Sequence[Record]) -> dict[str, Record]:
    """For each policy, the record of its reference point: D=1, L=0, R=0, no restart, at the
    smallest size swept whole. The smallest, because with more clients the quickest way back may
    lean on another client (one that takes the deleted address makes the server NAK the renewal),
    which says more about the clients than about the server's policy."""
    out: dict[str, Record] = {}
    for r in records:
        p = r["point"]
        if (p["deletes"], p["losses"], p["reboots"], p["restart"]) != (1, 0, 0, False) or p["symmetry"]:
            continue
        old = out.get(p["policy"])
        size = p["clients"] * p["addresses"]
        if old is None or size < old["point"]["clients"] * old["point"]["addresses"]:
            out[p["policy"]] = r
    return out


@dataclass(frozen=True)
class PolicySummary:
    """How one policy fared over the points swept."""

    policy: str
    points: int
    holds: dict[str, int]  # property -> points where it holds
    violated: dict[str, int]
    unknown: dict[str, int]
    latency: int | None  # at the reference point; None: never recovers there, or not measured
    latency_note: str
    latency_at: str  # the reference point's key, or ""

    @property
    def recovers_everywhere(self) -> bool:
        return self.holds["recovery"] == self.points

    def signature(self) -> tuple[Any, ...]:
        return tuple((self.holds[p], self.violated[p], self.unknown[p]) for p in PROPERTIES) + (self.latency,)


def summarise(records: Sequence[Record]) -> list[PolicySummary]:
    by_policy: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_policy[r["point"]["policy"]].append(r)
    ref = _reference(records)
    out = []
    for policy, rs in by_policy.items():
        count = {v: {p: sum(1 for r in rs if r["verdicts"][p] == v) for p in PROPERTIES}
                 for v in ("holds", "violated", "unknown")}
        r0 = ref.get(policy)
        out.append(PolicySummary(policy, len(rs), count["holds"], count["violated"], count["unknown"],
                                 None if r0 is None else r0["latency"],
                                 "not measured" if r0 is None else r0["latency_note"],
                                 "" if r0 is None else r0["key"]))
    return out


def classes(summaries: Iterable[PolicySummary]) -> list[list[PolicySummary]]:
    """Policies grouped by identical results over the sweep, the best-behaved class first."""
    groups: dict[tuple[Any, ...], list[PolicySummary]] = defaultdict(list)
    for s in summaries:
        groups[s.signature()].append(s)

    def badness(group: list[PolicySummary]) -> tuple[int, int, float]:
        s = group[0]
        return (s.violated["recovery"] + s.violated["recoverable"], s.violated["no_duplicate_address"],
                float("inf") if s.latency is None else s.latency)

    return sorted(groups.values(), key=badness)


def _fraction(n: int, total: int) -> str:
    return f"{n}/{total}"


def _latency_words(s: PolicySummary) -> str:
    if s.latency is not None:
        return str(s.latency)
    return "never" if s.latency_note.startswith("never") else "-"


def class_table(groups: Sequence[Sequence[PolicySummary]]) -> str:
    """One row a class: how many policies, the points where each property holds, the latency."""
    rows = [[str(n), str(len(group)), *(_fraction(group[0].holds[p], group[0].points) for p in PROPERTIES),
             _latency_words(group[0])] for n, group in enumerate(groups, 1)]
    return table(["class", "policies", *PROPERTIES, "latency"], rows)


def render_text(outcome: SweepOutcome) -> str:
    records = outcome.ordered
    lines = [f"leasecheck sweep: {len(outcome.points):,} points; {outcome.resumed:,} from the results file, "
             f"{outcome.ran:,} run now ({outcome.executor}) in {outcome.seconds:,.1f} s"]
    if outcome.interrupted:
        lines.append(f"interrupted: {len(outcome.points) - len(outcome.records):,} points still to run; run the "
                     f"same command again to go on from the results file")
    if outcome.failed:
        lines.append(f"{len(outcome.failed)} point(s) failed with an error of leasecheck's own (a bug; the record "
                     f"holds the traceback): {', '.join(r['key'] for r in outcome.failed[:3])}")
    if outcome.unknown:
        lines.append(f"{outcome.unknown} point(s) have a property left unknown (a limit was reached)")
    summaries = summarise(records)
    if not summaries:
        return "\n".join(lines) + "\n"
    groups = classes(summaries)
    lines += ["", f"{len(summaries)} policies behave in {len(groups)} distinct ways over these points. For each "
                  f"way: the points where each property holds, and the lease timer events from a delete until the "
                  f"client holds a lease again (1 delete, no loss, no reboot, no restart, the smallest size swept):", ""]
    lines.append(class_table(groups))
    for n, group in enumerate(groups, 1):
        lines += ["", f"class {n}:"] + [f"  {s.policy}" for s in group]
    return "\n".join(lines) + "\n"


def summary_json(outcome: SweepOutcome) -> dict[str, Any]:
    summaries = summarise(outcome.ordered)
    return {
        "sweep": {"points": len(outcome.points), "recorded": len(outcome.records), "resumed": outcome.resumed,
                  "ran": outcome.ran, "failed": [r["key"] for r in outcome.failed], "unknown": outcome.unknown,
                  "interrupted": outcome.interrupted, "seconds": round(outcome.seconds, 3),
                  "executor": outcome.executor, "limits": outcome.limits},
        "policies": [{"policy": s.policy, **{f: getattr(parse_policy(s.policy), f) for f in FIELDS},
                      "points": s.points, "holds": s.holds, "violated": s.violated, "unknown": s.unknown,
                      "latency": s.latency, "latency_note": s.latency_note, "latency_at": s.latency_at}
                     for group in classes(summaries) for s in group],
        "classes": [[s.policy for s in group] for group in classes(summaries)],
        "records": outcome.ordered,
        "exit_status": int(outcome.exit_status),
    }


# -- the picture --------------------------------------------------------------------------------

_CATEGORIES = (
    ("recovers, no duplicate", "#2e7d32"),
    ("recovers, duplicates possible", "#c0ca33"),
    ("may never recover, no duplicate", "#ef6c00"),
    ("may never recover, duplicates possible", "#b71c1c"),
    ("undecided", "#9e9e9e"),
)


def _category(r: Record) -> int:
    v = r["verdicts"]
    if "unknown" in (v["recovery"], v["no_duplicate_address"]):
        return 4
    return (0 if v["recovery"] == "holds" else 2) + (0 if v["no_duplicate_address"] == "holds" else 1)


def _column(p: Mapping[str, Any]) -> tuple[int, int, int, int, int, int, bool]:
    return (p["clients"] * p["addresses"], p["clients"], p["addresses"], p["deletes"], p["losses"], p["reboots"],
            p["restart"])


def _column_label(col: tuple[int, int, int, int, int, int, bool]) -> str:
    _, c, a, d, l_, r, restart = col
    return f"{c}x{a} D{d}L{l_}R{r}{' rs' if restart else ''}"


def _short(policy: str) -> str:
    if policy in ALIASES:
        return policy
    p = parse_policy(policy)
    letters = {"silent": "s", "nak": "n", "ack": "a", "keep-record": "keep", "clear-record": "clear"}
    return f"{letters[p.renewing]}{letters[p.rebinding]}{letters[p.rebooting]} {letters[p.delete]}"


def draw_sweep(records: Sequence[Record]) -> Any:
    """A matplotlib Figure: the verdict heatmap (policies down, configurations across) and each
    policy's safety against its recovery latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    summaries = [s for group in classes(summarise(records)) for s in group]
    policies = [s.policy for s in summaries]
    columns = sorted({_column(r["point"]) for r in records})
    grid = [[float("nan")] * len(columns) for _ in policies]
    row_of = {p: i for i, p in enumerate(policies)}
    col_of = {c: j for j, c in enumerate(columns)}
    for r in records:
        grid[row_of[r["point"]["policy"]]][col_of[_column(r["point"])]] = _category(r)
    fig, (heat, scatter) = plt.subplots(1, 2, figsize=(7 + 0.28 * len(columns), 2.5 + 0.2 * len(policies)),
                                        gridspec_kw={"width_ratios": [max(len(columns), 4) * 0.28 + 3, 5]})
    cmap = ListedColormap([c for _, c in _CATEGORIES])
    heat.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(_CATEGORIES) - 0.5, aspect="auto", interpolation="nearest")
    heat.set_yticks(range(len(policies)), [_short(p) for p in policies], fontsize=7)
    heat.set_xticks(range(len(columns)), [_column_label(c) for c in columns],
                    rotation=90, fontsize=6)
    heat.set_title("verdicts: policy (renewing, rebinding, rebooting answer; delete) by configuration", fontsize=8)
    fig.legend(handles=[Patch(color=c, label=n) for n, c in _CATEGORIES], fontsize=7, loc="lower center",
               ncol=len(_CATEGORIES), frameon=False)
    never = 1 + max((s.latency for s in summaries if s.latency is not None), default=0)
    dots: dict[tuple[int, float], list[str]] = defaultdict(list)
    for s in summaries:
        if s.latency is None and not s.latency_note.startswith("never"):
            continue  # not measured at these sizes: no dot, rather than a false "never"
        x = never if s.latency is None else s.latency
        dots[(x, s.holds["no_duplicate_address"] / s.points)].append(s.policy)
    for i, ((x, y), members) in enumerate(sorted(dots.items())):
        named = [m for m in members if m in ALIASES]
        scatter.scatter([x], [y], s=12 + 6 * len(members), color="#1f4e79" if named else "#7f9fbf", zorder=3)
        others = len(members) - len(named)
        label = ", ".join(named) + (f" +{others}" if named and others else f"{others} policies" if others else "")
        scatter.annotate(label, (x, y), xytext=(6, -12 if i % 2 else 6), textcoords="offset points",
                         fontsize=6)
    if not dots:
        scatter.text(0.5, 0.5, "recovery latency not measured at these sizes\n(whole graphs up to 2x2 only)",
                     ha="center", va="center", fontsize=8, transform=scatter.transAxes)
    scatter.set_xticks(range(never + 1), [*map(str, range(never)), "never"])
    scatter.set_xlabel("lease timer events from a delete until the client holds a lease again", fontsize=7)
    scatter.set_ylabel("share of points where no two clients hold the same address", fontsize=7)
    scatter.set_title("safety against recovery latency, one dot a policy", fontsize=8)
    scatter.set_ylim(-0.05, 1.05)
    scatter.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def save_sweep_picture(records: Sequence[Record], path: Path) -> None:
    check_picture_path(path)
    save_figure(draw_sweep(records), path)
