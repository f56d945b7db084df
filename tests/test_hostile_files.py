"""Hostile input files: every one ends at once with exit 2 and one line on stderr, never a traceback,
a hang or a memory error; a valid file still gives its verdict.

Trace files for ``replay`` (size, regular file, nesting, integer digits, UTF-8, the strict schema),
captures and their sidecars for ``conform --pcap`` (garbage bytes, clients, packets, ``--losses``),
and ``graph --max-states``. The hypothesis tests set ``max_examples`` each (60 to 100 inputs).
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform import pcap
from leasecheck.checker.conform.classify import classify
from leasecheck.checker.conform.validate import MAX_CLIENTS, MAX_LOSSES, ValidationError, validate, with_delete
from leasecheck.checker.render.inputfile import MAX_JSON_DEPTH, json_depth
from leasecheck.checker.render.itf import MAX_STATES

DATA = Path(__file__).parent / "data"
CAPTURES = sorted(DATA.glob("*.pcap"))
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def refused(argv: list[str], within: float = 5.0) -> str:
    """Run ``argv``; it must end within ``within`` seconds, exit 2, and say one clean line."""
    started = time.monotonic()
    code, out, err = run(argv)
    assert time.monotonic() - started < within, f"took {time.monotonic() - started:.1f} s"
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("leasecheck"), err
    assert all(ch.isprintable() for ch in err[:-1]), repr(err)
    return err


# -- trace files (leasecheck replay) -----------------------------------------------------------


@pytest.fixture(scope="module")
def new_trace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A trace file as leasecheck writes it now (format version 2)."""
    path = tmp_path_factory.mktemp("trace") / "t.itf.json"
    code, _, err = run(["check", "--variant", "nt35", "--property", "recovery", "--trace-out", str(path)])
    assert code == 1, err
    return json.loads(path.read_text())


@pytest.fixture(scope="module", params=["version 2", "version 1"])
def good_trace(request: pytest.FixtureRequest, new_trace: dict[str, Any]) -> dict[str, Any]:
    """A valid trace file of each format version leasecheck reads: every hostile case is tried on both."""
    if request.param == "version 2":
        return new_trace
    return json.loads((DATA / "old-format-nt35-recovery.itf.json").read_text())


def _write(tmp_path_factory: pytest.TempPathFactory, content: str | bytes, name: str = "t.itf.json") -> Path:
    path = tmp_path_factory.mktemp("hostile") / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def replays(path: Path) -> bool:
    code, out, err = run(["replay", str(path), "--format", "text"])
    assert "Traceback" not in err, err
    if code == 0:
        return True
    assert code == 2 and out == "" and err.count("\n") == 1, (code, err)
    return False


def test_json_nested_100000_deep_is_refused_without_recursion(tmp_path_factory) -> None:
    err = refused(["replay", str(_write(tmp_path_factory, "[" * 100_000 + "]" * 100_000))])
    assert "nested 100,000 deep" in err


def test_a_5000_digit_integer_is_refused_in_one_short_line(tmp_path_factory, good_trace) -> None:
    text = json.dumps(good_trace).replace('"loop": ', '"loop": ' + "9" * 5000 + ", \"x\": ", 1)
    err = refused(["replay", str(_write(tmp_path_factory, text))])
    assert "5,000 digits" in err and len(err) < 200


def test_dev_zero_and_a_fifo_end_at_once(tmp_path) -> None:
    assert "not a regular file" in refused(["replay", "/dev/zero"], within=3)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert "not a regular file" in refused(["replay", str(fifo)], within=3)  # no writer: open must not block


def test_a_file_larger_than_64_mib_is_refused(tmp_path) -> None:
    path = tmp_path / "huge.itf.json"
    with path.open("wb") as f:
        f.truncate(65 * 1024 * 1024)  # sparse
    assert "larger than 64 MiB" in refused(["replay", str(path)])


def test_a_trace_of_more_states_than_the_limit_is_refused(tmp_path_factory, good_trace) -> None:
    doc = copy.deepcopy(good_trace)
    doc["states"] = doc["states"] * (MAX_STATES // len(doc["states"]) + 1)
    assert f"more than the {MAX_STATES:,}" in refused(["replay", str(_write(tmp_path_factory, json.dumps(doc)))])


def test_non_utf8_bytes_are_refused(tmp_path_factory) -> None:
    assert "not UTF-8" in refused(["replay", str(_write(tmp_path_factory, b'{"#meta": "\xff\xfe"}'))])


def test_control_characters_in_a_file_name_are_escaped(tmp_path) -> None:
    path = tmp_path / "evil\x1b[31m\x07.json"
    path.write_text("{not json")
    err = refused(["replay", str(path)])
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


@pytest.mark.parametrize(("genuine", "twice"), [
    ('"verdict": "violated"', '"verdict": "holds", "verdict": "violated"'),  # one reader sees holds, another violated
    ('"loop": 12', '"loop": 12, "loop": 12'),
    ('"deletes_left": 0', '"deletes_left": 0, "deletes_left": 0'),
    ('"name": "Timeout"', '"name": "Timeout", "name": "Timeout"'),
])
def test_a_key_given_twice_in_one_object_is_refused(tmp_path_factory, new_trace, genuine, twice) -> None:
    text = json.dumps(new_trace)
    assert genuine in text
    err = refused(["replay", str(_write(tmp_path_factory, text.replace(genuine, twice, 1)))])
    key = genuine.split('"')[1]
    assert f"gives the key '{key}' twice in one object" in err


def test_every_json_input_refuses_a_key_given_twice() -> None:
    from leasecheck.checker.render.inputfile import parse_json

    assert parse_json(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
    with pytest.raises(ValueError, match="gives the key 'b' twice in one object"):
        parse_json(b'{"a": [{"b": 1, "b": 1}]}')


def test_the_depth_scan_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": ["[[[[", {"b": "]]]"}]}') == 3
    assert json_depth('"\\"[[["') == 0


hostile_texts = st.one_of(
    st.integers(MAX_JSON_DEPTH + 1, 50_000).map(lambda n: "[" * n + "]" * n),
    st.integers(MAX_JSON_DEPTH + 1, 5_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(31, 20_000).map(lambda n: '{"#meta": ' + "7" * n + "}"),
    st.sampled_from(["NaN", "[Infinity]", '{"x": -Infinity}', "", "{", "\ufeff[1,", "null", "[]", '"x"']),
    st.binary(max_size=64).map(lambda b: b"\xff" + b),
)


@settings(max_examples=60, **SETTINGS)
@given(text=hostile_texts)
def test_hostile_json_documents_are_refused(tmp_path_factory, text) -> None:
    refused(["replay", str(_write(tmp_path_factory, text))])


# Mutations of a valid trace that leasecheck must refuse, each naming the place it breaks.
def _objects(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    states = doc["states"]
    return [("the trace", doc), ('"#meta"', doc["#meta"]), ('"#meta".leasecheck', doc["#meta"]["leasecheck"]),
            *((f"state {n}", s) for n, s in enumerate(states)),
            *((f"state {n}, \"#meta\"", s["#meta"]) for n, s in enumerate(states)),
            *((f"state {n}, action", s["#meta"]["action"]) for n, s in enumerate(states) if s["#meta"]["action"]),
            *([('"#meta".leasecheck.loop_action, action', doc["#meta"]["leasecheck"]["loop_action"])]
              if "loop_action" in doc["#meta"]["leasecheck"] else [])]


@settings(max_examples=80, **SETTINGS)
@given(data=st.data(), key=st.text(min_size=1, max_size=8).filter(lambda k: k not in (
    "#meta", "vars", "states", "loop", "format", "format-description", "source", "description", "leasecheck",
    "config", "property", "client", "verdict", "index", "action", "name", "params", "rule", "st", "addr", "err",
    "to_srv", "to_cli", "db", "mem", "deletes_left", "losses_left", "reboots_left", "params", "varTypes",
    "format_version", "loop_action", "clients", "addresses", "variant", "deletes", "losses", "reboots", "restart",
    "client_nak")))
def test_an_unknown_entry_anywhere_is_refused_naming_its_place(tmp_path_factory, good_trace, data, key) -> None:
    doc = copy.deepcopy(good_trace)
    where, obj = data.draw(st.sampled_from(_objects(doc)))
    obj[key] = data.draw(st.integers(0, 3) | st.none() | st.text(max_size=3))
    err = refused(["replay", str(_write(tmp_path_factory, json.dumps(doc)))])
    assert f"{where}: unknown entry" in err


def _wrong_type(value: object) -> st.SearchStrategy[object]:
    if isinstance(value, list):  # a sequence given as a string, a number, a longer or shorter list
        return st.sampled_from([json.dumps(value), 0, value + value[:1], value[:-1], [value]])
    if isinstance(value, bool) or value is None:
        return st.sampled_from([1, "true", [value]])
    if isinstance(value, int):  # bool for int, float, string, list
        return st.sampled_from([True, False, value + 0.5, str(value), [value], {"#bigint": "9" * 40}])
    return st.sampled_from([1, 1.5, True, [value], {"v": value}, value + "x" * 80])


VARIABLES = ("st", "addr", "err", "to_srv", "to_cli", "db", "mem", "deletes_left", "losses_left", "reboots_left")


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_a_value_of_the_wrong_type_or_length_is_refused(tmp_path_factory, good_trace, data) -> None:
    doc = copy.deepcopy(good_trace)
    n = data.draw(st.integers(0, len(doc["states"]) - 1))
    var = data.draw(st.sampled_from(VARIABLES))
    doc["states"][n][var] = data.draw(_wrong_type(doc["states"][n][var]))
    err = refused(["replay", str(_write(tmp_path_factory, json.dumps(doc)))])
    assert f"state {n}" in err


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_extra_or_missing_variables_and_extra_entries_are_refused(tmp_path_factory, good_trace, data) -> None:
    doc = copy.deepcopy(good_trace)
    n = data.draw(st.integers(0, len(doc["states"]) - 1))
    kind = data.draw(st.sampled_from(["extra entry", "missing", "extra variable"]))
    if kind == "extra entry":  # the case that used to replay: a second client's entry in a 1-client trace
        var = data.draw(st.sampled_from(["st", "addr", "err", "to_srv", "to_cli", "mem", "db"]))
        doc["states"][n][var].append(doc["states"][n][var][0])
    elif kind == "missing":
        del doc["states"][n][data.draw(st.sampled_from(VARIABLES))]
    else:
        doc["states"][n]["ttl"] = 3
    assert f"state {n}" in refused(["replay", str(_write(tmp_path_factory, json.dumps(doc)))])


def _wrong_entry(entry: dict[str, Any]) -> st.SearchStrategy[object]:
    """A tagged variant of a version 2 file spelled wrong: the old string, no payload, an extra entry, a
    lower-case tag, a payload of the wrong type, a list, or a payload field that is not the model's."""
    tag, value = entry["tag"], entry["value"]
    return st.sampled_from([
        tag, "none", {"tag": tag}, {"tag": tag, "value": value, "x": 1}, {"tag": tag.lower(), "value": value},
        {"tag": tag, "value": [value]}, {"tag": tag, "value": 0}, [entry], {"value": value},
        {"tag": tag, "value": {**value, "extra": 0}}, {"tag": tag, "value": {k: True for k in value} or {"x": 0}},
        {"tag": tag, "value": {k: {"#bigint": "9" * 40} for k in value} or {"x": {"#bigint": "0"}}},
    ])


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_a_tagged_variant_spelled_wrong_is_refused(tmp_path_factory, new_trace, data) -> None:
    doc = copy.deepcopy(new_trace)
    n = data.draw(st.integers(0, len(doc["states"]) - 1))
    var = data.draw(st.sampled_from(["addr", "to_srv", "to_cli", "db", "mem"]))
    i = data.draw(st.integers(0, len(doc["states"][n][var]) - 1))
    wrong = data.draw(_wrong_entry(doc["states"][n][var][i]))
    doc["states"][n][var][i] = wrong
    err = refused(["replay", str(_write(tmp_path_factory, json.dumps(doc)))])
    assert f"state {n}, {var}[{i}]: " in err and "is not a value of the model" in err


def _same_trace(doc: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], str]:
    """A change that keeps the trace what it is; returns the document and how it is written."""
    change = data.draw(st.sampled_from(["bigint", "itf-py", "no state meta", "no optional meta", "reordered",
                                        "plain"]))
    if change == "bigint":
        for s in doc["states"]:
            s["deletes_left"] = {"#bigint": str(s["deletes_left"])}
    elif change == "itf-py" and "params" in doc:  # how itf-py writes a tag without data
        for s in doc["states"]:
            s["to_cli"] = [{"tag": "NONE", "value": None} if x == {"tag": "NONE", "value": {}} else x
                           for x in s["to_cli"]]
            s["reboots_left"] = {"#bigint": str(s["reboots_left"])}
    elif change == "no state meta":
        for s in doc["states"]:
            del s["#meta"]["index"]
    elif change == "no optional meta":
        for key in data.draw(st.lists(st.sampled_from(["format", "format-description", "source", "description"]),
                                      unique=True)):
            doc["#meta"].pop(key, None)
    elif change == "reordered":
        doc = dict(reversed(list(doc.items())))
        doc["states"] = [dict(reversed(list(s.items()))) for s in doc["states"]]
    indent = data.draw(st.sampled_from([None, 0, 4]))
    return doc, json.dumps(doc, indent=indent, ensure_ascii=data.draw(st.booleans()))


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_changes_that_keep_the_trace_still_replay(tmp_path_factory, good_trace, data) -> None:
    _doc, text = _same_trace(copy.deepcopy(good_trace), data)
    assert replays(_write(tmp_path_factory, text))


@pytest.mark.parametrize("argv", [
    ("--variant", "nt35", "--property", "recovery"),
    ("--variant", "nt40", "--property", "recovery", "--clients", "2"),
    ("--variant", "nt35", "--property", "kb_symptom", "--addresses", "2", "--losses", "1"),
])
def test_every_trace_leasecheck_writes_replays(tmp_path, argv) -> None:
    path = tmp_path / "t.itf.json"
    code, _, err = run(["check", *argv, "--quiet", "--trace-out", str(path)])
    assert code in (0, 1), err
    written = sorted(tmp_path.glob("t*.itf.json"))
    assert written, err
    for p in written:
        assert replays(p), p


# -- captures (leasecheck conform --pcap) --------------------------------------------------------


def _dhcp(op: int, xid: int, mac: bytes, kind: int, yiaddr: bytes = b"\0" * 4, requested: bytes | None = None,
          server: bytes | None = None) -> bytes:
    p = bytearray(240)
    p[0], p[1], p[2] = op, 1, 6
    struct.pack_into("!IHH", p, 4, xid, 0, 0x8000)
    p[16:20], p[28:34], p[236:240] = yiaddr, mac, b"\x63\x82\x53\x63"
    opts = bytes([53, 1, kind])
    if requested:
        opts += bytes([50, 4]) + requested
    if server:
        opts += bytes([54, 4]) + server
    return bytes(p) + opts + b"\xff"


def _frame(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp
    return b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + ip


def clients_capture(n: int) -> bytes:
    """A classic pcap in which each of ``n`` clients is bound: DISCOVER, OFFER, REQUEST, ACK."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    srv, zero, bcast, t = bytes([10, 0, 0, 1]), b"\0" * 4, b"\xff" * 4, 1000
    for c in range(n):
        mac, ip, xid = bytes([2, 0, 0, 0, 0, c + 1]), bytes([10, 0, 0, 10 + c]), 100 + c
        for src, sp, dp, payload in ((zero, 68, 67, _dhcp(1, xid, mac, 1)), (srv, 67, 68, _dhcp(2, xid, mac, 2, ip)),
                                     (zero, 68, 67, _dhcp(1, xid, mac, 3, requested=ip, server=srv)),
                                     (srv, 67, 68, _dhcp(2, xid, mac, 5, ip))):
            frame = _frame(src, bcast, sp, dp, payload)
            t += 1
            out += struct.pack("<IIII", t, 0, len(frame), len(frame)) + frame
    return out


def test_five_clients_are_refused_at_once_by_the_whole_model_judged_client_by_client_and_three_are_judged(
        tmp_path) -> None:
    five = tmp_path / "five.pcap"
    five.write_bytes(clients_capture(5))
    err = refused(["conform", "--pcap", str(five), "--judge", "whole"], within=5)
    assert "5 DHCP clients" in err and f"at most {MAX_CLIENTS}" in err and "--judge per-client" in err
    code, out, err = run(["conform", "--pcap", str(five)])
    assert code == 0, err
    assert "client by client" in out and "5 clients" in out
    three = tmp_path / "three.pcap"
    three.write_bytes(clients_capture(3))
    code, out, err = run(["conform", "--pcap", str(three), "--summary"])
    assert code == 0, err
    assert "nt35" in out


def test_a_million_losses_end_at_once() -> None:
    err = refused(["conform", "--pcap", str(DATA / "dnsmasq-dhcpcd.pcap"), "--losses", "1000000"], within=2)
    assert f"at most {MAX_LOSSES}" in err


def test_the_api_refuses_the_same_limits() -> None:
    classified = classify(pcap.read_udp(clients_capture(1)))
    with pytest.raises(ValidationError, match="losses"):
        validate(classified, with_delete(classified), losses=1_000_000)
    many = classify(pcap.read_udp(clients_capture(MAX_CLIENTS + 1)))
    with pytest.raises(ValidationError, match="DHCP clients"):
        validate(many, with_delete(many))


def test_a_capture_of_more_packets_than_the_limit_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pcap, "MAX_PACKETS", 7)
    path = tmp_path / "long.pcap"
    path.write_bytes(clients_capture(2))  # 8 packets
    assert "more than 7 packets" in refused(["conform", "--pcap", str(path)])


def test_a_capture_larger_than_64_mib_is_refused(tmp_path) -> None:
    path = tmp_path / "huge.pcap"
    path.write_bytes(clients_capture(1))
    with path.open("r+b") as f:
        f.truncate(65 * 1024 * 1024)  # sparse
    assert "larger than 64 MiB" in refused(["conform", "--pcap", str(path)])


def test_dev_zero_as_a_capture_ends_at_once() -> None:
    assert "not a regular file" in refused(["conform", "--pcap", "/dev/zero"], within=3)


_MAGICS = [b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\x0a\x0d\x0d\x0a", b"\x00\x00\x00\x00"]
garbage_captures = st.one_of(
    st.binary(max_size=300),
    st.tuples(st.sampled_from(_MAGICS), st.binary(max_size=60)).map(lambda t: t[0] + t[1]),
    # a classic header, then records whose lengths run past the end or are huge
    st.tuples(st.sampled_from(_MAGICS[:3]), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
              st.binary(max_size=40)).map(lambda t: t[0] + bytes(16) + struct.pack("<I", 1)
                                          + struct.pack("<IIII", 0, 0, t[1], t[2]) + t[3]),
    # a pcapng section header with a block length beyond the file
    st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=40)).map(
        lambda t: b"\x0a\x0d\x0d\x0a" + struct.pack("<I", t[0]) + b"\x4d\x3c\x2b\x1a" + t[1]),
)


@settings(max_examples=100, **SETTINGS)
@given(data=garbage_captures)
def test_garbage_bytes_as_a_capture(tmp_path_factory, data) -> None:
    refused(["conform", "--pcap", str(_write(tmp_path_factory, data, "x.pcap"))], within=5)


hostile_sidecars = st.one_of(
    st.sampled_from(["[1,2,3]", '"x"', "null", "3", "true", "[]", '{"delete_time": "soon"}', '{"server": 7}',
                     '{"client": null}', '{"rebound": 1}', '{"delete_time": true}', '{"foo": 1}',
                     '{"server": "a\\u001b[31mb"}', '{"delete_time": 1e999}', '{"delete_time": [1]}',
                     "[" * 5000 + "]" * 5000, '{"delete_time": ' + "9" * 5000 + "}", "{", ""]),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=4),
                 lambda inner: st.lists(inner, max_size=3), max_leaves=6).map(json.dumps),
    st.dictionaries(st.sampled_from(["server", "client", "delete_time", "rebound", "leased_address", "extra"]),
                    st.lists(st.integers()) | st.dictionaries(st.text(max_size=2), st.none(), max_size=2),
                    min_size=1, max_size=3).map(json.dumps),
)


@settings(max_examples=60, **SETTINGS)
@given(which=st.sampled_from(CAPTURES), sidecar=hostile_sidecars)
def test_a_valid_capture_with_a_hostile_sidecar(tmp_path_factory, which, sidecar) -> None:
    folder = tmp_path_factory.mktemp("sidecar")
    shutil.copy(which, folder / which.name)
    (folder / (which.name + ".json")).write_text(sidecar)
    err = refused(["conform", "--pcap", str(folder / which.name)])
    assert ".json" in err


def test_a_sidecar_that_gives_a_key_twice_is_refused(tmp_path) -> None:
    which = CAPTURES[0]
    sidecar = json.loads((which.parent / (which.name + ".json")).read_text())
    key = next(iter(sidecar))
    shutil.copy(which, tmp_path / which.name)
    text = json.dumps(sidecar)
    twice = text.replace("{", "{" + json.dumps(key) + ": " + json.dumps(sidecar[key]) + ", ", 1)
    (tmp_path / (which.name + ".json")).write_text(twice)
    err = refused(["conform", "--pcap", str(tmp_path / which.name)])
    assert f"gives the key {key!r} twice in one object" in err


def test_the_recorded_sidecars_are_still_read() -> None:
    code, _, err = run(["conform", "--pcap", *map(str, CAPTURES), "--summary"])
    assert code in (0, 1) and err == "", err


# -- state graphs (leasecheck graph) -------------------------------------------------------------


def test_a_state_limit_beyond_a_picture_is_refused_at_once(tmp_path) -> None:
    err = refused(["graph", "--clients", "2", "--addresses", "2", "--max-states", "100000",
                   "--out", str(tmp_path / "g.png")], within=2)
    assert "--max-states" in err and "1,000" in err
    assert not (tmp_path / "g.png").exists()
