"""A capture judged client by client (checker/conform/perclient.py, project.py, holdings.py).

Each client's messages are judged against the model of that client with the others as its
environment, plus a global check of what no single client's view can see. These tests hold the
decomposition to the model of every client at once wherever both can judge (the recorded
captures, and captures written from the model's own runs), and show that deviations seeded into
valid captures are found with the right client and packet.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from leasecheck.checker.conform.classify import classify
from leasecheck.checker.conform.pcap import read_udp, stream_udp
from leasecheck.checker.conform.perclient import PerClientReport, display_filter, judge_stream
from leasecheck.checker.conform.report import analyse_capture
from leasecheck.checker.conform.synth import Message, mac_of, model_run, renewals, write_capture
from leasecheck.model import values as V
from leasecheck.model.dhcp import Config
from leasecheck.model.values import VARIANTS

DATA = Path(__file__).parent / "data"
RECORDED = sorted(DATA.glob("*.pcap"))
MATRIX = sorted((DATA / "matrix" / "captures").glob("*.pcap"))


def capture(messages: list[Message]) -> bytes:
    out = io.BytesIO()
    write_capture(out, messages)
    return out.getvalue()


def per_client(data: bytes, **options: object) -> PerClientReport:
    return judge_stream([("capture.pcap", io.BytesIO(data))], **options)  # type: ignore[arg-type]


def both(data: bytes, delete_time: float | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    whole = analyse_capture("capture", data, delete_time=delete_time).validation.consistent_variants
    return whole, per_client(data, delete_time=delete_time).consistent_variants


def _delete_time(path: Path) -> float | None:
    sidecar = path.with_name(path.name + ".json")
    if not sidecar.exists():
        return None
    value = json.loads(sidecar.read_text()).get("delete_time")
    return float(value) if isinstance(value, int | float) else None


# -- both judges agree wherever both can judge --------------------------------------------------


@pytest.mark.parametrize("path", RECORDED + MATRIX[::30], ids=lambda p: p.name)
def test_a_recorded_capture_gets_the_same_verdicts_client_by_client_as_from_the_whole_model(path: Path) -> None:
    whole, split = both(path.read_bytes(), _delete_time(path))
    assert split == whole


@pytest.mark.long  # every recorded capture of the matrix: about 170, a few minutes under load
@pytest.mark.parametrize("path", [p for i, p in enumerate(MATRIX) if i % 30], ids=lambda p: p.name)
def test_every_capture_of_the_matrix_gets_the_same_verdicts_both_ways(path: Path) -> None:
    whole, split = both(path.read_bytes(), _delete_time(path))
    assert split == whole


def _agree_on_runs(variant: str, clients: int, addresses: int, seeds: range) -> None:
    for seed in seeds:
        run = model_run(Config(clients=clients, addresses=addresses, variant=variant, deletes=1), 40, random.Random(seed))
        data = capture(run.messages)
        whole, split = both(data, run.delete_time)
        assert variant in whole, (seed, whole)
        assert split == whole, (seed, run.delete_time)


@pytest.mark.parametrize("clients,addresses,seeds", [(2, 2, range(4)), (3, 2, range(1)), (2, 3, range(1))])
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_run_of_the_model_gets_the_same_verdicts_both_ways_and_fits_its_own_variant(
        variant: str, clients: int, addresses: int, seeds: range) -> None:
    _agree_on_runs(variant, clients, addresses, seeds)


@pytest.mark.long  # 200 more runs: about four minutes under load
@pytest.mark.parametrize("clients,addresses,seeds", [(2, 2, range(4, 24)), (3, 2, range(1, 10)),
                                                     (2, 3, range(1, 10)), (3, 3, range(4))])
@pytest.mark.parametrize("variant", VARIANTS)
def test_many_runs_of_the_model_get_the_same_verdicts_both_ways(
        variant: str, clients: int, addresses: int, seeds: range) -> None:
    _agree_on_runs(variant, clients, addresses, seeds)


# the README's test command changes a message in 8 runs, the sweep tier in 24 (tens of seconds)
@pytest.mark.parametrize("runs,least", [(8, 6), pytest.param(24, 20, marks=pytest.mark.sweep)])
def test_a_run_with_a_message_changed_gets_the_same_verdicts_both_ways(runs: int, least: int) -> None:
    """Captures no variant explains in full: a server answer of a model run swapped for another."""
    rng = random.Random(7)
    judged = 0
    for seed in range(runs):
        run = model_run(Config(clients=2, addresses=2, variant=VARIANTS[seed % 5], deletes=1), 30, random.Random(seed))
        answers = [i for i, m in enumerate(run.messages) if m.direction == "to client"]
        if not answers:
            continue
        i = rng.choice(answers)
        m = run.messages[i]
        swapped = V.NAK if not isinstance(m.message, V.Nak) else V.Ack(0)
        messages = run.messages[:i] + [Message(m.time, m.client, m.direction, swapped)] + run.messages[i + 1:]
        whole, split = both(capture(messages), run.delete_time)
        assert split == whole, (seed, i)
        judged += 1
    assert judged >= least


# -- seeded deviations, found with the client and the packet ----------------------------------


def _bound(client: int, address: int, t: float) -> list[Message]:
    return [Message(t, client, "to server", V.DISCOVER), Message(t + 0.1, client, "to client", V.Offer(address)),
            Message(t + 0.2, client, "to server", V.Request(V.SELECTING, address)),
            Message(t + 0.3, client, "to client", V.Ack(address))]


def _renewed(client: int, address: int, t: float) -> list[Message]:
    return [Message(t, client, "to server", V.Request(V.RENEWING, address)),
            Message(t + 0.1, client, "to client", V.Ack(address))]


def _background(first: int, count: int, t: float) -> list[Message]:
    """Clients ``first``... each bound to an address of its own and renewing: nothing to find."""
    out = []
    for k in range(count):
        c = first + k
        out += _bound(c, c, t + k) + _renewed(c, c, t + count + k)
    return out


def _packet_of(messages: list[Message], target: Message) -> int:
    return messages.index(target) + 1


def test_an_address_acked_to_a_second_client_while_the_first_holds_it_is_found_at_that_ack() -> None:
    messages = _background(2, 6, 1.0)
    messages += _bound(0, 0, 100.0)
    messages += [Message(110.0, 1, "to server", V.Request(V.RENEWING, 0))]
    twice = Message(110.1, 1, "to client", V.Ack(0))  # client 1 is ACKed client 0's address
    messages += [twice] + _renewed(0, 0, 120.0)
    report = per_client(capture(messages), delete_time=1000.0)  # the delete after everything
    first = min(report.findings, key=lambda f: f.number)
    assert first.number == _packet_of(messages, twice)
    assert first.mac == mac_of(1).hex(":")
    assert set(first.variants) == set(VARIANTS)
    assert report.consistent_variants == ()
    assert first.display_filter == f"dhcp.hw.mac_addr == {first.mac} && frame.number == {first.number}"


def test_an_offer_of_a_bound_address_is_found_at_that_offer() -> None:
    messages = _bound(0, 0, 1.0) + _background(2, 5, 2.0)
    offer = Message(30.1, 1, "to client", V.Offer(0))
    messages += [Message(30.0, 1, "to server", V.DISCOVER), offer] + _renewed(0, 0, 40.0)
    report = per_client(capture(messages), delete_time=1000.0)  # the delete after everything
    found = [f for f in report.findings if f.number == _packet_of(messages, offer)]
    assert found and all(f.mac == mac_of(1).hex(":") for f in found)
    assert {v for f in found for v in f.variants} == set(VARIANTS)
    assert min(f.number for f in report.findings) == _packet_of(messages, offer)


def test_an_ack_for_a_deleted_lease_is_found_under_nt35_at_that_ack_and_only_there() -> None:
    messages = _bound(0, 0, 1.0) + _bound(1, 1, 2.0)
    messages += [Message(3.0, 0, "to server", V.Release(0)), Message(3.1, 1, "to server", V.Release(1)),
                 Message(4.0, 0, "to server", V.DISCOVER), Message(4.1, 1, "to server", V.DISCOVER)]
    messages += _bound(2, 2, 5.0)
    renewal = Message(10.0, 2, "to server", V.Request(V.RENEWING, 2))
    ack = Message(10.1, 2, "to client", V.Ack(2))  # nt35 keeps a stale record: it would stay silent
    messages += [renewal, ack] + _background(3, 6, 20.0)
    data = capture(messages)
    report = per_client(data, delete_time=9.5)
    assert "nt35" not in report.consistent_variants
    assert "authoritative" in report.consistent_variants
    nt35 = [f for f in report.findings if "nt35" in f.variants]
    assert [(f.number, f.mac) for f in nt35] == [(_packet_of(messages, ack), mac_of(2).hex(":"))]
    assert report.clients == 9
    small = capture(messages[:messages.index(ack) + 1])  # three clients: the whole model judges it too
    assert both(small, 9.5)[0] == both(small, 9.5)[1]


# -- streaming ---------------------------------------------------------------------------------


def test_a_capture_read_as_a_stream_gives_the_packets_of_the_capture_in_memory() -> None:
    for path in RECORDED + MATRIX[::20]:
        data = path.read_bytes()
        assert list(stream_udp(io.BytesIO(data))) == read_udp(data)


def test_a_capture_in_two_files_read_in_sequence_is_judged_as_the_one_capture() -> None:
    messages = list(renewals(40, 600, random.Random(3)))
    one = per_client(capture(messages))
    halves = [capture(messages[:300]), capture(messages[300:])]
    two = judge_stream([("a.pcap", io.BytesIO(halves[0])), ("b.pcap", io.BytesIO(halves[1]))])
    assert (two.clients, two.messages, two.consistent_variants) == (one.clients, one.messages, one.consistent_variants)
    assert two.sources == ("a.pcap", "b.pcap")


def test_many_clients_renewing_are_judged_consistent_under_every_variant() -> None:
    report = per_client(capture(list(renewals(300, 3000, random.Random(1)))), progress=lambda line: None)
    assert report.clients == 300 and report.messages == 3000
    assert report.consistent_variants == VARIANTS and not report.findings


def test_the_display_filter_names_the_dhcp_dissectors_fields() -> None:
    assert display_filter("aa:bb:cc:dd:ee:ff", 17) == "dhcp.hw.mac_addr == aa:bb:cc:dd:ee:ff && frame.number == 17"


def test_classification_is_the_same_packet_by_packet() -> None:
    data = (DATA / "dnsmasq-dhcpcd.pcap").read_bytes()
    whole = classify(read_udp(data))
    report = per_client(data)
    assert report.messages == len(whole.messages) and report.clients == len(whole.clients)


def test_a_view_number_names_one_view_and_is_never_given_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The judge's memo is keyed by a number per view (every variant's branches); when the numbers
    are forgotten (past the memo's limit) a view met again gets a new number, never one in use."""
    from leasecheck.checker.conform import perclient
    from leasecheck.checker.conform.holdings import Holdings
    from leasecheck.checker.conform.project import Budgets

    monkeypatch.setattr(perclient, "MEMO_LIMIT", 2)
    holdings = Holdings(deletes_marked=False, delete_budget=1, losses=0, forgetful_reboots=False)
    judge = perclient._Judge(("nt35",), lambda v: Budgets(v, 1, 0, 0, False, "obey", "keep-on-silence"), False, holdings)
    a, b, c = (perclient._Client() for _ in range(3))
    views = [((("x", frozenset({n})),),) for n in range(3)]
    judge.view(a, views[0])
    judge.view(b, views[0])
    assert a.fid == b.fid and a.frontiers is views[0]
    judge.view(b, views[1])
    judge.view(c, views[2])  # past the limit: the numbers so far are forgotten
    judge.view(a, views[0])
    assert len({a.fid, b.fid, c.fid}) == 3 and a.fid > c.fid > b.fid


def test_judging_with_a_small_memo_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo and the view numbers only save work: a memo cleared every few messages gives the
    same findings and verdicts, on a capture with a deviation seeded."""
    from leasecheck.checker.conform import perclient

    messages = _background(3, 8, 1.0) + _bound(0, 0, 100.0)
    messages += [Message(110.0, 1, "to server", V.Request(V.RENEWING, 0)), Message(110.1, 1, "to client", V.Ack(0))]
    data = capture(messages + _renewed(0, 0, 120.0))
    wide = per_client(data, delete_time=1000.0)
    monkeypatch.setattr(perclient, "MEMO_LIMIT", 3)
    narrow = per_client(data, delete_time=1000.0)
    assert wide.findings and narrow.findings == wide.findings and narrow.deviant == wide.deviant
