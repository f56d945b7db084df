"""The live subset of the reality matrix: a few cells against real daemons, one
per new server and new client kind, and nothing left behind by any run, finished or interrupted.

Needs root, network namespaces and the Debian packages of tests/conform_deps.sh; skipped with the
reason otherwise (.ci/run installs them when it runs as root).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from leasecheck.checker.cli.main import main
from leasecheck.checker.conform.runner import missing_prerequisites
from tests.children import default_signals
from tests.test_conform_e2e import _netns_unavailable

#: (server, client, scenario, the simplest explanation's variants): quick cells, each a few seconds
LIVE = [
    ("isc-dhcpd-auth", "udhcpc", "delete-renew", ["authoritative"]),
    ("udhcpd", "systemd-networkd", "restart-lost", None),
    ("isc-dhcpd", "networkmanager", "reboot-after-delete", None),
]


def _skip_reason() -> str | None:
    reason = _netns_unavailable()
    if reason:
        return reason
    for server, client, _scenario, _expected in LIVE:
        problems = missing_prerequisites(server, client)
        if problems:
            return "; ".join(problems)
    return None


REASON = _skip_reason()
pytestmark = [pytest.mark.live, pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

HOST_PATHS = (Path("/run/NetworkManager"), Path("/var/lib/connman"), Path("/run/systemd/network"),
              Path("/run/systemd/netif"))


def _traces(pid: int) -> dict[str, object]:
    """What a run made by process ``pid`` could leave behind: namespaces, processes, folders, and
    the host paths the clients would write to if their private mounts failed."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=False).stdout
    names = sorted(n.split()[0] for n in out.splitlines() if n.startswith((f"lc-srv-{pid}-", f"lc-cli-{pid}-")))
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=10, check=False).stdout
    procs = [line for line in ps.splitlines() if f"leasecheck-conform-{pid}-" in line]
    folders = sorted(str(p) for p in Path(tempfile.gettempdir()).glob(f"leasecheck-conform-{pid}-*"))
    dhcpcd = sorted(str(p) for d in (Path("/var/lib/dhcpcd"), Path("/run/dhcpcd")) if d.exists() for p in d.iterdir())
    host = [str(p) for p in HOST_PATHS if p.exists()]
    resolv = Path("/etc/resolv.conf")
    resolver = resolv.read_bytes() if resolv.exists() else None  # no client may rewrite the host's
    return {"namespaces": names, "processes": procs, "folders": folders, "dhcpcd": dhcpcd, "host": host,
            "resolv.conf": resolver}


@pytest.mark.parametrize(("server", "client", "scenario", "expected"), LIVE, ids=[f"{s}-{c}-{n}" for s, c, n, _ in LIVE])
def test_a_live_cell_is_measured_and_explained(tmp_path: Path, server: str, client: str, scenario: str,
                                               expected: list[str] | None) -> None:
    before = _traces(os.getpid())
    out, err = io.StringIO(), io.StringIO()
    code = main(["conform", "--matrix", "--server", server, "--client", client, "--scenario", scenario,
                 "--out-dir", str(tmp_path), "--time-limit", "90"], out, err)
    doc = json.loads((tmp_path / "matrix.json").read_text())
    (cell,) = doc["cells"]
    assert cell["status"] == "measured", cell
    assert code == 0, err.getvalue()
    assert cell["rebound"] and cell["seconds_to_rebind"] is not None
    assert cell["label"] not in ("no variant", "run failed"), cell
    if expected is not None:
        assert cell["label"] == ", ".join(expected)
    assert f"[1/1] {server} x {client} x {scenario}" in err.getvalue()  # the progress line
    assert (tmp_path / "captures" / f"{server}-{client}-{scenario}.pcap").stat().st_size > 0
    assert (tmp_path / "matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert _traces(os.getpid()) == before


def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path) -> None:
    """SIGTERM in the middle of a cell (client bound, server running): every namespace, process and
    file of the run is gone once the command has ended."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "leasecheck", "conform", "--matrix", "--server", "isc-dhcpd", "--client",
         "systemd-networkd", "--scenario", "delete-rebind", "--out-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    before = _traces(os.getpid())
    host_before = before["host"]
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not _traces(proc.pid)["processes"]:
            time.sleep(0.2)
        assert _traces(proc.pid)["processes"], "the run never started its daemons"
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and "interrupted" in stderr
    left = _traces(proc.pid)
    assert left["namespaces"] == [] and left["processes"] == [] and left["folders"] == [], left
    assert left["host"] == host_before, left
    assert left["resolv.conf"] == before["resolv.conf"], "the run changed the host's /etc/resolv.conf"
