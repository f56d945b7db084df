"""The real daemons of the scenario: what each needs installed, how each is started, how the
server forgets a lease and how the client is made to renew (PEERS.md, verified on Debian 12).

Every file a daemon writes (leases, pid, log, control socket, hook script) is in the run's own
temporary folder; the one exception is dhcpcd's lease under ``/var/lib/dhcpcd/``, which the runner
removes afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from leasecheck.errors import UserError

SERVERS = ("dnsmasq", "dnsmasq-auth", "kea")
CLIENTS = ("udhcpc", "dhclient", "dhcpcd")

SERVER_IP = "10.77.0.1"
POOL = ("10.77.0.50", "10.77.0.60")
LEASE_SECONDS = 120  # dnsmasq's minimum
T1_SECONDS = 20
T2_SECONDS = 60
KEA_HOOK_NAME = "libdhcp_lease_cmds.so"  # in kea-common, under /usr/lib/<multiarch>/kea/hooks/
DHCPCD_LEASE_DIR = Path("/var/lib/dhcpcd")


class ConformError(UserError):
    """The scenario cannot run here (not root, a missing package) or a daemon failed."""


#: Executables each side needs, and the Debian package that provides each.
_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "common": (("ip", "iproute2"), ("dumpcap", "tshark"), ("timeout", "coreutils")),
    "dnsmasq": (("dnsmasq", "dnsmasq-base"), ("dhcp_release", "dnsmasq-utils")),
    "dnsmasq-auth": (("dnsmasq", "dnsmasq-base"), ("dhcp_release", "dnsmasq-utils")),
    "kea": (("kea-dhcp4", "kea-dhcp4-server"), ("socat", "socat")),
    "udhcpc": (("udhcpc", "udhcpc"),),
    "dhclient": (("dhclient", "isc-dhcp-client"),),
    "dhcpcd": (("dhcpcd", "dhcpcd-base"),),
}


def missing_prerequisites(server: str, client: str) -> list[str]:
    """What stops the scenario from running here, one sentence each (empty when it can run)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the conformance scenario needs root (network namespaces)")
    packages = sorted({pkg for side in ("common", server, client) for exe, pkg in _NEEDS[side] if not shutil.which(exe)})
    if server == "kea" and kea_hook() is None:
        packages.append("kea-common")
    if packages:
        problems.append(f"missing Debian packages: apt-get install -y {' '.join(packages)}")
    return problems


def command(argv: Sequence[str], timeout: float = 10.0, stdin: str | None = None) -> str:
    """Run a short command under ``timeout``; its output, or ConformError saying why it failed."""
    done = subprocess.run(["timeout", "-k", "1", str(timeout), *argv], input=stdin, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise ConformError(f"{' '.join(argv)} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


HOOK = """#!/bin/sh
# Records what the client was told; configures the address inside the client namespace only.
addr="${{ip:-${{new_ip_address:-}}}}"
echo "$(date +%s.%N) ${{1:-$reason}} $addr" >> {events}
case "${{1:-$reason}}" in
  bound|renew|BOUND|RENEW|REBIND|REBOOT)
    [ -n "$addr" ] && ip addr replace "$addr/24" dev "${{interface:-c0}}" ;;
  deconfig|EXPIRE|FAIL|RELEASE|STOP)
    ip addr flush dev "${{interface:-c0}}" scope global ;;
esac
exit 0
"""


def kea_hook() -> Path | None:
    """Kea's lease-command hook library, wherever this machine's multiarch directory is."""
    found = sorted(Path("/usr/lib").glob(f"*/kea/hooks/{KEA_HOOK_NAME}")) + sorted(
        Path("/usr/lib/kea/hooks").glob(KEA_HOOK_NAME))
    return found[0] if found else None


def kea_config(tmp: Path) -> dict[str, object]:
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["s0"]},
            "lease-database": {"type": "memfile", "persist": True, "name": str(tmp / "kea-leases.csv"), "lfc-interval": 0},
            "control-socket": {"socket-type": "unix", "socket-name": str(tmp / "kea.sock")},
            "hooks-libraries": [{"library": str(kea_hook())}],
            "valid-lifetime": LEASE_SECONDS,
            "renew-timer": T1_SECONDS,
            "rebind-timer": T2_SECONDS,
            "authoritative": False,
            "subnet4": [{"id": 1, "subnet": "10.77.0.0/24", "pools": [{"pool": f"{POOL[0]} - {POOL[1]}"}]}],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": str(tmp / "kea.log")}]}],
        }
    }


def server_argv(server: str, tmp: Path) -> list[str]:
    if server == "kea":
        (tmp / "kea.json").write_text(json.dumps(kea_config(tmp)))
        return ["kea-dhcp4", "-c", str(tmp / "kea.json")]
    argv = [
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=s0", "--bind-interfaces",
        f"--dhcp-range={POOL[0]},{POOL[1]},{LEASE_SECONDS}", f"--dhcp-leasefile={tmp / 'dnsmasq.leases'}",
        f"--pid-file={tmp / 'dnsmasq.pid'}", "--log-dhcp", f"--log-facility={tmp / 'dnsmasq.log'}",
        "--user=root", "--group=root", f"--dhcp-option=option:T1,{T1_SECONDS}", f"--dhcp-option=option:T2,{T2_SECONDS}",
    ]
    if server == "dnsmasq-auth":
        argv.append("--dhcp-authoritative")
    return argv


def client_argv(client: str, tmp: Path) -> list[str]:
    hook = str(tmp / "hook.sh")
    if client == "udhcpc":
        return ["udhcpc", "-f", "-i", "c0", "-s", hook, "-p", str(tmp / "udhcpc.pid"), "-t", "20", "-T", "3", "-A", "3"]
    if client == "dhclient":
        return ["dhclient", "-d", "-4", "-v", "-sf", hook, "-lf", str(tmp / "dhclient.leases"),
                "-pf", str(tmp / "dhclient.pid"), "c0"]
    return ["dhcpcd", "-4", "-B", "-f", "/dev/null", "-c", hook, "--noipv4ll", "c0"]


def delete_lease(server: str, srv_ns: str, tmp: Path, ip: str, mac: str) -> None:
    """Make the running server forget the active lease of ``ip`` (the administrator's delete)."""
    if server == "kea":
        request = json.dumps({"command": "lease4-del", "arguments": {"ip-address": ip}})
        out = command(["ip", "netns", "exec", srv_ns, "socat", "-t", "2", "-", f"UNIX-CONNECT:{tmp / 'kea.sock'}"],
                      stdin=request)
        if '"result": 0' not in out:
            raise ConformError(f"Kea refused lease4-del: {out.strip()}")
    else:
        command(["ip", "netns", "exec", srv_ns, "dhcp_release", "s0", ip, mac])


def renew(client: str, cli_ns: str, tmp: Path) -> None:
    """Make the client renew now; dhclient has no way to, so it renews at the short T1 the server gives."""
    if client == "udhcpc":
        pid = int((tmp / "udhcpc.pid").read_text().split()[0])
        os.kill(pid, signal.SIGUSR1)  # the udhcpc process itself, by the PID it wrote
    elif client == "dhcpcd":
        command(["ip", "netns", "exec", cli_ns, "dhcpcd", "-4", "-N", "c0"])
