"""SPIN checks the Promela export: the same reachable states as leasecheck, the same verdicts.

`leasecheck export --promela` writes the traced model as Promela (checker/render/promela.py).
Here SPIN, a model checker that shares no code with leasecheck, explores each export: its count of
stored states must equal leasecheck's count of reachable states, its count of transitions must
equal leasecheck's count of edges (plus one: SPIN counts the initial state among its
"stored + matched"), and it must find a violation of ``no_duplicate_address`` exactly where
leasecheck does. Needs the ``spin`` and ``gcc`` commands (.ci/run installs them through
tests/conform_deps.sh); without them the tests skip.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.render.promela import promela_model, promela_names
from leasecheck.errors import UserError
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.model.interp import holds
from leasecheck.model.lang import BOOL, Variable
from leasecheck.model.values import VARIANTS
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties

MISSING = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
needs_spin = pytest.mark.skipif(bool(MISSING), reason=f"SPIN needs the {' and '.join(MISSING)} command (Debian: spin, gcc)")

#: The search depth allowed to pan; every configuration here is far shallower.
DEPTH = 1_000_000


@dataclass(frozen=True)
class PanRun:
    states: int
    transitions: int
    errors: int
    depth: int
    output: str


def compile_pan(cfg: Config, folder: Path) -> Path:
    """The export of ``cfg`` as ``model.pml`` in ``folder``, and SPIN's verifier for it compiled there."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.pml").write_text(promela_model(dhcp_model(cfg)).text)
    subprocess.run(["spin", "-a", "model.pml"], cwd=folder, check=True, capture_output=True, timeout=60)
    subprocess.run(["gcc", "-O0", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], cwd=folder, check=True,
                   capture_output=True, timeout=60)
    return folder


def pan(folder: Path, *args: str) -> PanRun:
    done = subprocess.run(["./pan", f"-m{DEPTH}", "-w20", *args], cwd=folder, capture_output=True, text=True,
                          timeout=60)
    out = done.stdout

    def number(pattern: str) -> int:
        match = re.search(pattern, out)
        assert match, f"pan printed no {pattern!r}:\n{out}{done.stderr}"
        return int(match.group(1))

    assert "max search depth too small" not in out
    return PanRun(number(r"(\d+) states, stored"), number(r"(\d+) transitions"), number(r"errors: (\d+)"),
                  number(r"depth reached (\d+)"), out)


def leasecheck_figures(cfg: Config) -> tuple[int, int, bool]:
    """Reachable states, edges, and whether some reachable state breaks ``no_duplicate_address``."""
    system = dhcp_system(cfg)
    graph = explore(system)
    assert graph.complete
    (inv,) = dhcp_properties(system, cfg, ["no_duplicate_address"])
    broken = any(not holds(inv.good, s) for s in graph.states)
    return len(graph.states), graph.transitions, broken


CONFIGS = [
    *(Config(clients=1, addresses=1, variant=v, deletes=d, restart=r, losses=loss)
      for v in VARIANTS for d, r, loss in ((0, False, 0), (1, False, 0), (1, True, 0), (1, False, 1))),
    *(Config(clients=2, addresses=1, variant=v) for v in VARIANTS),
    Config(clients=2, addresses=2, variant="nt40"),
    Config(clients=2, addresses=2, variant="nt40", deletes=0),
    Config(clients=2, addresses=2, variant="nt35", deletes=0),
    Config(clients=1, addresses=1, variant="nt35", reboots=1),
    Config(clients=1, addresses=1, variant="nt40", client_nak="ignore-while-renewing"),
]


@needs_spin
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.describe().replace(" ", ""))
def test_spin_stores_exactly_leasecheck_reachable_states(cfg: Config, tmp_path: Path) -> None:
    states, edges, broken = leasecheck_figures(cfg)
    folder = compile_pan(cfg, tmp_path)
    run = pan(folder, "-c0", "-N", "no_duplicate_address")  # -c0: go on after a violation, to count everything
    assert run.states == states, run.output
    assert run.transitions == edges + 1, run.output
    assert (run.errors > 0) == broken, run.output


@needs_spin
def test_spin_finds_the_duplicate_address_after_a_delete_with_two_clients(tmp_path: Path) -> None:
    cfg = Config(clients=2, addresses=2, variant="nt40")
    assert leasecheck_figures(cfg)[2]
    folder = compile_pan(cfg, tmp_path)
    run = pan(folder, "-N", "no_duplicate_address")
    assert run.errors == 1
    assert "assertion violated" in run.output
    assert (folder / "model.pml.trail").is_file()
    replay = subprocess.run(["spin", "-t", "-g", "model.pml"], cwd=folder, capture_output=True, text=True, timeout=60)
    assert "assertion violated" in replay.stdout
    # the trail ends in a state leasecheck reaches too, and there two clients hold one address
    system = dhcp_system(cfg)
    values = dict(re.findall(r"^\t\t(\w+) = (\d+)$", replay.stdout, re.MULTILINE))
    last = tuple(int(values[name]) for name in promela_names(system.variables))
    assert last in set(explore(system).states)
    (inv,) = dhcp_properties(system, cfg, ["no_duplicate_address"])
    assert not holds(inv.good, last)
    assert pan(folder, "-N", "single_binding").errors == 0


@needs_spin
def test_spin_finds_no_duplicate_address_without_a_delete(tmp_path: Path) -> None:
    folder = compile_pan(Config(clients=2, addresses=2, variant="nt40", deletes=0), tmp_path)
    run = pan(folder, "-N", "no_duplicate_address")
    assert run.errors == 0
    assert not (folder / "model.pml.trail").exists()


# -- the generator itself, without SPIN ------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_export_writes_one_branch_per_guarded_command() -> None:
    cfg = Config(clients=2, addresses=2, variant="nt40")
    code, out, _ = run_cli("export", "--promela", "--clients", "2", "--addresses", "2", "--variant", "nt40")
    assert code == 0
    assert out == promela_model(dhcp_model(cfg)).text
    system = dhcp_system(cfg)
    assert out.count(":: d_step {") == len(system.commands)
    for cmd in system.commands:
        assert f"/* command {cmd.index}: {cmd.action}(" in out
    assert "never no_duplicate_address {" in out and "never single_binding {" in out
    assert "   client state (st_0, st_1):\n     0 = INIT\n" in out


def test_export_out_writes_the_file_and_refuses_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "model.pml"
    assert run_cli("export", "--promela", "--out", str(target)) == (0, "", f"leasecheck: wrote {target} (Promela)\n")
    assert target.read_text() == promela_model(dhcp_model(Config())).text
    code, _, err = run_cli("export", "--promela", "--out", str(tmp_path))
    assert code == 2 and "it is a folder" in err
    code, _, err = run_cli("export", "--out", str(target))
    assert code == 2 and "--promela" in err
    code, _, err = run_cli("export", "--promela", "--property", "recovery")
    assert code == 2 and "invalid choice" in err


def test_export_property_picks_the_claims() -> None:
    code, out, _ = run_cli("export", "--promela", "--property", "single_binding")
    assert code == 0
    assert "never single_binding {" in out and "never no_duplicate_address" not in out
    assert promela_model(dhcp_model(Config()), ["single_binding"]).claims == ("single_binding",)
    with pytest.raises(UserError, match="invariants only"):
        promela_model(dhcp_model(Config()), ["recovery"])


def test_names_are_identifiers() -> None:
    names = promela_names(dhcp_system(Config(clients=2, addresses=2, variant="nt35")).variables)
    assert names[:2] == ("st_0", "addr_0")
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names)
    clash = [Variable(n, BOOL, False, n, None) for n in ("do", "old_x", "1a")]
    assert promela_names(clash) == ("v_do", "v_old_x", "v_1a")
