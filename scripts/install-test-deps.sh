#!/usr/bin/env bash
# Installs the real peers fieldcon's tests talk to. CI starts from a clean Debian
# machine; on a machine that already has them this does nothing.
set -euo pipefail

need=(lrzsz atftp tftp-hpa tftpd-hpa curl isc-dhcp-client busybox dnsmasq tshark tmux iproute2 socat procps)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-test-deps: missing ${missing[*]}; run as root to install them (tests that need them will skip)" >&2
	exit 0
fi

# Packages such as tftpd-hpa and dnsmasq would start system daemons on
# ports 67 and 69 and get in the way of the tests; forbid service starts.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
# In case a daemon started anyway (no policy-rc.d honoured), stop it.
for d in in.tftpd dnsmasq; do pkill -x "$d" 2>/dev/null || true; done
