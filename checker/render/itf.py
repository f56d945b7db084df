"""Traces as files in the Informal Trace Format (ITF, Apalache's ADR-015), written and read back.

A document is one JSON object (format version 2, written since leasecheck 0.2.0)::

    {"#meta": {"format": "ITF", "format-description": ..., "source": "leasecheck 0.2.0",
               "description": ..., "varTypes": {"clients": "Int", ..., "st": "Seq(Str)", ...},
               "leasecheck": {"format_version": 2, "config": {...}, "property": ..., "client": ...,
                              "verdict": ..., "loop_action": {"name": "Timeout", ...}}},
     "params": ["clients", "addresses", "variant", ...],
     "vars": ["st", "addr", ...],
     "states": [{"#meta": {"index": 0, "action": null}, "clients": 1, ..., "st": ["INIT"], ...}, ...],
     "loop": 12}

``params`` names the configuration's fields; every state gives their values, which never change.
Values: per-client and per-address variables are sequences (JSON arrays indexed by client or
address); counts are JSON integers; client states are strings (``"RENEWING"``). Messages, leases
and the optional addresses are tagged variants, whose payload is always a record (``{}`` when the
tag carries nothing): ``{"tag": "REQUEST", "value": {"kind": "RENEWING", "addr": 0}}``,
``{"tag": "BOUND", "value": {"client": 0}}``, ``{"tag": "FREE", "value": {}}``, an address
``{"tag": "SOME", "value": {"addr": 1}}`` and the value none ``{"tag": "NONE", "value": {}}``.
``#meta.varTypes`` gives each parameter and variable its type in Apalache's syntax. A lasso's
``loop`` is the index of the state that the last state steps back to; that step's action is
``#meta.leasecheck.loop_action`` (a state's ``#meta.action`` is the action that led to it).

Files of format version 1 (no ``format_version``: written before) still read: values are strings in
the notation of docs/model.md section 3.1 (``"REQUEST(RENEWING,0)"``, ``"none"``), there is no
``params``, and a lasso's last state repeats the state of index ``loop``. Both read into the same
:class:`TraceFile`, whose :class:`Trace` repeats the loop's first state at its end, as the engines'
traces do.

Reading is strict: every deviation is a :class:`TraceFileError` with one clear sentence. An entry
that leasecheck does not write (in the document, its ``#meta``, a state, a state's ``#meta`` or an
action), a missing or extra variable or parameter, a sequence with more or fewer entries than the
model has clients or addresses, a value of the wrong type, and an entry of one format version in a
file of the other are refused, naming the first offending place; the file itself is read within
the limits of :mod:`leasecheck.checker.render.inputfile`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from leasecheck.checker.results import Step, Trace
from leasecheck.errors import UserError
from leasecheck.model.lang import Domain, ModelError, System
from leasecheck.properties.families import DEFAULT_FAMILY
from leasecheck.properties.model import Model, ModelFamily

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
#: the format version written now; files without one are of version 1
FORMAT_VERSION = 2
OLD_NONE = "none"

_UNIT = "UNIT"


def _scalar_type(value: object) -> str | None:
    """The ITF type of a plain value (a str-valued enum is a string), None for anything else."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int"
    if isinstance(value, str):
        return "Str"
    return None


def itf_type(domain: Domain, sequence: bool = False) -> str:
    """The type of a variable over ``domain`` in Apalache's syntax, from its values: a plain type
    (``Int``, ``Str``, ``Bool``), an optional number ``SOME({addr: Int}) | NONE(UNIT)``, or the
    tagged variants of dataclass values in the domain's order (``NONE(UNIT)`` last); ``Seq(...)``
    around it for a variable group indexed by ids."""
    values = [x for x in domain.values if x is not None]
    plain = {_scalar_type(x) for x in values}
    if len(plain) == 1 and None not in plain and (None not in domain.values or plain == {"Int"}):
        (kind,) = plain
        assert kind is not None
        text = kind if None not in domain.values else f"SOME({{addr: {kind}}}) | NONE({_UNIT})"
    else:
        tags: dict[str, str] = {}
        for x in values:
            if not is_dataclass(x) or isinstance(x, type):
                raise ModelError(f"the domain {domain.name} mixes values that a trace file cannot type")
            record = ", ".join(f"{f.name}: {_scalar_type(getattr(x, f.name))}" for f in fields(x))
            tags.setdefault(str(x).partition("(")[0], f"{{{record}}}" if record else _UNIT)
        if None in domain.values:
            tags["NONE"] = _UNIT
        text = " | ".join(f"{tag}({payload})" for tag, payload in tags.items())
    return f"Seq({text})" if sequence else text


def var_types(system: System, config: dict[str, Any]) -> dict[str, str]:
    """The type of each parameter and each variable group, in Apalache's syntax (``#meta.varTypes``)."""
    types: dict[str, str] = {}
    for name, value in config.items():
        kind = _scalar_type(value)
        if kind is None:
            raise ModelError(f"the parameter {name} is not a number, a string or a truth value")
        types[name] = kind
    for v in system.variables:
        types.setdefault(v.group, itf_type(v.domain, v.key is not None))
    return types


def parameters(config: object) -> dict[str, Any]:
    """A configuration's parameters by name, in field order (a str-valued enum as its string)."""
    if not is_dataclass(config) or isinstance(config, type):
        raise ModelError(f"a trace file records a configuration whose fields are its parameters, not {config!r}")
    return {f.name: _plain(getattr(config, f.name)) for f in fields(config)}


def _plain(value: object) -> object:
    return str(value) if isinstance(value, str) and type(value) is not str else value


class TraceFileError(UserError):
    """A trace file that cannot be read: not JSON, not ITF, or not about a leasecheck model."""


@dataclass(frozen=True)
class TraceFile:
    """A trace read from a file, with the configuration and the claim recorded alongside it, and
    the model of that configuration (``model``, built by the family it was read as)."""

    config: Any
    trace: Trace
    property: str | None = None
    client: int | None = None
    verdict: str | None = None
    description: str = ""
    #: the file's format version: 1 (written before leasecheck wrote ``params``) or 2
    format_version: int = FORMAT_VERSION
    model: Model | None = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------------------------------------
# Writing


def _source() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"leasecheck {version('leasecheck')}"
    except PackageNotFoundError:  # a checkout that is not installed
        return "leasecheck"


def itf_value(value: object, domain: Domain) -> object:
    """A model value as ITF: a tagged variant for a message, a lease, none or an optional address."""
    if value is None:
        return {"tag": "NONE", "value": {}}
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"tag": "SOME", "value": {"addr": value}} if None in domain.values else value
    assert is_dataclass(value), value
    tag = str(value).partition("(")[0]
    return {"tag": tag, "value": {f.name: getattr(value, f.name) for f in fields(value)}}


def _action(step: Step) -> dict[str, Any]:
    return {"name": step.action, "params": list(step.params), "rule": step.label}


def itf_document(system: System, cfg: object, trace: Trace, *, prop: str | None = None,
                 client: int | None = None, verdict: str | None = None, description: str = "") -> dict[str, Any]:
    """The ITF document of ``trace`` (a behaviour of ``system``, built for the configuration ``cfg``,
    a dataclass whose fields are the parameters: a :attr:`Model.config`)."""
    domains = {v.group: v.domain for v in system.variables}
    groups = list(domains)
    config = parameters(cfg)
    types = var_types(system, config)
    steps = trace.steps[:-1] if trace.loop_start is not None else trace.steps
    states = []
    for n, step in enumerate(steps):
        state: dict[str, Any] = {"#meta": {"index": n, "action": None if step.action is None else _action(step)}}
        state.update(config)
        for group, value in system.decode(step.state).items():
            d = domains[group]
            state[group] = [itf_value(x, d) for x in value] if isinstance(value, list) else itf_value(value, d)
        states.append(state)
    own: dict[str, Any] = {"format_version": FORMAT_VERSION, "config": config, "property": prop,
                           "client": client, "verdict": verdict}
    if trace.loop_start is not None:
        own["loop_action"] = _action(trace.steps[-1])
    meta = {
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "source": _source(),
        "description": description or f"a behaviour of {system.name}",
        "varTypes": {name: types[name] for name in (*config, *groups)},
        "leasecheck": own,
    }
    doc: dict[str, Any] = {"#meta": meta, "params": list(config), "vars": groups, "states": states}
    if trace.loop_start is not None:
        doc["loop"] = trace.loop_start
    return doc


def write_itf(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` whole (a temporary file renamed when complete) or not at all."""
    from leasecheck.checker.render.files import atomic_write

    atomic_write(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------
# Reading

#: the entries each object of a trace file may have, by format version; any other is refused
TOP_KEYS = {1: ("#meta", "vars", "states", "loop"), 2: ("#meta", "params", "vars", "states", "loop")}
META_KEYS = {1: ("format", "format-description", "source", "description", "leasecheck"),
             2: ("format", "format-description", "source", "description", "varTypes", "leasecheck")}
OWN_KEYS = {1: ("config", "property", "client", "verdict"),
            2: ("format_version", "config", "property", "client", "verdict", "loop_action")}
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


def _bigint(raw: object) -> int | None:
    """The integer of ``{"#bigint": "5"}`` (at most 30 digits), else None."""
    if isinstance(raw, dict) and set(raw) == {"#bigint"} and isinstance(raw["#bigint"], str) \
            and len(raw["#bigint"]) <= 30:
        try:
            return int(raw["#bigint"])
        except ValueError:
            return None
    return None


def _old_table(domain: Domain) -> dict[str, object]:
    """The version 1 text of each value of ``domain`` that is not a number: the value as ``str``
    writes it (the model's notation, docs/model.md section 3.1), ``none`` for None."""
    return {OLD_NONE if x is None else str(x): x for x in domain.values if not _is_int(x)}


def _old_value(raw: object, table: dict[str, object], where: str) -> object:
    """A value of a version 1 file: a string in the model's notation, "none", or an integer."""
    if isinstance(raw, str) and len(raw) <= MAX_VALUE:
        return table.get(raw, raw)  # a text that names no value is refused by the system's encoding
    if _is_int(raw):
        return raw
    big = _bigint(raw)
    if big is not None:
        return big
    raise TraceFileError(f"{where}: {_shown(raw)} is not a value of the model")


def _canonical(raw: object, depth: int = 0) -> object:
    """``raw`` with each ``#bigint`` an integer and a variant's ``"value": null`` an empty record (as
    itf-py writes a tag without data), so that values compare by their JSON text."""
    big = _bigint(raw)
    if big is not None:
        return big
    if isinstance(raw, dict) and set(raw) == {"tag", "value"} and raw["value"] is None:
        return {"tag": raw["tag"], "value": {}}
    if isinstance(raw, dict) and depth < 3:
        return {k: _canonical(v, depth + 1) for k, v in raw.items()}
    return raw


def _key(raw: object) -> str:
    return json.dumps(raw, sort_keys=True)


def _value_table(domain: Domain) -> dict[str, object]:
    """The ITF text of each value of ``domain``, to read a version 2 value back."""
    return {_key(itf_value(x, domain)): x for x in domain.values}


def _new_value(raw: object, table: dict[str, object], where: str) -> object:
    found = table.get(_key(_canonical(raw)), table)
    if found is table:
        raise TraceFileError(f"{where}: {_shown(raw)} is not a value of the model")
    return found


def _version(doc: dict[str, Any]) -> int:
    """The document's format version: 2 when ``#meta.leasecheck.format_version`` says so, 1 without it."""
    meta = doc.get("#meta")
    own = meta.get("leasecheck") if isinstance(meta, dict) else None
    if not isinstance(own, dict) or "format_version" not in own:
        return 1
    version = own["format_version"]
    _expect(_is_int(version) and version == FORMAT_VERSION,
            f"\"#meta\".leasecheck: the format version is {_shown(version)}; leasecheck reads 2, "
            "and files without a version")
    return FORMAT_VERSION


def _config(meta: object, version: int, family: ModelFamily) -> tuple[Any, dict[str, Any]]:
    """The recorded configuration, built by ``family``, and as recorded."""
    _expect(isinstance(meta, dict), "the trace has no \"#meta\" object")
    assert isinstance(meta, dict)
    _only(meta, META_KEYS[version], "\"#meta\"")
    for key in ("format", "format-description", "source", "description"):
        if key in meta:
            _text(meta[key], f"\"#meta\" entry {_shown(key)}")
    _expect(meta.get("format", "ITF") == "ITF", f"\"#meta\" says the format is {_shown(meta.get('format'))}, not \"ITF\"")
    own = meta.get("leasecheck")
    _expect(isinstance(own, dict) and isinstance(own.get("config"), dict),
            "the trace's \"#meta\" has no leasecheck configuration (\"leasecheck\": {\"config\": ...})")
    assert isinstance(own, dict)
    _only(own, OWN_KEYS[version], "\"#meta\".leasecheck")
    raw = own["config"]
    known = family.parameters
    unknown = [k for k in raw if k not in known]
    _expect(not unknown, f"the recorded configuration has unknown fields: {', '.join(map(_shown, unknown[:3]))}")
    try:
        return family.config(**raw), raw
    except UserError as exc:
        raise TraceFileError(f"the recorded configuration is not valid: {exc}") from None


def _claim(own: dict[str, Any], model: Model) -> tuple[str | None, int | None, str | None]:
    """The recorded property, client and verdict, each checked against what leasecheck writes."""
    prop, client, verdict = own.get("property"), own.get("client"), own.get("verdict")
    where = "\"#meta\".leasecheck"
    _expect(prop is None or prop in model.names,
            f"{where}: the property is {_shown(prop)}, not one of the model's or null")
    _expect(client is None or (_is_int(client) and 0 <= client < model.ids),
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


@dataclass(frozen=True)
class _Reading:
    """What every state of one document is read against."""

    system: System
    version: int
    shape: dict[str, int | None]
    tables: dict[str, dict[str, object]]
    params: dict[str, object]
    actions: frozenset[str]

    def value(self, group: str, raw: object, where: str) -> object:
        if self.version == 1:
            return _old_value(raw, self.tables[group], where)
        return _new_value(raw, self.tables[group], where)


def _action_of(raw: object, where: str, actions: frozenset[str]) -> tuple[str, tuple[int, ...], str]:
    _expect(isinstance(raw, dict) and isinstance(raw.get("name"), str),
            f"{where}: the action must be an object with a \"name\"")
    assert isinstance(raw, dict)
    _only(raw, ACTION_KEYS, f"{where}, action")
    _expect(raw["name"] in actions, f"{where}: the model has no action {_shown(raw['name'])}")
    params = raw.get("params", [])
    _expect(isinstance(params, list) and len(params) <= 8 and all(_is_int(p) for p in params),
            f"{where}: the action's \"params\" must be a list of integers")
    rule = raw.get("rule", "")
    _text(rule, f"{where}: the action's \"rule\"")
    return raw["name"], tuple(params), rule


def _step(r: _Reading, n: int, raw: object) -> Step:
    where = f"state {n}"
    _expect(isinstance(raw, dict), f"{where} is not a JSON object")
    assert isinstance(raw, dict)
    meta = raw.get("#meta", {})
    _expect(isinstance(meta, dict), f"{where}: \"#meta\" is not an object")
    _only(meta, STATE_META_KEYS, f"{where}, \"#meta\"")
    _expect(meta.get("index", n) == n and not isinstance(meta.get("index"), bool),
            f"{where}: \"#meta\" gives the index {_shown(meta.get('index'))}, not {n}")
    for kind, names in (("parameters", r.params), ("variables", r.shape)):
        missing = [g for g in names if g not in raw]
        _expect(not missing, f"{where} lacks the {kind} {', '.join(missing)}")
    _only(raw, ("#meta", *r.params, *r.shape), where)
    for name, value in r.params.items():
        given = _canonical(raw[name])
        _expect(type(given) is type(value) and given == value,
                f"{where}, {name}: the parameter is {_shown(value)} (\"#meta\".leasecheck.config), not {_shown(given)}")
    values: dict[str, Any] = {}
    for g, length in r.shape.items():
        v = raw[g]
        if length is None:
            _expect(not isinstance(v, list), f"{where}, {g}: a single value, not {_shown(v)}")
            values[g] = r.value(g, v, f"{where}, {g}")
        else:
            _expect(isinstance(v, list) and len(v) == length,
                    f"{where}, {g}: a list of {length} entr{'y' if length == 1 else 'ies'}, not {_shown(v)}")
            values[g] = [r.value(g, x, f"{where}, {g}[{i}]") for i, x in enumerate(v)]
    try:
        state = r.system.encode(values)
    except (ModelError, ValueError, KeyError) as exc:
        raise TraceFileError(f"{where}: {exc}") from None
    action = meta.get("action")
    if action is None:
        return Step(None, (), "", state)
    return Step(*_action_of(action, where, r.actions), state)


def read_itf(doc: object, family: ModelFamily = DEFAULT_FAMILY) -> TraceFile:
    """Read an ITF document written by :func:`itf_document`, or by leasecheck before format version 2,
    (strictly) back into a trace of a model of ``family``: an entry leasecheck does not write, a
    missing or extra variable, a value of the wrong type is refused, naming the first offending place."""
    _expect(isinstance(doc, dict), "an ITF trace is a JSON object")
    assert isinstance(doc, dict)
    version = _version(doc)
    _only(doc, TOP_KEYS[version], "the trace")
    cfg, recorded = _config(doc.get("#meta"), version, family)
    meta = doc["#meta"]
    own = meta["leasecheck"]
    model = family.build(cfg)
    system = model.system
    prop, client, verdict = _claim(own, model)
    shape = _shape(system)
    groups = list(shape)
    params: dict[str, object] = {}
    tables = {v.group: _old_table(v.domain) for v in system.variables}
    if version == FORMAT_VERSION:
        params = parameters(cfg)
        for name in family.added:  # written before the parameter existed: it takes its default
            if name not in recorded and doc.get("params") == [p for p in params if p != name]:
                del params[name]
        _expect(doc.get("params") == list(params),
                f"\"params\" must list the configuration's fields: {', '.join(params)}")
        types = var_types(system, params)
        _expect(meta.get("varTypes") == {name: types[name] for name in (*params, *groups)},
                "\"#meta\".varTypes must give the types leasecheck writes for its parameters and variables")
        tables = {v.group: _value_table(v.domain) for v in system.variables}
    _expect(doc.get("vars") == groups, f"\"vars\" must list the model's variables: {', '.join(groups)}")
    raw_states = doc.get("states")
    _expect(isinstance(raw_states, list) and len(raw_states) > 0, "\"states\" must be a non-empty list")
    assert isinstance(raw_states, list)
    _expect(len(raw_states) <= MAX_STATES, f"the trace has {len(raw_states):,} states, more than the "
                                           f"{MAX_STATES:,} leasecheck replays")
    actions = frozenset(c.action for c in system.commands)
    reading = _Reading(system, version, shape, tables, params, actions)
    steps = tuple(_step(reading, n, s) for n, s in enumerate(raw_states))
    loop = doc.get("loop")
    _expect(loop is None or (_is_int(loop) and 0 <= loop < len(steps)),
            f"\"loop\" must be the index of a state, not {_shown(loop)}")
    if version == FORMAT_VERSION:
        _expect((loop is None) == ("loop_action" not in own),
                "\"#meta\".leasecheck: a \"loop_action\" belongs to a trace with a \"loop\", and only to one")
        if loop is not None:
            back = Step(*_action_of(own["loop_action"], "\"#meta\".leasecheck.loop_action", actions),
                        steps[loop].state)
            steps = (*steps, back)
    description = meta.get("description", "")
    return TraceFile(
        config=cfg,
        trace=Trace(steps, loop),
        property=prop,
        client=client,
        verdict=verdict,
        description="".join(ch if ch.isprintable() else " " for ch in description),
        format_version=version,
        model=model,
    )


def load_itf(path: Path, family: ModelFamily = DEFAULT_FAMILY) -> TraceFile:
    """Read an ITF file within the limits of :mod:`leasecheck.checker.render.inputfile` (size,
    nesting, integers, UTF-8); :class:`TraceFileError`, naming the file, for a missing, unreadable,
    oversized or malformed file."""
    from leasecheck.checker.render.inputfile import InputFileError, load_json, shown_path

    try:
        doc = load_json(path, what="trace file")
    except InputFileError as exc:
        raise TraceFileError(str(exc)) from None
    try:
        return read_itf(doc, family)
    except TraceFileError as exc:
        raise TraceFileError(f"{shown_path(path)}: {exc}") from None


def replay_trace_file(tf: TraceFile) -> System:
    """Check every step of ``tf`` against the model of its configuration, and its recorded claim
    against its states; raise ReplayError at a step that is not a transition, ClaimNotShown for a
    claim the states do not show.

    Besides :func:`leasecheck.checker.replay.replay` (each step a transition, a lasso's loop closed and fair),
    a step that names its rule must be a transition by that rule; then
    :func:`leasecheck.checker.replay.check_claim` (the check engines make of their own traces) holds
    the recorded property, client and verdict to what the states show.
    """
    from leasecheck.checker.replay import ReplayError, check_claim, replay, successor_by

    model = tf.model if tf.model is not None else DEFAULT_FAMILY.build(tf.config)
    system = model.system
    replay(system, tf.trace)
    for n in range(1, len(tf.trace.steps)):
        step = tf.trace.steps[n]
        if step.label and step.action is not None:
            options = successor_by(system, tf.trace.steps[n - 1].state, step.action, step.params, step.label)
            if tuple(step.state) not in options:
                raise ReplayError(n, f"{step.instance} does not follow the rule {step.label!r} to the state given")
    check_claim(model, tf.property, tf.client, tf.verdict, tf.trace)
    return system
