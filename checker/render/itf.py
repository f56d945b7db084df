"""Traces as files in the Informal Trace Format (ITF) of Apalache and Quint, written and read back.

A document is one JSON object::

    {"#meta": {"format": "ITF", "format-description": ..., "source": "leasecheck", "description": ...,
               "leasecheck": {"config": {...}, "property": ..., "client": ..., "verdict": ...}},
     "vars": ["st", "addr", ...],
     "states": [{"#meta": {"index": 0, "action": null}, "st": ["INIT"], ...},
                {"#meta": {"index": 1, "action": {"name": "Discover", "params": [0], "rule": ""}}, ...}],
     "loop": 12}

Values: per-client and per-address variables are ITF sequences (JSON arrays, indexed by client or
address); counts and addresses are JSON integers; client states are strings (``"RENEWING"``);
messages and lease-table entries are strings in the notation of docs/model.md section 3.1
(``"REQUEST(RENEWING,0)"``, ``"BOUND(1)"``); the distinct value none is the string ``"none"``.
``loop`` is present for a lasso only: the last state repeats the state with that index. Reading
is strict: every deviation is a :class:`TraceFileError` with one clear sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from leasecheck.checker.results import Step, Trace
from leasecheck.errors import UserError
from leasecheck.model.dhcp import Config, ConfigError, dhcp_system
from leasecheck.model.lang import ModelError, System
from leasecheck.model.values import parse_value, render_value

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
NONE = "none"


class TraceFileError(UserError):
    """A trace file that cannot be read: not JSON, not ITF, or not about a leasecheck model."""


@dataclass(frozen=True)
class TraceFile:
    """A trace read from a file, with the configuration and the claim recorded alongside it."""

    config: Config
    trace: Trace
    property: str | None = None
    client: int | None = None
    verdict: str | None = None
    description: str = ""


# ---------------------------------------------------------------------------------------------
# Writing


def _itf_value(value: object) -> object:
    shown = render_value(value)
    return NONE if shown is None else shown


def itf_document(system: System, cfg: Config, trace: Trace, *, prop: str | None = None,
                 client: int | None = None, verdict: str | None = None, description: str = "") -> dict[str, Any]:
    """The ITF document of ``trace`` (a behaviour of ``system``, built for ``cfg``)."""
    groups = list(dict.fromkeys(v.group for v in system.variables))
    states = []
    for n, step in enumerate(trace.steps):
        action = None if step.action is None else {"name": step.action, "params": list(step.params), "rule": step.label}
        state: dict[str, Any] = {"#meta": {"index": n, "action": action}}
        for group, value in system.decode(step.state).items():
            state[group] = [_itf_value(x) for x in value] if isinstance(value, list) else _itf_value(value)
        states.append(state)
    meta = {
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "source": "leasecheck",
        "description": description or f"a behaviour of {system.name}",
        "leasecheck": {
            "config": {f.name: getattr(cfg, f.name) for f in fields(cfg)},
            "property": prop,
            "client": client,
            "verdict": verdict,
        },
    }
    doc: dict[str, Any] = {"#meta": meta, "vars": groups, "states": states}
    if trace.loop_start is not None:
        doc["loop"] = trace.loop_start
    return doc


def write_itf(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` whole (a temporary file renamed when complete) or not at all."""
    from leasecheck.checker.render.files import atomic_write

    atomic_write(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------
# Reading


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise TraceFileError(message)


def _model_value(raw: object, where: str) -> object:
    if raw == NONE:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        if isinstance(raw, dict) and set(raw) == {"#bigint"} and isinstance(raw["#bigint"], str):
            try:
                return int(raw["#bigint"])
            except ValueError:
                pass
        raise TraceFileError(f"{where}: {json.dumps(raw)} is not a value of the model")
    return parse_value(raw)


def _config(meta: object) -> Config:
    _expect(isinstance(meta, dict), "the trace has no \"#meta\" object")
    assert isinstance(meta, dict)
    own = meta.get("leasecheck")
    _expect(isinstance(own, dict) and isinstance(own.get("config"), dict),
            "the trace's \"#meta\" has no leasecheck configuration (\"leasecheck\": {\"config\": ...})")
    assert isinstance(own, dict)
    raw = own["config"]
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    _expect(not unknown, f"the recorded configuration has unknown fields: {', '.join(unknown)}")
    try:
        return Config(**raw)
    except ConfigError as exc:
        raise TraceFileError(f"the recorded configuration is not valid: {exc}") from None


def _step(system: System, n: int, raw: object, groups: list[str]) -> Step:
    where = f"state {n}"
    _expect(isinstance(raw, dict), f"{where} is not a JSON object")
    assert isinstance(raw, dict)
    meta = raw.get("#meta", {})
    _expect(isinstance(meta, dict), f"{where}: \"#meta\" is not an object")
    missing = [g for g in groups if g not in raw]
    _expect(not missing, f"{where} lacks the variables {', '.join(missing)}")
    extra = sorted(k for k in raw if k != "#meta" and k not in groups)
    _expect(not extra, f"{where} has variables the model does not: {', '.join(extra)}")
    values: dict[str, Any] = {}
    for g in groups:
        v = raw[g]
        values[g] = [_model_value(x, f"{where}, {g}") for x in v] if isinstance(v, list) else _model_value(v, f"{where}, {g}")
    try:
        state = system.encode(values)
    except (ModelError, ValueError, KeyError) as exc:
        raise TraceFileError(f"{where}: {exc}") from None
    action = meta.get("action")
    if action is None:
        return Step(None, (), "", state)
    _expect(isinstance(action, dict) and isinstance(action.get("name"), str),
            f"{where}: the action must be an object with a \"name\"")
    params = action.get("params", [])
    _expect(isinstance(params, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in params),
            f"{where}: the action's \"params\" must be a list of integers")
    rule = action.get("rule", "")
    _expect(isinstance(rule, str), f"{where}: the action's \"rule\" must be a string")
    return Step(action["name"], tuple(params), rule, state)


def read_itf(doc: object) -> TraceFile:
    """Read an ITF document written by :func:`itf_document` (strictly) back into a trace."""
    _expect(isinstance(doc, dict), "an ITF trace is a JSON object")
    assert isinstance(doc, dict)
    cfg = _config(doc.get("#meta"))
    system = dhcp_system(cfg)
    groups = list(dict.fromkeys(v.group for v in system.variables))
    _expect(doc.get("vars") == groups, f"\"vars\" must list the model's variables: {', '.join(groups)}")
    raw_states = doc.get("states")
    _expect(isinstance(raw_states, list) and len(raw_states) > 0, "\"states\" must be a non-empty list")
    assert isinstance(raw_states, list)
    steps = tuple(_step(system, n, s, groups) for n, s in enumerate(raw_states))
    loop = doc.get("loop")
    _expect(loop is None or (isinstance(loop, int) and not isinstance(loop, bool)), "\"loop\" must be an integer")
    own = doc["#meta"]["leasecheck"]
    client = own.get("client")
    return TraceFile(
        config=cfg,
        trace=Trace(steps, loop),
        property=own.get("property"),
        client=client if isinstance(client, int) else None,
        verdict=own.get("verdict"),
        description=str(doc["#meta"].get("description", "")),
    )


def load_itf(path: Path) -> TraceFile:
    """Read an ITF file; :class:`TraceFileError` for a missing, unreadable or malformed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraceFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TraceFileError(f"cannot read {path}: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceFileError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return read_itf(doc)


def replay_trace_file(tf: TraceFile) -> System:
    """Check every step of ``tf`` against the model of its configuration; raise ReplayError if one is not.

    Besides :func:`leasecheck.checker.replay.replay` (each step a transition, a lasso's loop closed and fair),
    a step that names its rule must be a transition by that rule.
    """
    from leasecheck.checker.replay import ReplayError, replay, successor_by

    system = dhcp_system(tf.config)
    replay(system, tf.trace)
    for n in range(1, len(tf.trace.steps)):
        step = tf.trace.steps[n]
        if step.label and step.action is not None:
            options = successor_by(system, tf.trace.steps[n - 1].state, step.action, step.params, step.label)
            if tuple(step.state) not in options:
                raise ReplayError(n, f"{step.instance} does not follow the rule {step.label!r} to the state given")
    return system
