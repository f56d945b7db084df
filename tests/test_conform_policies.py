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
