"""The traced model described: its configuration, variables, actions and guarded commands.

:func:`describe_model` reads a :class:`~leasecheck.properties.model.Model`'s traced
:class:`~leasecheck.model.lang.System` and its configuration's ``settings`` (nothing else: what
it shows is what every engine explores, for any model) into a :class:`ModelDescription`, frozen data whose
guards and updates are already readable text (:func:`expr_text`). :func:`render_description_text`
lays it out for a terminal, :func:`render_description_markdown` as headings and tables to paste
into documents. ``leasecheck describe`` prints one of the two; docs/model.md section 4 tells the
same rules in prose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from leasecheck.errors import UserError
from leasecheck.model.lang import (
    BOOL,
    And,
    Const,
    Domain,
    Eq,
    Expr,
    Ite,
    Map,
    Not,
    Or,
    Read,
    System,
    Variable,
    conjuncts,
    render_value,
)
from leasecheck.properties.model import Model

#: The layouts :func:`render_description` knows.
FORMATS = ("text", "markdown")


class DescribeFormatError(UserError):
    """A layout for the description that does not exist."""


# ---------------------------------------------------------------------------------------------
# Expressions as text

# Binding strength of what a node prints as: a child weaker than its context is put in brackets.
_IF, _OR, _AND, _NOT, _CMP, _ATOM = range(6)


def value_text(value: Hashable) -> str:
    """One value of a domain as the reports write it: ``none``, ``3``, ``BOUND(0)``, ``true``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(render_value(value))


def _set_text(values: Sequence[Hashable]) -> str:
    return "{" + ", ".join(value_text(v) for v in values) + "}"


def _counter(domain: Domain) -> list[int] | None:
    """The values of a domain of consecutive whole numbers (a budget), else None."""
    ints = [v for v in domain.values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ints) != len(domain.values) or ints != list(range(ints[0], ints[0] + len(ints))):
        return None
    return ints


class _Printer:
    """Expression trees of :mod:`leasecheck.model.lang` as text, with variable names."""

    def __init__(self, variables: Sequence[Variable]):
        self.names = tuple(v.name for v in variables)

    def text(self, e: Expr) -> str:
        return self._fmt(e)[0]

    def _wrap(self, e: Expr, least: int) -> str:
        text, strength = self._fmt(e)
        return text if strength >= least else f"({text})"

    def _fmt(self, e: Expr) -> tuple[str, int]:
        if isinstance(e, Const):
            return value_text(e.domain.values[e.index]), _ATOM
        if isinstance(e, Read):
            return self.names[e.var], _ATOM
        if isinstance(e, Eq):
            return f"{self._wrap(e.left, _ATOM)} = {self._wrap(e.right, _ATOM)}", _CMP
        if isinstance(e, Not):
            if isinstance(e.arg, Eq):
                return f"{self._wrap(e.arg.left, _ATOM)} != {self._wrap(e.arg.right, _ATOM)}", _CMP
            return f"not {self._wrap(e.arg, _NOT)}", _NOT
        if isinstance(e, And):
            return " and ".join(self._wrap(a, _NOT) for a in e.args), _AND
        if isinstance(e, Or):
            return " or ".join(self._wrap(a, _NOT) for a in e.args), _OR
        if isinstance(e, Ite):
            return self._ite(e), _IF
        if isinstance(e, Map):
            return self._bool_map(e) if e.domain is BOOL else self._value_map(e)
        raise TypeError(f"unknown expression node {type(e).__name__}")

    def _ite(self, e: Ite) -> str:
        parts = [f"if {self._wrap(e.cond, _OR)} then {self._wrap(e.then, _CMP)}"]
        rest: Expr = e.orelse
        while isinstance(rest, Ite):
            parts.append(f"else if {self._wrap(rest.cond, _OR)} then {self._wrap(rest.then, _CMP)}")
            rest = rest.orelse
        parts.append(f"else {self._wrap(rest, _CMP)}")
        return " ".join(parts)

    def _bool_map(self, e: Map) -> tuple[str, int]:
        """A test of one expression's value: ``x = v``, ``x in {..}``, or ``x > 0`` on counters."""
        arg = self._wrap(e.arg, _ATOM)
        values = e.arg.domain.values
        true = [v for v, r in zip(values, e.table, strict=True) if r == 1]
        false = [v for v, r in zip(values, e.table, strict=True) if r == 0]
        if _counter(e.arg.domain) is not None and true and false:
            low, high = true[0], true[-1]
            if true == list(values[len(false):]) and (low == 1 or len(true) > 1):
                return (f"{arg} > 0" if low == 1 else f"{arg} >= {low}"), _CMP
            if true == list(values[: len(true)]) and len(true) > 1:
                return f"{arg} <= {high}", _CMP
        if len(true) == 1:
            return f"{arg} = {value_text(true[0])}", _CMP
        if len(false) == 1:
            return f"{arg} != {value_text(false[0])}", _CMP
        if len(false) < len(true):
            return f"{arg} not in {_set_text(false)}", _CMP
        return f"{arg} in {_set_text(true)}", _CMP

    def _value_map(self, e: Map) -> tuple[str, int]:
        """A table over one expression's values: ``x - 1`` for a counter, else a case list."""
        arg = self._wrap(e.arg, _ATOM)
        values = e.arg.domain.values
        results = [e.domain.values[r] for r in e.table]
        counts = _counter(e.arg.domain)
        if e.domain is e.arg.domain and counts is not None and results == [max(v - 1, counts[0]) for v in counts]:
            return f"{arg} - 1", _CMP
        often = Counter(e.table)
        default = max(e.table, key=lambda r: (often[r], -e.table.index(r)))
        if often[default] == 1:
            entries = [f"{value_text(v)} -> {value_text(r)}" for v, r in zip(values, results, strict=True)]
        else:
            entries = [f"{value_text(v)} -> {value_text(e.domain.values[r])}"
                       for v, r in zip(values, e.table, strict=True) if r != default]
            entries.append(f"else {value_text(e.domain.values[default])}")
        return f"case {arg} of {', '.join(entries)}", _IF


def expr_text(e: Expr, variables: Sequence[Variable]) -> str:
    """An expression tree of the traced model as one readable line, variables by name."""
    return _Printer(variables).text(e)


# ---------------------------------------------------------------------------------------------
# The description as data


@dataclass(frozen=True)
class DomainDoc:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class VariableDoc:
    name: str
    domain: str
    initial: str


@dataclass(frozen=True)
class CommandDoc:
    """One guarded command: its rule label (may be empty), guard conjuncts and updates."""

    label: str
    guard: tuple[str, ...]
    updates: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class InstanceDoc:
    name: str
    commands: tuple[CommandDoc, ...]


@dataclass(frozen=True)
class ActionDoc:
    name: str
    params: tuple[str, ...]
    actor: str
    fair: bool
    instances: tuple[InstanceDoc, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"

    @property
    def command_count(self) -> int:
        return sum(len(i.commands) for i in self.instances)


@dataclass(frozen=True)
class ModelDescription:
    #: the configuration as name and text, in the model's order
    settings: tuple[tuple[str, str], ...]
    system: str
    domains: tuple[DomainDoc, ...]
    variables: tuple[VariableDoc, ...]
    actions: tuple[ActionDoc, ...]

    @property
    def instance_count(self) -> int:
        return sum(len(a.instances) for a in self.actions)

    @property
    def command_count(self) -> int:
        return sum(a.command_count for a in self.actions)


def describe_system(system: System, settings: Sequence[tuple[str, str]] = ()) -> ModelDescription:
    """Read a traced system into a description (``settings``: the configuration it was traced
    for, as name and text)."""
    printer = _Printer(system.variables)
    domains: dict[str, DomainDoc] = {}
    for v in system.variables:
        domains.setdefault(v.domain.name, DomainDoc(v.domain.name, tuple(value_text(x) for x in v.domain.values)))
    variables = tuple(
        VariableDoc(v.name, v.domain.name, value_text(v.domain.values[i]))
        for v, i in zip(system.variables, system.initial, strict=True)
    )
    by_instance: dict[int, list[CommandDoc]] = {i.index: [] for i in system.instances}
    for cmd in system.commands:
        guard = tuple(printer.text(g) for g in conjuncts(cmd.guard)) or ("true",)
        updates = tuple((system.variables[var].name, printer.text(e)) for var, e in cmd.updates)
        by_instance[cmd.instance].append(CommandDoc(cmd.label, guard, updates))
    actions = tuple(
        ActionDoc(
            a.name, a.params, a.actor, a.fair,
            tuple(InstanceDoc(str(i), tuple(by_instance[i.index])) for i in system.instances if i.action == a.name),
        )
        for a in system.actions
    )
    return ModelDescription(tuple(settings), system.name, tuple(domains.values()), variables, actions)


def describe_model(model: Model) -> ModelDescription:
    """The description of the model's traced system, with its configuration's ``settings`` (its
    ``parameters`` as text when it gives none)."""
    settings = model.settings or tuple((name, value_text(value)) for name, value in model.parameters)
    return describe_system(model.system, settings)


# ---------------------------------------------------------------------------------------------
# Rendering

_ACTORS = {"client": "client", "server": "server", "admin": "administrator", "network": "network"}


def _summary(d: ModelDescription) -> str:
    fair = sum(len(a.instances) for a in d.actions if a.fair)
    return (f"{len(d.variables)} state variables, {len(d.actions)} actions, {d.instance_count} action instances "
            f"({fair} weakly fair), {d.command_count} guarded commands")


def _fairness(a: ActionDoc) -> str:
    return "fair (weakly, per instance)" if a.fair else "not fair"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return (indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _action_rows(d: ModelDescription) -> list[list[str]]:
    return [
        [a.name, ",".join(a.params) or "-", _ACTORS.get(a.actor, a.actor), "yes" if a.fair else "no",
         str(len(a.instances)), str(a.command_count)]
        for a in d.actions
    ]


_WIDTH = 80


def _wrapped(text: str, width: int) -> list[str]:
    """A comma-separated list broken after commas into lines of at most ``width`` characters."""
    lines: list[str] = []
    for item in text.split(", "):
        if lines and len(lines[-1]) + len(item) + 2 <= width:
            lines[-1] += ", " + item
        else:
            if lines:
                lines[-1] += ","
            lines.append(item)
    return lines or [""]


_ACTION_HEADERS = ("action", "parameters", "actor", "fair", "instances", "commands")


def render_description_text(d: ModelDescription) -> str:
    """The description for a terminal: numbered sections, aligned tables, one command a block."""
    out = [f"leasecheck describe: the traced model {d.system}", _summary(d), ""]
    out += ["1. Configuration", *_table(("parameter", "value"), d.settings), ""]
    domain_rows = [[x.name if i == 0 else "", part] for x in d.domains
                   for i, part in enumerate(_wrapped(", ".join(x.values), _WIDTH))]
    out += ["2. Domains", *_table(("domain", "values"), domain_rows), ""]
    out += ["3. State variables",
            *_table(("variable", "domain", "initial"), [[v.name, v.domain, v.initial] for v in d.variables]), ""]
    out += ["4. Actions (weak fairness applies to each instance of a fair action)",
            *_table(_ACTION_HEADERS, _action_rows(d)), ""]
    out.append("5. Guarded commands (a command may fire when every line after 'when' holds; "
               "all its updates happen at once, every other variable keeps its value)")
    for a in d.actions:
        out += ["", f"  {a.signature}: {_ACTORS.get(a.actor, a.actor)} action, {_fairness(a)}"]
        for inst in a.instances:
            if not inst.commands:
                out.append(f"    {inst.name}: no command (never enabled in this configuration)")
            for cmd in inst.commands:
                out.append(f"    {inst.name}" + (f" [{cmd.label}]" if cmd.label else ""))
                out += [f"      {'when' if i == 0 else '    '}  {g}" for i, g in enumerate(cmd.guard)]
                out += [f"      {'do' if i == 0 else '  '}    {var} := {e}" for i, (var, e) in enumerate(cmd.updates)]
                if not cmd.updates:
                    out.append("      do    nothing")
    return "\n".join(out) + "\n"


def _code(text: str) -> str:
    """Text as a Markdown code span that a table cell can hold."""
    return "`" + text.replace("|", "\\|") + "`"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def render_description_markdown(d: ModelDescription) -> str:
    """The description as Markdown: a heading per section and per action, tables throughout."""
    out = [f"# The traced model {_code(d.system)}", "", _summary(d) + ".", ""]
    out += ["## 1. Configuration", "", *_md_table(("parameter", "value"),
                                                  [[k, _code(v)] for k, v in d.settings]), ""]
    out += ["## 2. Domains", "", *_md_table(("domain", "values"),
                                            [[x.name, ", ".join(_code(v) for v in x.values)] for x in d.domains]), ""]
    out += ["## 3. State variables", "",
            *_md_table(("variable", "domain", "initial value"),
                       [[_code(v.name), v.domain, _code(v.initial)] for v in d.variables]), ""]
    out += ["## 4. Actions", "", "Weak fairness applies to each instance of a fair action.", "",
            *_md_table(_ACTION_HEADERS, [[_code(r[0]), *r[1:]] for r in _action_rows(d)]), ""]
    out += ["## 5. Guarded commands", "",
            "A command may fire when every conjunct of its guard holds; all its updates happen at once, "
            "and every other variable keeps its value.", ""]
    for a in d.actions:
        out += [f"### {a.signature}", "", f"{_ACTORS.get(a.actor, a.actor).capitalize()} action, {_fairness(a)}.", ""]
        rows = [
            [_code(inst.name), cmd.label.replace("|", "\\|"), "<br>".join(_code(g) for g in cmd.guard),
             "<br>".join(_code(f"{var} := {e}") for var, e in cmd.updates) or "nothing"]
            for inst in a.instances for cmd in inst.commands
        ]
        if rows:
            out += [*_md_table(("instance", "rule", "guard", "updates"), rows), ""]
        else:
            out += ["No command: never enabled in this configuration.", ""]
    return "\n".join(out)


def render_description(d: ModelDescription, fmt: str = "text") -> str:
    """The description in one of :data:`FORMATS`."""
    if fmt == "text":
        return render_description_text(d)
    if fmt == "markdown":
        return render_description_markdown(d)
    raise DescribeFormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
