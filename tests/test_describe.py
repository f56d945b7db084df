"""`leasecheck describe` prints the traced model whole, and docs/model.md speaks of all of it."""

from __future__ import annotations

import doctest
import io
import re
import time
from pathlib import Path

import pytest

import leasecheck
from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.render.describe import describe_model, expr_text, render_description
from leasecheck.errors import UserError
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.lang import BOOL, Domain, StateView, Variable, ite
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import PROPERTY_NAMES, dhcp_model

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT / "docs" / "model.md"
FORMATS = ("text", "markdown")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def actions_table(text: str, fmt: str) -> dict[str, str]:
    """The "fair" column of the actions table, by action name."""
    if fmt == "markdown":
        section = text.split("## 4. Actions", 1)[1].split("## 5.", 1)[0]
        rows = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("| `")]
        return {r[0].strip("`"): r[3] for r in rows}
    section = text.split("\n4. Actions", 1)[1].split("\n\n", 1)[0]
    rows = [line.split() for line in section.splitlines()[3:]]
    return {r[0]: r[3] for r in rows}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_describe_prints_every_action_and_variable_and_marks_the_fair_actions(variant: str, fmt: str) -> None:
    args = ["--clients", "2", "--addresses", "2", "--losses", "1", "--reboots", "1", "--restart"]
    code, out, err = run("describe", "--variant", variant, "--format", fmt, *args)
    assert (code, err) == (0, "")
    system = dhcp_system(Config(clients=2, addresses=2, variant=variant, deletes=1, losses=1, reboots=1, restart=True))
    for v in system.variables:
        assert v.name in out, v.name
    for inst in system.instances:
        assert str(inst) in out, str(inst)
    fair = actions_table(out, fmt)
    assert fair == {a.name: "yes" if a.fair else "no" for a in system.actions}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_default_size_is_one_client_one_address(variant: str) -> None:
    code, out, _ = run("describe", "--variant", variant)
    assert code == 0
    assert f"the traced model dhcp[{variant} 1x1, D=1, L=0, R=0]" in out
    assert "st[1]" not in out and "db[1]" not in out


def test_the_description_holds_every_command_of_the_traced_system() -> None:
    cfg = Config(clients=2, addresses=2, variant="nt35", deletes=1, losses=1, reboots=1, restart=True)
    system = dhcp_system(cfg)
    d = describe_model(dhcp_model(cfg))
    assert [a.name for a in d.actions] == [a.name for a in system.actions]
    assert [a.fair for a in d.actions] == [a.fair for a in system.actions]
    assert d.instance_count == len(system.instances)
    assert d.command_count == len(system.commands)
    assert [(v.name, v.initial) for v in d.variables][:2] == [("st[0]", "INIT"), ("addr[0]", "none")]
    labels = {c.label for a in d.actions for i in a.instances for c in i.commands}
    assert {"silent: stale record", "REQUEST(RENEWING,0): silent: no record of this lease"} <= labels


def test_the_text_shows_guards_and_updates_as_readable_expressions() -> None:
    code, out, _ = run("describe", "--variant", "nt35", "--reboots", "2")
    assert code == 0
    assert "    ServeDiscover(0) [silent: stale record]\n" in out
    assert "      when  to_srv[0] = DISCOVER\n            to_cli[0] = none\n" in out
    assert "            to_cli[0] = none\n            mem[0] = 0\n            db[0] = FREE\n" in out
    assert "reboots_left > 0" in out and "reboots_left := reboots_left - 1" in out
    assert "st[0] in {BOUND, RENEWING, REBINDING}" in out
    assert "      do    to_srv[0] := none\n            db[0] := if db[0] = BOUND(0) then FREE else db[0]\n" in out
    assert "AdminRestart(): no command (never enabled in this configuration)" in out


def test_the_printer_names_values_and_brackets_what_binds_weaker() -> None:
    dom = Domain("address or none", (None, 0, 1))
    count = Domain("budget", (0, 1, 2, 3))
    variables = [Variable("mem[0]", dom, None, "mem", 0), Variable("left", count, 3, "left", None)]
    s = StateView(variables)
    chain = ite(s.left.map(lambda v: v >= 2, BOOL), 0, ite(s.left == 1, 1, dom.const(None)))
    assert expr_text(chain, variables) == "if left >= 2 then 0 else if left = 1 then 1 else none"
    assert expr_text(s.mem[0] != chain, variables) == (
        "mem[0] != (if left >= 2 then 0 else if left = 1 then 1 else none)")
    cond = ~((s.mem[0] == 0) | (s.left.map(lambda v: v <= 1, BOOL) & (s.mem[0] != None)))  # noqa: E711
    assert expr_text(cond, variables) == "not (mem[0] = 0 or (left <= 1 and mem[0] != none))"
    table = s.left.map(lambda v: 1 if v == 2 else None, dom)
    assert expr_text(table, variables) == "case left of 2 -> 1, else none"


def test_larger_configurations_are_described_quickly() -> None:
    started = time.perf_counter()
    code, out, _ = run("describe", "--variant", "nt35", "--clients", "5", "--addresses", "5", "--deletes", "3",
                       "--losses", "2", "--reboots", "2", "--restart", "--format", "markdown")
    assert code == 0 and "`ServeRequest(4)`" in out and "`db[4]`" in out
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("argv", [
    ["describe", "--variant", "nt36"],
    ["describe", "--format", "html"],
    ["describe", "--clients", "0"],
    ["describe", "--deletes", "-1"],
    ["describe", "--client-nak", "sometimes"],
    ["describe", "extra"],
])
def test_a_usage_error_is_one_line_and_exit_2(argv: list[str]) -> None:
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert err.startswith("leasecheck") and err.count("\n") == 1, err


def test_the_api_gives_the_same_text_and_refuses_an_unknown_format() -> None:
    cfg = Config(variant="authoritative", clients=2, addresses=2)
    d = describe_model(dhcp_model(cfg))
    assert leasecheck.describe(cfg) == render_description(d, "text")
    assert leasecheck.describe(cfg, format="markdown") == render_description(d, "markdown")
    assert "describe" in leasecheck.__all__
    with pytest.raises(UserError, match="unknown format 'html'"):
        leasecheck.describe(cfg, format="html")


def test_the_api_example_runs() -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(leasecheck.api.describe, "describe", globs={}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted >= 3


# ---------------------------------------------------------------------------------------------
# docs/model.md


def model_md() -> str:
    return MODEL_MD.read_text()


def test_docs_model_names_every_action_variant_and_property() -> None:
    text = model_md()
    words = set(re.findall(r"[A-Za-z_0-9]+", text))
    actions = [a.name for a in dhcp_system(Config(clients=2, addresses=2, restart=True)).actions]
    missing = [n for n in (*actions, *VARIANTS, *PROPERTY_NAMES) if n not in words]
    assert not missing, f"docs/model.md does not mention {', '.join(missing)}"


def test_docs_model_has_numbered_sections_that_the_code_refers_to() -> None:
    text = model_md()
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, flags=re.M))
    assert {str(n) for n in range(1, 10)} <= sections
    sources = [*(p for folder in ("model", "properties", "checker") for p in (ROOT / folder).rglob("*.py")),
               *(ROOT / "leasecheck").glob("*.py")]
    cited = {m for p in sources for m in re.findall(r"docs/model\.md section (\d+(?:\.\d+)?)", p.read_text())}
    assert cited, "no code refers to a section of docs/model.md"
    assert cited <= sections, f"the code cites sections docs/model.md lacks: {sorted(cited - sections)}"


#: Files another change is rewriting; their references to the contract are left to it.
_ELSEWHERE = ("checker/results.py", "checker/explicit/decide.py", "checker/explicit/reduced.py", "checker/z3/engine.py")


def test_code_refers_to_docs_model_not_to_the_internal_contract() -> None:
    assert "SEMANTICS" not in model_md()
    for folder in ("model", "properties", "checker"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in _ELSEWHERE:
                assert "SEMANTICS" not in path.read_text(), rel


def _reference_rows() -> list[tuple[Config, int]]:
    section = model_md().split("## 8.", 1)[1].split("\n## ", 1)[0]
    rows = []
    pattern = r"^\| `(\w+)` \| (\d+) x (\d+) \| (\d+) \| (\d+) \| (\d+) \| (on|off) \| ([\d,]+) \|$"
    for m in re.finditer(pattern, section, flags=re.M):
        variant, c, a, d, loss, r, restart, states = m.groups()
        cfg = Config(clients=int(c), addresses=int(a), variant=variant, deletes=int(d), losses=int(loss), reboots=int(r), restart=restart == "on")
        rows.append((cfg, int(states.replace(",", ""))))
    return rows


def test_docs_model_reference_counts_are_the_models() -> None:
    rows = _reference_rows()
    assert len(rows) >= 15
    for cfg, states in rows:
        if states > 20_000:  # the larger ones are tests/test_reference_counts.py's
            continue
        graph = explore(dhcp_system(cfg))
        assert graph.complete and len(graph.states) == states, cfg.describe()
