"""Certificates that outside solvers can check: written from the model and the proof, read back
and audited against the model rebuilt from their configuration (docs/certificates.md).

A certificate is a self-contained SMT-LIB 2 script. Its header carries, as one line of JSON,
what it claims (:class:`Header`: the configuration, the property and client, the proof rule and
the helpful action of each level); comments give the legend of the encoding; named definitions
state the model (``domain``, ``initial``, ``goal``, ``guard_K`` and ``cmd_K`` for each guarded
command, ``step``) and the proof (``Inv``, ``Level1 .. Levelm``); and each obligation of the proof
rule is one block ``(echo NAME) (push 1) (assert (not BODY)) (check-sat) (pop 1)``: the proof is
valid when every answer is ``unsat``.

:func:`certificate_text` writes one; it is the one generator for every proof kind.
:func:`audit` reads one: it rebuilds the model part (:func:`expected_part`) from the header's
configuration, refuses a file whose definitions or obligations differ from it, and returns the
obligations to discharge; :func:`discharge_z3` discharges them with Z3's Python API (the cvc5
side is :mod:`.cvc5_check`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import z3

from leasecheck.checker.z3.solver import Solver, Timeout, state_solver
from leasecheck.checker.z3.translate import Substitution, Translator
from leasecheck.errors import UserError, quoted
from leasecheck.model.dhcp import Config, ConfigError, dhcp_system
from leasecheck.model.lang import Expr, System, not_
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_properties
from leasecheck.properties.spec import Invariant, Property, Reachable, Recovery

#: the version of the format this module writes and reads
FORMAT = 1
#: the ``set-info`` keyword whose value is the header's JSON
KEY = ":leasecheck-certificate"
RULES = ("invariant", "ranking")
SORTS = ("bitvector", "int")


class NotACertificate(UserError):
    """The file is not a leasecheck certificate at all (exit status 2)."""


@dataclass(frozen=True)
class Header:
    """What a certificate claims: ``property`` (for ``client``) of ``config``, proved by ``rule``
    over states encoded as ``sort``; for the ranking rule, each level's helpful instance (None: a
    level every step leaves)."""

    config: Config
    property: str
    client: int | None
    rule: str
    sort: str
    levels: tuple[str | None, ...] = ()

    def as_json(self) -> str:
        doc = {"format": FORMAT, "config": asdict(self.config), "property": self.property, "client": self.client,
               "rule": self.rule, "sort": self.sort, "levels": list(self.levels)}
        return json.dumps(doc, separators=(", ", ": "))

    @staticmethod
    def from_json(text: str) -> Header:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise NotACertificate(f"its header is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise NotACertificate("its header is not a JSON object")
        if doc.get("format") != FORMAT:
            raise NotACertificate(f"format {quoted(doc.get('format'))} is not format {FORMAT}")
        want = {"format", "config", "property", "client", "rule", "sort", "levels"}
        if set(doc) != want:
            raise NotACertificate(f"its header needs exactly the keys {', '.join(sorted(want))}")
        cfg = doc["config"]
        names = {f.name for f in fields(Config)}
        if not isinstance(cfg, dict) or set(cfg) != names:
            raise NotACertificate(f"its configuration needs exactly the keys {', '.join(sorted(names))}")
        try:
            config = Config(**cfg)
        except ConfigError as exc:
            raise NotACertificate(f"its configuration: {exc}") from None
        prop, client, rule, sort, levels = (doc[k] for k in ("property", "client", "rule", "sort", "levels"))
        if prop not in PROPERTY_NAMES:
            raise NotACertificate(f"unknown property {quoted(prop)}")
        if client is not None and (isinstance(client, bool) or not isinstance(client, int)):
            raise NotACertificate(f"client must be a number or null, not {quoted(client)}")
        if rule not in RULES or sort not in SORTS:
            raise NotACertificate(f"rule must be one of {', '.join(RULES)} and sort one of {', '.join(SORTS)}")
        if not isinstance(levels, list) or not all(lv is None or isinstance(lv, str) for lv in levels):
            raise NotACertificate("levels must be a list of action instances (or null)")
        return Header(config, prop, client, rule, sort, tuple(levels))

    def describe(self) -> str:
        who = "" if self.client is None else f" for client {self.client}"
        return f"{self.property}{who}, {self.config.describe()}"


# -- the model part, built from the header ----------------------------------------------------


@dataclass(frozen=True)
class Definition:
    name: str
    text: str  #: the whole ``(define-fun ...)``
    note: str = ""  #: what it stands for, for the comments and the refusals


@dataclass(frozen=True)
class Part:
    """What a certificate of ``header`` must contain besides the proof's own definitions: the
    legend, the declarations, the model's definitions, the signatures of the proof's definitions
    and the obligations (name, body), in order."""

    header: Header
    statement: str
    legend: tuple[str, ...]
    declarations: tuple[str, ...]
    model: tuple[Definition, ...]
    proof: tuple[tuple[str, str], ...]  #: name and the argument list every proof definition has
    #: definitions the rule derives from the proof's (``below_i``: the goal or a level under ``i``)
    derived: tuple[Definition, ...]
    obligations: tuple[tuple[str, str], ...]
    #: the constants the obligations are about, and each proof definition's formal arguments
    pre: tuple[z3.ExprRef, ...]


class ModelMismatch(UserError):
    """The header names something the model of its configuration does not have."""


def _property(system: System, header: Header) -> Property:
    props = [p for p in dhcp_properties(system, header.config, [header.property]) if p.client == header.client]
    if not props:
        raise ModelMismatch(f"{header.property} has no client {header.client} in {header.config.describe()}")
    return props[0]


def _goal(prop: Property) -> tuple[str, Expr]:
    if isinstance(prop, Invariant):
        return "invariant", prop.good
    if isinstance(prop, Reachable):
        return "invariant", not_(prop.target)
    if isinstance(prop, Recovery):
        return "ranking", prop.goal
    raise ModelMismatch(f"{prop.name} is not a property a certificate proves")


def header_for(config: Config, prop: str, client: int | None, sort: str, levels: Sequence[str | None] = ()) -> Header:
    """The header of a proof of ``prop`` (for ``client``), its rule read off the property's kind."""
    draft = Header(config, prop, client, "invariant", sort, tuple(levels))
    rule, _ = _goal(_property(dhcp_system(config), draft))
    return Header(config, prop, client, rule, sort, tuple(levels))


def _q(name: str) -> str:
    """An SMT-LIB symbol: quoted unless it is a simple one."""
    return name if re.fullmatch(r"[A-Za-z~!@$%^&*_+=<>.?/-][A-Za-z0-9~!@$%^&*_+=<>.?/-]*", name) else f"|{name}|"


def _or(parts: Sequence[str]) -> str:
    return "false" if not parts else parts[0] if len(parts) == 1 else f"(or {' '.join(parts)})"


def _and(parts: Sequence[str]) -> str:
    return "true" if not parts else parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"


def command_note(system: System, k: int) -> str:
    cmd = system.commands[k]
    inst = system.instances[cmd.instance]
    return f"{inst}{' ' + cmd.label if cmd.label else ''} ({'fair' if inst.fair else 'not fair'})"


def expected_part(header: Header) -> Part:
    """The legend, declarations, model definitions and obligations of a certificate of ``header``,
    rebuilt from the model of its configuration."""
    system = dhcp_system(header.config)
    prop = _property(system, header)
    rule, goal = _goal(prop)
    if rule != header.rule:
        raise ModelMismatch(f"{header.property} is proved by the {rule} rule, not by the {header.rule} rule")
    if rule == "invariant" and header.levels:
        raise ModelMismatch("an invariant proof has no levels")
    tr = Translator(system, bitvectors=header.sort == "bitvector")
    sort = tr.num(0).sort()
    pre = tuple(z3.Const(v.name, sort) for v in system.variables)
    post = tuple(z3.Const(v.name + "'", sort) for v in system.variables)
    xs = tuple(z3.Const(f"{v.name}@x", sort) for v in system.variables)
    ys = tuple(z3.Const(f"{v.name}@y", sort) for v in system.variables)
    s = sort.sexpr()
    args = " ".join(f"({_q(str(v))} {s})" for v in pre)
    args2 = args + " " + " ".join(f"({_q(str(v))} {s})" for v in post)
    a = " ".join(_q(str(v)) for v in pre)
    a2 = a + " " + " ".join(_q(str(v)) for v in post)
    X = " ".join(_q(str(v)) for v in xs)
    Ys = " ".join(_q(str(v)) for v in ys)
    XY = X + " " + Ys

    def fun(name: str, formals: str, body: str, note: str = "") -> Definition:
        return Definition(name, f"(define-fun {name} ({formals}) Bool\n  {body})", note)

    width = f"bit-vectors of width {sort.size()}" if header.sort == "bitvector" else "integers"  # type: ignore[attr-defined]
    legend = [f"Each state variable is one constant ({width}) holding the index of its value:"]
    for v in system.variables:
        values = ", ".join(f"{i} {val}" for i, val in enumerate(v.domain.values))
        legend.append(f"  {v.name} ({v.domain.name}): {values}; initially {v.domain.index(v.initial)}")
    legend.append("The obligations speak of a state NAME@x and its successor NAME@y; each definition takes")
    legend.append("a state as NAME (and a successor as NAME').")

    model = [
        fun("domain", args, tr.in_range(pre).sexpr(), "every variable holds an index of its domain"),
        fun("initial", args, tr.initial(pre).sexpr(), "the initial state"),
        fun("goal", args, tr.holds(goal, pre).sexpr(),
            "the goal: the property's states" if rule == "invariant" else "the goal: the states recovery reaches"),
    ]
    for k, cmd in enumerate(system.commands):
        note = command_note(system, k)
        model.append(fun(f"guard_{k}", args, tr.guard(cmd, pre).sexpr(), f"the guard of command {k}: {note}"))
        after = tr.successor(cmd, pre)
        eqs = [f"(guard_{k} {a})"] + [(y == t).sexpr() for y, t in zip(post, after, strict=True)]
        model.append(fun(f"cmd_{k}", args2, _and(eqs), f"command {k}: {note}"))
    model.append(fun("step", args2, _or([f"(cmd_{k} {a2})" for k in range(len(system.commands))]),
                     "one step: some command"))

    n = len(header.levels)
    proof = [("Inv", args)] + [(f"Level{i + 1}", args) for i in range(n)]
    derived: list[Definition] = []
    obligations: list[tuple[str, str]] = [("domain initial", f"(=> (initial {X}) (domain {X}))")]
    for k in range(len(system.commands)):
        obligations.append((f"domain cmd_{k}", f"(=> (and (domain {X}) (cmd_{k} {XY})) (domain {Ys}))"))
    obligations.append(("initiation", f"(=> (initial {X}) (Inv {X}))"))
    for k in range(len(system.commands)):
        obligations.append((f"consecution cmd_{k}", f"(=> (and (domain {X}) (Inv {X}) (cmd_{k} {XY})) (Inv {Ys}))"))
    if rule == "invariant":
        obligations.append(("safety", f"(=> (and (domain {X}) (Inv {X})) (goal {X}))"))
    else:
        levels = [f"(Level{i + 1} {X})" for i in range(n)]
        obligations.append(("cover", f"(=> (and (domain {X}) (Inv {X}) (not (goal {X}))) {_or(levels)})"))
        by_name = {str(i): i for i in system.instances}
        for i in range(n):
            below = "goal" if i == 0 else f"(or (below_{i} {a}) (Level{i} {a}))"
            derived.append(fun(f"below_{i + 1}", args, f"({below} {a})" if i == 0 else below,
                               f"the goal or a level under level {i + 1}"))
        for i, helpful in enumerate(header.levels):
            here = f"(and (domain {X}) (Inv {X}) (Level{i + 1} {X}))"
            lower = f"(below_{i + 1} {Ys})"
            if helpful is None:
                every = [f"(guard_{k} {X})" for k in range(len(system.commands))]
                obligations.append((f"level {i + 1} enabled", f"(=> {here} {_or(every)})"))
                obligations.append((f"level {i + 1} progress", f"(=> (and {here} (step {XY})) {lower})"))
                continue
            inst = by_name.get(helpful)
            if inst is None:
                raise ModelMismatch(f"level {i + 1}'s helpful action {quoted(helpful)} is not an action of the model")
            if not inst.fair:
                raise ModelMismatch(f"level {i + 1}'s helpful action {helpful} is not fair")
            own = [k for k, c in enumerate(system.commands) if c.instance == inst.index]
            obligations.append((f"level {i + 1} enabled", f"(=> {here} {_or([f'(guard_{k} {X})' for k in own])})"))
            obligations.append((f"level {i + 1} progress",
                                f"(=> (and {here} {_or([f'(cmd_{k} {XY})' for k in own])}) {lower})"))
            obligations.append((f"level {i + 1} no increase",
                                f"(=> (and {here} (step {XY})) {_or([lower, f'(Level{i + 1} {Ys})'])})"))
    declarations = tuple(f"(declare-const {_q(str(v))} {s})" for v in xs + ys)
    return Part(header, f"{prop.name}: {prop.statement}", tuple(legend), declarations, tuple(model), tuple(proof),
                tuple(derived), tuple(obligations), pre)


# -- writing ----------------------------------------------------------------------------------


def certificate_text(header: Header, formulas: Sequence[z3.BoolRef], formals: Sequence[z3.ExprRef],
                     title: str = "") -> str:
    """The certificate of ``header`` whose proof definitions (``Inv``, ``Level1 ..``) are
    ``formulas`` over the constants ``formals``."""
    part = expected_part(header)
    if len(formulas) != len(part.proof):
        raise ValueError(f"the {header.rule} rule needs {len(part.proof)} definitions, not {len(formulas)}")
    data = header.as_json()
    if "|" in data or "\\" in data:
        raise ValueError("the header cannot be written as an SMT-LIB symbol")
    rename = Substitution(tuple(formals), part.pre)
    lines = [f"; leasecheck certificate, format {FORMAT}: {title or header.describe()}",
             f"; {part.statement}",
             f"; Proof rule: {header.rule}" + (f", {len(header.levels)} levels." if header.rule == "ranking" else "."),
             "; Each obligation below is echoed by name, then checked as (push 1) (assert (not OBLIGATION))",
             "; (check-sat) (pop 1): the proof is valid when every answer is unsat. Check it with",
             "; `leasecheck certificate check FILE`, which also rebuilds the model's definitions from the",
             "; configuration in the header; the format is described in docs/certificates.md.",
             "(set-info :smt-lib-version 2.6)",
             f"(set-info {KEY} |{data}|)",
             "(set-logic ALL)",
             ";",
             *(f"; {line}" for line in part.legend),
             *part.declarations,
             ";",
             "; The model, rebuilt by the checker from the configuration.",
             ]
    for d in part.model:
        lines += [f"; {d.note}", d.text]
    lines += [";", "; The proof."]
    for (name, formals_text), formula in zip(part.proof, formulas, strict=True):
        if name.startswith("Level"):
            helpful = header.levels[int(name[5:]) - 1]
            lines.append(f"; level {name[5:]}: " + (f"{helpful} leads down" if helpful else "every step leads down"))
        else:
            lines.append("; the inductive invariant")
        body = rename.apply(formula).sexpr().replace("\n", "\n  ")
        lines.append(f"(define-fun {name} ({formals_text}) Bool\n  {body})")
    if part.derived:
        lines += [";", "; Derived from the levels, rebuilt by the checker."]
    for d in part.derived:
        lines += [f"; {d.note}", d.text]
    lines += [";", "; The obligations."]
    for name, body in part.obligations:
        lines += [f'(echo "{name}")', "(push 1)", f"(assert (not {body}))", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


# -- reading ----------------------------------------------------------------------------------


class Str(str):
    """A string literal of SMT-LIB (a symbol is a plain ``str``, never equal to one)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Str) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


SExpr = str | tuple  # type: ignore[type-arg]
#: the deepest nesting read (the terms leasecheck writes nest a few dozen deep)
MAX_DEPTH = 400
_TOKEN = re.compile(r'\s+|;[^\n]*|\(|\)|"(?:[^"]|"")*"|\|[^|\\]*\||[^\s()";|]+')


def parse_sexprs(text: str) -> list[SExpr]:
    """The top-level S-expressions of an SMT-LIB script, normalised: comments and layout dropped,
    ``|quoted|`` symbols unquoted, hexadecimal bit-vector literals written in binary."""
    stack: list[list[SExpr]] = [[]]
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise NotACertificate(f"unreadable SMT-LIB at character {pos}")
        tok = m.group()
        pos = m.end()
        if tok[0].isspace() or tok[0] == ";":
            continue
        if tok == "(":
            if len(stack) > MAX_DEPTH:
                raise NotACertificate(f"its S-expressions nest deeper than {MAX_DEPTH}")
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise NotACertificate(f"an unbalanced ')' at character {pos}")
            done = tuple(stack.pop())
            stack[-1].append(done)
        elif tok[0] == '"':
            stack[-1].append(Str(tok[1:-1].replace('""', '"')))
        elif tok[0] == "|":
            stack[-1].append(tok[1:-1])
        elif tok.startswith("#x"):
            stack[-1].append("#b" + "".join(f"{int(c, 16):04b}" for c in tok[2:]))
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise NotACertificate("an unclosed '(' at the end")
    return stack[0]


def to_text(e: SExpr) -> str:
    if isinstance(e, Str):
        return '"' + e.replace('"', '""') + '"'
    if isinstance(e, str):
        return _q(e) if e and not e.startswith(("#", ":")) and not e[0].isdigit() else e
    return "(" + " ".join(to_text(x) for x in e) + ")"


def _atoms(e: SExpr) -> set[str]:
    if isinstance(e, str):
        return set() if isinstance(e, Str) else {e}
    out: set[str] = set()
    for x in e:
        out |= _atoms(x)
    return out


@dataclass(frozen=True)
class Audit:
    """A certificate read and compared with its configuration's model: ``refusals`` say why it
    is refused (empty: it has the model's definitions and the rule's obligations); ``script`` is
    the prelude (declarations and definitions) and ``obligations`` the (name, body) to discharge."""

    header: Header
    refusals: tuple[str, ...]
    prelude: str
    obligations: tuple[tuple[str, str], ...]
    logic: str = "ALL"


_SHOWN = 8  # refusals listed in full; beyond that, counted


def audit(text: str) -> Audit:
    """Read a certificate; raise :class:`NotACertificate` when it is none, else say what in it
    differs from what its header's configuration and rule demand."""
    items = parse_sexprs(text)
    if not items:
        raise NotACertificate("it is empty")
    if not all(isinstance(i, tuple) and i and isinstance(i[0], str) for i in items):
        raise NotACertificate("a top-level item is not a command")
    heads = [i for i in items if i[0] == "set-info" and len(i) == 3 and i[1] == KEY]
    if len(heads) != 1 or not isinstance(heads[0][2], str):
        raise NotACertificate(f"it has no (set-info {KEY} |...|) header" if not heads else "it has several headers")
    header = Header.from_json(heads[0][2])
    refusals: list[str] = []
    try:
        part = expected_part(header)
    except ModelMismatch as exc:
        return Audit(header, (str(exc),), "", ())

    decls: list[SExpr] = []
    defs: dict[str, SExpr] = {}
    order: list[str] = []
    blocks: list[tuple[str, SExpr]] = []
    i = 0
    logic = ""
    while i < len(items):
        item = items[i]
        head = item[0]
        if head == "set-info" and len(item) == 3 and isinstance(item[1], str) and item[1].startswith(":"):
            i += 1
        elif head == "set-logic" and len(item) == 2 and not logic and not defs and not decls:
            logic = str(item[1])
            i += 1
        elif head == "declare-const" and len(item) == 3 and not blocks:
            decls.append(item)
            i += 1
        elif head == "define-fun" and len(item) == 5 and isinstance(item[1], str) and not blocks:
            if item[1] in defs:
                refusals.append(f"it defines {item[1]} twice")
            defs[item[1]] = item
            order.append(item[1])
            i += 1
        elif head == "echo" and len(item) == 2 and isinstance(item[1], Str):
            block = items[i + 1:i + 5]
            shape = (len(block) == 4 and block[0] == ("push", "1") and block[2] == ("check-sat",)
                     and block[3] == ("pop", "1") and isinstance(block[1], tuple) and len(block[1]) == 2
                     and block[1][0] == "assert" and isinstance(block[1][1], tuple) and len(block[1][1]) == 2
                     and block[1][1][0] == "not")
            if not shape:
                refusals.append(f"the obligation {quoted(str(item[1]))} is not (push 1) (assert (not ...)) (check-sat) (pop 1)")
                i += 1
                continue
            blocks.append((str(item[1]), block[1][1][1]))
            i += 5
        else:
            refusals.append(f"a command that is no part of a certificate: {to_text(item)[:80]}")
            i += 1
    if logic != "ALL":
        refusals.append("its logic is not ALL" if logic else "it sets no logic")
    if decls != [parse_sexprs(d)[0] for d in part.declarations]:
        refusals.append("its declarations are not the constants of the model's state and successor")

    def listed(what: list[str]) -> None:
        refusals.extend(what[:_SHOWN])
        if len(what) > _SHOWN:
            refusals.append(f"and {len(what) - _SHOWN} more like these")

    wrong: list[str] = []
    model_names = {d.name for d in part.model + part.derived}
    for d in part.model + part.derived:
        if d.name not in defs:
            wrong.append(f"it lacks the definition {d.name} ({d.note})")
        elif defs[d.name] != parse_sexprs(d.text)[0]:
            whose = "the rule's" if d in part.derived else "the model's"
            wrong.append(f"its definition of {d.name} differs from {whose} ({d.note})")
    proof_names = {name for name, _ in part.proof}
    declared = {str(d[1]) for d in decls}
    for name, formals_text in part.proof:
        if name not in defs:
            wrong.append(f"it lacks the proof's definition {name}")
            continue
        given = defs[name]
        want = parse_sexprs(f"(define-fun {name} ({formals_text}) Bool true)")[0]
        if given[2] != want[2] or given[3] != "Bool":
            wrong.append(f"its definition of {name} does not take one state")
        elif _atoms(given[4]) & declared:
            wrong.append(f"its definition of {name} speaks of the constants "
                         f"{', '.join(sorted(_atoms(given[4]) & declared)[:3])}, not only of its arguments")
    for name in order:
        if name not in model_names and name not in proof_names:
            m = re.fullmatch(r"(?:cmd|guard)_(\d+)", name)
            what = (f"command {m.group(1)}, which the model of {header.config.describe()} does not have" if m
                    else f"{name}, which is neither the model's nor the {header.rule} rule's")
            wrong.append(f"it defines {what}")
    listed(wrong)

    wanted = dict(part.obligations)
    seen: set[str] = set()
    bad: list[str] = []
    for name, body in blocks:
        if name not in wanted:
            bad.append(f"it has an unknown obligation {quoted(name)}")
        elif name in seen:
            bad.append(f"it states the obligation {quoted(name)} twice")
        elif body != parse_sexprs(wanted[name])[0]:
            bad.append(f"its obligation {quoted(name)} differs from the {header.rule} rule's")
        seen.add(name)
    bad += [f"it lacks the obligation {quoted(name)}" for name, _ in part.obligations if name not in seen]
    listed(bad)

    prelude = "\n".join(["(set-logic ALL)", *part.declarations, *(to_text(defs[n]) for n in order)])
    return Audit(header, tuple(refusals), prelude, tuple(part.obligations))


# -- discharging with Z3 ----------------------------------------------------------------------


@dataclass(frozen=True)
class SolverAnswer:
    """One solver's answer to one obligation: ``unsat`` (discharged), ``sat`` (refuted) or ``unknown``."""

    obligation: str
    answer: str
    reason: str = ""


def _first_line(message: object) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    line = text.strip().splitlines()[0] if text.strip() else "no reason given"
    return line if len(line) <= 200 else line[:200] + "..."


def discharge_z3(audited: Audit, timeout: Timeout = 60.0) -> tuple[SolverAnswer, ...]:
    """Each obligation's negation checked by Z3, with the file's own definitions."""
    script = audited.prelude + "\n" + "\n".join(f"(assert (not {body}))" for _, body in audited.obligations)
    try:
        negations = z3.parse_smt2_string(script)
    except z3.Z3Exception as exc:
        raise NotACertificate(f"z3 cannot read it: {_first_line(exc.value)}") from None
    solver: Solver = state_solver(audited.header.sort == "bitvector", timeout)
    out: list[SolverAnswer] = []
    for (name, _), negation in zip(audited.obligations, negations, strict=True):
        with solver.scope():
            solver.add(negation)
            answer = solver.check()
        out.append(SolverAnswer(name, answer.outcome.value, answer.reason))
    return tuple(out)
