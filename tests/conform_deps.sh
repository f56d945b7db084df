#!/bin/sh
# Installs the Debian packages the conformance scenarios run (docs/conformance.md: six servers and six
# clients, each started by the harness in its own network namespaces, none as a service), and SPIN with the
# C compiler its verifier needs, which tests/test_promela.py runs on the Promela export (docs/promela.md).
# Idempotent and quick when everything is already there: apt is only called for what is missing.
set -eu

need=""
want() {  # want EXECUTABLE PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then need="$need $2"; fi
}
want ip iproute2
want dumpcap tshark
want socat socat
want dnsmasq dnsmasq-base
want dhcp_release dnsmasq-utils
want kea-dhcp4 kea-dhcp4-server
want udhcpc udhcpc
want busybox busybox
want dhclient isc-dhcp-client
want dhcpcd dhcpcd-base
want dhcpd isc-dhcp-server
want udhcpd udhcpd
want unshare util-linux
want dbus-daemon dbus-daemon
want NetworkManager network-manager
want connmand connman
[ -x /lib/systemd/systemd-networkd ] || need="$need systemd"
want spin spin
want gcc gcc
ls /usr/lib/*/kea/hooks/libdhcp_lease_cmds.so >/dev/null 2>&1 || need="$need kea-common"

if [ -z "$need" ]; then
    echo "conform_deps: all packages present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "conform_deps: need root to install:$need" >&2
    exit 1
fi
echo "conform_deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
