"""Crowds of real clients on one bridge against one real server, with lease deletes, client
reboots and a server restart with its lease table lost (``leasecheck conform --crowd``).

``tests/data/crowd/`` holds small crowds as they were recorded here (50 clients, about a minute
of traffic; docs/conformance.md, "Crowds", says what each shows): each capture with its sidecar
(``FILE.json``, the format of every capture) and the harness's log (``FILE.crowd.json``: the
clients and each operation with its moment). Each capture is judged again client by client and
must read as documented; larger crowds are run live (the ``live`` tier).
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform.classify import Classifier, DhcpPacket, Observed, decode
from leasecheck.checker.conform.crowd import Crowd, member_mac, run_crowd
from leasecheck.checker.conform.pcap import read_udp
from leasecheck.checker.conform.perclient import PerClientReport, judge_packets
from leasecheck.model.values import Nak
from tests.children import default_signals

DATA = Path(__file__).parent / "data" / "crowd"
CAPTURES = sorted(DATA.glob("*.pcap"))


def _log(pcap: Path) -> dict[str, Any]:
    return json.loads(pcap.with_name(pcap.name + ".crowd.json").read_text())


def _messages(pcap: Path) -> tuple[list[Observed], list[str]]:
    """The capture's DHCP messages, and the hardware address of each client number."""
    classifier = Classifier(strict=False)
    got = [o for o in map(classifier.feed, read_udp(pcap.read_bytes())) if isinstance(o, Observed)]
    return got, list(classifier.ids.macs)


def _judge(pcap: Path, **options: Any) -> PerClientReport:
    return judge_packets(((pcap.name, p) for p in read_udp(pcap.read_bytes())), label=pcap.name, **options)


def _marks(log: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return [m for m in log["marks"] if m["step"] == step]


# -- the crowd as data, and the command's refusals --------------------------------------------------


def test_a_crowd_is_refused_with_its_reasons_before_anything_runs() -> None:
    assert Crowd("dnsmasq").problems() == []
    assert any("2 to 240 clients" in p for p in Crowd("dnsmasq", count=1).problems())
    assert any("2 to 240 clients" in p for p in Crowd("dnsmasq", count=241).problems())
    assert any("fit in 245 addresses" in p for p in Crowd("kea", count=240, spare=6).problems())
    assert any("not 'connman'" in p for p in Crowd("kea", ("udhcpc", "connman")).problems())
    assert any("unknown server" in p for p in Crowd("dhcpd").problems())
    assert any("different clients" in p for p in Crowd("kea", count=4, deletes=3, reboots=2).problems())
    assert any("0 or more" in p for p in Crowd("kea", count=4, deletes=-1, reboots=2).problems())


def test_each_member_of_a_crowd_has_its_own_hardware_address() -> None:
    macs = [member_mac(n) for n in range(240)]
    assert len(set(macs)) == 240
    assert all(int(m.split(":")[0], 16) & 2 for m in macs)  # locally administered, never a vendor's
    assert Crowd("kea", ("udhcpc", "dhclient"), 4).kind(3) == "dhclient"


@pytest.mark.parametrize(("argv", "says"), [
    (["--server", "dnsmasq,kea", "--client", "udhcpc", "--crowd", "5"], "--crowd runs against one --server"),
    (["--server", "kea", "--client", "connman", "--crowd", "5"], "not 'connman'"),
    (["--server", "kea", "--client", "udhcpc", "--crowd", "1"], "--crowd"),
    (["--server", "kea", "--client", "udhcpc", "--deletes", "2"], "--deletes goes with --pcap or --crowd"),
    (["--pcap", "x.pcap", "--judge", "whole", "--deletes", "2"], "--deletes goes with judging client by client"),
    (["--server", "kea", "--client", "udhcpc", "--crowd-seconds", "30"], "--crowd-seconds and --crowd-replace go with --crowd"),
    (["--pcap", "x.pcap", "--deletes", "5"], "--deletes"),
])
def test_the_crowd_options_refuse_a_mistake_with_one_line(argv: list[str], says: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["conform", *argv], out, err) == 2
    assert says in err.getvalue() and err.getvalue().count("\n") == 1, err.getvalue()


def test_a_given_delete_is_the_only_one() -> None:
    pcap = DATA / "kea-udhcpc-crowd50.pcap"
    with pytest.raises(ValueError, match="only one"):
        _judge(pcap, delete_offset=1.0, deletes=2)


# -- the recorded crowds ---------------------------------------------------------------------------


def test_the_recorded_crowds_cover_four_servers_with_fifty_clients() -> None:
    logs = [_log(p) for p in CAPTURES]
    assert {log["server"] for log in logs} >= {"dnsmasq", "kea", "isc-dhcpd", "udhcpd"}
    assert all(log["count"] >= 48 for log in logs)
    assert any(log.get("replacements") for log in logs)  # and a crowd whose pool runs short


@pytest.mark.parametrize("pcap", CAPTURES, ids=[p.stem for p in CAPTURES])
def test_a_recorded_crowd_is_what_its_harness_log_says(pcap: Path) -> None:
    """The capture holds the crowd's clients and no other, over a pool two addresses larger than
    the crowd; every disturbance the log names lies within the capture."""
    log = _log(pcap)
    meta = json.loads(pcap.with_name(pcap.name + ".json").read_text())
    assert (meta["server"], meta["scenario"]) == (log["server"], "crowd")
    messages, macs = _messages(pcap)
    assert sorted(macs) == sorted(m["mac"] for m in log["members"])
    assert len(macs) == log["count"] + log.get("replacements", 0)  # a replacement is a client of its own
    first, last = (int(a.rsplit(".", 1)[1]) for a in log["pool"])
    assert last - first + 1 == log["count"] + 2
    assert log["bound_before"] == log["count"]  # the crowd was bound before it was disturbed
    steps = [m["step"] for m in log["marks"]]
    assert steps.count("reboot-client") == log["reboots"]
    assert steps.count("replace-client") == steps.count("start-client") == log.get("replacements", 0)
    assert steps[-3:] == ["stop-server", "wipe-leases", "start-server"]
    assert steps.count("delete") == (0 if log["server"] == "udhcpd" else log["deletes"])  # udhcpd has no delete
    assert messages[0].time < log["marks"][0]["time"] and log["marks"][-1]["time"] < messages[-1].time


#: udhcpc keeps no lease across a restart (``forget``); each view may delete two leases (a client's
#: lease deleted, then lost with the table)
UDHCPC: dict[str, Any] = {"client_reboot": "forget", "reboots": 1, "deletes": 2}
#: udhcpc, dhclient and dhcpcd in turn, judged under one mode: dhclient's and dhcpcd's reboot
MIXED: dict[str, Any] = {"client_reboot": "discover-on-silence", "deletes": 2}

#: how each recorded crowd reads (docs/conformance.md, "Crowds"): the options it is judged with,
#: the variants consistent, how many clients deviate under each, and the findings under every
#: variant (the last two hex digits of the client's hardware address, the packet)
READINGS: dict[str, dict[str, Any]] = {
    "dnsmasq-udhcpc-crowd50.pcap": {
        "options": UDHCPC, "consistent": ('nt40', 'dnsmasq'),
        "deviant": {'nt35': 50, 'nt40': 0, 'rfc2131': 50, 'dnsmasq': 0, 'authoritative': 50},
        "everywhere": (),
    },
    "kea-udhcpc-crowd50.pcap": {
        "options": UDHCPC, "consistent": (),
        "deviant": {'nt35': 1, 'nt40': 1, 'rfc2131': 1, 'dnsmasq': 1, 'authoritative': 1},
        "everywhere": (('0d', 315), ('0d', 316)),
    },
    "isc-dhcpd-udhcpc-crowd50.pcap": {
        "options": UDHCPC, "consistent": ('nt35', 'nt40', 'rfc2131', 'dnsmasq', 'authoritative'),
        "deviant": {'nt35': 0, 'nt40': 0, 'rfc2131': 0, 'dnsmasq': 0, 'authoritative': 0},
        "everywhere": (),
    },
    "udhcpd-udhcpc-crowd50.pcap": {
        "options": UDHCPC, "consistent": (),
        "deviant": {'nt35': 50, 'nt40': 50, 'rfc2131': 31, 'dnsmasq': 50, 'authoritative': 50},
        "everywhere": (('11', 251), ('13', 253), ('14', 252), ('15', 255), ('16', 254), ('17', 299), ('18', 256), ('19', 300), ('1a', 298), ('1c', 301), ('1d', 302), ('1e', 310), ('1f', 303), ('20', 313), ('21', 315), ('22', 312), ('23', 314), ('24', 329), ('25', 316), ('26', 322), ('27', 330), ('28', 332), ('29', 331), ('2a', 334), ('2b', 335), ('2c', 333), ('2d', 355), ('2e', 351), ('2f', 353), ('30', 354), ('31', 356)),
    },
    "kea-udhcpc-crowd50-replace5.pcap": {
        "options": UDHCPC, "consistent": (),
        "deviant": {'nt35': 2, 'nt40': 2, 'rfc2131': 2, 'dnsmasq': 2, 'authoritative': 2},
        "everywhere": (('04', 211), ('04', 212), ('1d', 333)),
    },
    "dnsmasq-udhcpc-dhclient-dhcpcd-crowd48.pcap": {
        "options": MIXED, "consistent": (),
        "deviant": {'nt35': 48, 'nt40': 30, 'rfc2131': 48, 'dnsmasq': 30, 'authoritative': 48},
        "everywhere": (('01', 452), ('04', 404), ('0a', 386), ('0d', 374), ('10', 362), ('13', 340), ('16', 460), ('19', 380), ('1e', 291), ('22', 416), ('25', 418), ('28', 446), ('2b', 368), ('2e', 410)),
    },
}


@pytest.mark.parametrize("pcap", CAPTURES, ids=[p.stem for p in CAPTURES])
def test_a_recorded_crowd_is_judged_as_documented(pcap: Path) -> None:
    reading = READINGS[pcap.name]
    report = _judge(pcap, **reading["options"])
    assert report.clients == _log(pcap)["count"] + _log(pcap).get("replacements", 0)
    assert report.consistent_variants == reading["consistent"]
    assert report.deviant == reading["deviant"]
    everywhere = {(f.mac[-2:], f.number) for f in report.findings if len(f.variants) == len(report.variants)}
    assert sorted(everywhere) == sorted(reading["everywhere"])
    assert all(f.mac.startswith("02:4c:43:00:00:") for f in report.findings)


def test_dnsmasq_naks_each_deleted_lease_and_a_view_of_one_delete_cannot_lose_a_lease_twice() -> None:
    """dnsmasq NAKs the renewal of every lease it deleted, so the crowd reads as the ``dnsmasq``
    (and ``nt40``) variant. The clients whose lease was deleted lose their new lease again with
    the table: each of their views needs two deletes, and with one each is a finding under every
    variant at its second NAK (the deviation is the harness's, not dnsmasq's)."""
    pcap = DATA / "dnsmasq-udhcpc-crowd50.pcap"
    log = _log(pcap)
    messages, macs = _messages(pcap)
    restart = _marks(log, "start-server")[0]["time"]
    deleted = {m["mac"]: m["time"] for m in _marks(log, "delete")}
    naked = {(macs[o.client], o.time > restart) for o in messages if isinstance(o.message, Nak)}
    for mac, when in deleted.items():
        assert any(macs[o.client] == mac and isinstance(o.message, Nak) and when < o.time < restart for o in messages)
    options = READINGS[pcap.name]["options"]
    once = _judge(pcap, **{**options, "deletes": 1})
    assert once.consistent_variants == ()
    everywhere = {f.mac for f in once.findings if len(f.variants) == len(once.variants)}
    assert everywhere == {mac for mac in deleted if (mac, True) in naked}
    assert _judge(pcap, **options).consistent_variants == ("nt40", "dnsmasq")


def _decoded(pcap: Path) -> list[DhcpPacket]:
    return [d for d in map(decode, read_udp(pcap.read_bytes())) if d is not None]


def test_kea_is_consistent_with_every_variant_but_for_an_ack_udhcpc_missed() -> None:
    """Kea ACKs the renewal of a lease it deleted or lost, so on the wire a deleted lease reads as
    one never deleted: every variant fits. The one client that deviates sent its renewal, Kea's
    ACK came within a millisecond, udhcpc missed it and rebound 3 s later: one lost message."""
    pcap = DATA / "kea-udhcpc-crowd50.pcap"
    mine = [d for d in _decoded(pcap) if d.chaddr == "02:4c:43:00:00:0d"]
    renewal, ack, rebinding = (next(i for i, d in enumerate(mine) if d.number == n) for n in (231, 232, 315))
    assert mine[renewal].msg_type == "REQUEST" and mine[renewal].dst == "10.77.0.1"
    assert mine[ack].msg_type == "ACK" and mine[ack].time - mine[renewal].time < 0.001
    assert mine[rebinding].msg_type == "REQUEST" and mine[rebinding].dst == "255.255.255.255"
    assert rebinding == ack + 1  # nothing of its own between the ACK and the rebinding request
    lossy = _judge(pcap, **{**UDHCPC, "losses": 1})
    assert lossy.consistent_variants == ("nt35", "nt40", "rfc2131", "dnsmasq", "authoritative")


def test_after_its_lost_table_kea_gives_an_address_in_use_to_another_machine() -> None:
    """Five clients replaced by new machines leave the pool of 52 three addresses short. Once Kea
    has lost its table, it offers the new machines addresses whose clients are still bound:
    10.77.0.16, ACKed to ``04`` (packet 212), is ACKed to ``34`` (337), until ``04`` renews and is
    NAKed (343) and takes 10.77.0.23, freed by the replaced ``0d``. The global check finds each
    address committed twice (four), and only as many deletes explain them: the lost table."""
    pcap = DATA / "kea-udhcpc-crowd50-replace5.pcap"
    log = _log(pcap)
    assert [m["mac"][-2:] for m in log["members"] if "replaces" in m] == ["32", "33", "34", "35", "36"]
    restart = _marks(log, "start-server")[0]["time"]
    by_number = {d.number: d for d in _decoded(pcap)}
    assert (by_number[212].msg_type, by_number[212].chaddr, by_number[212].yiaddr) == ("ACK", "02:4c:43:00:00:04",
                                                                                       "10.77.0.16")
    assert (by_number[337].msg_type, by_number[337].chaddr, by_number[337].yiaddr) == ("ACK", "02:4c:43:00:00:34",
                                                                                       "10.77.0.16")
    assert by_number[337].time > restart
    assert (by_number[343].msg_type, by_number[343].chaddr) == ("NAK", "02:4c:43:00:00:04")
    assert (by_number[347].msg_type, by_number[347].yiaddr) == ("ACK", "10.77.0.23")
    twice = {d: sorted((f.mac[-2:], f.number) for f in _judge(pcap, deletes=d).findings if f.kind == "global")
             for d in (1, 2, 4)}
    assert twice == {1: [("04", 345), ("34", 335), ("35", 295)], 2: [("04", 345), ("34", 335)], 4: []}


def test_udhcpd_under_a_crowd_answers_a_discover_after_its_client_has_requested() -> None:
    """udhcpd serves one message at a time (with an ARP probe before each offer): under 50 clients
    it answers a retransmitted DISCOVER seconds late, after the client's REQUEST(SELECTING). No
    variant's server answers a message its client has moved on from; every deviating client
    shows it first."""
    pcap = DATA / "udhcpd-udhcpc-crowd50.pcap"
    packets = _decoded(pcap)
    report = _judge(pcap, **UDHCPC)
    everywhere = {f.mac for f in report.findings if len(f.variants) == len(report.variants)}
    assert everywhere
    for mac in everywhere:
        first = min((f for f in report.findings if f.mac == mac), key=lambda f: f.number)
        assert first.message.startswith("OFFER(")
        earlier = [d for d in packets if d.chaddr == mac and d.number < first.number]
        assert any(d.msg_type == "REQUEST" and d.server_id is not None for d in earlier)
        assert first.time - max(d.time for d in earlier if d.msg_type == "DISCOVER") > 2.0


def test_in_a_mixed_crowd_each_kind_of_client_fits_its_own_mode_but_dhclient() -> None:
    """Judged under one client mode for all, a crowd of three kinds fits each kind under its own
    mode: udhcpc under ``forget``, dhcpcd under ``ignore-while-renewing`` (it never sees dnsmasq's
    broadcast NAK). dhclient renews with the xid of its previous renewal, so its renewal after the
    restart folds into the one before, and dnsmasq's NAK to it reads as an answer to nothing,
    under every mode."""
    pcap = DATA / "dnsmasq-udhcpc-dhclient-dhcpcd-crowd48.pcap"
    kind = {m["mac"]: m["kind"] for m in _log(pcap)["members"]}

    def deviant(**options: Any) -> set[str]:
        return {kind[f.mac] for f in _judge(pcap, **options).findings if "dnsmasq" in f.variants}

    assert deviant(**UDHCPC) == {"dhclient", "dhcpcd"}
    assert deviant(client_nak="ignore-while-renewing", **MIXED) == {"dhclient", "udhcpc"}
    assert deviant(**MIXED) == {"dhclient", "dhcpcd", "udhcpc"}
    naks = [f for f in _judge(pcap, **MIXED).findings if len(f.variants) == 5 and kind[f.mac] == "dhclient"]
    assert naks and all(f.message == "NAK" for f in naks)
    restart = _marks(_log(pcap), "start-server")[0]["time"]
    packets = _decoded(pcap)
    for f in naks:
        requests = [d for d in packets if d.chaddr == f.mac and d.msg_type == "REQUEST" and d.number < f.number]
        assert requests[-1].time > restart and requests[-1].xid == requests[-2].xid != 0


def test_the_command_judges_a_recorded_crowd_from_its_files() -> None:
    pcap = DATA / "dnsmasq-udhcpc-crowd50.pcap"
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--pcap", str(pcap), "--client-reboot", "forget", "--deletes", "2", "--format", "json"],
                out, err)
    (doc,) = json.loads(out.getvalue())
    assert code == 0, err.getvalue()
    assert doc["judged"] == "per-client" and doc["clients"] == 50
    assert doc["consistent_variants"] == ["nt40", "dnsmasq"]
    assert (doc["server"], doc["client"]) == ("dnsmasq", "udhcpc")


# -- larger crowds, live -----------------------------------------------------------------------------


def _live_skip_reason() -> str | None:
    from leasecheck.checker.conform.daemons import missing_prerequisites
    from tests.test_conform_e2e import _netns_unavailable

    reason = _netns_unavailable()
    if reason:
        return reason
    problems = [p for s in ("dnsmasq", "kea") for p in missing_prerequisites(s, "udhcpc")]
    return "; ".join(sorted(set(problems))) or None


def _left_behind(pid: int) -> dict[str, list[str]]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=False).stdout
    names = sorted(n.split()[0] for n in out.splitlines() if n.startswith((f"lc-srv-{pid}-", f"lc-cli-{pid}-")))
    ps = subprocess.run(["ps", "-ewwo", "args"], capture_output=True, text=True, timeout=10, check=False).stdout
    procs = [line for line in ps.splitlines() if f"leasecheck-conform-{pid}-" in line]
    folders = sorted(str(p) for p in Path(tempfile.gettempdir()).glob(f"leasecheck-conform-{pid}-*"))
    dhcpcd = sorted(str(p) for d in (Path("/var/lib/dhcpcd"), Path("/run/dhcpcd")) if d.exists() for p in d.iterdir())
    return {"namespaces": names, "processes": procs, "folders": folders, "dhcpcd": dhcpcd}


@pytest.mark.live
@pytest.mark.slow
# one crowd in the live tier (Kea's); dnsmasq's under ``long`` too: a crowd's traffic is a fixed 75 s
# that slows the CPU tiers running beside it, and dnsmasq's recorded crowds are judged by default
@pytest.mark.parametrize("server", [pytest.param("dnsmasq", marks=pytest.mark.long), "kea"])
def test_a_crowd_of_150_real_clients_reads_as_its_server(server: str) -> None:
    """150 udhcpc clients on one bridge, a pool of 152: all bound
    before the disturbances, each in the capture, nothing left behind. dnsmasq NAKs the renewal of
    every lease it deleted (nt35, rfc2131 and authoritative never NAK one); Kea ACKs every request
    it hears, so no variant is ruled out on the wire, and what deviates under every variant is
    udhcpc missing Kea's fastest ACKs (each explained by one lost message)."""
    reason = _live_skip_reason()
    if reason:
        pytest.skip(reason)
    before = _left_behind(os.getpid())
    crowd = Crowd(server, ("udhcpc",), 150, deletes=10, reboots=10, seconds=75)
    result = run_crowd(crowd)
    assert _left_behind(os.getpid()) == before
    assert result.bound_before == 150
    packets = read_udp(result.pcap)
    classifier = Classifier(strict=False)
    got = [o for o in map(classifier.feed, packets) if isinstance(o, Observed)]
    assert sorted(classifier.ids.macs) == sorted(m.mac for m in result.members)
    deleted = {m.mac: m.time for m in result.marks if m.step == "delete"}
    assert len(deleted) == 10
    report = judge_packets((("crowd", p) for p in packets), client_reboot="forget", reboots=1, deletes=2)
    if server == "dnsmasq":
        macs = classifier.ids.macs
        for mac, when in deleted.items():
            assert any(macs[o.client] == mac and isinstance(o.message, Nak) and o.time > when for o in got)
        for variant in ("nt35", "rfc2131", "authoritative"):
            assert variant not in report.consistent_variants
    else:
        assert all(f.message.startswith(("REQUEST(REBINDING", "ACK(")) for f in report.findings
                   if len(f.variants) == len(report.variants)), report.findings


@pytest.mark.live
@pytest.mark.slow
def test_an_interrupted_crowd_leaves_nothing_behind(tmp_path: Path) -> None:
    """SIGTERM while 40 clients run: every namespace, process and folder of the run is gone once
    the command has ended, and nothing is written."""
    reason = _live_skip_reason()
    if reason:
        pytest.skip(reason)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leasecheck", "conform", "--server", "dnsmasq", "--client", "udhcpc,dhclient,dhcpcd",
         "--crowd", "40", "--save-pcap", str(tmp_path / "crowd.pcap")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    before = _left_behind(os.getpid())
    said: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("clients bound after" in line for line in said):
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                said.append(proc.stderr.readline())
        assert any("40 of 40 clients bound" in line for line in said), said
        time.sleep(2)  # the disturbances under way
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=120)
        stderr = "".join(said) + rest
    finally:
        if proc.poll() is None:  # a failure above: still let the run clean up after itself
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode != 0 and "interrupted" in stderr
    left = _left_behind(proc.pid)
    assert left["namespaces"] == [] and left["processes"] == [] and left["folders"] == [], left
    assert left["dhcpcd"] == before["dhcpcd"]
    assert list(tmp_path.iterdir()) == []
