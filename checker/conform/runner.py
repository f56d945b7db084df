"""A scenario against real DHCP daemons, isolated in two network namespaces.

:func:`run_scenario` builds a server namespace and a client namespace joined by a veth pair,
captures DHCP traffic on the client side, starts the server and the client, waits until the
client is bound, performs the scenario's harness operations one by one (``_Cell.op_*``, named in
:mod:`leasecheck.checker.conform.scenarios`: the KB's is delete the active lease, then renew) and
stops when the client is bound again or the time limit is reached. Every process runs under
``timeout`` and is ended by its process group; whatever still runs in the run's namespaces is
killed before they are deleted, and the temporary folder is removed, whatever happens. Nothing
outside those namespaces and that folder is touched, except the files dhcpcd insists on writing
under ``/var/lib/dhcpcd/`` and ``/run/dhcpcd/``, which are removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from leasecheck.checker.conform.classify import DhcpPacket, decode
from leasecheck.checker.conform.daemons import (
    CLIENTS,
    DHCPCD_LEASE_DIR,
    DHCPCD_RUN_DIR,
    HOOK,
    HOOK_CLIENTS,
    LEASE_SECONDS,
    RENEW_NOW,
    SERVER_IP,
    SERVERS,
    T1_SECONDS,
    ConformError,
    client_argv,
    command,
    delete_lease,
    lease_seconds,
    missing_prerequisites,
    renew,
    server_argv,
    wipe_leases,
)
from leasecheck.checker.conform.pcap import PcapError, read_udp
from leasecheck.checker.conform.scenarios import scenario as matrix_scenario

SUBNET_PREFIX = SERVER_IP.rsplit(".", 1)[0] + "."

__all__ = ["CLIENTS", "SERVERS", "ConformError", "RunResult", "Scenario", "missing_prerequisites", "run_scenario"]


@dataclass(frozen=True)
class Scenario:
    server: str
    client: str
    time_limit: float = 150.0  # seconds from the disruption until giving up on a rebind (a lease is 120 s)
    name: str = "delete-renew"  # one of leasecheck.checker.conform.scenarios.SCENARIOS


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the capture, and what the harness knows from outside the wire."""

    scenario: Scenario
    pcap: bytes
    delete_time: float | None  # epoch seconds, the clock of the capture's timestamps (None: no delete)
    leased_address: str
    client_mac: str
    rebound: bool
    seconds_to_rebind: float | None  # from the scenario's first disruption to the client bound again
    marks: tuple[tuple[str, float], ...] = ()  # each harness operation and when it was done


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

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """End one daemon: SIGTERM (timeout passes it on), then its whole process group, which also
        holds what it started itself (the private D-Bus of NetworkManager and connman)."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        self.kill(proc)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the process group ``proc`` leads (timeout and everything under it)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # timeout passes it on to the daemon
        for _name, proc in reversed(self.procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            self.kill(proc)


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


class _Cell:
    """One run's namespaces, folder and daemons, and the harness operations on them."""

    def __init__(self, scenario: Scenario, srv_ns: str, cli_ns: str, tmp: Path, daemons: _Daemons, limit: float):
        self.scenario, self.srv_ns, self.cli_ns, self.tmp, self.daemons = scenario, srv_ns, cli_ns, tmp, daemons
        self.limit = limit
        self.server: subprocess.Popen[bytes] | None = None
        self.client: subprocess.Popen[bytes] | None = None
        self.mac = ""
        self.leased = ""
        self.marks: list[tuple[str, float]] = []
        self.starts = 0

    # -- the daemons ------------------------------------------------------------------------------

    def start_server(self) -> None:
        self.starts += 1
        env = str(self.tmp)
        log = self.tmp / f"server-{self.starts}.log"
        self.server = self.daemons.start(
            self.scenario.server, self.srv_ns,
            ["env", f"KEA_LOCKFILE_DIR={env}", f"KEA_PIDFILE_DIR={env}", *server_argv(self.scenario.server, self.tmp)],
            self.limit, log)
        time.sleep(1.0)
        if self.server.poll() is not None:
            raise ConformError(f"{self.scenario.server} did not start: {log.read_text(errors='replace').strip()[-300:]}")

    def stop_server(self) -> None:
        if self.server is not None:
            self.daemons.stop(self.server)
            self.server = None

    def start_client(self) -> None:
        self.client = self.daemons.start(self.scenario.client, self.cli_ns, client_argv(self.scenario.client, self.tmp),
                                         self.limit, self.tmp / f"client-{len(self.marks)}.log")

    def bound_address(self) -> str | None:
        if self.scenario.client in HOOK_CLIENTS:
            bound = _bound_since(self.tmp, 0.0)
            return None if bound is None else bound[1]
        out = _run(["ip", "-n", self.cli_ns, "-4", "-o", "addr", "show", "dev", "c0", "scope", "global"]).stdout
        for word in out.split():  # only an address of the server's subnet: not IPv4LL, which connman falls back to
            if word.startswith(SUBNET_PREFIX) and "/" in word:
                return word.split("/")[0]
        return None

    def packets(self) -> list[DhcpPacket]:
        """The DHCP messages captured so far (a record being written is read at the next look)."""
        try:
            udp = read_udp((self.tmp / "capture.pcap").read_bytes())
        except (OSError, PcapError):
            return []
        return [p for p in map(decode, udp) if p is not None]

    def wire_summary(self) -> str:
        """How many DHCP messages of each kind the capture holds so far (for a failure's reason)."""
        counts: dict[str, int] = {}
        for p in self.packets():
            counts[p.msg_type] = counts.get(p.msg_type, 0) + 1
        kinds = ("DISCOVER", "OFFER", "REQUEST", "ACK", "NAK")
        return ", ".join(f"{counts.get(k, 0)} {k}" for k in kinds) or "nothing"

    def rebound_since(self, since: float) -> float | None:
        """When the client was bound again after ``since``: its hook says so, or (for the clients
        without one) an ACK to it is on the wire."""
        if self.scenario.client in HOOK_CLIENTS:
            again = _bound_since(self.tmp, since)
            return None if again is None else again[0]
        for p in self.packets():
            if p.time >= since and p.msg_type == "ACK":
                return p.time
        return None

    def mark(self, step: str) -> float:
        now = time.time()
        self.marks.append((step, now))
        return now

    # -- the harness operations (scenarios.OPERATIONS) -------------------------------------------

    def do(self, step: str) -> None:
        getattr(self, "op_" + step.replace("-", "_"))()

    def op_delete(self) -> None:
        self.mark("delete")
        if self.scenario.server == "udhcpd":  # no delete command: restarted with an empty lease file
            self.stop_server()
            wipe_leases(self.scenario.server, self.tmp)
            self.start_server()
            return
        for attempt in range(6):
            try:
                delete_lease(self.scenario.server, self.srv_ns, self.tmp, self.leased, self.mac)
                return
            except ConformError:
                if attempt == 5:
                    raise
                time.sleep(0.3)

    def op_renew(self) -> None:
        time.sleep(0.5)
        self.mark("renew")
        if self.scenario.client in RENEW_NOW:
            renew(self.scenario.client, self.cli_ns, self.tmp)

    def op_stop_server(self) -> None:
        self.mark("stop-server")
        self.stop_server()

    def op_wipe_leases(self) -> None:
        self.mark("wipe-leases")
        wipe_leases(self.scenario.server, self.tmp)

    def op_start_server(self) -> None:
        self.mark("start-server")
        self.start_server()

    def op_await_rebinding(self) -> None:
        since = self.marks[-1][1]
        _wait_for(lambda: any(p.time >= since and p.msg_type == "REQUEST" and p.ciaddr != "0.0.0.0"
                              and p.dst == "255.255.255.255" and p.server_id is None for p in self.packets()),
                  lease_seconds(self.scenario.server) + 15, f"{self.scenario.client} to rebind")
        self.mark("rebinding seen")

    def op_reboot_client(self) -> None:
        time.sleep(0.5)
        self.mark("reboot-client")
        if self.client is not None:
            self.daemons.kill(self.client)
        _run(["ip", "-n", self.cli_ns, "addr", "flush", "dev", "c0", "scope", "global"])
        time.sleep(0.5)
        self.start_client()

    def op_drop_answers(self) -> None:
        self.mark("drop-answers")
        command(["ip", "netns", "exec", self.cli_ns, "iptables", "-I", "INPUT", "-p", "udp", "--sport", "67",
                 "-j", "DROP"])

    def op_await_answer(self) -> None:
        since = self.marks[-1][1]
        _wait_for(lambda: any(p.time >= since and p.op == 2 for p in self.packets()), T1_SECONDS + 20,
                  f"{self.scenario.server} to answer the renewal")
        self.mark("answer seen")

    def op_pass_answers(self) -> None:
        time.sleep(0.2)
        self.mark("pass-answers")
        command(["ip", "netns", "exec", self.cli_ns, "iptables", "-D", "INPUT", "-p", "udp", "--sport", "67",
                 "-j", "DROP"])


def run_scenario(scenario: Scenario, keep: Path | None = None) -> RunResult:
    """Run one scenario once; ``keep``, when given, receives the daemons' logs."""
    if scenario.server not in SERVERS or scenario.client not in CLIENTS:
        raise ConformError(f"unknown pair {scenario.server} x {scenario.client}")
    plan = matrix_scenario(scenario.name)
    problems = missing_prerequisites(scenario.server, scenario.client)
    if problems:
        raise ConformError("; ".join(problems))
    tag = f"{os.getpid()}-{time.monotonic_ns() % 100000}"
    srv_ns, cli_ns = f"lc-srv-{tag}", f"lc-cli-{tag}"
    tmp = Path(tempfile.mkdtemp(prefix=f"leasecheck-conform-{os.getpid()}-"))
    daemons = _Daemons()
    made: list[str] = []
    limit = scenario.time_limit + LEASE_SECONDS + 120
    # dhcpcd's own folders on the host: what is new there after the run is the run's (runs are sequential)
    dhcpcd_before = _dhcpcd_dirs_before(scenario.client == "dhcpcd")
    resolv_before = _read_or_none(HOST_RESOLV_CONF)
    try:
        for ns in (srv_ns, cli_ns):
            command(["ip", "netns", "add", ns])
            made.append(ns)
        command(["ip", "link", "add", "s0", "netns", srv_ns, "type", "veth", "peer", "name", "c0", "netns", cli_ns])
        command(["ip", "-n", srv_ns, "addr", "add", f"{SERVER_IP}/24", "dev", "s0"])
        for ns, dev in ((srv_ns, "s0"), (cli_ns, "c0")):
            command(["ip", "-n", ns, "link", "set", "lo", "up"])
            command(["ip", "-n", ns, "link", "set", dev, "up"])
        cell = _Cell(scenario, srv_ns, cli_ns, tmp, daemons, limit)
        cell.mac = command(["ip", "netns", "exec", cli_ns, "cat", "/sys/class/net/c0/address"]).strip()
        (tmp / "hook.sh").write_text(HOOK.format(events=tmp / "events"))
        (tmp / "hook.sh").chmod(0o755)

        pcap = tmp / "capture.pcap"
        cap_log = tmp / "dumpcap.log"
        cap = daemons.start("dumpcap", cli_ns, ["dumpcap", "-q", "-i", "c0", "-P", "-w", str(pcap),
                                                 "-f", "udp port 67 or udp port 68"], limit, cap_log)
        _wait_for(lambda: "Capturing on" in cap_log.read_text(errors="replace"), 15,
                  "the capture to start", cap)
        cell.start_server()
        cell.start_client()
        try:
            _wait_for(lambda: cell.bound_address() is not None, 45, f"{scenario.client} to be bound", cell.client)
        except ConformError as exc:
            raise ConformError(f"{exc}; on the wire: {cell.wire_summary()}") from None
        cell.leased = cell.bound_address() or ""
        time.sleep(1.0)
        for step in plan.steps:
            cell.do(step)
        disrupted = cell.marks[0][1]
        since = cell.marks[-1][1]
        rebound_at: float | None = None
        deadline = time.monotonic() + scenario.time_limit
        while time.monotonic() < deadline:
            rebound_at = cell.rebound_since(since)
            if rebound_at is not None:
                break
            if cell.client is not None and cell.client.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let the last answers reach the capture
        daemons.stop_all()
        data = pcap.read_bytes() if pcap.exists() else b""
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for path in tmp.glob("*.log"):
                shutil.copy(path, keep / path.name)
            if (tmp / "events").exists():
                shutil.copy(tmp / "events", keep / "events")
        deleted = next((t for step, t in cell.marks if step in ("delete", "wipe-leases")), None)
        return RunResult(scenario, data, deleted, cell.leased, cell.mac, rebound_at is not None,
                         None if rebound_at is None else rebound_at - disrupted, tuple(cell.marks))
    finally:
        daemons.stop_all()
        for ns in made:
            _end_namespace_processes(ns)
            _run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)
        if resolv_before is not None and _read_or_none(HOST_RESOLV_CONF) != resolv_before:
            # a client's own hooks (dhcpcd's resolv.conf hook, when it starts without ours) rewrote
            # the host's resolver configuration: put it back as it was
            HOST_RESOLV_CONF.write_bytes(resolv_before)
        _restore_dhcpcd_dirs(dhcpcd_before)


#: The host's resolver configuration, which no run may change.
HOST_RESOLV_CONF = Path("/etc/resolv.conf")


def _dhcpcd_dirs_before(used: bool) -> dict[Path, set[Path] | None]:
    """dhcpcd's own folders on the host and what they hold before a run (None: the folder is not
    there); what is new there after the run is the run's (runs are sequential)."""
    dirs = (DHCPCD_LEASE_DIR, DHCPCD_RUN_DIR) if used else ()
    return {d: set(d.glob("*")) if d.exists() else None for d in dirs}


def _restore_dhcpcd_dirs(before: dict[Path, set[Path] | None]) -> None:
    """Remove what a run left in dhcpcd's folders (:func:`_dhcpcd_dirs_before`), and the folders
    it made when they are empty."""
    for d, held in before.items():
        if not d.exists():
            continue
        for path in set(d.glob("*")) - (held or set()):
            if path.is_file() or path.is_socket():
                path.unlink(missing_ok=True)
        if held is None:
            with contextlib.suppress(OSError):  # not empty: something else works there
                d.rmdir()


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _end_namespace_processes(ns: str) -> None:
    """Kill what still runs in a namespace this run made (every such process is the run's own)."""
    out = _run(["ip", "netns", "pids", ns]).stdout
    for pid in (int(w) for w in out.split() if w.isdigit()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
