"""The server policies that explain a real server's measured matrix cells, all of them at once."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform.matrix import MEASURED, read_results
from leasecheck.checker.conform.policies import server_policies
from leasecheck.model.policy import policy_name, policy_space

DATA = Path(__file__).parent / "data"
MATRIX = DATA / "matrix"
NAMED = ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")


def test_the_named_variants_fit_a_server_s_cells_as_the_matrix_recorded() -> None:
    """Judged again under the five named variants, two recorded cells of busybox udhcpd give the
    variants of the simplest explanation the matrix recorded, and what fits both is what each
    cell's modes allow."""
    cells = [c for c in read_results(MATRIX / "results.jsonl") if c.server == "udhcpd" and c.status == MEASURED
             and c.scenario in ("delete-renew", "lost-ack") and c.client == "udhcpc"]
    assert len(cells) == 2
    got = server_policies(cells, MATRIX / "captures", "udhcpd", NAMED)
    simplest = [set(best[1]) for c in cells if (best := c.best()) is not None]
    assert len(simplest) == 2
    assert [set(fit) for _c, _s, fit in got.per_cell] == simplest
    assert {f.policy for f in got.fits} == simplest[0] & simplest[1]
    for fit in got.fits:
        for (client, name, mode), cell in zip(fit.modes, cells, strict=True):
            assert (client, name) == (cell.client, cell.scenario) and fit.policy in cell.explained(mode)


def test_a_policy_written_out_is_judged_as_its_named_variant() -> None:
    cells = [c for c in read_results(MATRIX / "results.jsonl") if c.server == "dnsmasq" and c.status == MEASURED
             and c.scenario == "delete-renew" and c.client == "udhcpc"]
    written = [p.spec() for p in policy_space() if policy_name(p) in ("nt40", "dnsmasq")]
    got = server_policies(cells, MATRIX / "captures", "dnsmasq", written)
    named = server_policies(cells, MATRIX / "captures", "dnsmasq", ("nt40", "dnsmasq"))
    assert [len(fit) for _c, _s, fit in got.per_cell] == [len(fit) for _c, _s, fit in named.per_cell] == [2]


@pytest.mark.parametrize("judge", ["whole", "per-client"])
def test_conform_pcap_with_policies_names_every_policy_that_explains_the_capture(judge: str) -> None:
    """dnsmasq NAKs dhclient's renewal of the deleted lease: every policy that NAKs a renewal and
    clears its record explains it (nt40 and dnsmasq among them), named or written out."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--pcap", str(DATA / "dnsmasq-dhclient.pcap"), "--policies", "--judge", judge], out, err)
    assert code == 0, err.getvalue()
    line = next(line for line in out.getvalue().splitlines() if line.startswith("consistent with: "))
    named = set(line.removeprefix("consistent with: ").split(", "))
    expected = {policy_name(p) for p in policy_space() if p.renewing == "nak" and p.delete == "clear-record"}
    assert named == expected and {"nt40", "dnsmasq"} <= named and len(named) == 9


def test_conform_matrix_with_policies_writes_the_policies_of_each_server(tmp_path: Path) -> None:
    """A resumed matrix (every cell already measured) judges its cells under every policy and
    writes policies.md: busybox udhcpd's renewal after a delete and its lost ACK are explained by
    rfc2131 and nt35 (silent), never by authoritative (which ACKs the renewal of a deleted lease)."""
    shutil.copytree(MATRIX, tmp_path / "m")
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--matrix", "--server", "udhcpd", "--client", "udhcpc", "--scenario",
                 "delete-renew,lost-ack", "--policies", "--out-dir", str(tmp_path / "m"), "--quiet"], out, err)
    assert code == 0, err.getvalue()
    row = next(line for line in (tmp_path / "m" / "policies.md").read_text().splitlines() if line.startswith("| udhcpd"))
    assert "| 2 |" in row and "`rfc2131` (obey)" in row and "`nt35` (obey)" in row and "`authoritative`" not in row
    head = (tmp_path / "m" / "policies.md").read_text().splitlines()[0]
    assert head.endswith("| recovery | no_duplicate_address | recovers in every network checked |")
    assert "`rfc2131`: holds at 1x1, 2x2, 3x3; proved for every network" in row and "`nt35`: violated from 1x1" in row
    assert "undecided: " in row and "(the lasso: `leasecheck check --variant nt35 --clients 1 --addresses 1" in row


@pytest.mark.sweep  # two cells judged three times under the 54 policies: tens of seconds; the README's test command keeps
# test_steppers_keep_at_most_their_limit_the_least_recently_used_dropped and the matrix judged with shared steppers
# (test_conform_matrix_with_policies_writes_the_policies_of_each_server)
def test_cells_judged_with_shared_steppers_build_each_configuration_once() -> None:
    """A matrix's cells are judged under the same configurations again and again (54 policies,
    each client mode, each loss budget): a shared set of compiled systems builds each once, and
    the cells' explanations are those judged with a fresh set each time."""
    from leasecheck.checker.conform.matrix import classify_cell
    from leasecheck.checker.conform.scenarios import scenario
    from leasecheck.checker.conform.validate import Steppers

    cells = [c for c in read_results(MATRIX / "results.jsonl") if c.server == "udhcpd" and c.status == MEASURED
             and c.client in ("udhcpc", "dhclient") and c.scenario == "delete-renew"]
    assert len(cells) == 2
    shared = Steppers()
    names = [policy_name(p) for p in policy_space()]
    first = [classify_cell((MATRIX / "captures" / str(c.capture)).read_bytes(), scenario(c.scenario), c.delete_time,
                           c.server, names, shared) for c in cells]
    built = len(shared)
    assert 54 <= built < 2 * 54 * (scenario("delete-renew").losses + 1)
    again = [classify_cell((MATRIX / "captures" / str(c.capture)).read_bytes(), scenario(c.scenario), c.delete_time,
                           c.server, names, shared) for c in cells]
    assert len(shared) == built and again == first
    fresh = [classify_cell((MATRIX / "captures" / str(c.capture)).read_bytes(), scenario(c.scenario), c.delete_time,
                           c.server, names) for c in cells]
    assert fresh == first


def test_steppers_keep_at_most_their_limit_the_least_recently_used_dropped() -> None:
    from leasecheck.checker.conform.validate import Steppers
    from leasecheck.model.dhcp import Config

    memo = Steppers(limit=2)
    a, b, c = (Config(variant=v) for v in ("nt35", "nt40", "rfc2131"))
    first = memo.get(a)
    memo.get(b)
    assert memo.get(a) is first
    memo.get(c)  # b was used least recently
    assert len(memo) == 2 and memo.get(a) is first


# -- what the model decides of the policies that explain a server -------------------------------

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = [ROOT / "docs" / "policies" / "sweep-1x1-2x2.jsonl", ROOT / "docs" / "policies" / "sweep-3x3.jsonl"]
CERTIFICATES = sorted((DATA / "certificates").glob("*.smt2"))
KEEPS, CLEARS = ("renewing=silent,rebinding=silent,rebooting=nak,delete=keep-record",
                 "renewing=silent,rebinding=silent,rebooting=nak,delete=clear-record")


@pytest.fixture(scope="module")
def verdicts():
    from leasecheck.checker.conform.verdicts import model_verdicts

    return model_verdicts(SWEEPS, CERTIFICATES)


def test_a_policy_recovers_at_every_size_swept_exactly_when_it_clears_the_record(verdicts) -> None:
    """The sweeps' finding (docs/policies.md), read back per policy: a kept record deadlocks from
    1x1 with one delete, and the lasso's command is that smallest point; no policy keeps
    no_duplicate_address with a delete, from 2x2 on."""
    assert verdicts.sizes == ("1x1", "2x2", "3x3")
    for p in policy_space():
        name = policy_name(p)
        recovery = verdicts.verdict(name, "recovery")
        assert [s.size for s in recovery.sizes] == ["1x1", "2x2", "3x3"] and all(s.points == 16 for s in recovery.sizes)
        first = recovery.first_violation
        if p.keeps_record:
            assert first is not None and (first.size, first.deletes, first.losses, first.reboots) == ("1x1", 1, 0, 0)
            assert recovery.words().startswith("violated from 1x1")
        else:
            assert first is None and recovery.holds_everywhere and recovery.words().startswith("holds at 1x1, 2x2, 3x3")
        duplicate = verdicts.verdict(name, "no_duplicate_address").first_violation
        assert duplicate is not None and duplicate.size == "2x2" and duplicate.deletes == 1


def test_the_lasso_command_prints_the_deadlock(verdicts) -> None:
    import shlex

    first = verdicts.verdict(KEEPS, "recovery").first_violation
    assert first is not None
    command = first.check_command(KEEPS, "recovery")
    out, err = io.StringIO(), io.StringIO()
    assert main(shlex.split(command)[1:], out, err) == 1, err.getvalue()
    assert "recovery  0       violated" in out.getvalue() and "-- loop:" in out.getvalue()


def test_the_all_sizes_certificates_are_named_beside_their_policy_and_budget(verdicts) -> None:
    nt40 = verdicts.verdict("nt40", "recovery")
    assert [(p.deletes, p.losses, p.reboots, p.restart, p.any_budget) for p in nt40.proofs] == [
        (1, 0, 0, False, False), (1, 0, 0, True, True), (1, 0, 0, False, True)]
    assert "proved for every network (D=1 L=0 R=0)" in nt40.words() and "nt40-recovery-D1.smt2" in nt40.words()
    assert "recovers after any number of disturbances (every budget, restart): " in nt40.words()
    dnsmasq = verdicts.verdict("dnsmasq", "recovery")
    assert "recovers after any number of disturbances (every budget): " in dnsmasq.words()
    rfc2131 = verdicts.verdict("rfc2131", "recovery").proofs
    assert [(Path(p.path).name, p.any_budget) for p in rfc2131] == [("rfc2131-recovery-D1.smt2", False),
                                                                    ("rfc2131-recovery-any-restart.smt2", True),
                                                                    ("rfc2131-recovery-any.smt2", True)]
    authoritative = verdicts.verdict("authoritative", "recovery")
    assert "recovers after any number of disturbances (every budget, restart): " in authoritative.words()
    duplicate = verdicts.verdict("nt40", "no_duplicate_address")
    assert [p.deletes for p in duplicate.proofs] == [0] and duplicate.first_violation is not None
    assert verdicts.verdict(CLEARS, "recovery").proofs == ()


def test_a_recovery_certificate_for_every_budget_says_it_recovers_after_any_number_of_disturbances(tmp_path: Path) -> None:
    import json
    import re

    from leasecheck.checker.conform.verdicts import read_certificates

    text = (DATA / "certificates" / "nt40-recovery-D1.smt2").read_text()
    for any_budget, restart in ((False, False), (True, False), (True, True)):
        doc = json.loads(re.search(r"\(set-info :leasecheck-certificate \|(.*)\|\)", text).group(1))  # type: ignore[union-attr]
        doc = {**doc, "any_budget": any_budget, "config": {**doc["config"], "restart": restart}}
        path = tmp_path / f"nt40-recovery-{any_budget}-{restart}.smt2"
        line = f"(set-info :leasecheck-certificate |{json.dumps(doc)}|)"
        path.write_text(re.sub(r"\(set-info :leasecheck-certificate \|.*\|\)", lambda _, line=line: line, text))
        (proof,) = read_certificates([path])[("nt40", "recovery")]
        words = proof.words()
        if any_budget:
            assert words.startswith("proved for every network: recovers after any number of disturbances (every budget")
            assert words.endswith(f"budget{', restart' if restart else ''}): {path}")
        else:
            assert words == f"proved for every network (D=1 L=0 R=0): {path}"


def test_a_sweep_record_that_is_not_one_is_refused_with_its_line(tmp_path: Path) -> None:
    from leasecheck.checker.conform.verdicts import VerdictsError, model_verdicts

    lines = SWEEPS[0].read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], lines[1], lines[2].replace('"holds"', '"perhaps"', 1)]) + "\n")
    with pytest.raises(VerdictsError, match=r"bad.jsonl: line 3 has verdicts"):
        model_verdicts([bad])
    bad.write_text("\n".join(lines[1:3]) + "\n")
    with pytest.raises(VerdictsError, match=r"line 1 is not the header"):
        model_verdicts([bad])
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--pcap", str(DATA / "dnsmasq-dhclient.pcap"), "--policies", "--sweep", str(bad)], out, err)
    assert code == 2 and len(err.getvalue().strip().splitlines()) == 1 and "line 1" in err.getvalue()


def test_a_server_whose_policies_differ_in_recovery_is_undecided_with_a_lasso(verdicts) -> None:
    """busybox udhcpd: a policy that keeps the deleted client's record and one that clears it both
    explain every cell (a kept record is silence on the wire); one deadlocks, the other recovers."""
    from leasecheck.checker.conform.policies import recovers

    cells = read_results(MATRIX / "results.jsonl")
    got = server_policies(cells, MATRIX / "captures", "udhcpd", [KEEPS, CLEARS])
    assert [f.policy for f in got.fits] == [KEEPS, CLEARS]
    answer = recovers(got, verdicts)
    assert answer.answer == "undecided" and "1 of the 2 policies" in answer.words
    assert answer.lasso == f"leasecheck check --variant {KEEPS} --clients 1 --addresses 1 --deletes 1 --property recovery"
    alone = server_policies(cells, MATRIX / "captures", "udhcpd", [CLEARS])
    assert recovers(alone, verdicts).answer == "yes" and recovers(alone, verdicts).lasso == ""


def test_when_no_policy_explains_every_cell_the_closest_are_shown_with_the_cells_they_miss(verdicts) -> None:
    """Of nt35 and nt40 neither explains udhcpd (nt35 is silent to INIT-REBOOT, nt40 NAKs the
    renewal): the one that explains more cells is shown, with its client modes and what it misses."""
    from leasecheck.checker.conform.policies import recovers, render_server_policies

    cells = read_results(MATRIX / "results.jsonl")
    got = server_policies(cells, MATRIX / "captures", "udhcpd", ["nt35", "nt40"])
    assert got.fits == () and got.closest
    explained = {name: sum(1 for _c, _s, fit in got.per_cell if name in fit) for name in ("nt35", "nt40")}
    assert {f.policy for f in got.closest} == {n for n, k in explained.items() if k == max(explained.values())}
    for f in got.closest:
        assert len(f.modes) + len(f.missed) == len(got.cells) and f.missed
    text = render_server_policies([got], verdicts)
    assert "no policy explains every one; the closest" in text and "does not explain: " in text
    assert recovers(got, verdicts).answer in ("yes", "no", "undecided")


@pytest.mark.sweep  # udhcpd's 30 cells under the 54 policies: tens of seconds
def test_conform_recorded_prints_each_server_s_policies_with_their_verdicts() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--matrix", "--policies", "--recorded", str(MATRIX), "--server", "udhcpd", "--quiet"], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "== udhcpd: 30 measured cells; 10 of the 54 policies explain every one ==" in text
    assert "recovers in every network checked: undecided: 9 of the 10 policies" in text
    assert "  the lasso: leasecheck check --variant renewing=silent,rebinding=silent,rebooting=nak,delete=keep-record " in text
    assert "  recovery: violated from 1x1" in text and "  no_duplicate_address: violated from 2x2" in text


@pytest.mark.parametrize("args", [["--recorded", "tests/data/matrix", "--matrix"],
                                  ["--recorded", "tests/data/matrix", "--policies"],
                                  ["--recorded", "tests/data/matrix", "--matrix", "--policies", "--client", "udhcpc"],
                                  ["--recorded", "nowhere", "--matrix", "--policies"],
                                  ["--pcap", "tests/data/dnsmasq-dhclient.pcap", "--sweep", "x.jsonl"]])
def test_conform_recorded_and_sweep_refuse_what_does_not_go_with_them(args: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["conform", *args], out, err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1


def test_conform_pcap_with_policies_shows_what_the_model_decides_of_each() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--pcap", str(DATA / "dnsmasq-dhclient.pcap"), "--policies"], out, err)
    assert code == 0, err.getvalue()
    text = out.getvalue().split("what the model decides of the consistent policies", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith(("nt40 ", "dnsmasq "))]
    assert len(rows) == 2 and all("holds at 1x1, 2x2, 3x3" in r and "violated from 2x2" in r for r in rows)
    assert "nt40-recovery-D1.smt2" in next(r for r in rows if r.startswith("nt40"))
    assert "the lasso of" not in text  # the nine clear the record: each recovers


def test_the_policies_of_a_server_as_json_carry_the_verdicts_and_the_lasso(verdicts) -> None:
    import json

    from leasecheck.checker.conform.policies import server_policies_json

    cells = read_results(MATRIX / "results.jsonl")
    got = server_policies(cells, MATRIX / "captures", "udhcpd", [KEEPS, CLEARS])
    doc = json.loads(json.dumps(server_policies_json([got], verdicts)))
    assert doc["sizes"] == ["1x1", "2x2", "3x3"]
    (server,) = doc["servers"]
    assert server["server"] == "udhcpd" and len(server["cells"]) == 30
    keeps, clears = server["policies"]
    assert (keeps["policy"], clears["policy"]) == (KEEPS, CLEARS)
    assert keeps["recovery"]["first_violation"]["command"] == server["recovers"]["lasso"]
    assert clears["recovery"]["first_violation"] is None and [s["violated"] for s in clears["recovery"]["sizes"]] == [0, 0, 0]
    assert clears["no_duplicate_address"]["first_violation"]["clients"] == 2
    assert server["recovers"]["answer"] == "undecided" and len(keeps["client_modes"]) == 30


def test_a_server_whose_policies_are_proved_to_recover_in_every_network_is_told_so() -> None:
    """With the policy table's certificates (docs/policies/certificates), udhcpd's policy that clears
    the record recovers at every point swept and is proved to in every network with one delete;
    without them, only the points swept are claimed."""
    from leasecheck.checker.conform.policies import recovers
    from leasecheck.checker.conform.verdicts import model_verdicts

    table = sorted((ROOT / "docs" / "policies" / "certificates").glob("*.smt2"))
    alone = server_policies(read_results(MATRIX / "results.jsonl"), MATRIX / "captures", "udhcpd", [CLEARS])
    proved = recovers(alone, model_verdicts(SWEEPS, [*CERTIFICATES, *table]))
    assert proved.answer == "yes" and "in every network with A >= C, proved for D=1 L=0 R=0" in proved.words
    swept = recovers(alone, model_verdicts(SWEEPS, CERTIFICATES))
    assert swept.answer == "yes" and "every network" not in swept.words


def test_a_server_proved_to_recover_for_every_budget_with_and_without_restarts_is_told_so_once() -> None:
    """dnsmasq's policy has a certificate for every budget with restarts and one without: the
    server's line names the two together, and says it recovers after any number of disturbances."""
    from leasecheck.checker.conform.policies import recovers
    from leasecheck.checker.conform.verdicts import model_verdicts

    alone = server_policies(read_results(MATRIX / "results.jsonl"), MATRIX / "captures", "dnsmasq", ["dnsmasq"])
    said = recovers(alone, model_verdicts(SWEEPS, CERTIFICATES))
    assert said.answer == "yes", said
    assert "proved for every budget (restart off and on) (the certificate" in said.words, said.words
    assert "every budget, restart" not in said.words
    assert said.words.endswith("so it recovers after any number of disturbances")
