"""Trust: damaged or hostile input files give one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import copy
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leasecheck.checker.cli.main import main

DATA = Path(__file__).parent / "data"
CAPTURES = sorted(DATA.glob("*.pcap"))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def assert_clean_outcome(argv: list[str], allowed: tuple[int, ...] = (0, 1, 2)) -> int:
    code, out, err = run(argv)
    assert "Traceback" not in err, err
    assert code in allowed, (code, err)
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("leasecheck"), err
    return code


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_as_a_capture(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.pcap"
    path.write_bytes(data)
    assert assert_clean_outcome(["conform", "--pcap", str(path)]) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(CAPTURES), cut=st.integers(0, 10_000), flips=st.lists(st.integers(0, 10_000), max_size=6),
       seed=st.integers(0, 2**32 - 1))
def test_truncated_and_corrupted_captures(tmp_path_factory, which, cut, flips, seed):
    raw = bytearray(which.read_bytes())
    raw = raw[: cut % (len(raw) + 1)]
    rng = random.Random(seed)
    for f in flips:
        if raw:
            raw[f % len(raw)] = rng.randrange(256)
    path = tmp_path_factory.mktemp("fuzz") / which.name
    path.write_bytes(bytes(raw))
    assert_clean_outcome(["conform", "--pcap", str(path)])


def test_a_missing_capture_file():
    assert assert_clean_outcome(["conform", "--pcap", "/nonexistent/capture.pcap"]) == 2


def test_a_folder_given_as_a_capture(tmp_path):
    assert assert_clean_outcome(["conform", "--pcap", str(tmp_path)]) == 2


# -- trace files (leasecheck replay) ---------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70) | st.sampled_from(["none", "INIT", "BOUND", "FREE", "NAK",
                                                                      "REQUEST(RENEWING,0)", "OFFER(0)", "x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["#meta", "vars", "states", "loop", "st", "db", "mem", "action", "name", "params", "index", "config",
         "leasecheck", "clients", "variant", "#bigint", "rule"]), inner, max_size=5),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def good_trace(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("trace") / "t.itf.json"
    code, _, err = run(["check", "--variant", "nt35", "--property", "recovery", "--trace-out", str(path)])
    assert code == 1, err
    return json.loads(path.read_text())


def _replay(tmp_path_factory, text: str) -> int:
    path = tmp_path_factory.mktemp("fuzz") / "t.itf.json"
    path.write_text(text)
    return assert_clean_outcome(["replay", str(path), "--format", "text"], allowed=(0, 2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=json_values)
def test_random_json_as_a_trace(tmp_path_factory, doc):
    assert _replay(tmp_path_factory, json.dumps(doc)) == 2


def _test_edited_traces_replay_or_are_refused_with_one_line(tmp_path_factory, good_trace, data):
    doc = copy.deepcopy(good_trace)
    for _ in range(data.draw(st.integers(1, 3))):
        node, key = _pick(doc, data)
        node[key] = data.draw(json_values)
    _replay(tmp_path_factory, json.dumps(doc))


#: the README's test command replays 60 edited traces, the sweep tier 200
_EDITED_TRACES = given(data=st.data())
test_edited_traces_replay_or_are_refused_with_one_line = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])(
    _EDITED_TRACES(_test_edited_traces_replay_or_are_refused_with_one_line))
test_edited_traces_replay_or_are_refused_with_one_line_200_times = pytest.mark.sweep(settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])(
    _EDITED_TRACES(_test_edited_traces_replay_or_are_refused_with_one_line)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 5000))
def test_truncated_trace_files(tmp_path_factory, good_trace, cut):
    text = json.dumps(good_trace)
    assert _replay(tmp_path_factory, text[: cut % len(text)]) == 2


def test_a_trace_file_that_is_not_json(tmp_path_factory):
    assert _replay(tmp_path_factory, "\x00\x01 not json") == 2


def _pick(doc: object, data: st.DataObject) -> tuple[Any, Any]:
    """A random (container, key) inside a JSON document, for editing."""
    node: Any = doc
    while True:
        keys = list(range(len(node))) if isinstance(node, list) else list(node)
        if not keys:
            raise AssertionError("an empty container was picked")
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            node = child
            continue
        return node, key
