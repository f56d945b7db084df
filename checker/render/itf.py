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
is strict: every deviation is a :class:`TraceFileError` with one clear sentence. An entry that
leasecheck does not write (in the document, its ``#meta``, a state, a state's ``#meta`` or an
action), a missing or extra variable, a sequence with more or fewer entries than the model has
clients or addresses, and a value of the wrong type are refused, naming the first offending place;
the file itself is read within the limits of :mod:`leasecheck.checker.render.inputfile`.
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
from leasecheck.properties.dhcp import PROPERTY_NAMES

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

#: the entries each object of a trace file may have; any other is refused
TOP_KEYS = ("#meta", "vars", "states", "loop")
META_KEYS = ("format", "format-description", "source", "description", "leasecheck")
OWN_KEYS = ("config", "property", "client", "verdict")
STATE_META_KEYS = ("index", "action")
ACTION_KEYS = ("name", "params", "rule")
VERDICTS = ("holds", "violated", "unknown")
#: the longest string a trace file's rule or description may be, and the longest value
MAX_TEXT = 1000
MAX_VALUE = 64
#: the most states a trace file may have (the traces leasecheck writes have tens)
MAX_STATES = 10_000


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise TraceFileError(message)


def _shown(raw: object) -> str:
    """A JSON value as a message shows it: compact, ASCII (control characters escaped), short."""
    text = json.dumps(raw, ensure_ascii=True)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text):,} characters)"


def _only(raw: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in raw if k not in allowed]
    _expect(not unknown, f"{where}: unknown entry {_shown(unknown[0]) if unknown else ''}")


def _is_int(raw: object) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _text(raw: object, where: str, *, optional: bool = False) -> None:
    if optional and raw is None:
        return
    _expect(isinstance(raw, str), f"{where} must be a string{' or null' if optional else ''}, not {_shown(raw)}")
    assert isinstance(raw, str)
    _expect(len(raw) <= MAX_TEXT, f"{where} is longer than {MAX_TEXT:,} characters")


def _model_value(raw: object, where: str) -> object:
    if raw == NONE:
        return None
    if isinstance(raw, str) and len(raw) <= MAX_VALUE:
        return parse_value(raw)
    if _is_int(raw):
        return raw
    if isinstance(raw, dict) and set(raw) == {"#bigint"} and isinstance(raw["#bigint"], str) \
            and len(raw["#bigint"]) <= 30:
        try:
            return int(raw["#bigint"])
        except ValueError:
            pass
    raise TraceFileError(f"{where}: {_shown(raw)} is not a value of the model")


def _config(meta: object) -> Config:
    _expect(isinstance(meta, dict), "the trace has no \"#meta\" object")
    assert isinstance(meta, dict)
    _only(meta, META_KEYS, "\"#meta\"")
    for key in ("format", "format-description", "source", "description"):
        if key in meta:
            _text(meta[key], f"\"#meta\" entry {_shown(key)}")
    _expect(meta.get("format", "ITF") == "ITF", f"\"#meta\" says the format is {_shown(meta.get('format'))}, not \"ITF\"")
    own = meta.get("leasecheck")
    _expect(isinstance(own, dict) and isinstance(own.get("config"), dict),
            "the trace's \"#meta\" has no leasecheck configuration (\"leasecheck\": {\"config\": ...})")
    assert isinstance(own, dict)
    _only(own, OWN_KEYS, "\"#meta\".leasecheck")
    raw = own["config"]
    known = [f.name for f in fields(Config)]
    unknown = [k for k in raw if k not in known]
    _expect(not unknown, f"the recorded configuration has unknown fields: {', '.join(map(_shown, unknown[:3]))}")
    try:
        return Config(**raw)
    except ConfigError as exc:
        raise TraceFileError(f"the recorded configuration is not valid: {exc}") from None


def _claim(own: dict[str, Any], cfg: Config) -> tuple[str | None, int | None, str | None]:
    """The recorded property, client and verdict, each checked against what leasecheck writes."""
    prop, client, verdict = own.get("property"), own.get("client"), own.get("verdict")
    where = "\"#meta\".leasecheck"
    _expect(prop is None or prop in PROPERTY_NAMES,
            f"{where}: the property is {_shown(prop)}, not one of the model's or null")
    _expect(client is None or (_is_int(client) and 0 <= client < cfg.clients),
            f"{where}: the client is {_shown(client)}, not a client of the configuration or null")
    _expect(verdict is None or verdict in VERDICTS,
            f"{where}: the verdict is {_shown(verdict)}, not one of {', '.join(VERDICTS)} or null")
    return prop, client, verdict


def _shape(system: System) -> dict[str, int | None]:
    """Each variable group and its length: the number of entries of a sequence, None for a scalar."""
    shape: dict[str, int | None] = {}
    for v in system.variables:
        if v.key is None:
            shape[v.group] = None
        else:
            shape[v.group] = max(shape.get(v.group) or 0, v.key + 1)
    return shape


def _step(system: System, n: int, raw: object, shape: dict[str, int | None], actions: frozenset[str]) -> Step:
    where = f"state {n}"
    _expect(isinstance(raw, dict), f"{where} is not a JSON object")
    assert isinstance(raw, dict)
    meta = raw.get("#meta", {})
    _expect(isinstance(meta, dict), f"{where}: \"#meta\" is not an object")
    _only(meta, STATE_META_KEYS, f"{where}, \"#meta\"")
    _expect(meta.get("index", n) == n and not isinstance(meta.get("index"), bool),
            f"{where}: \"#meta\" gives the index {_shown(meta.get('index'))}, not {n}")
    missing = [g for g in shape if g not in raw]
    _expect(not missing, f"{where} lacks the variables {', '.join(missing)}")
    _only(raw, ("#meta", *shape), where)
    values: dict[str, Any] = {}
    for g, length in shape.items():
        v = raw[g]
        if length is None:
            _expect(not isinstance(v, list), f"{where}, {g}: a single value, not {_shown(v)}")
            values[g] = _model_value(v, f"{where}, {g}")
        else:
            _expect(isinstance(v, list) and len(v) == length,
                    f"{where}, {g}: a list of {length} entr{'y' if length == 1 else 'ies'}, not {_shown(v)}")
            values[g] = [_model_value(x, f"{where}, {g}[{i}]") for i, x in enumerate(v)]
    try:
        state = system.encode(values)
    except (ModelError, ValueError, KeyError) as exc:
        raise TraceFileError(f"{where}: {exc}") from None
    action = meta.get("action")
    if action is None:
        return Step(None, (), "", state)
    _expect(isinstance(action, dict) and isinstance(action.get("name"), str),
            f"{where}: the action must be an object with a \"name\"")
    assert isinstance(action, dict)
    _only(action, ACTION_KEYS, f"{where}, action")
    _expect(action["name"] in actions, f"{where}: the model has no action {_shown(action['name'])}")
    params = action.get("params", [])
    _expect(isinstance(params, list) and len(params) <= 8 and all(_is_int(p) for p in params),
            f"{where}: the action's \"params\" must be a list of integers")
    rule = action.get("rule", "")
    _text(rule, f"{where}: the action's \"rule\"")
    return Step(action["name"], tuple(params), rule, state)


def read_itf(doc: object) -> TraceFile:
    """Read an ITF document written by :func:`itf_document` (strictly) back into a trace: an entry
    leasecheck does not write, a missing or extra variable, a value of the wrong type is refused,
    naming the first offending place."""
    _expect(isinstance(doc, dict), "an ITF trace is a JSON object")
    assert isinstance(doc, dict)
    _only(doc, TOP_KEYS, "the trace")
    cfg = _config(doc.get("#meta"))
    own = doc["#meta"]["leasecheck"]
    prop, client, verdict = _claim(own, cfg)
    system = dhcp_system(cfg)
    shape = _shape(system)
    groups = list(shape)
    _expect(doc.get("vars") == groups, f"\"vars\" must list the model's variables: {', '.join(groups)}")
    raw_states = doc.get("states")
    _expect(isinstance(raw_states, list) and len(raw_states) > 0, "\"states\" must be a non-empty list")
    assert isinstance(raw_states, list)
    _expect(len(raw_states) <= MAX_STATES, f"the trace has {len(raw_states):,} states, more than the "
                                           f"{MAX_STATES:,} leasecheck replays")
    actions = frozenset(c.action for c in system.commands)
    steps = tuple(_step(system, n, s, shape, actions) for n, s in enumerate(raw_states))
    loop = doc.get("loop")
    _expect(loop is None or (_is_int(loop) and 0 <= loop < len(steps)),
            f"\"loop\" must be the index of a state, not {_shown(loop)}")
    description = doc["#meta"].get("description", "")
    return TraceFile(
        config=cfg,
        trace=Trace(steps, loop),
        property=prop,
        client=client,
        verdict=verdict,
        description="".join(ch if ch.isprintable() else " " for ch in description),
    )


def load_itf(path: Path) -> TraceFile:
    """Read an ITF file within the limits of :mod:`leasecheck.checker.render.inputfile` (size,
    nesting, integers, UTF-8); :class:`TraceFileError`, naming the file, for a missing, unreadable,
    oversized or malformed file."""
    from leasecheck.checker.render.inputfile import InputFileError, load_json, shown_path

    try:
        doc = load_json(path, what="trace file")
    except InputFileError as exc:
        raise TraceFileError(str(exc)) from None
    try:
        return read_itf(doc)
    except TraceFileError as exc:
        raise TraceFileError(f"{shown_path(path)}: {exc}") from None


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
