"""`leasecheck replay` holds the claim a trace file records to what its states show.

A trace file records a property, a client and a verdict beside its states. Replay prints that
claim only when the states show it: an invariant's counterexample ends in a state that breaks it,
a reachability witness ends in its target, a recovery counterexample is a fair lasso whose loop
never reaches holds(c) (or a deadlock outside it), an after-action counterexample is such a run
from a step by the action, and a stuck state cannot reach holds(c) without AdminRestart. Every
file here is a genuine trace that leasecheck wrote, relabelled or cut as an adversary would.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leasecheck import Config, check
from leasecheck.checker import replay as replay_module
from leasecheck.checker.cli.main import main
from leasecheck.checker.render.itf import itf_document
from leasecheck.checker.replay import ClaimNotShown, UnconfirmedTrace, confirm, replay, successor_by
from leasecheck.checker.results import Step, Trace
from leasecheck.model.dhcp import dhcp_system
from leasecheck.properties.dhcp import dhcp_properties
from leasecheck.properties.spec import Verdict

NT35 = Config(variant="nt35")

#: the genuine traces: configuration, property, client
GENUINE: dict[str, tuple[Config, str, int | None]] = {
    "recovery lasso": (NT35, "recovery", 0),
    "recovery lasso 2x2": (Config(variant="nt35", clients=2, addresses=2), "recovery", 0),
    "release workaround lasso": (Config(variant="nt35", clients=2), "kb_release_workaround", 0),
    "restart workaround lasso": (Config(variant="nt35", clients=2, restart=True), "kb_restart_workaround", 0),
    "stuck witness": (NT35, "kb_stuck_after_expiry", 0),
    "recoverable counterexample": (NT35, "recoverable", 0),
    "symptom witness": (NT35, "kb_symptom", 0),
    "duplicate address": (Config(variant="nt40", clients=2, addresses=2), "no_duplicate_address", None),
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def genuine() -> dict[str, dict[str, Any]]:
    """Each genuine trace as the ITF document leasecheck writes for it."""
    docs = {}
    for name, (cfg, prop, client) in GENUINE.items():
        result = next(r for r in check(cfg, properties=[prop]).report.results if r.client == client)
        assert result.trace is not None, name
        docs[name] = itf_document(dhcp_system(cfg), cfg, result.trace, prop=prop, client=client,
                                  verdict=str(result.verdict))
    return docs


def write(folder: Path, doc: dict[str, Any]) -> Path:
    path = folder / "t.itf.json"
    path.write_text(json.dumps(doc))
    return path


def refused(path: Path) -> str:
    """Replay ``path``: it must be refused with exit 2 and one line, and print nothing."""
    code, out, err = run("replay", str(path), "--format", "text")
    assert code == 2, (code, out[:300])
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def claim(prop: str | None = "keep", client: int | None | str = "keep", verdict: str | None = "keep") -> Callable:
    """A change of the recorded claim: each part given is replaced."""
    def change(doc: dict[str, Any]) -> None:
        own = doc["#meta"]["leasecheck"]
        for key, value in (("property", prop), ("client", client), ("verdict", verdict)):
            if value != "keep":
                own[key] = value
    return change


def no_loop(doc: dict[str, Any]) -> None:
    del doc["loop"]
    del doc["#meta"]["leasecheck"]["loop_action"]


def cut(n: int) -> Callable:
    """The trace cut after its first ``n`` states."""
    def change(doc: dict[str, Any]) -> None:
        doc["states"] = doc["states"][:n]
    return change


def test_every_genuine_trace_replays_with_its_claim_confirmed(genuine, tmp_path) -> None:
    for name, doc in genuine.items():
        code, out, err = run("replay", str(write(tmp_path, doc)), "--format", "text")
        assert code == 0, (name, err)
        own = doc["#meta"]["leasecheck"]
        who = "" if own["client"] is None else f", client {own['client']}"
        assert f"recorded as: {own['property']}{who}: {own['verdict']}, and the states show it" in out


TAMPERED = [
    # the property renamed
    ("recovery lasso", claim(prop="kb_release_workaround"), "never takes Release(0) from a state where the precondition holds"),
    ("recovery lasso", claim(prop="no_duplicate_address", client=None), "its last state does not break the invariant"),
    ("symptom witness", claim(prop="kb_stuck_after_expiry"), "its last state is not a target state"),
    ("symptom witness", claim(prop="recoverable", verdict="violated"), "holds(0) can still be reached from its last state"),
    ("stuck witness", claim(prop="recovery", verdict="violated"), "it is neither a lasso nor ends in a deadlock"),
    ("duplicate address", claim(prop="single_binding"), "its last state does not break the invariant"),
    ("restart workaround lasso", claim(prop="kb_stuck_after_expiry", verdict="holds"),
     "holds(0) can still be reached without AdminRestart from its last state"),
    # the client changed: the other client holds its lease in the loop, or is not stuck
    ("recovery lasso 2x2", claim(client=1), "holds(1) is true at step"),
    ("release workaround lasso", claim(client=1), "holds(1) is true at step"),
    ("restart workaround lasso", claim(client=1), "holds(1) is true at step"),
    ("recovery lasso 2x2", claim(prop="kb_stuck_after_expiry", client=1, verdict="holds"),
     "holds(1) can still be reached without AdminRestart"),
    ("recovery lasso", claim(client=None), "recovery is one per client, and the claim names none"),
    ("duplicate address", claim(client=0), "no_duplicate_address is not one per client"),
    # the verdict flipped: a trace shows only one verdict of each kind
    ("recovery lasso", claim(verdict="holds"), "a trace can show only that recovery is violated"),
    ("recovery lasso", claim(verdict="unknown"), "a trace can show only that recovery is violated"),
    ("symptom witness", claim(verdict="violated"), "a trace can show only that kb_symptom is holds"),
    ("duplicate address", claim(verdict="holds"), "a trace can show only that no_duplicate_address is violated"),
    ("stuck witness", claim(verdict="violated"), "a trace can show only that kb_stuck_after_expiry is holds"),
    ("recoverable counterexample", claim(verdict="holds"), "a trace can show only that recoverable is violated"),
    ("release workaround lasso", claim(verdict="holds"),
     "a trace can show only that kb_release_workaround is violated"),
    # the loop removed: the run goes on from its last state
    ("recovery lasso", no_loop, "it is neither a lasso nor ends in a deadlock"),
    ("restart workaround lasso", no_loop, "it is neither a lasso nor ends in a deadlock"),
    # the prefix cut: a witness no longer reaches its target, a counterexample no longer breaks it
    ("symptom witness", cut(-1), "its last state is not a target state"),
    ("stuck witness", cut(-2), "its last state is not a target state"),
    ("stuck witness", cut(1), "holds(0) can still be reached without AdminRestart from its last state"),
    ("recoverable counterexample", cut(5), "holds(0) can still be reached from its last state"),
    ("duplicate address", cut(-1), "its last state does not break the invariant"),
    # a property the configuration does not have: AdminRestart needs --restart
    ("recovery lasso", claim(prop="kb_restart_workaround"), "the configuration has no such property"),
    ("release workaround lasso", claim(prop="kb_restart_workaround"), "it needs --restart"),
    # a claim in part
    ("recovery lasso", claim(verdict=None), "a claim needs both a property and a verdict"),
    ("recovery lasso", claim(prop=None), "a claim needs both a property and a verdict"),
]


@pytest.mark.parametrize(("trace", "change", "reason"), TAMPERED,
                         ids=[f"{t}-{r[:40]}" for t, _, r in TAMPERED])
def test_a_claim_the_states_do_not_show_is_refused_naming_the_mismatch(genuine, tmp_path, trace, change,
                                                                         reason) -> None:
    doc = copy.deepcopy(genuine[trace])
    change(doc)
    err = refused(write(tmp_path, doc))
    assert "which the trace does not show" in err and reason in err, err
    assert "recorded as" in err


@pytest.mark.parametrize("name", ["recovery2", "", "Recovery", "kb_symptom "])
def test_unknown_property_names_are_refused(genuine, tmp_path, name) -> None:
    doc = copy.deepcopy(genuine["recovery lasso"])
    claim(prop=name)(doc)
    assert "not one of the model's" in refused(write(tmp_path, doc))


def _nt40_renewal_lasso() -> tuple[Config, Trace]:
    """NT 4.0: the client is bound, renews, is acknowledged, and is bound again, forever: a fair
    lasso of the model whose loop visits holds(0)."""
    cfg = Config(variant="nt40")
    system = dhcp_system(cfg)
    steps = [Step(None, (), "", system.initial)]
    for action in ("Discover", "ServeDiscover", "RecvOffer", "ServeRequest", "RecvAck", "T1", "ServeRequest",
                   "RecvAck"):
        (nxt,) = successor_by(system, steps[-1].state, action, (0,))
        steps.append(Step(action, (0,), "", nxt))
    trace = Trace(tuple(steps), loop_start=5)
    replay(system, trace)  # a fair lasso of the model
    return cfg, trace


def test_a_real_nt40_lasso_whose_loop_holds_a_lease_is_not_a_recovery_counterexample(tmp_path) -> None:
    cfg, trace = _nt40_renewal_lasso()
    system = dhcp_system(cfg)
    plain = write(tmp_path, itf_document(system, cfg, trace))
    code, out, err = run("replay", str(plain), "--format", "text")
    assert code == 0, err
    assert "no claim recorded" in out and "recorded as" not in out
    for prop in ("recovery", "kb_release_workaround"):
        doc = itf_document(system, cfg, trace, prop=prop, client=0, verdict="violated")
        err = refused(write(tmp_path, doc))
        assert ("holds(0) is true at step 5, in the loop" if prop == "recovery" else "never takes Release(0)") in err


@pytest.mark.parametrize("bound", ["states", "work"])
def test_a_stuck_state_not_settled_within_the_search_bound_is_refused_as_unconfirmed(genuine, tmp_path,
                                                                                     monkeypatch, bound) -> None:
    for name in ("stuck witness", "recoverable counterexample"):
        path = write(tmp_path, genuine[name])
        assert run("replay", str(path))[0] == 0
        if bound == "states":
            monkeypatch.setattr(replay_module, "CONFIRM_SEARCH_LIMIT", 3)
        else:  # the work a file may ask for: states times the model's commands
            commands = len(dhcp_system(NT35).commands)
            monkeypatch.setattr(replay_module, "CLAIM_SEARCH_WORK", 3 * commands + commands // 2)
        err = refused(path)
        assert "was not settled within 3 states; the claim could not be confirmed" in err
        monkeypatch.undo()


def test_the_engines_confirm_with_the_same_check() -> None:
    # the engine's own check refuses what replay refuses: a lasso whose loop holds a lease
    cfg, trace = _nt40_renewal_lasso()
    system = dhcp_system(cfg)
    (recovery,) = dhcp_properties(system, cfg, ["recovery"])
    with pytest.raises(UnconfirmedTrace, match="holds\\(0\\) is true at step 5, in the loop"):
        confirm(system, recovery, Verdict.VIOLATED, trace)
    with pytest.raises(UnconfirmedTrace, match="a trace can show only that recovery is violated"):
        confirm(system, recovery, Verdict.HOLDS, trace)


def test_the_api_refuses_the_same_claims(genuine, tmp_path) -> None:
    import leasecheck

    doc = copy.deepcopy(genuine["recovery lasso"])
    no_loop(doc)
    with pytest.raises(ClaimNotShown, match="neither a lasso nor ends in a deadlock"):
        leasecheck.replay(write(tmp_path, doc))
    assert leasecheck.replay(write(tmp_path, genuine["recovery lasso"])).property == "recovery"


def test_a_chart_name_is_refused_before_the_trace_is_printed(genuine, tmp_path) -> None:
    path = write(tmp_path, genuine["recovery lasso"])
    for chart, reason in (("x.bmp", "use a file ending in .svg"), (str(tmp_path / "no" / "x.svg"), "no folder")):
        code, out, err = run("replay", str(path), "--chart", chart)
        assert code == 2 and out == "" and reason in err, (code, out[:200], err)


def test_the_chart_is_titled_with_the_confirmed_claim_not_the_files_description(genuine, tmp_path) -> None:
    doc = copy.deepcopy(genuine["recovery lasso"])
    doc["#meta"]["description"] = "recovery, client 0: holds (proved)"
    picture = tmp_path / "t.svg"
    code, _, err = run("replay", str(write(tmp_path, doc)), "--format", "text", "--chart", str(picture))
    assert code == 0, err
    text = picture.read_text()
    assert "recovery, client 0: violated (counterexample)" in text and "proved" not in text


def test_an_after_action_lasso_whose_loop_holds_a_lease_before_the_action_is_refused(tmp_path) -> None:
    # NT 4.0 without deletes: acknowledged, bound (holds(0)), released, and acknowledged again,
    # forever. The loop starts before the Release, so the bound state recurs after it.
    cfg = Config(variant="nt40", deletes=0)
    system = dhcp_system(cfg)
    steps = [Step(None, (), "", system.initial)]
    for action in ("Discover", "ServeDiscover", "RecvOffer", "ServeRequest", "RecvAck", "Release", "ServeRelease",
                   "Discover", "ServeDiscover", "RecvOffer", "ServeRequest"):
        (nxt,) = successor_by(system, steps[-1].state, action, (0,))
        steps.append(Step(action, (0,), "", nxt))
    trace = Trace(tuple(steps), loop_start=4)
    replay(system, trace)  # a fair lasso of the model
    (release,) = dhcp_properties(system, cfg, ["kb_release_workaround"])
    with pytest.raises(UnconfirmedTrace, match="holds\\(0\\) is true at step 5, in the loop"):
        confirm(system, release, Verdict.VIOLATED, trace)
    doc = itf_document(system, cfg, trace, prop="kb_release_workaround", client=0, verdict="violated")
    assert "holds(0) is true at step 5, in the loop" in refused(write(tmp_path, doc))
