"""Every measured cell of the reality matrix, from its recorded capture.

``tests/data/matrix/results.jsonl`` is the matrix as ``leasecheck conform --matrix`` measured it
here (docs/conformance.md); ``tests/data/matrix/captures/`` holds the capture of each measured cell
with its sidecar. Each capture is judged again, under every client mode, and must be explained
exactly as it was when it was measured; a few findings are also pinned by hand, so that a change
of the model or of the classification that changes what the documented matrix says fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leasecheck.checker.conform.matrix import (
    FAILED,
    MEASURED,
    UNAVAILABLE,
    CellResult,
    classify_cell,
    known_lost,
    read_results,
)
from leasecheck.checker.conform.matrix_render import label
from leasecheck.checker.conform.scenarios import scenario

DATA = Path(__file__).parent / "data" / "matrix"
CELLS = read_results(DATA / "results.jsonl")
MEASURED_CELLS = [c for c in CELLS if c.status == MEASURED]


def test_the_recorded_matrix_is_at_least_five_by_five_by_four() -> None:
    servers = {c.server for c in MEASURED_CELLS}
    clients = {c.client for c in MEASURED_CELLS}
    scenarios = {c.scenario for c in MEASURED_CELLS}
    assert len(servers) >= 5 and len(clients) >= 5 and len(scenarios) >= 4
    for cell in CELLS:  # a cell without a verdict says why
        assert cell.status in (MEASURED, FAILED, UNAVAILABLE)
        if cell.status != MEASURED:
            assert cell.reason


def _sample(cells: list[CellResult]) -> set[tuple[str, str, str]]:
    """The README's test command judges the first measured cell of each server, client and
    scenario; ``pytest -m sweep`` every measured cell."""
    first: dict[tuple[str, str], tuple[str, str, str]] = {}
    for c in cells:
        for kind, name in (("server", c.server), ("client", c.client), ("scenario", c.scenario)):
            first.setdefault((kind, name), c.key)
    return set(first.values())


SAMPLE = _sample(MEASURED_CELLS)


@pytest.mark.slow  # all together about half a minute
@pytest.mark.parametrize("cell", [pytest.param(c, marks=() if c.key in SAMPLE else pytest.mark.sweep)
                                  for c in MEASURED_CELLS], ids=[f"{c.server}-{c.client}-{c.scenario}" for c in MEASURED_CELLS])
def test_a_recorded_capture_is_explained_as_it_was_measured(cell: CellResult) -> None:
    assert cell.capture is not None
    pcap = DATA / "captures" / cell.capture
    meta = json.loads(pcap.with_name(pcap.name + ".json").read_text())
    assert (meta["server"], meta["client"], meta["scenario"]) == cell.key
    observed, explanations = classify_cell(pcap.read_bytes(), scenario(cell.scenario), meta.get("delete_time"),
                                          cell.server)
    assert observed == cell.observed
    assert explanations == cell.explanations
    assert known_lost(pcap.read_bytes(), cell.marks) == cell.known_lost


def _cell(server: str, client: str, name: str) -> CellResult:
    for c in MEASURED_CELLS:
        if c.key == (server, client, name):
            return c
    pytest.skip(f"{server} x {client} x {name} is not measured in the recorded matrix")


@pytest.mark.parametrize(("server", "client", "name", "expected"), [
    # the KB scenario: dnsmasq NAKs a renewal of a deleted lease; nt40 answers the same to it
    ("dnsmasq", "udhcpc", "delete-renew", "nt40, dnsmasq"),
    # dhcpcd 9.4.1, networkd and NetworkManager ignore that NAK while renewing: explained without a
    # loss only by that client mode, and then only by dnsmasq, which is silent to their rebinding
    ("dnsmasq", "dhcpcd", "delete-renew", "dnsmasq [ignore-while-renewing]"),
    ("dnsmasq", "systemd-networkd", "delete-renew", "dnsmasq [ignore-while-renewing]"),
    ("dnsmasq", "networkmanager", "restart-lost", "dnsmasq [ignore-while-renewing]"),
    # dnsmasq is silent to a rebinding request for a deleted lease (nt40 would NAK it)
    ("dnsmasq", "dhclient", "delete-rebind", "nt35, rfc2131, dnsmasq"),
    # udhcpd is silent to a renewal of a lease it lost, and NAKs an INIT-REBOOT request for it
    ("udhcpd", "dhclient", "delete-renew", "nt35, rfc2131"),
    ("udhcpd", "dhcpcd", "reboot-after-delete", "nt40"),
    # a client that starts from INIT after an unanswered INIT-REBOOT request: explained only by that
    # client mode (Kea is silent to an INIT-REBOOT request for a lease it lost)
    ("kea", "dhclient", "reboot-after-delete", "rfc2131, dnsmasq [obey, reboot discover-on-silence]"),
    ("dnsmasq", "networkmanager", "reboot-after-delete", "rfc2131, dnsmasq [obey, reboot discover-on-silence]"),
    # a client that keeps no lease across a restart: DISCOVER at once, explained by the forget mode
    ("dnsmasq", "udhcpc", "reboot-after-delete", "nt40, rfc2131, dnsmasq, authoritative [obey, reboot forget]"),
    ("udhcpd", "systemd-networkd", "reboot-after-delete",
     "nt35, nt40, rfc2131, dnsmasq, authoritative [obey, reboot forget]"),
    # dnsmasq --dhcp-authoritative ACKs even an INIT-REBOOT request for a deleted lease
    ("dnsmasq-auth", "dhclient", "reboot-after-delete", "authoritative"),
    # ISC dhcpd, authoritative: the freed lease is given back to its client
    ("isc-dhcpd-auth", "udhcpc", "delete-renew", "authoritative"),
    # an INIT-REBOOT request for a deleted lease: dhclient keeps its lease file
    ("isc-dhcpd-auth", "dhclient", "reboot-after-delete", "authoritative"),
])
def test_pinned_findings_of_the_matrix(server: str, client: str, name: str, expected: str) -> None:
    assert label(_cell(server, client, name)) == expected
