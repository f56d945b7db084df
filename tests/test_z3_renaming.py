"""Client 1's results are client 0's, renamed, and checked as if they were new.

- Renaming clients maps every transition of the model to a transition, and the initial state to
  itself: the symmetry the engine relies on is the model's.
- For nt40 at 2x2, client 1's certificate is client 0's with clients 0 and 1 swapped; it
  re-checks against client 1's own goal, and client 0's certificate left unrenamed does not.
- For nt35 with two clients, client 1's lasso is client 0's renamed, and it replays.
- The same holds for a per-client reachability target: a proof that ``kb_symptom`` is
  unreachable (nt40) and a shortest witness that it is reachable (nt35).
"""

from __future__ import annotations

import pytest

from leasecheck.checker.explicit.explore import explore
from leasecheck.checker.results import Method
from leasecheck.checker.symmetry import SymmetryError, client_renaming, client_swap
from leasecheck.checker.z3 import horn, ranking
from leasecheck.checker.z3.engine import Z3Options, z3_run
from leasecheck.model import interp
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model, dhcp_properties
from leasecheck.properties.spec import Recovery, Verdict

OPTIONS = Z3Options(depth=20, timeout=120)


@pytest.mark.parametrize("cfg", [Config(clients=2, addresses=1, variant="nt35", restart=True),
                                 *(pytest.param(cfg, marks=pytest.mark.sweep)
                                   for cfg in (Config(clients=2, addresses=2, variant="nt35", restart=True),
                                               Config(clients=3, addresses=1, variant="rfc2131")))],
                         ids=lambda c: c.describe())
def test_renaming_clients_maps_every_transition_to_a_transition(cfg: Config) -> None:
    system = dhcp_system(cfg)
    swap = client_swap(system, 1)
    assert swap.state(system.initial) == system.initial
    graph = explore(system)
    assert graph.complete
    # each state's successors by the interpreter, once: the renamed state of a reachable state is
    # another reachable state when the renaming is a symmetry, and its successors are then looked up
    successors = {tuple(state): {s for _, s in interp.successors(system, tuple(state))} for state in graph.states}
    for state, theirs in successors.items():
        renamed = swap.state(state)
        mine = successors.get(renamed)
        if mine is None:
            mine = {s for _, s in interp.successors(system, renamed)}
        assert {swap.state(s) for s in theirs} == mine, state


def test_a_renaming_that_is_no_permutation_is_refused() -> None:
    with pytest.raises(SymmetryError):
        client_renaming(dhcp_system(Config(clients=2, addresses=1, variant="nt40")), (0, 0))


@pytest.mark.sweep
def test_client_one_gets_client_zeros_certificate_renamed_and_it_rechecks() -> None:
    cfg = Config(clients=2, addresses=2, variant="nt40")
    run = z3_run(dhcp_model(cfg), ["recovery"], OPTIONS)
    first, second = run.report.results
    assert first.verdict is second.verdict is Verdict.HOLDS
    assert first.method is second.method is Method.RANKING
    assert second.renamed_from == 0 and first.renamed_from is None
    zero, one = (c.certificate for c in run.certificates)
    assert horn.recheck(one) is None
    # client 0's certificate as it is, stated for client 1's goal: the re-check refuses it
    system = dhcp_system(cfg)
    prop = dhcp_properties(system, cfg, ["recovery"])[1]
    assert isinstance(prop, Recovery) and prop.client == 1
    from leasecheck.checker.z3.translate import Translator

    levels = len(zero.formulas) - 1
    unrenamed = horn.Certificate(
        ranking.ranking_problem(Translator(system, bitvectors=True), prop.goal, [ranking.Level(None, ())] * levels, prop.statement),
        zero.formulas)
    assert horn.recheck(unrenamed) is not None


def test_client_one_gets_client_zeros_lasso_renamed_and_it_replays() -> None:
    run = z3_run(dhcp_model(Config(clients=2, addresses=1, variant="nt40")), ["recovery"], OPTIONS)  # one address: the other client may keep it
    first, second = run.report.results
    assert first.verdict is second.verdict is Verdict.VIOLATED
    assert first.trace is not None and second.trace is not None and second.trace.is_lasso
    assert len(first.trace) == len(second.trace) and second.renamed_from == 0 and second.method is first.method
    swap = client_swap(dhcp_system(Config(clients=2, addresses=1, variant="nt40")), 1)
    assert [swap.state(s.state) for s in first.trace.steps] == [s.state for s in second.trace.steps]


@pytest.mark.sweep
def test_client_one_gets_client_zeros_safety_results_renamed() -> None:
    proved = z3_run(dhcp_model(Config(clients=2, addresses=1, variant="nt40")), ["kb_symptom"], OPTIONS)
    first, second = proved.report.results
    assert first.verdict is second.verdict is Verdict.VIOLATED  # unreachable: the KB symptom never occurs
    assert second.renamed_from == 0 and first.renamed_from is None and second.method is first.method
    assert len(proved.certificates) == 2 and all(horn.recheck(c.certificate) is None for c in proved.certificates)
    found = z3_run(dhcp_model(Config(clients=2, addresses=1, variant="nt35")), ["kb_symptom"], OPTIONS)
    first, second = found.report.results
    assert first.verdict is second.verdict is Verdict.HOLDS and first.method is second.method is Method.BMC
    assert second.renamed_from == 0 and first.renamed_from is None
    assert first.trace is not None and second.trace is not None and len(first.trace) == len(second.trace)
    swap = client_swap(dhcp_system(Config(clients=2, addresses=1, variant="nt35")), 1)
    assert [swap.state(s.state) for s in first.trace.steps] == [s.state for s in second.trace.steps]
