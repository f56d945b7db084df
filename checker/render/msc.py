"""Message sequence charts of traces: the chart as data, and its terminal rendering.

A :class:`Chart` has one lane per client, one for the server and one for the administrator.
Each step of a trace becomes rows: an :class:`Arrow` for each message sent (or lost on the way),
and a :class:`Note` for what a participant did or became (a timer event and the RFC 2131 state
the client enters, a lease deleted, a server that stays silent). The rows of a lasso's loop are
marked as repeating. :mod:`leasecheck.checker.render.chart` draws the same data as a picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from leasecheck.checker.render.narrate import story
from leasecheck.checker.results import Step, Trace
from leasecheck.model.lang import System

#: client actions that are lease or retransmission timers (RFC 2131 4.4.5, 4.1)
TIMERS = {"T1": "T1", "T2": "T2", "Expire": "lease expired", "Timeout": "timeout"}


@dataclass(frozen=True)
class Arrow:
    """A message from one lane to another; ``lost`` when the network drops it."""

    step: int
    sender: int
    receiver: int
    message: str
    lost: bool = False


@dataclass(frozen=True)
class Note:
    """Something a participant did or became at a step, written on its lane."""

    step: int
    lane: int
    text: str


Row = Arrow | Note


@dataclass(frozen=True)
class Chart:
    title: str
    lanes: tuple[str, ...]
    rows: tuple[Row, ...]
    steps: int
    loop: tuple[int, int] | None  # first and last step of the repeating part

    def in_loop(self, step: int) -> bool:
        return self.loop is not None and self.loop[0] <= step <= self.loop[1]


def _client_lane(c: int) -> int:
    return c


def build_chart(system: System, trace: Trace, title: str = "") -> Chart:
    """The message sequence chart of ``trace``, from :func:`leasecheck.checker.render.narrate.story` of each step."""
    clients = sum(1 for v in system.variables if v.group == "st")
    server, admin = clients, clients + 1
    lanes = tuple([f"client {c}" for c in range(clients)] + ["server", "admin"])
    rows: list[Row] = []
    for n in range(1, len(trace.steps)):
        step = trace.steps[n]
        rows += _step_rows(system, trace.steps[n - 1].state, step, n, server, admin)
    last = len(trace.steps) - 1
    loop = None if trace.loop_start is None else (trace.loop_start + 1, last)
    return Chart(title, lanes, tuple(rows), last, loop)


def _step_rows(system: System, prev: tuple[int, ...], step: Step, n: int, server: int, admin: int) -> list[Row]:
    st = story(system, prev, step)
    rows: list[Row] = []
    action = step.action or ""
    actor = system.instance_of(action, step.params).actor
    for e in st.events:
        cl = _client_lane(e.client)
        sender, receiver = (cl, server) if e.direction == "to server" else (server, cl)
        if e.event == "sent":
            rows.append(Arrow(n, sender, receiver, e.message))
        elif e.event == "lost":
            rows.append(Arrow(n, sender, receiver, e.message, lost=True))
        elif e.event == "discarded":
            rows.append(Note(n, receiver, f"discards {e.message}"))
    if action in TIMERS:
        c = step.params[0]
        rows.insert(0, Note(n, _client_lane(c), TIMERS[action]))
    if action in ("Release", "Reboot"):
        rows.insert(0, Note(n, _client_lane(step.params[0]), action.lower()))
    if st.silent:
        why = step.label.rpartition("silent: ")[2] if "silent: " in step.label else ""
        rows.append(Note(n, server, "silent" + (f" ({why})" if why else "")))
    for ch in st.changes:
        name, _, key = ch.variable.partition("[")
        if name == "st":
            rows.append(Note(n, _client_lane(int(key.rstrip("]"))), f"→ {ch.new}"))
        elif name == "err" and ch.new == 1:
            rows.append(Note(n, _client_lane(int(key.rstrip("]"))), "error shown"))
        elif name == "db" and actor != "server":
            rows.append(Note(n, admin, f"deletes lease {key.rstrip(']')}"))
        elif name == "db" and action in ("ServeRelease", "ExpireLease"):
            verb = "frees" if action == "ServeRelease" else "expires"
            rows.append(Note(n, server, f"{verb} lease {key.rstrip(']')}"))
    if action == "AdminRestart":
        rows.append(Note(n, admin, "restarts the service"))
    if not rows:
        rows.append(Note(n, server if actor == "server" else admin if actor == "admin" else 0, step.instance))
    return rows


# ---------------------------------------------------------------------------------------------
# Terminal rendering

LANE_WIDTH = 26
GUTTER = 6


def _centre(lane: int) -> int:
    return GUTTER + lane * LANE_WIDTH + LANE_WIDTH // 2


def _blank(chart: Chart) -> list[str]:
    line = [" "] * (GUTTER + len(chart.lanes) * LANE_WIDTH)
    for i in range(len(chart.lanes)):
        line[_centre(i)] = "│"
    return line


def _put(line: list[str], start: int, text: str) -> None:
    for i, ch in enumerate(text):
        if 0 <= start + i < len(line):
            line[start + i] = ch


def _arrow_line(chart: Chart, a: Arrow) -> list[str]:
    line = _blank(chart)
    x0, x1 = _centre(a.sender), _centre(a.receiver)
    lo, hi = min(x0, x1), max(x0, x1)
    for x in range(lo + 1, hi):
        line[x] = "─"
    if a.lost:  # a short stroke from the sender, a cross where the network dropped it, then the message
        for x in range(lo + 1, hi):
            line[x] = " "
        if x0 < x1:
            _put(line, lo + 1, f"──✗ {a.message}"[: hi - lo - 1])
        else:
            text = f"{a.message} ✗──"[-(hi - lo - 1):]
            _put(line, hi - len(text), text)
    else:
        label = f" {a.message} "
        line[hi - 1 if x0 < x1 else lo + 1] = "▶" if x0 < x1 else "◀"
        _put(line, lo + max(1, (hi - lo - len(label)) // 2), label)
    return line


def _note_line(chart: Chart, n: Note) -> list[str]:
    line = _blank(chart)
    text = f"[{n.text}]"
    _put(line, _centre(n.lane) - min(len(text) // 2, LANE_WIDTH // 2 - 1), text)
    return line


def render_chart_text(chart: Chart) -> str:
    """The chart as lines of text: lanes across, steps down, a bar beside the repeating loop."""
    out = []
    if chart.title:
        out.append(chart.title)
    head = [" "] * (GUTTER + len(chart.lanes) * LANE_WIDTH)
    for i, name in enumerate(chart.lanes):
        _put(head, _centre(i) - len(name) // 2, name)
    out.append("".join(head).rstrip())
    shown: set[int] = set()
    for row in chart.rows:
        if chart.loop is not None and row.step == chart.loop[0] and row.step not in shown:
            out.append(f"{'':{GUTTER - 2}}┌─ loop: steps {chart.loop[0]}–{chart.loop[1]} repeat forever")
        line = _arrow_line(chart, row) if isinstance(row, Arrow) else _note_line(chart, row)
        mark = "│" if chart.in_loop(row.step) else " "
        number = f"{row.step:>3}" if row.step not in shown else "   "
        shown.add(row.step)
        _put(line, 0, f"{number} {mark}")
        out.append("".join(line).rstrip())
    if chart.loop is not None:
        out.append(f"{'':{GUTTER - 2}}└─ back to the start of the loop")
    return "\n".join(out) + "\n"
