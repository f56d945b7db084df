"""End to end: the KB scenario against real dnsmasq and udhcpc, both modes.

Needs root, network namespaces and the Debian packages of tests/conform_deps.sh; skipped with the
reason otherwise. Whatever happens, no namespace and no daemon of the run is left behind.
"""

from __future__ import annotations

import io
import json
import os
import subprocess

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform.runner import missing_prerequisites


def _netns_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    name = f"lc-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=10, check=False)
    if made.returncode != 0:
        return f"network namespaces are unavailable here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10, check=False)
    return None


def _skip_reason() -> str | None:
    return _netns_unavailable() or "; ".join(missing_prerequisites("dnsmasq", "udhcpc")) or None


def _our_namespaces() -> set[str]:
    """Namespaces of runs made by this process (their names carry its PID; others may run at once)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=False).stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    return {n for n in names if n.startswith((f"lc-srv-{os.getpid()}-", f"lc-cli-{os.getpid()}-"))}


def _our_daemons() -> list[str]:
    """Processes still working in a temporary folder of a run made by this process."""
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=10, check=False).stdout
    return [line for line in out.splitlines() if f"leasecheck-conform-{os.getpid()}-" in line]


REASON = _skip_reason()
pytestmark = [pytest.mark.live, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.mark.parametrize(("server", "answer", "expected"), [
    ("dnsmasq", "NAK", ["nt40", "dnsmasq"]),  # they differ only on requests udhcpc does not send here
    ("dnsmasq-auth", "ACK(0)", ["authoritative"]),
])
def test_the_kb_scenario_against_dnsmasq_and_udhcpc_names_the_variant(server: str, answer: str,
                                                                      expected: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    # One loss allowed: udhcpc may miss a very fast unicast answer and retry (docs/conformance.md).
    code = main(["conform", "--server", server, "--client", "udhcpc", "--time-limit", "30", "--losses", "1",
                 "--format", "json"], out, err)
    assert code == 0, out.getvalue() + err.getvalue()
    (case,) = json.loads(out.getvalue())
    assert case["after_delete"][:2] == ["REQUEST(RENEWING,0)", answer]
    assert case["consistent_variants"] == expected
    assert _our_namespaces() == set()
    assert _our_daemons() == []
