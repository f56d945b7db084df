"""The KB scenario against real DHCP daemons, isolated in two network namespaces.

:func:`run_scenario` builds a server namespace and a client namespace joined by a veth pair,
captures DHCP traffic on the client side, starts the server and the client, waits until the
client is bound, deletes the client's active lease on the server, makes the client renew, and
stops when the client is bound again or the time limit is reached. Every process runs under
``timeout`` and is ended by its PID; the namespaces and the temporary folder are removed
whatever happens. Nothing outside those namespaces and that folder is touched, except the lease
file dhcpcd insists on writing under ``/var/lib/dhcpcd/``, which is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from leasecheck.checker.conform.daemons import (
    CLIENTS,
    DHCPCD_LEASE_DIR,
    HOOK,
    LEASE_SECONDS,
    SERVER_IP,
    SERVERS,
    ConformError,
    client_argv,
    command,
    delete_lease,
    missing_prerequisites,
    renew,
    server_argv,
)

__all__ = ["CLIENTS", "SERVERS", "ConformError", "RunResult", "Scenario", "missing_prerequisites", "run_scenario"]


@dataclass(frozen=True)
class Scenario:
    server: str
    client: str
    time_limit: float = 150.0  # seconds from the delete until giving up on a rebind (a lease is 120 s)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the capture, and what the harness knows from outside the wire."""

    scenario: Scenario
    pcap: bytes
    delete_time: float  # epoch seconds, the clock of the capture's timestamps
    leased_address: str
    client_mac: str
    rebound: bool
    seconds_to_rebind: float | None


def _run(argv: Sequence[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["timeout", "-k", "1", str(timeout), *argv], capture_output=True, text=True, check=False)


class _Daemons:
    """Processes started under ``timeout``; each ended by its own PID."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, ns: str, argv: Sequence[str], limit: float, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                ["timeout", "-k", "2", str(int(limit)), "ip", "netns", "exec", ns, *argv],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # timeout passes it on to the daemon
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # kill the group this process leads: timeout and its daemon
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _wait_for(predicate: Callable[[], bool], limit: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise ConformError(f"{what}: the process ended early (exit {proc.returncode})")
        time.sleep(0.05)
    raise ConformError(f"timed out waiting for {what}")


def _events(tmp: Path) -> list[tuple[float, str, str]]:
    path = tmp / "events"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out.append((float(parts[0]), parts[1], parts[2] if len(parts) > 2 else ""))
    return out


_BOUND_REASONS = {"bound", "renew", "BOUND", "RENEW", "REBIND", "REBOOT"}


def _bound_since(tmp: Path, since: float) -> tuple[float, str] | None:
    for t, reason, addr in _events(tmp):
        if t >= since and reason in _BOUND_REASONS and addr:
            return t, addr
    return None


def run_scenario(scenario: Scenario, keep: Path | None = None) -> RunResult:
    """Run the KB scenario once; ``keep``, when given, receives the daemons' logs."""
    if scenario.server not in SERVERS or scenario.client not in CLIENTS:
        raise ConformError(f"unknown pair {scenario.server} x {scenario.client}")
    problems = missing_prerequisites(scenario.server, scenario.client)
    if problems:
        raise ConformError("; ".join(problems))
    tag = f"{os.getpid()}-{time.monotonic_ns() % 100000}"
    srv_ns, cli_ns = f"lc-srv-{tag}", f"lc-cli-{tag}"
    tmp = Path(tempfile.mkdtemp(prefix=f"leasecheck-conform-{os.getpid()}-"))
    daemons = _Daemons()
    made: list[str] = []
    limit = scenario.time_limit + LEASE_SECONDS + 60
    dhcpcd_before = set(DHCPCD_LEASE_DIR.glob("c0*")) if DHCPCD_LEASE_DIR.exists() else set()
    try:
        for ns in (srv_ns, cli_ns):
            command(["ip", "netns", "add", ns])
            made.append(ns)
        command(["ip", "link", "add", "s0", "netns", srv_ns, "type", "veth", "peer", "name", "c0", "netns", cli_ns])
        command(["ip", "-n", srv_ns, "addr", "add", f"{SERVER_IP}/24", "dev", "s0"])
        for ns, dev in ((srv_ns, "s0"), (cli_ns, "c0")):
            command(["ip", "-n", ns, "link", "set", "lo", "up"])
            command(["ip", "-n", ns, "link", "set", dev, "up"])
        mac = command(["ip", "netns", "exec", cli_ns, "cat", "/sys/class/net/c0/address"]).strip()
        (tmp / "hook.sh").write_text(HOOK.format(events=tmp / "events"))
        (tmp / "hook.sh").chmod(0o755)

        pcap = tmp / "capture.pcap"
        cap_log = tmp / "dumpcap.log"
        cap = daemons.start("dumpcap", cli_ns, ["dumpcap", "-q", "-i", "c0", "-P", "-w", str(pcap),
                                                 "-f", "udp port 67 or udp port 68"], limit, cap_log)
        _wait_for(lambda: "Capturing on" in cap_log.read_text(errors="replace"), 15,
                  "the capture to start", cap)
        env_dir = str(tmp)
        srv_log = tmp / "server.log"
        srv = daemons.start(scenario.server, srv_ns,
                            ["env", f"KEA_LOCKFILE_DIR={env_dir}", f"KEA_PIDFILE_DIR={env_dir}",
                             *server_argv(scenario.server, tmp)], limit, srv_log)
        time.sleep(1.0)
        if srv.poll() is not None:
            raise ConformError(f"{scenario.server} did not start: {srv_log.read_text(errors='replace').strip()[-300:]}")
        cli = daemons.start(scenario.client, cli_ns, client_argv(scenario.client, tmp), limit, tmp / "client.log")
        _wait_for(lambda: _bound_since(tmp, 0.0) is not None, 30, f"{scenario.client} to be bound", cli)
        bound = _bound_since(tmp, 0.0)
        assert bound is not None
        leased = bound[1]
        time.sleep(1.0)
        delete_time = time.time()
        delete_lease(scenario.server, srv_ns, tmp, leased, mac)
        time.sleep(0.5)
        renew(scenario.client, cli_ns, tmp)
        rebound_at: float | None = None
        deadline = time.monotonic() + scenario.time_limit
        while time.monotonic() < deadline:
            again = _bound_since(tmp, delete_time)
            if again is not None:
                rebound_at = again[0]
                break
            if cli.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let the last answers reach the capture
        daemons.stop_all()
        data = pcap.read_bytes() if pcap.exists() else b""
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name in ("server.log", "client.log", "dnsmasq.log", "kea.log", "events", "dumpcap.log"):
                if (tmp / name).exists():
                    shutil.copy(tmp / name, keep / name)
        return RunResult(scenario, data, delete_time, leased, mac, rebound_at is not None,
                         None if rebound_at is None else rebound_at - delete_time)
    finally:
        daemons.stop_all()
        for ns in made:
            _run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)
        if DHCPCD_LEASE_DIR.exists():
            for path in set(DHCPCD_LEASE_DIR.glob("c0*")) - dhcpcd_before:
                path.unlink(missing_ok=True)
