#!/usr/bin/env bash
# Benchmark: fieldcon's DHCP server against dnsmasq (--no-ping), one after the
# other on the same pair of network namespaces, with the same load generator
# (bench/dhcp/loadgen: N clients with distinct MACs, each a full DORA, C in
# flight). Prints leases/s, median and p99 DORA time for each, and the ratio.
#
# Usage: sudo bench/dhcp/run.sh [N] [C]      (defaults: 2000 clients, 16 in flight)
# Env:   FIELDCON=/path/to/fieldcon to use a prebuilt binary.
set -euo pipefail

N=${1:-2000}
C=${2:-16}
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
	echo "bench/dhcp/run.sh needs root (network namespaces, ports 67/68)" >&2
	exit 1
fi
for tool in ip dnsmasq go; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/fcdhcp-bench.XXXXXX)
SNS=fcdhcp-bs$$
CNS=fcdhcp-bc$$
SIF=fcdbs$$
CIF=fcdbc$$
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
	ip netns del "$SNS" 2>/dev/null || true
	ip netns del "$CNS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

FIELDCON=${FIELDCON:-}
if [ -z "$FIELDCON" ]; then
	FIELDCON=$WORK/fieldcon
	go build -o "$FIELDCON" ./cmd/fieldcon
fi
go build -o "$WORK/loadgen" ./bench/dhcp/loadgen

ip netns add "$SNS"
ip netns add "$CNS"
ip link add "$SIF" netns "$SNS" type veth peer name "$CIF" netns "$CNS"
ip -n "$SNS" addr add 10.88.16.1/20 dev "$SIF"
ip -n "$SNS" link set "$SIF" up
ip -n "$CNS" link set "$CIF" up
ip -n "$SNS" link set lo up
ip -n "$CNS" link set lo up

RANGE_START=10.88.16.10
RANGE_END=10.88.31.250

# wait_for FILE PATTERN: until the server says it is ready (20 s at most).
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "server did not start; its output:" >&2
	cat "$1" >&2
	exit 1
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

load() { # label mac-seed
	ip netns exec "$CNS" "$WORK/loadgen" --iface "$CIF" -n "$N" -c "$C" --label "$1" --mac-seed "$2" | grep '^RESULT'
}

echo "== fieldcon dhcp serve ($N clients, $C in flight)"
ip netns exec "$SNS" "$FIELDCON" --workspace "$WORK/ws" dhcp serve --iface "$SIF" \
	--range "$RANGE_START-$RANGE_END" --router 10.88.16.1 --lease 1h \
	--tftp-server 10.88.16.1 --bootfile network-confg --imagelist imagelist.txt \
	--probe-timeout 1s >"$WORK/fieldcon.out" 2>&1 &
SERVER_PID=$!
wait_for "$WORK/fieldcon.out" "dhcp started"
FC=$(load fieldcon 1)
echo "$FC"
stop_server

echo "== dnsmasq --no-ping ($N clients, $C in flight)"
ip netns exec "$SNS" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --no-ping \
	--interface="$SIF" --bind-interfaces --dhcp-range="$RANGE_START,$RANGE_END,255.255.240.0,1h" \
	--dhcp-lease-max=100000 --dhcp-option=3,10.88.16.1 --dhcp-option=150,10.88.16.1 \
	--dhcp-boot=network-confg --dhcp-leasefile="$WORK/dnsmasq.leases" --pid-file="$WORK/dnsmasq.pid" \
	--log-facility=- >"$WORK/dnsmasq.out" 2>&1 &
SERVER_PID=$!
wait_for "$WORK/dnsmasq.out" "DHCP, IP range"
DM=$(load dnsmasq 2)
echo "$DM"
stop_server

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
printf '\n%-10s %10s %8s %12s %12s\n' server leases/s failed median_ms p99_ms
for r in "$FC" "$DM"; do
	printf '%-10s %10s %8s %12s %12s\n' "$(field "$r" label)" "$(field "$r" rate)" "$(field "$r" failed)" "$(field "$r" median_ms)" "$(field "$r" p99_ms)"
done
awk -v a="$(field "$FC" rate)" -v b="$(field "$DM" rate)" 'BEGIN { printf "\nratio fieldcon/dnsmasq leases/s = %.2f\n", a / b }'
