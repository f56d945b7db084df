"""The traced model as a Promela program that SPIN checks as it is (``leasecheck export --promela``).

:func:`system_promela` reads a traced :class:`~leasecheck.model.lang.System` (its variables,
initial state and guarded commands: what every engine of leasecheck explores) and writes it as
Promela, with nothing of the model's rules written a second time; :func:`promela_model` does so
for a :class:`~leasecheck.properties.model.Model`, any model, with its invariants as never claims
(for DHCP, ``leasecheck export --promela``):

* each state variable is one global (``st[0]`` becomes ``st_0``) holding the *index* of its value
  in its domain, a ``byte`` (a ``short`` for a domain of more than 256 values); a legend at the top
  lists each domain's values by index;
* one process, named after the model's family (``active proctype dhcp``), is one ``do`` loop with one branch per guarded command,
  ``d_step { guard -> updates }``, so that each command is one SPIN transition and the process's
  program counter is always the loop head: SPIN's stored states are exactly the model's reachable
  states. The updates of a command all read the state before it: a variable that one update
  assigns and another reads is first copied to a ``hidden`` global (``old_...``), which is not
  part of the state vector. The loop head carries an ``end`` label, so a state where no command
  is enabled is a valid end state rather than an error;
* each invariant (DHCP's ``no_duplicate_address``, ``single_binding``) is a never claim named after the
  property, ``never NAME { do :: assert(good) od }``: it moves in step with the process and asserts
  the invariant in every reachable state, and it has one state of its own, so the stored states do
  not change either. ``pan -N NAME`` picks one claim.

Expressions (:class:`_Printer`): ``Const`` is the value's index, ``Read`` the variable, ``Eq``,
``Not``, ``And``, ``Or`` are ``==``, ``!``, ``&&``, ``||``, ``Ite`` is Promela's conditional
expression ``(c -> a : b)``, and ``Map`` (a table over its argument's domain) is a test of the
argument's value (``(x == 1 || x == 3)``) when it yields a truth value, else nested conditional
expressions grouped by result.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from leasecheck.checker.render.describe import value_text
from leasecheck.errors import InternalError, quoted
from leasecheck.model.lang import (
    BOOL,
    And,
    Const,
    Eq,
    Expr,
    GuardedCommand,
    Ite,
    Map,
    Not,
    Or,
    Read,
    System,
    Variable,
    reads,
)
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Invariant, PropertyError

#: The name of the one process of a model without a family (else the family's name).
PROCESS = "model"

#: Words a variable may not be called: Promela's keywords and predefined names, the operators of its
#: ltl formulas, and C keywords (pan.c holds each variable as a C field).
_KEYWORDS = frozenset((
    "active", "assert", "atomic", "bit", "bool", "break", "byte", "chan", "d_step", "D_proctype", "do",
    "else", "empty", "enabled", "eval", "fi", "full", "goto", "hidden", "if", "init", "inline", "int",
    "len", "local", "ltl", "mtype", "nempty", "never", "nfull", "od", "of", "pc_value", "printf",
    "printm", "priority", "proctype", "provided", "run", "short", "skip", "timeout", "typedef",
    "unless", "unsigned", "xr", "xs", "true", "false", "select", "c_code", "c_expr", "c_decl",
    "c_state", "c_track", "np_", "_", "_pid", "_nr_pr", "_last", "_priority", "always", "eventually",
    "until", "weakuntil", "stronguntil", "implies", "equivalent", "U", "V", "W", "X", "R",
    "auto", "case", "char", "const", "continue", "default", "double", "enum", "extern", "float", "for",
    "long", "register", "return", "signed", "sizeof", "static", "struct", "switch", "union", "void",
    "volatile", "while", "now",
))


@dataclass(frozen=True)
class PromelaModel:
    """One exported model: the Promela text and what a reader of SPIN's output needs to know."""

    text: str
    #: Promela name of each state variable, in the system's order.
    names: tuple[str, ...]
    #: The never claims it defines (property names), in order.
    claims: tuple[str, ...]


def promela_names(variables: Sequence[Variable], process: str = PROCESS) -> tuple[str, ...]:
    """Each variable's Promela identifier: ``st[0]`` -> ``st_0``; unique, never a keyword nor the
    process's name."""
    out: list[str] = []
    for v in variables:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", v.name).strip("_") or "v"
        if name[0].isdigit() or name in _KEYWORDS or name == process or name.startswith("old_"):
            name = "v_" + name
        out.append(name)
    if len(set(out)) != len(out):
        raise InternalError(f"two state variables share a Promela name: {', '.join(out)}")
    return tuple(out)


def _type(size: int) -> str:
    if size <= 256:
        return "byte"
    if size <= 32768:
        return "short"
    return "int"


class _Printer:
    """Expression trees of :mod:`leasecheck.model.lang` as Promela expressions over value indexes."""

    def __init__(self, names: Sequence[str], renamed: dict[int, str] | None = None):
        self.names = names
        self.renamed = renamed or {}

    def text(self, e: Expr) -> str:
        if isinstance(e, Const):
            if e.domain is BOOL:
                return "true" if e.index else "false"
            return str(e.index)
        if isinstance(e, Read):
            return self.renamed.get(e.var, self.names[e.var])
        if isinstance(e, Eq):
            return f"({self.text(e.left)} == {self.text(e.right)})"
        if isinstance(e, Not):
            if isinstance(e.arg, Eq):
                return f"({self.text(e.arg.left)} != {self.text(e.arg.right)})"
            return f"!{self.text(e.arg)}"
        if isinstance(e, And | Or):
            join = " && " if isinstance(e, And) else " || "
            return "(" + join.join(self.text(a) for a in e.args) + ")"
        if isinstance(e, Ite):
            return f"({self.text(e.cond)} -> {self.text(e.then)} : {self.text(e.orelse)})"
        if isinstance(e, Map):
            return self._map(e)
        raise InternalError(f"the Promela export does not know the expression node {type(e).__name__}")

    def _test(self, arg: str, values: Sequence[int], size: int) -> str:
        """``arg`` is one of ``values`` (indexes of a domain of ``size`` values)."""
        wanted = sorted(values)
        others = [i for i in range(size) if i not in set(wanted)]
        if not others:
            return "true"
        if not wanted:
            return "false"
        if len(others) < len(wanted):
            return "(" + " && ".join(f"{arg} != {i}" for i in others) + ")"
        if wanted == list(range(wanted[0], wanted[-1] + 1)) and len(wanted) > 2:
            return f"({arg} >= {wanted[0]} && {arg} <= {wanted[-1]})"
        return "(" + " || ".join(f"{arg} == {i}" for i in wanted) + ")"

    def _preimages(self, e: Map) -> list[tuple[int, list[int]]]:
        """The results of a table, each with the argument values that give it (most frequent last)."""
        often = Counter(e.table)
        default = max(often, key=lambda r: (often[r], -e.table.index(r)))
        results = [*sorted((r for r in often if r != default), key=e.table.index), default]
        return [(r, [i for i, x in enumerate(e.table) if x == r]) for r in results]

    def _map(self, e: Map) -> str:
        arg = self.text(e.arg)
        size = len(e.arg.domain)
        if e.domain is BOOL:
            return self._test(arg, [i for i, r in enumerate(e.table) if r == 1], size)
        *cases, (default, _) = self._preimages(e)
        out = str(default)
        for r, values in reversed(cases):
            out = f"({self._test(arg, values, size)} -> {r} : {out})"
        return out


def expr_promela(e: Expr, variables: Sequence[Variable]) -> str:
    """One expression of the traced model as a Promela expression over the exported variables."""
    return _Printer(promela_names(variables)).text(e)


def _legend(system: System, names: Sequence[str]) -> list[str]:
    out = ["/* Legend: each variable holds the index of its value in its domain.", ""]
    seen: set[int] = set()
    for v in system.variables:
        if id(v.domain) in seen:
            continue
        seen.add(id(v.domain))
        users = [n for n, w in zip(names, system.variables, strict=True) if w.domain is v.domain]
        out.append(f"   {v.domain.name} ({', '.join(users)}):")
        out += [f"     {i} = {value_text(x)}" for i, x in enumerate(v.domain.values)]
    return [*out, "*/"]


def _saved(cmd: GuardedCommand) -> list[int]:
    """The variables a command assigns that the update of another variable reads."""
    assigned = {var for var, _ in cmd.updates}
    return sorted(assigned & {r for var, e in cmd.updates for r in reads(e) if r != var})


def _command(cmd: GuardedCommand, names: Sequence[str]) -> list[str]:
    """One ``do`` branch: the command as one ``d_step``, its updates reading the state before it."""
    saved = _saved(cmd)
    renamed = {var: f"old_{names[var]}" for var in saved}
    update = _Printer(names, renamed)
    title = f"{cmd.action}({', '.join(map(str, cmd.params))})" + (f" [{cmd.label}]" if cmd.label else "")
    body = [f"{renamed[var]} = {names[var]};" for var in saved]
    body += [f"{names[var]} = {update.text(e)};" for var, e in cmd.updates]
    out = [f"  /* command {cmd.index}: {title} */", f"  :: d_step {{ {_Printer(names).text(cmd.guard)} ->"]
    out += [f"       {line}" for line in body or ["skip;"]]
    return [*out, "     }"]


def system_promela(system: System, invariants: Sequence[Invariant] = (), header: Sequence[str] = (),
                   process: str = PROCESS) -> PromelaModel:
    """The traced ``system`` as Promela, one process named ``process``, each of ``invariants`` a
    never claim asserting it."""
    names = promela_names(system.variables, process)
    out = ["/*", *(f"   {line}".rstrip() for line in header), "*/", "", *_legend(system, names), ""]
    out.append("/* The state: one global per state variable of the model, at its initial value. */")
    for v, name, init in zip(system.variables, names, system.initial, strict=True):
        out.append(f"{_type(len(v.domain))} {name} = {init};  /* {v.name} = {value_text(v.domain.values[init])} */")
    saved = sorted({var for cmd in system.commands for var in _saved(cmd)})
    if saved:
        out += ["", "/* The state before a command, for updates that read a variable another update assigns;",
                "   hidden: not part of the state vector. */"]
        out += [f"hidden {_type(len(system.variables[var].domain))} old_{names[var]};" for var in saved]
    out += ["", f"/* The model's {len(system.commands)} guarded commands, each one transition (d_step). A state where",
            "   none is enabled is a valid end state (the label end). */",
            f"active proctype {process}() {{", "end:", "  do"]
    for cmd in system.commands:
        out += _command(cmd, names)
    out += ["  od", "}"]
    printer = _Printer(names)
    for inv in invariants:
        out += ["", f"/* {inv.name}: {inv.statement}; checked in every state. */", f"never {inv.name} {{",
                "  do", f"  :: assert({printer.text(inv.good)})", "  od", "}"]
    return PromelaModel("\n".join(out) + "\n", names, tuple(inv.name for inv in invariants))


def invariants_of(model: Model) -> tuple[str, ...]:
    """The model's invariants that apply to its configuration: what the export can carry."""
    refused = dict(model.refused)
    return tuple(p.name for p in model.catalogue if p.kind == "invariant" and p.name not in refused)


def process_name(model: Model) -> str:
    """The one process's name: the model's family's, as a Promela identifier (DHCP: ``dhcp``)."""
    if model.family is None:
        return PROCESS
    name = re.sub(r"[^a-z0-9_]+", "_", model.family.name.lower()).strip("_")
    return name if name and not name[0].isdigit() and name not in _KEYWORDS else PROCESS


def promela_model(model: Model, properties: Sequence[str] | None = None) -> PromelaModel:
    """The model's traced system as Promela, with the named invariants (default: every one,
    :func:`invariants_of`) as never claims."""
    offered = invariants_of(model)
    properties = tuple(properties or offered)
    wrong = [name for name in properties if name not in offered]
    if wrong:
        raise PropertyError(f"the Promela export carries invariants only ({', '.join(offered)}), "
                            f"not {', '.join(map(quoted, wrong))}")
    invariants = [p for p in model.select(properties) if isinstance(p, Invariant)]
    called = model.family.called if model.family is not None else "the model"
    header = [
        f"leasecheck export --promela: {called}, {model.title}.",
        "Generated from the traced model: the guarded commands every leasecheck engine explores.",
        "Check an invariant with SPIN (docs/promela.md):",
        "  spin -a model.pml",
        "  gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c",
        f"  ./pan -m1000000 -N {invariants[0].name if invariants else 'NAME'}",
    ]
    return system_promela(model.system, invariants, header, process_name(model))
