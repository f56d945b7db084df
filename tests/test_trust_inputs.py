"""Trust: damaged or hostile input files give one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import io
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main

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
