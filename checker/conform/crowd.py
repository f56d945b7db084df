"""Many real clients against one real server on one bridge, disturbed while they run.

:func:`run_crowd` builds a server namespace holding a bridge ``s0`` (the server's interface, with
the server's address) and one namespace per client, each joined to the bridge by a veth pair
(interface ``c<n>`` in the client's namespace, a fixed locally administered hardware address per
client). The pool is only :attr:`Crowd.spare` addresses larger than the crowd (the servers give a
client the address it had, so it runs short only when new machines replace clients). ``dumpcap`` captures DHCP on the bridge: every message of every client and of the server
passes there. Once the clients are bound (or a limit has passed) the harness disturbs them, each
operation marked with its moment (:class:`Mark`):

1. ``delete``: the server forgets the lease of a few bound clients, each with its own delete
   command (:func:`~leasecheck.checker.conform.daemons.delete_lease`), and each such client that
   can be made to renew at once renews (``renew``); udhcpd has no delete command, so its crowd has
   none (its lost table, step 4, is the delete);
2. ``reboot-client``: a few other bound clients are killed (SIGKILL), their address removed, and
   started again with the files they kept;
3. ``replace-client`` (none unless asked for): a few other bound clients are killed for good and a
   client of the same kind starts on each one's link with a hardware address of its own and no
   lease (``start-client``): another machine, while the server still holds the old one's lease;
4. ``stop-server``, ``wipe-leases``, ``start-server``: the server restarts with its lease table lost;

then the traffic runs on until :attr:`Crowd.seconds` after the first client started. Every process
runs under ``timeout`` and is ended by its process group; whatever still runs in the run's
namespaces is killed before they are deleted (every namespace whose name the run made, also after
a failure half-way through building them), and the temporary folder is removed, whatever happens.

May import: leasecheck.errors, leasecheck.checker.conform.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leasecheck.checker.conform.daemons import (
    CLIENTS,
    DELETE_BY_RESTART,
    DHCPCD_LEASE_DIR,
    HOOK,
    RENEW_NOW,
    SERVER_IP,
    SERVERS,
    ConformError,
    client_argv,
    command,
    delete_lease,
    missing_prerequisites,
    renew,
    server_argv,
    wipe_leases,
)
from leasecheck.checker.conform.runner import (
    _BOUND_REASONS,
    _Daemons,
    _dhcpcd_dirs_before,
    _end_namespace_processes,
    _events,
    _restore_dhcpcd_dirs,
    _run,
    _wait_for,
)

#: the clients a crowd can hold: those that run our hook script, one process per namespace
CROWD_CLIENTS = ("udhcpc", "dhclient", "dhcpcd")
#: the pool starts at this host number of the server's /24
POOL_FIRST = 10
#: the most addresses a pool can have in the /24 (10 to 254)
MAX_POOL = 255 - POOL_FIRST
#: the fewest and the most clients of a crowd
MIN_CROWD, MAX_CROWD = 2, 240
#: how long to wait for the crowd to be bound before the disturbances start anyway
SETTLE_SECONDS = 30.0
#: how long a crowd's traffic runs by default, from the first client's start
CROWD_SECONDS = 60.0
#: the pause between two disturbances, and after the last one at least
PAUSE_SECONDS = 8.0


@dataclass(frozen=True)
class Crowd:
    """What a crowd run does: ``count`` clients of the kinds ``clients`` (assigned in turn) against
    ``server``, with a pool of ``count + spare`` addresses, and the disturbances."""

    server: str
    clients: tuple[str, ...] = ("udhcpc",)
    count: int = 50
    spare: int = 2
    deletes: int = 5  # clients whose lease the server forgets while it runs
    reboots: int = 5  # clients killed and started again
    replacements: int = 0  # clients killed for good, another machine (a new hardware address) in their place
    restart: bool = True  # the server restarted with its lease table lost
    seconds: float = CROWD_SECONDS  # of traffic, from the first client's start
    seed: int = 1  # chooses the clients disturbed

    def problems(self) -> list[str]:
        """What is wrong with this crowd, one sentence each (empty when it can run)."""
        out = []
        if self.server not in SERVERS:
            out.append(f"unknown server {self.server!r}; one of {', '.join(SERVERS)}")
        for kind in self.clients:
            if kind not in CROWD_CLIENTS:
                out.append(f"a crowd's clients are {', '.join(CROWD_CLIENTS)} (one process each, watched "
                           f"through their hook), not {kind!r}")
        if not self.clients:
            out.append("a crowd needs at least one kind of client")
        if not MIN_CROWD <= self.count <= MAX_CROWD:
            out.append(f"a crowd has {MIN_CROWD} to {MAX_CROWD} clients, not {self.count}")
        if self.spare < 0 or self.count + self.spare > MAX_POOL:
            out.append(f"the pool ({self.count} clients + {self.spare} spare) must fit in {MAX_POOL} addresses")
        if min(self.deletes, self.reboots, self.replacements) < 0:
            out.append("the deletes, reboots and replacements are counts of clients: 0 or more")
        elif self.deletes + self.reboots + self.replacements > self.count:
            out.append("the clients deleted, rebooted and replaced are different clients: at most the crowd, "
                       "together")

        if self.seconds <= 0:
            out.append("a crowd runs for more than 0 seconds")
        return out

    @property
    def pool(self) -> tuple[str, str]:
        prefix = SERVER_IP.rsplit(".", 1)[0]
        return f"{prefix}.{POOL_FIRST}", f"{prefix}.{POOL_FIRST + self.count + self.spare - 1}"

    def kind(self, n: int) -> str:
        return self.clients[n % len(self.clients)]


def member_mac(n: int) -> str:
    """Client ``n``'s hardware address: locally administered, unique in the crowd."""
    return f"02:4c:43:00:{n >> 8:02x}:{n & 0xFF:02x}"


@dataclass(frozen=True)
class Member:
    number: int
    kind: str
    mac: str
    slot: int  # the namespace and interface ``c<slot>`` it runs on (a replacement takes its predecessor's)


@dataclass(frozen=True)
class Mark:
    """One harness operation: what, when (the capture's clock), and on which client and address."""

    step: str
    time: float
    mac: str = ""
    address: str = ""


@dataclass(frozen=True)
class CrowdResult:
    crowd: Crowd
    pcap: bytes
    members: tuple[Member, ...]
    marks: tuple[Mark, ...]
    bound_before: int  # clients bound when the disturbances started
    bound_after: int  # clients bound (by their hook's last word) when the run ended
    seconds_to_settle: float  # from the first client's start until the disturbances started


def _crowd_argv(server: str, argv: list[str]) -> list[str]:
    """How a server is started to serve a crowd: its scenario configuration, and no slow probe of
    each address before it is offered. dnsmasq pings an address for about 3 s, one address at a
    time, and answers nothing else meanwhile; udhcpd ARP-pings it for 2 s, one at a time. A crowd
    of 50 would take minutes to be bound (udhcpd's bound none in 30 s), so dnsmasq gets
    ``--no-ping`` and udhcpd ``-a 100`` (100 ms)."""
    if server.startswith("dnsmasq"):
        return [*argv, "--no-ping"]
    if server == "udhcpd":
        return [argv[0], "-a", "100", *argv[1:]]
    return argv


class _Run:
    """One crowd run's namespaces, folders and daemons, and the harness operations on them."""

    def __init__(self, crowd: Crowd, tag: str, tmp: Path, daemons: _Daemons, limit: float):
        self.crowd, self.tmp, self.daemons, self.limit = crowd, tmp, daemons, limit
        self.srv_ns = f"lc-srv-{tag}"
        self.cli_prefix = f"lc-cli-{tag}-"
        self.members = [Member(n, crowd.kind(n), member_mac(n), n) for n in range(crowd.count)]
        self.current = {m.slot: m for m in self.members}  # who runs on each slot now
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.server: subprocess.Popen[bytes] | None = None
        self.marks: list[Mark] = []
        self.starts = 0

    def ns(self, n: int) -> str:
        return f"{self.cli_prefix}{n}"

    def folder(self, n: int) -> Path:
        return self.tmp / f"c{n}"

    def build(self) -> None:
        """The namespaces, the bridge and the veth pairs, in one shell script (one process, not
        one per command)."""
        lines = ["set -e", f"ip netns add {self.srv_ns}", f"ip -n {self.srv_ns} link set lo up",
                 f"ip -n {self.srv_ns} link add s0 type bridge", f"ip -n {self.srv_ns} link set s0 up",
                 f"ip -n {self.srv_ns} addr add {SERVER_IP}/24 dev s0"]
        for m in self.members:
            ns = self.ns(m.slot)
            lines += [f"ip netns add {ns}",
                      f"ip -n {self.srv_ns} link add v{m.number} type veth peer name c{m.number} netns {ns}",
                      f"ip -n {self.srv_ns} link set v{m.number} master s0 up",
                      f"ip -n {ns} link set c{m.number} address {m.mac} up", f"ip -n {ns} link set lo up"]
            self.folder(m.number).mkdir()
            hook = self.folder(m.number) / "hook.sh"
            hook.write_text(HOOK.format(events=self.folder(m.number) / "events"))
            hook.chmod(0o755)
        script = self.tmp / "build.sh"
        script.write_text("\n".join(lines) + "\n")
        command(["sh", str(script)], timeout=60 + 2 * len(self.members))

    def start_server(self) -> None:
        self.starts += 1
        log = self.tmp / f"server-{self.starts}.log"
        env = str(self.tmp)
        self.server = self.daemons.start(
            self.crowd.server, self.srv_ns,
            ["env", f"KEA_LOCKFILE_DIR={env}", f"KEA_PIDFILE_DIR={env}",
             *_crowd_argv(self.crowd.server, server_argv(self.crowd.server, self.tmp, self.crowd.pool))],
            self.limit, log)
        time.sleep(1.0)
        if self.server.poll() is not None:
            raise ConformError(f"{self.crowd.server} did not start: {log.read_text(errors='replace').strip()[-300:]}")

    def start_client(self, m: Member) -> None:
        folder = self.folder(m.number)
        self.procs[m.slot] = self.daemons.start(
            f"{m.kind} {m.number}", self.ns(m.slot), client_argv(m.kind, folder, f"c{m.slot}"), self.limit,
            folder / f"client-{len([p for p in folder.glob('client-*.log')])}.log")

    def address(self, n: int) -> str:
        """The address client ``n``'s hook last said it is bound to ("" when its last word was not
        a binding)."""
        events = _events(self.folder(n))
        if not events:
            return ""
        _t, reason, address = events[-1]
        return address if reason in _BOUND_REASONS else ""

    def bound(self) -> list[Member]:
        return [m for m in self.current.values() if self.address(m.number)]

    def mark(self, step: str, mac: str = "", address: str = "") -> None:
        self.marks.append(Mark(step, time.time(), mac, address))

    def delete(self, m: Member) -> None:
        address = self.address(m.number)
        self.mark("delete", m.mac, address)
        for attempt in range(6):
            try:
                delete_lease(self.crowd.server, self.srv_ns, self.tmp, address, m.mac)
                break
            except ConformError:
                if attempt == 5:
                    raise
                time.sleep(0.3)
        if m.kind in RENEW_NOW:
            time.sleep(0.3)
            self.mark("renew", m.mac, address)
            renew(m.kind, self.ns(m.slot), self.folder(m.number), f"c{m.slot}")

    def reboot(self, m: Member) -> None:
        self.mark("reboot-client", m.mac, self.address(m.number))
        self.power_off(m)
        time.sleep(0.3)
        self.start_client(m)

    def power_off(self, m: Member) -> None:
        proc = self.procs.get(m.slot)
        if proc is not None:
            self.daemons.kill(proc)
        _run(["ip", "-n", self.ns(m.slot), "addr", "flush", "dev", f"c{m.slot}", "scope", "global"])

    def replace(self, m: Member) -> None:
        """Another machine in ``m``'s place: ``m`` is killed, never to come back, and a client of the
        same kind starts on its link with a hardware address of its own and no lease."""
        self.mark("replace-client", m.mac, self.address(m.number))
        self.power_off(m)
        new = Member(len(self.members), m.kind, member_mac(len(self.members)), m.slot)
        self.members.append(new)
        self.current[m.slot] = new
        command(["ip", "-n", self.ns(m.slot), "link", "set", f"c{m.slot}", "address", new.mac])
        if m.kind == "dhcpcd":  # its lease file is named after the interface, which the new one keeps
            (DHCPCD_LEASE_DIR / f"c{m.slot}.lease").unlink(missing_ok=True)
        folder = self.folder(new.number)
        folder.mkdir()
        (folder / "hook.sh").write_text(HOOK.format(events=folder / "events"))
        (folder / "hook.sh").chmod(0o755)
        self.mark("start-client", new.mac)
        self.start_client(new)

    def restart_server(self) -> None:
        self.mark("stop-server")
        if self.server is not None:
            self.daemons.stop(self.server)
            self.server = None
        self.mark("wipe-leases")
        wipe_leases(self.crowd.server, self.tmp)
        self.mark("start-server")
        self.start_server()

    def namespaces(self) -> list[str]:
        """Every namespace of this run that exists (also those of a build that failed half-way)."""
        out = _run(["ip", "netns", "list"]).stdout
        names = [line.split()[0] for line in out.splitlines() if line.strip()]
        return [n for n in names if n == self.srv_ns or n.startswith(self.cli_prefix)]


def run_crowd(crowd: Crowd, keep: Path | None = None, progress: Callable[[str], None] | None = None) -> CrowdResult:
    """Run ``crowd`` once; ``keep``, when given, receives the daemons' logs and the clients' events."""
    problems = crowd.problems()
    if problems:
        raise ConformError("; ".join(problems))
    for kind in sorted(set(crowd.clients)):
        problems += missing_prerequisites(crowd.server, kind)
    if problems:
        raise ConformError("; ".join(sorted(set(problems))))
    say = progress or (lambda line: None)
    tag = f"{os.getpid()}-{time.monotonic_ns() % 100000}"
    tmp = Path(tempfile.mkdtemp(prefix=f"leasecheck-conform-{os.getpid()}-"))
    daemons = _Daemons()
    limit = crowd.seconds + SETTLE_SECONDS + 3 * PAUSE_SECONDS + 120
    run = _Run(crowd, tag, tmp, daemons, limit)
    dhcpcd_before = _dhcpcd_dirs_before("dhcpcd" in crowd.clients)
    try:
        say(f"building {crowd.count} client namespaces on one bridge")
        run.build()
        pcap, cap_log = tmp / "capture.pcap", tmp / "dumpcap.log"
        cap = daemons.start("dumpcap", run.srv_ns, ["dumpcap", "-q", "-i", "s0", "-P", "-w", str(pcap),
                                                     "-f", "udp port 67 or udp port 68"], limit, cap_log)
        _wait_for(lambda: "Capturing on" in cap_log.read_text(errors="replace"), 15, "the capture to start", cap)
        run.start_server()
        say(f"starting {crowd.count} clients against {crowd.server} (pool {crowd.pool[0]} to {crowd.pool[1]})")
        started = time.time()
        for m in run.members:
            run.start_client(m)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and len(run.bound()) < crowd.count:
            time.sleep(0.5)
        bound = run.bound()
        settled = time.time() - started
        say(f"{len(bound)} of {crowd.count} clients bound after {settled:.1f} s")
        if not bound:
            raise ConformError(f"no client was bound within {SETTLE_SECONDS:.0f} s")
        chooser = random.Random(crowd.seed)
        chosen = chooser.sample(bound, min(len(bound), crowd.deletes + crowd.reboots + crowd.replacements))
        to_delete = [] if crowd.server in DELETE_BY_RESTART else chosen[:crowd.deletes]
        to_reboot = chosen[crowd.deletes:crowd.deletes + crowd.reboots]
        to_replace = chosen[crowd.deletes + crowd.reboots:]
        for group, operation in ((to_delete, run.delete), (to_reboot, run.reboot), (to_replace, run.replace)):
            for m in group:
                operation(m)
            if group:
                time.sleep(PAUSE_SECONDS)
        if crowd.restart:
            run.restart_server()
        rest = max(PAUSE_SECONDS, started + crowd.seconds - time.time())
        say(f"disturbed ({len(run.marks)} operations); {rest:.0f} s more of traffic")
        time.sleep(rest)
        time.sleep(1.0)  # the last answers reach the capture
        after = len(run.bound())
        daemons.stop_all()
        data = pcap.read_bytes() if pcap.exists() else b""
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for path in tmp.glob("*.log"):
                shutil.copy(path, keep / path.name)
            for m in run.members:
                for path in run.folder(m.number).glob("*"):
                    if path.name == "events" or path.suffix == ".log":
                        shutil.copy(path, keep / f"c{m.number}-{path.name}")
        return CrowdResult(crowd, data, tuple(run.members), tuple(run.marks), len(bound), after, settled)
    finally:
        daemons.stop_all()
        for ns in run.namespaces():
            _end_namespace_processes(ns)
            _run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)
        _restore_dhcpcd_dirs(dhcpcd_before)


def sidecar(result: CrowdResult) -> dict[str, object]:
    """The capture's sidecar, in the format every capture has (``leasecheck conform --pcap`` reads
    it): no delete time, since a crowd has several deletes and a restart."""
    crowd = result.crowd
    return {"server": crowd.server, "client": ",".join(dict.fromkeys(crowd.clients)), "scenario": "crowd",
            "rebound": result.bound_after == crowd.count}


def harness_log(result: CrowdResult) -> dict[str, object]:
    """What the harness did and knows from outside the wire, as JSON: the crowd, each client's
    kind and hardware address, and each operation with its moment (the capture's clock)."""
    crowd = result.crowd
    return {
        "server": crowd.server, "clients": list(crowd.clients), "count": crowd.count, "spare": crowd.spare,
        "pool": list(crowd.pool), "deletes": crowd.deletes, "reboots": crowd.reboots,
        **({"replacements": crowd.replacements} if crowd.replacements else {}), "restart": crowd.restart,
        "seconds": crowd.seconds, "seed": crowd.seed, "bound_before": result.bound_before,
        "bound_after": result.bound_after, "seconds_to_settle": round(result.seconds_to_settle, 3),
        "members": [{"mac": m.mac, "kind": m.kind, **({"replaces": result.members[m.slot].mac} if m.slot != m.number
                                                      else {})} for m in result.members],
        "marks": [{"step": k.step, "time": k.time, "mac": k.mac, "address": k.address} for k in result.marks],
    }


def log_text(log: dict[str, object]) -> str:
    """The harness log as JSON text, one client or operation a line."""
    lines = []
    for key, value in log.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = ",\n".join("  " + json.dumps(v) for v in value)
            lines.append(f"{json.dumps(key)}: [\n{rows}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


__all__ = ["CLIENTS", "CROWD_CLIENTS", "Crowd", "CrowdResult", "Mark", "Member", "member_mac", "harness_log", "log_text", "run_crowd", "sidecar"]
