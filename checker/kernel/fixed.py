"""Fixed-size certificates checked: the header read strictly, the model part and the obligations
rebuilt from the header's configuration and proof rule, the file compared with them, only the
proof's definitions taken from the file, and every obligation discharged by Z3 and cvc5 on terms
the kernel built (docs/certificates.md).

:func:`expected_part` is the one generator of what a certificate of a header must contain (the
writer, :mod:`..certificate`, prints it); :func:`audit` reads a file and says what differs;
:func:`discharge` asks one solver about every obligation of an audited file.

A header records a configuration and no model family, so the kernel reads it as the default
family's (:data:`leasecheck.properties.families.DEFAULT_FAMILY`, its one way to DHCP) and reads
the rest from that family's :class:`~leasecheck.properties.model.Model`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import z3

from leasecheck.checker.kernel.reader import HEADER_KEY, Atom, Expr, Node, NotACertificate, read, show, strict_json
from leasecheck.checker.kernel.terms import Applied, Definition, define, smtlib, term
from leasecheck.checker.z3.translate import Translator
from leasecheck.errors import UserError, quoted
from leasecheck.model.lang import Expr as ModelExpr
from leasecheck.model.lang import System, not_
from leasecheck.properties.families import DEFAULT_FAMILY
from leasecheck.properties.model import Model
from leasecheck.properties.spec import Invariant, Property, Reachable, Recovery

#: the version of the format written and read
FORMAT = 2
KEY = HEADER_KEY
RULES = ("invariant", "ranking")
SORTS = ("bitvector", "int")


@dataclass(frozen=True)
class Header:
    """What a certificate claims: ``property`` (for ``client``) of ``config``, proved by ``rule``
    over states encoded as ``sort``; for the ranking rule, each level's helpful instance (None: a
    level every step leaves)."""

    config: Any  #: a configuration of the default family (DHCP's ``Config``)
    property: str
    client: int | None
    rule: str
    sort: str
    levels: tuple[str | None, ...] = ()

    def as_json(self) -> str:
        doc = {"format": FORMAT, "config": asdict(self.config), "property": self.property, "client": self.client,
               "rule": self.rule, "sort": self.sort, "levels": list(self.levels)}
        return json_dumps(doc)

    @staticmethod
    def from_json(text: str) -> Header:
        try:
            doc = strict_json(text)
        except ValueError as exc:
            raise NotACertificate(f"its header is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise NotACertificate("its header is not a JSON object")
        if type(doc.get("format")) is not int or doc["format"] != FORMAT:
            raise NotACertificate(f"format {quoted(doc.get('format'))} is not format {FORMAT}")
        want = {"format", "config", "property", "client", "rule", "sort", "levels"}
        if set(doc) != want:
            raise NotACertificate(f"its header needs exactly the keys {', '.join(sorted(want))}")
        cfg = doc["config"]
        names = set(DEFAULT_FAMILY.parameters)
        if not isinstance(cfg, dict) or set(cfg) != names:
            raise NotACertificate(f"its configuration needs exactly the keys {', '.join(sorted(names))}")
        try:
            config = DEFAULT_FAMILY.config(**cfg)
        except UserError as exc:
            raise NotACertificate(f"its configuration: {exc}") from None
        prop, client, rule, sort, levels = (doc[k] for k in ("property", "client", "rule", "sort", "levels"))
        if not isinstance(prop, str) or prop not in model_of(config).names:
            raise NotACertificate(f"unknown property {quoted(prop)}")
        if client is not None and type(client) is not int:
            raise NotACertificate(f"client must be a number or null, not {quoted(client)}")
        if rule not in RULES or sort not in SORTS:
            raise NotACertificate(f"rule must be one of {', '.join(RULES)} and sort one of {', '.join(SORTS)}")
        if not isinstance(levels, list) or not all(lv is None or isinstance(lv, str) for lv in levels):
            raise NotACertificate("levels must be a list of action instances (or null)")
        return Header(config, prop, client, rule, sort, tuple(levels))

    def describe(self) -> str:
        who = "" if self.client is None else f" for client {self.client}"
        return f"{self.property}{who}, {model_of(self.config).title}"


def model_of(config: Any) -> Model:
    """The model of a header's configuration (built once per configuration by the family)."""
    return DEFAULT_FAMILY.build(config)


def json_dumps(doc: object) -> str:
    import json

    return json.dumps(doc, separators=(", ", ": "))


# -- what a certificate of a header contains ---------------------------------------------------


@dataclass(frozen=True)
class ModelDef:
    name: str
    text: str  #: the whole ``(define-fun ...)``
    note: str = ""  #: what it stands for, for the comments and the refusals


@dataclass(frozen=True)
class Part:
    """What a certificate of ``header`` contains besides the proof's own definitions: the legend,
    the declarations, the model's definitions, the signature of each proof definition, the
    definitions derived from the proof's and the obligations (name, body), in order."""

    header: Header
    statement: str
    legend: tuple[str, ...]
    declarations: tuple[str, ...]
    model: tuple[ModelDef, ...]
    proof: tuple[tuple[str, str], ...]
    derived: tuple[ModelDef, ...]
    obligations: tuple[tuple[str, str], ...]
    #: each proof definition's formals, as the Z3 constants a proof's formulas are renamed to
    pre: tuple[z3.ExprRef, ...]


class ModelMismatch(UserError):
    """The header names something the model of its configuration does not have."""


def _property(system: System, header: Header) -> Property:
    props = [p for p in model_of(header.config).select([header.property]) if p.client == header.client]
    if not props:
        raise ModelMismatch(f"{header.property} has no client {header.client} in {model_of(header.config).title}")
    return props[0]


def _goal(prop: Property) -> tuple[str, ModelExpr]:
    if isinstance(prop, Invariant):
        return "invariant", prop.good
    if isinstance(prop, Reachable):
        return "invariant", not_(prop.target)
    if isinstance(prop, Recovery):
        return "ranking", prop.goal
    raise ModelMismatch(f"{prop.name} is not a property a certificate proves")


def header_for(config: Any, prop: str, client: int | None, sort: str, levels: Sequence[str | None] = ()) -> Header:
    """The header of a proof of ``prop`` (for ``client``), its rule read off the property's kind."""
    draft = Header(config, prop, client, "invariant", sort, tuple(levels))
    rule, _ = _goal(_property(model_of(config).system, draft))
    return Header(config, prop, client, rule, sort, tuple(levels))


def symbol_of(variable: str) -> str:
    """A state variable's name as a simple SMT-LIB symbol: ``st[0]`` is ``st.0``."""
    name = re.sub(r"\[(\w+)\]", r".\1", variable)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        raise AssertionError(f"the variable {variable!r} has no simple symbol")
    return name


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
    system = model_of(header.config).system
    prop = _property(system, header)
    rule, goal = _goal(prop)
    if rule != header.rule:
        raise ModelMismatch(f"{header.property} is proved by the {rule} rule, not by the {header.rule} rule")
    if rule == "invariant" and header.levels:
        raise ModelMismatch("an invariant proof has no levels")
    tr = Translator(system, bitvectors=header.sort == "bitvector")
    sort = tr.num(0).sort()
    names = [symbol_of(v.name) for v in system.variables]
    if len(set(names)) != len(names):
        raise AssertionError("two state variables share a symbol")
    pre = tuple(z3.Const(n, sort) for n in names)
    post = tuple(z3.Const(n + "@next", sort) for n in names)
    s = sort.sexpr()
    args = " ".join(f"({v} {s})" for v in pre)
    args2 = args + " " + " ".join(f"({v} {s})" for v in post)
    a = " ".join(str(v) for v in pre)
    a2 = a + " " + " ".join(str(v) for v in post)
    X = " ".join(f"{n}@x" for n in names)
    Ys = " ".join(f"{n}@y" for n in names)
    XY = X + " " + Ys

    def fun(name: str, formals: str, body: str, note: str = "") -> ModelDef:
        return ModelDef(name, f"(define-fun {name} ({formals}) Bool\n  {body})", note)

    width = f"bit-vectors of width {sort.size()}" if header.sort == "bitvector" else "integers"  # type: ignore[attr-defined]
    legend = [f"Each state variable is one constant ({width}) holding the index of its value:"]
    for v, sym in zip(system.variables, names, strict=True):
        values = ", ".join(f"{i} {val}" for i, val in enumerate(v.domain.values))
        legend.append(f"  {sym} = {v.name} ({v.domain.name}): {values}; initially {v.domain.index(v.initial)}")
    legend.append("The obligations speak of a state NAME@x and its successor NAME@y; each definition takes")
    legend.append("a state as NAME (and a successor as NAME@next).")

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
    derived: list[ModelDef] = []
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
            below = f"(goal {a})" if i == 0 else f"(or (below_{i} {a}) (Level{i} {a}))"
            derived.append(fun(f"below_{i + 1}", args, below, f"the goal or a level under level {i + 1}"))
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
    declarations = tuple(f"(declare-const {n}@{w} {s})" for w in "xy" for n in names)
    claim = (f"{prop.name} is violated, the opposite of: {prop.statement}" if isinstance(prop, Reachable)
             else f"{prop.name}: {prop.statement}")
    return Part(header, claim, tuple(legend), declarations, tuple(model), tuple(proof),
                tuple(derived), tuple(obligations), pre)


# -- reading a file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """A certificate read and compared with its configuration's model: ``refusals`` say why it is
    refused (empty: it has the model's definitions and the rule's obligations). ``definitions`` are
    every definition the solvers see, built by the kernel (the model's and the rule's from its own
    text, the proof's from the file's nodes); ``goals`` each obligation's name and term, with
    ``obligations`` its text as the kernel wrote it; ``declarations`` the constants they speak of."""

    header: Header
    refusals: tuple[str, ...]
    obligations: tuple[tuple[str, str], ...] = ()
    definitions: tuple[Definition, ...] = ()
    declarations: tuple[Node, ...] = ()
    goals: tuple[tuple[str, z3.BoolRef, Expr], ...] = ()
    #: what a valid certificate proves, in words (a reachability property's proof shows it violated)
    claim: str = ""


_SHOWN = 8  # refusals listed in full; beyond that, counted
_SET_INFO, _ECHO = Atom("symbol", "set-info"), Atom("symbol", "echo")


def _one(text: str, parsed: dict[str, Expr] | None = None) -> Expr:
    """The one S-expression of the kernel's own ``text`` (``parsed``: the texts read so far in the
    same audit, each read once)."""
    if parsed is not None and text in parsed:
        return parsed[text]
    (e,) = read(text)
    if parsed is not None:
        parsed[text] = e
    return e


def _node(text: str, parsed: dict[str, Expr] | None = None) -> Node:
    e = _one(text, parsed)
    assert isinstance(e, Node)
    return e


def header_value(items: Sequence[Expr]) -> str:
    """The text of the one header, ``(set-info :leasecheck-certificate |JSON|)``."""
    heads = [i for i in items if isinstance(i, Node) and i.items[:2] == (_SET_INFO, Atom("keyword", KEY))]
    if len(heads) != 1:
        raise NotACertificate(f"it has no (set-info {KEY} |...|) header" if not heads else "it has several headers")
    value = heads[0].items[2] if len(heads[0].items) == 3 else None
    if not isinstance(value, Atom) or value.kind != "quoted":
        raise NotACertificate(f"{heads[0].at}: the header is (set-info {KEY} |JSON|)")
    return value.text


def read_header(items: Sequence[Expr]) -> Header:
    return Header.from_json(header_value(items))


def audit(text: str) -> Audit:
    """Read a certificate; raise :class:`NotACertificate` when it is none, else say what in it
    differs from what its header's configuration and rule demand and build its terms. Nesting
    deeper than Python's stack (below the reader's own limit for some shapes) is no certificate
    either."""
    try:
        return _audit(text)
    except RecursionError:
        raise NotACertificate("it nests terms deeper than the checker reads") from None


def _audit(text: str) -> Audit:
    items = read(text)
    parsed: dict[str, Expr] = {}
    if not items:
        raise NotACertificate("it is empty")
    for command in items:
        if not (isinstance(command, Node) and command.items and isinstance(command.items[0], Atom)
                and command.items[0].kind == "symbol"):
            raise NotACertificate(f"{command.at}: a top-level item that is not a command")
    header = read_header(items)
    try:
        part = expected_part(header)
    except ModelMismatch as exc:
        return Audit(header, (str(exc),))
    refusals: list[str] = []
    decls: list[Expr] = []
    defs: dict[str, Node] = {}
    order: list[str] = []
    blocks: list[tuple[str, Expr]] = []
    logic = ""
    i = 0
    push, check, pop = _one("(push 1)", parsed), _one("(check-sat)", parsed), _one("(pop 1)", parsed)
    version = _one("(set-info :smt-lib-version 2.6)", parsed)
    while i < len(items):
        item = items[i]
        assert isinstance(item, Node) and isinstance(item.items[0], Atom)
        head, n = item.items[0].text, len(item.items)
        if item == version or head == "set-info" and n == 3 and item.items[1] == Atom("keyword", KEY):
            i += 1
        elif head == "set-logic" and n == 2 and not logic and not defs and not decls:
            logic = show(item.items[1])
            i += 1
        elif head == "declare-const" and n == 3 and not blocks:
            decls.append(item)
            i += 1
        elif head == "define-fun" and n == 5 and isinstance(item.items[1], Atom) and not blocks:
            name = item.items[1].text
            if name in defs:
                refusals.append(f"it defines {name} twice")
            defs[name] = item
            order.append(name)
            i += 1
        elif head == "echo" and n == 2 and isinstance(item.items[1], Atom) and item.items[1].kind == "string":
            block = items[i + 1:i + 5]
            assertion = block[1] if len(block) == 4 else None
            body = None
            if (isinstance(assertion, Node) and len(assertion.items) == 2 and assertion.items[0] == Atom("symbol", "assert")
                    and isinstance(assertion.items[1], Node) and len(assertion.items[1].items) == 2
                    and assertion.items[1].items[0] == Atom("symbol", "not")):
                body = assertion.items[1].items[1]
            if body is None or (block[0], block[2], block[3]) != (push, check, pop):
                refusals.append(f"the obligation {quoted(item.items[1].text)} is not (push 1) (assert (not ...)) "
                                "(check-sat) (pop 1)")
                i += 1
                continue
            blocks.append((item.items[1].text, body))
            i += 5
        else:
            refusals.append(f"{item.at}: a command that is no part of a certificate: {show(item)[:80]}")
            i += 1
    if logic != "ALL":
        refusals.append("its logic is not ALL" if logic else "it sets no logic")
    if decls != [_one(d, parsed) for d in part.declarations]:
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
        elif defs[d.name] != _one(d.text, parsed):
            whose = "the rule's" if d in part.derived else "the model's"
            wrong.append(f"its definition of {d.name} differs from {whose} ({d.note})")
    proof_names = {name for name, _ in part.proof}
    for name, formals_text in part.proof:
        if name not in defs:
            wrong.append(f"it lacks the proof's definition {name}")
        elif defs[name].items[:4] != _node(f"(define-fun {name} ({formals_text}) Bool true)", parsed).items[:4]:
            wrong.append(f"its definition of {name} does not take one state")
    for name in order:
        if name not in model_names and name not in proof_names:
            m = re.fullmatch(r"(?:cmd|guard)_(\d+)", name)
            what = (f"command {m.group(1)}, which the model of {model_of(header.config).title} does not have" if m
                    else f"{name}, which is neither the model's nor the {header.rule} rule's")
            wrong.append(f"it defines {what}")
    expected_order = [d.name for d in part.model] + [name for name, _ in part.proof] + [d.name for d in part.derived]
    if not wrong and order != expected_order:
        wrong.append("its definitions are not in the order model, proof, derived (each may use only those above it)")
    listed(wrong)

    wanted = dict(part.obligations)
    seen: set[str] = set()
    bad: list[str] = []
    for name, body in blocks:
        if name not in wanted:
            bad.append(f"it has an unknown obligation {quoted(name)}")
        elif name in seen:
            bad.append(f"it states the obligation {quoted(name)} twice")
        elif body != _one(wanted[name], parsed):
            bad.append(f"its obligation {quoted(name)} differs from the {header.rule} rule's")
        seen.add(name)
    bad += [f"it lacks the obligation {quoted(name)}" for name, _ in part.obligations if name not in seen]
    listed(bad)
    if refusals:
        return Audit(header, tuple(refusals), part.obligations, claim=part.statement)
    return _build(header, part, defs, parsed)


def _build(header: Header, part: Part, file_defs: dict[str, Node], parsed: dict[str, Expr]) -> Audit:
    """Every term the solvers see: the model's and the rule's definitions from the kernel's own
    text, the proof's from the file's nodes (its formals and the definitions before it only)."""
    built: dict[str, Definition] = {}
    applied: Applied = {}
    for d in part.model:
        built[d.name] = define(_one(d.text, parsed), built, applied=applied)
    for name, _ in part.proof:
        built[name] = define(file_defs[name], built, applied=applied)
    for d in part.derived:
        built[d.name] = define(_one(d.text, parsed), built, applied=applied)
    decls = [_node(text, parsed) for text in part.declarations]
    consts: dict[str, z3.ExprRef] = {}
    for decl in decls:
        assert isinstance(decl.items[1], Atom)
        consts[decl.items[1].text] = z3.Const(decl.items[1].text, z3.BitVecSort(part.pre[0].sort().size())  # type: ignore[attr-defined]
                                           if header.sort == "bitvector" else z3.IntSort())
    goals = []
    for name, body in part.obligations:
        node = _one(body, parsed)
        t = term(node, consts, built, frozenset(consts), applied)
        assert z3.is_bool(t)
        goals.append((name, t, node))
    return Audit(header, (), part.obligations, tuple(built.values()), tuple(decls), tuple(goals),  # type: ignore[arg-type]
                 claim=part.statement)


# -- discharging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolverAnswer:
    """One solver's answer to one obligation: ``unsat`` (discharged), ``sat`` (refuted) or ``unknown``."""

    obligation: str
    answer: str
    reason: str = ""


def _line(message: object) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    line = text.strip().splitlines()[0] if text.strip() else "no reason given"
    return line if len(line) <= 200 else line[:200] + "..."


def discharge_z3(audited: Audit, timeout: float | None) -> tuple[SolverAnswer, ...]:
    """Each obligation's negation checked by a fresh Z3 solver, on the kernel's terms."""
    out = []
    for name, goal, _ in audited.goals:
        solver = z3.SolverFor("QF_FD") if audited.header.sort == "bitvector" else z3.Solver()
        if timeout is not None:
            solver.set("timeout", max(1, int(timeout * 1000)))
        try:
            solver.add(z3.Not(goal))
            r = solver.check()
            answer = "unsat" if r == z3.unsat else "sat" if r == z3.sat else "unknown"
            why = "" if answer != "unknown" else f"z3 could not decide: {solver.reason_unknown()}"
        except z3.Z3Exception as exc:
            answer, why = "unknown", f"z3 failed: {_line(exc.value)}"
        out.append(SolverAnswer(name, answer, why))
    return tuple(out)


def cvc5_script(audited: Audit) -> str:
    """The only text cvc5 reads: printed by the kernel from the nodes it validated."""
    lines = ["(set-logic ALL)", *(smtlib(d) for d in audited.declarations), *(smtlib(d.node) for d in audited.definitions)]
    for _, _, node in audited.goals:
        lines += ["(push 1)", f"(assert (not {smtlib(node)}))", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


def cvc5_answers(script: str, options: Mapping[str, str], timeout: float | None) -> list[str]:
    """cvc5's answer to each ``check-sat`` of ``script``, read by its own parser with ``options``
    set (a failure of cvc5 is a ``RuntimeError``)."""
    import cvc5

    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    for key, value in options.items():
        solver.setOption(key, value)
    if timeout is not None:
        solver.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    symbols = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, script, "certificate")
    answers: list[str] = []
    while not (command := parser.nextCommand()).isNull():
        result = command.invoke(solver, symbols).strip()
        if str(command).startswith("(check-sat"):
            answers.append(result)
    return answers


def cvc5_answer(name: str, answer: str) -> SolverAnswer:
    decided = answer in ("sat", "unsat")
    return SolverAnswer(name, answer if decided else "unknown", "" if decided else f"cvc5 could not decide: {answer}")


def discharge_cvc5(audited: Audit, timeout: float | None) -> tuple[SolverAnswer, ...]:
    """Each obligation's negation checked by cvc5 (its own parser reads :func:`cvc5_script`)."""
    try:
        answers = cvc5_answers(cvc5_script(audited), {"incremental": "true"}, timeout)
    except RuntimeError as exc:
        why = f"cvc5 failed: {_line(exc)}"
        return tuple(SolverAnswer(name, "unknown", why) for name, _, _ in audited.goals)
    if len(answers) != len(audited.goals):
        return tuple(SolverAnswer(name, "unknown", "cvc5 answered another number of queries") for name, _, _ in audited.goals)
    return tuple(cvc5_answer(name, a) for (name, _, _), a in zip(audited.goals, answers, strict=True))
