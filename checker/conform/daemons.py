"""The real daemons of the scenarios: what each needs installed, how each is started, how the
server forgets a lease and how the client is made to renew (verified on Debian 12).

Every file a daemon writes (leases, pid, log, control socket, hook script, D-Bus socket) is in
the run's own temporary folder; networkd, NetworkManager and connman run in a private mount
namespace whose mounts hide the host's /run, /var/lib and /etc/resolv.conf from them. The one
exception is dhcpcd, which writes under ``/var/lib/dhcpcd/`` and ``/run/dhcpcd/``; the runner
removes what it wrote there afterwards.
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

SERVERS = ("dnsmasq", "dnsmasq-auth", "kea", "isc-dhcpd", "isc-dhcpd-auth", "udhcpd")
CLIENTS = ("udhcpc", "dhclient", "dhcpcd", "systemd-networkd", "networkmanager", "connman")
#: clients that run our hook script (the others are watched through the capture and the interface)
HOOK_CLIENTS = ("udhcpc", "dhclient", "dhcpcd")
#: servers without a delete command: their delete is a restart with the lease removed (AdminRestart)
DELETE_BY_RESTART = ("udhcpd",)
#: clients that can be made to renew at once; the others renew at T1
RENEW_NOW = ("udhcpc", "dhcpcd")

SERVER_IP = "10.77.0.1"
POOL = ("10.77.0.50", "10.77.0.60")
LEASE_SECONDS = 120  # dnsmasq's minimum, and the longest lease any server here gives
SHORT_LEASE_SECONDS = 60  # what the other servers give, so that a client that waits for expiry waits less
T1_SECONDS = 10
T2_SECONDS = 30
KEA_HOOK_NAME = "libdhcp_lease_cmds.so"  # in kea-common, under /usr/lib/<multiarch>/kea/hooks/
DHCPCD_LEASE_DIR = Path("/var/lib/dhcpcd")
DHCPCD_RUN_DIR = Path("/run/dhcpcd")
OMAPI_PORT = 7911


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
    "isc-dhcpd": (("dhcpd", "isc-dhcp-server"), ("omshell", "isc-dhcp-server")),
    "isc-dhcpd-auth": (("dhcpd", "isc-dhcp-server"), ("omshell", "isc-dhcp-server")),
    "udhcpd": (("udhcpd", "udhcpd"),),
    "systemd-networkd": (("unshare", "util-linux"), ("networkctl", "systemd")),
    "networkmanager": (("unshare", "util-linux"), ("NetworkManager", "network-manager"),
                       ("dbus-daemon", "dbus-daemon")),
    "connman": (("unshare", "util-linux"), ("connmand", "connman"), ("dbus-daemon", "dbus-daemon")),
}
NETWORKD = Path("/lib/systemd/systemd-networkd")


def missing_prerequisites(server: str, client: str) -> list[str]:
    """What stops the scenario from running here, one sentence each (empty when it can run)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the conformance scenario needs root (network namespaces)")
    packages = sorted({pkg for side in ("common", server, client) for exe, pkg in _NEEDS[side] if not shutil.which(exe)})
    if server == "kea" and kea_hook() is None:
        packages.append("kea-common")
    if client == "systemd-networkd" and not NETWORKD.exists():
        packages.append("systemd")
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


def kea_config(tmp: Path, pool: tuple[str, str] = POOL) -> dict[str, object]:
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["s0"]},
            "lease-database": {"type": "memfile", "persist": True, "name": str(tmp / "kea-leases.csv"), "lfc-interval": 0},
            "control-socket": {"socket-type": "unix", "socket-name": str(tmp / "kea.sock")},
            "hooks-libraries": [{"library": str(kea_hook())}],
            "valid-lifetime": SHORT_LEASE_SECONDS,
            "renew-timer": T1_SECONDS,
            "rebind-timer": T2_SECONDS,
            "authoritative": False,
            "subnet4": [{"id": 1, "subnet": "10.77.0.0/24", "pools": [{"pool": f"{pool[0]} - {pool[1]}"}]}],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": str(tmp / "kea.log")}]}],
        }
    }


ISC_DHCPD_CONF = """# written by leasecheck conform: a subnet of the test's own namespaces only
default-lease-time {lease}; max-lease-time {lease}; min-lease-time {lease};
option dhcp-renewal-time {t1}; option dhcp-rebinding-time {t2};
ddns-update-style none;
omapi-port {omapi};
{authoritative}
subnet 10.77.0.0 netmask 255.255.255.0 {{ range {pool_start} {pool_end}; }}
"""

UDHCPD_CONF = """interface s0
start {pool_start}
end {pool_end}
lease_file {leases}
pidfile {pid}
auto_time 0
min_lease 30
option subnet 255.255.255.0
option lease {lease}
option 58 {t1:08x}
option 59 {t2:08x}
"""


def lease_seconds(server: str) -> int:
    """The lease time ``server`` gives (T1 and T2 are the same for all)."""
    return LEASE_SECONDS if server.startswith("dnsmasq") else SHORT_LEASE_SECONDS


def server_argv(server: str, tmp: Path, pool: tuple[str, str] = POOL) -> list[str]:
    """How ``server`` is started, its files in ``tmp``, handing out the addresses ``pool`` (first, last)."""
    if server == "kea":
        (tmp / "kea.json").write_text(json.dumps(kea_config(tmp, pool)))
        return ["kea-dhcp4", "-c", str(tmp / "kea.json")]
    if server.startswith("isc-dhcpd"):
        conf = ISC_DHCPD_CONF.format(lease=SHORT_LEASE_SECONDS, t1=T1_SECONDS, t2=T2_SECONDS, omapi=OMAPI_PORT,
                                     authoritative="authoritative;" if server == "isc-dhcpd-auth" else "",
                                     pool_start=pool[0], pool_end=pool[1])
        (tmp / "dhcpd.conf").write_text(conf)
        (tmp / "dhcpd.leases").touch()
        return ["dhcpd", "-4", "-f", "-d", "-cf", str(tmp / "dhcpd.conf"), "-lf", str(tmp / "dhcpd.leases"),
                "-pf", str(tmp / "dhcpd.pid"), "s0"]
    if server == "udhcpd":
        (tmp / "udhcpd.conf").write_text(UDHCPD_CONF.format(
            pool_start=pool[0], pool_end=pool[1], leases=tmp / "udhcpd.leases", pid=tmp / "udhcpd.pid",
            lease=SHORT_LEASE_SECONDS, t1=T1_SECONDS, t2=T2_SECONDS))
        (tmp / "udhcpd.leases").touch()
        return ["udhcpd", "-f", str(tmp / "udhcpd.conf")]
    argv = [
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=s0", "--bind-interfaces",
        f"--dhcp-range={pool[0]},{pool[1]},{LEASE_SECONDS}", f"--dhcp-leasefile={tmp / 'dnsmasq.leases'}",
        f"--pid-file={tmp / 'dnsmasq.pid'}", "--log-dhcp", f"--log-facility={tmp / 'dnsmasq.log'}",
        "--user=root", "--group=root", f"--dhcp-option=option:T1,{T1_SECONDS}", f"--dhcp-option=option:T2,{T2_SECONDS}",
    ]
    if server == "dnsmasq-auth":
        argv.append("--dhcp-authoritative")
    return argv


def lease_files(server: str, tmp: Path) -> list[Path]:
    """The files in which the server keeps its lease table (emptied when the table is lost)."""
    if server == "kea":
        return sorted(tmp.glob("kea-leases.csv*"))
    if server.startswith("isc-dhcpd"):
        return sorted(tmp.glob("dhcpd.leases*"))
    if server == "udhcpd":
        return [tmp / "udhcpd.leases"]
    return [tmp / "dnsmasq.leases"]


def wipe_leases(server: str, tmp: Path) -> None:
    for path in lease_files(server, tmp):
        if path.name.endswith("~") or path.name.startswith("kea-leases.csv."):
            path.unlink(missing_ok=True)  # a backup or a rotated file: gone with the table
        else:
            path.write_bytes(b"")


#: A private D-Bus system bus for the clients that need one (NetworkManager, connman).
BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

#: Run inside ``ip netns exec`` and ``unshare -m``: every mount below is private to the client's
#: own mount namespace, so the host's /run, /var/lib and /etc/resolv.conf are never written.
_PRIVATE_MOUNTS = """set -e
mount --make-rprivate /
mount -o remount,bind,ro /sys   # no udev here: a read-only /sys tells systemd and NetworkManager so
mount -t tmpfs tmpfs /run
touch {tmp}/resolv.conf
mount --bind {tmp}/resolv.conf /etc/resolv.conf
"""

_BUS = """dbus-daemon --config-file={tmp}/bus.conf --nofork --nopidfile &
for i in $(seq 50); do [ -S {tmp}/bus.sock ] && break; sleep 0.1; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path={tmp}/bus.sock
"""

NETWORKD_SCRIPT = _PRIVATE_MOUNTS + """mkdir -p /run/systemd/network /run/systemd/netif
cp {tmp}/c0.network /run/systemd/network/
mount -t tmpfs tmpfs /etc/systemd/network
export SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console
exec {networkd}
"""

NETWORKD_UNIT = """[Match]
Name=c0
[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
[DHCPv4]
ClientIdentifier=mac
"""

NM_SCRIPT = _PRIVATE_MOUNTS + """mkdir -p /run/NetworkManager {tmp}/nm-lib
mount --bind {tmp}/nm-lib /var/lib/NetworkManager
""" + _BUS + """exec NetworkManager --no-daemon --debug --config={tmp}/nm.conf --state-file={tmp}/nm.state
"""

NM_CONF = """[main]
dhcp=internal
plugins=keyfile
no-auto-default=*
auth-polkit=false
dns=none
rc-manager=unmanaged
[keyfile]
path={tmp}/nm-connections
[logging]
level=DEBUG
domains=DHCP4,DEVICE
"""

NM_CONNECTION = """[connection]
id=c0
type=ethernet
interface-name=c0
autoconnect=true
[ipv4]
method=auto
[ipv6]
method=disabled
"""

CONNMAN_SCRIPT = _PRIVATE_MOUNTS + """mkdir -p {tmp}/connman-lib
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/connman
mount --bind {tmp}/connman-lib /var/lib/connman
""" + _BUS + """exec connmand -n -d -i c0 -c {tmp}/connman.conf --nodnsproxy
"""

CONNMAN_CONF = """[General]
PreferredTechnologies=ethernet
NetworkInterfaceBlacklist=lo
AllowHostnameUpdates=false
AllowDomainnameUpdates=false
TimeUpdates=manual
TimezoneUpdates=manual
"""


def _write_client_files(client: str, tmp: Path) -> Path:
    """The wrapper script (and configuration) of a client that runs in a private mount namespace."""
    script = tmp / f"{client}.sh"
    if client == "systemd-networkd":
        (tmp / "c0.network").write_text(NETWORKD_UNIT)
        script.write_text(NETWORKD_SCRIPT.format(tmp=tmp, networkd=NETWORKD))
    elif client == "networkmanager":
        (tmp / "bus.conf").write_text(BUS_CONF.format(socket=tmp / "bus.sock"))
        (tmp / "nm.conf").write_text(NM_CONF.format(tmp=tmp))
        (tmp / "nm-connections").mkdir(exist_ok=True)
        conn = tmp / "nm-connections" / "c0.nmconnection"
        conn.write_text(NM_CONNECTION)
        conn.chmod(0o600)
        script.write_text(NM_SCRIPT.format(tmp=tmp))
    else:
        (tmp / "bus.conf").write_text(BUS_CONF.format(socket=tmp / "bus.sock"))
        (tmp / "connman.conf").write_text(CONNMAN_CONF)
        script.write_text(CONNMAN_SCRIPT.format(tmp=tmp))
    return script


def client_argv(client: str, tmp: Path, iface: str = "c0") -> list[str]:
    """How ``client`` is started on ``iface``, its files in ``tmp`` (only the hook clients take another
    interface than ``c0``)."""
    hook = str(tmp / "hook.sh")
    if client == "udhcpc":
        return ["udhcpc", "-f", "-i", iface, "-s", hook, "-p", str(tmp / "udhcpc.pid"), "-t", "20", "-T", "3", "-A", "3"]
    if client == "dhclient":
        return ["dhclient", "-d", "-4", "-v", "-sf", hook, "-lf", str(tmp / "dhclient.leases"),
                "-pf", str(tmp / "dhclient.pid"), iface]
    if client == "dhcpcd":
        return ["dhcpcd", "-4", "-B", "-f", "/dev/null", "-c", hook, "--noipv4ll", iface]
    if not (tmp / f"{client}.sh").exists():
        _write_client_files(client, tmp)
    return ["unshare", "-m", "sh", str(tmp / f"{client}.sh")]


def delete_lease(server: str, srv_ns: str, tmp: Path, ip: str, mac: str) -> None:
    """Make the running server forget the active lease of ``ip`` (the administrator's delete)."""
    if server == "kea":
        request = json.dumps({"command": "lease4-del", "arguments": {"ip-address": ip}})
        out = command(["ip", "netns", "exec", srv_ns, "socat", "-t", "2", "-", f"UNIX-CONNECT:{tmp / 'kea.sock'}"],
                      stdin=request)
        if '"result": 0' not in out:
            raise ConformError(f"Kea refused lease4-del: {out.strip()}")
    elif server.startswith("isc-dhcpd"):
        # OMAPI: the lease object of the address, its state set to free (1), as omshell does
        script = (f"server 127.0.0.1\nport {OMAPI_PORT}\nconnect\nnew lease\nset ip-address = {ip}\nopen\n"
                  "set state = 1\nupdate\n")
        out = command(["ip", "netns", "exec", srv_ns, "omshell"], stdin=script)
        blocks = (tmp / "dhcpd.leases").read_text(errors="replace").split(f"lease {ip} {{")
        if len(blocks) < 2 or "binding state free;" not in blocks[-1].split("}")[0]:
            raise ConformError(f"dhcpd did not free the lease over OMAPI: {out.strip()[-300:]}")
    elif server == "udhcpd":
        raise ConformError("udhcpd has no delete command: the runner restarts it with an empty lease file")
    else:
        command(["ip", "netns", "exec", srv_ns, "dhcp_release", "s0", ip, mac])


def renew(client: str, cli_ns: str, tmp: Path, iface: str = "c0") -> None:
    """Make the client renew now; dhclient has no way to, so it renews at the short T1 the server gives."""
    if client == "udhcpc":
        pid = int((tmp / "udhcpc.pid").read_text().split()[0])
        os.kill(pid, signal.SIGUSR1)  # the udhcpc process itself, by the PID it wrote
    elif client == "dhcpcd":
        command(["ip", "netns", "exec", cli_ns, "dhcpcd", "-4", "-N", iface])


_VERSION_COMMANDS: dict[str, list[str]] = {
    "dnsmasq": ["dnsmasq", "--version"], "kea": ["kea-dhcp4", "-V"], "isc-dhcpd": ["dhcpd", "--version"],
    "busybox (udhcpd, udhcpc)": ["busybox"], "dhclient": ["dhclient", "--version"], "dhcpcd": ["dhcpcd", "--version"],
    "systemd-networkd": ["networkctl", "--version"], "NetworkManager": ["NetworkManager", "--version"],
    "connman": ["connmand", "--version"],
}


def versions() -> dict[str, str]:
    """The version each installed daemon reports (first line of its output), by name."""
    out = {}
    for name, argv in _VERSION_COMMANDS.items():
        if not shutil.which(argv[0]):
            continue
        done = subprocess.run(["timeout", "5", *argv], capture_output=True, text=True, check=False)
        text = (done.stdout or done.stderr).strip().splitlines()
        if text:
            out[name] = text[0].strip()[:80]
    return out
