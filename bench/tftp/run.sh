#!/usr/bin/env bash
# TFTP benchmark: fieldcon's server against tftp-hpa's in.tftpd and dnsmasq's
# TFTP server, one after the other in one run, in the same two network
# namespaces (server 10.78.0.1/24, client 10.78.0.2/24, joined by a veth pair),
# with the same client (atftp) and the same 20 MiB file:
#   (a) lock-step 512-byte blocks, no options (how a boot loader fetches)
#   (b) blksize 1468
#   (c) 20 clients at once, blksize 1468
# It prints seconds (best of $RUNS) and ratios to tftp-hpa (below 1 means
# faster than tftp-hpa), and each server's score on the 12-cell broadcast
# matrix (bench/tftp/matrix). Two diagnostic rows follow: pin/tftp served the
# stock way (bench/tftp/pinstock; no front end, fails the matrix) and fieldcon
# with GOMAXPROCS=1; they tell what pin/tftp's single-port loop and Go's
# scheduler cost in lock-step. Needs root, iproute2, atftp, in.tftpd, dnsmasq
# and Go.
# This is a script that prints figures, not a test: nothing here fails on a
# slow machine.
#
#   sudo bash bench/tftp/run.sh            # RUNS=3 SIZE_MB=20 CLIENTS=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
SERVERS=${SERVERS:-fieldcon tftp-hpa dnsmasq pin-stock fieldcon-1cpu}
SIZE_MB=${SIZE_MB:-20}
CLIENTS=${CLIENTS:-20}

[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root for network namespaces (sudo bash $0)" >&2; exit 1; }
for p in ip atftp in.tftpd dnsmasq go md5sum; do
	command -v "$p" >/dev/null || { echo "run.sh: $p is missing (scripts/install-test-deps.sh installs the peers)" >&2; exit 1; }
done

id=$$
SRV=fctftpb-srv-$id
CLI=fctftpb-cli-$id
VS=fctb${id}s
VC=fctb${id}c
SRV_IP=10.78.0.1
BCAST=10.78.0.255
WORK=$(mktemp -d /tmp/fctftp-bench.XXXXXX)
server_pid=
CG=

cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	ip netns del "$SRV" 2>/dev/null || true
	ip netns del "$CLI" 2>/dev/null || true
	if [ -n "${CG:-}" ]; then rmdir "$CG" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building fieldcon and the matrix client"
go build -o "$WORK/fieldcon" ./cmd/fieldcon
go build -o "$WORK/matrix" ./bench/tftp/matrix
go build -o "$WORK/pinstock" ./bench/tftp/pinstock

mkdir -p "$WORK/root"
head -c "$((SIZE_MB << 20))" /dev/urandom >"$WORK/root/bench.bin"
head -c 51299 /dev/urandom >"$WORK/root/c1200-k9w7-tar.default"
# in.tftpd and dnsmasq drop privileges to nobody: let them read the files.
chmod 755 "$WORK" "$WORK/root"
chmod 644 "$WORK/root"/*
want=$(md5sum <"$WORK/root/bench.bin" | cut -d' ' -f1)

ip netns add "$SRV"
ip netns add "$CLI"
ip link add "$VS" type veth peer name "$VC"
ip link set "$VS" netns "$SRV"
ip link set "$VC" netns "$CLI"
ip -n "$SRV" addr add "$SRV_IP/24" brd + dev "$VS"
ip -n "$CLI" addr add 10.78.0.2/24 brd + dev "$VC"
for ns in "$SRV" "$CLI"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" link set "$VS" up
ip -n "$CLI" link set "$VC" up
ip -n "$CLI" route add 255.255.255.255/32 dev "$VC"

in_cli() { ip netns exec "$CLI" "$@"; }

start_server() {
	case $1 in
	fieldcon)
		ip netns exec "$SRV" "$WORK/fieldcon" tftp serve --root "$WORK/root" --listen 0.0.0.0:69 \
			--iface "$VS" --max-per-client 64 --progress 1h >"$WORK/server.log" 2>&1 &
		;;
	fieldcon-1cpu)
		GOMAXPROCS=1 ip netns exec "$SRV" "$WORK/fieldcon" tftp serve --root "$WORK/root" --listen 0.0.0.0:69 \
			--iface "$VS" --max-per-client 64 --progress 1h >"$WORK/server.log" 2>&1 &
		;;
	pin-stock)
		ip netns exec "$SRV" "$WORK/pinstock" --root "$WORK/root" --listen 0.0.0.0:69 >"$WORK/server.log" 2>&1 &
		;;
	tftp-hpa)
		ip netns exec "$SRV" in.tftpd --foreground --address 0.0.0.0:69 --secure "$WORK/root" \
			>"$WORK/server.log" 2>&1 &
		;;
	dnsmasq)
		ip netns exec "$SRV" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --enable-tftp \
			--tftp-root="$WORK/root" --tftp-max=100 --pid-file= --log-facility="$WORK/dnsmasq.log" \
			>"$WORK/server.log" 2>&1 &
		;;
	esac
	server_pid=$!
	for _ in $(seq 100); do
		ip netns exec "$SRV" ss -uln 2>/dev/null | grep -q ':69 ' && return 0
		sleep 0.05
	done
	echo "run.sh: $1 did not start:" >&2
	cat "$WORK/server.log" >&2
	exit 1
}

stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}

now() { date +%s%N; }

# Server CPU time through a cpuacct cgroup (v1), when there is one: the
# machine may be shared, and CPU seconds say more than wall time then.
CG=
if [ -w /sys/fs/cgroup/cpuacct ]; then
	CG=/sys/fs/cgroup/cpuacct/fctftp-bench-$id
	mkdir -p "$CG"
fi
cpu_ns() { if [ -n "$CG" ]; then cat "$CG/cpuacct.usage"; else echo 0; fi; }

# fetch OUT [OPTIONS...]: one download.
fetch() {
	local out=$1
	shift
	in_cli atftp "$@" --get -r bench.bin -l "$out" "$SRV_IP" 69 >/dev/null 2>&1
}

single() {
	rm -f "$WORK/out.bin"
	fetch "$WORK/out.bin" "$@" || return 1
	[ "$(md5sum <"$WORK/out.bin" | cut -d' ' -f1)" = "$want" ] || { echo "run.sh: corrupt download" >&2; return 1; }
}

many() {
	local pids=() i ok=0
	for i in $(seq "$CLIENTS"); do
		fetch "$WORK/many-$i.bin" --option "blksize 1468" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || ok=1; done
	for i in $(seq "$CLIENTS"); do
		[ "$(md5sum <"$WORK/many-$i.bin" | cut -d' ' -f1)" = "$want" ] || ok=1
		rm -f "$WORK/many-$i.bin"
	done
	return $ok
}

# measure KEY CMD...: runs CMD once, keeps the best seconds and the server
# CPU seconds of that run under KEY.
declare -A BEST CPU
measure() {
	local key=$1 t0 t1 c0 c1 s c
	shift
	c0=$(cpu_ns)
	t0=$(now)
	if ! "$@"; then
		[ -n "${BEST[$key]:-}" ] || BEST[$key]=FAIL
		return
	fi
	t1=$(now)
	c1=$(cpu_ns)
	s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	c=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	if [ -z "${BEST[$key]:-}" ] || [ "${BEST[$key]}" = FAIL ] || awk -v s="$s" -v b="${BEST[$key]}" 'BEGIN { exit !(s < b) }'; then
		BEST[$key]=$s
	fi
	if [ -z "${CPU[$key]:-}" ] || awk -v s="$c" -v b="${CPU[$key]}" 'BEGIN { exit !(s < b) }'; then
		CPU[$key]=$c
	fi
}

# Rounds go through every server in turn, so that a busy moment on a shared
# machine does not land on one server only.
declare -A M
ALL="fieldcon tftp-hpa dnsmasq pin-stock fieldcon-1cpu"
for s in $ALL; do M[$s]=-; done
for round in $(seq "$RUNS"); do
	for s in $SERVERS; do
		start_server "$s"
		if [ -n "$CG" ]; then echo "$server_pid" >"$CG/cgroup.procs"; fi
		if [ "$round" = 1 ]; then
			echo "== $s: broadcast matrix"
			matrix=$(in_cli "$WORK/matrix" -server "$SRV_IP" -bcast "$BCAST" -file c1200-k9w7-tar.default \
				-want "$WORK/root/c1200-k9w7-tar.default" -retransmit 200ms -retries 6)
			echo "$matrix"
			M[$s]=$(echo "$matrix" | awk '/matrix score/ { print $3 }')
			# Transfers of failed cells would still be retrying.
			stop_server
			start_server "$s"
			if [ -n "$CG" ]; then echo "$server_pid" >"$CG/cgroup.procs"; fi
		fi
		measure "$s a" single
		measure "$s b" single --option "blksize 1468"
		measure "$s c" many
		echo "   round $round $s: (a) ${BEST[$s a]} s  (b) ${BEST[$s b]} s  (c) ${BEST[$s c]} s (best so far)"
		stop_server
	done
done
if [ -n "$CG" ]; then rmdir "$CG" 2>/dev/null || true; fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"; else printf "%.2f", a / b }'; }

echo
echo "== results: ${SIZE_MB} MiB file, atftp client, best of $RUNS rounds; seconds, x = ratio to tftp-hpa,"
echo "   cpu = server CPU seconds of the best run (cpuacct cgroup; in.tftpd's forked children included)"
printf "%-15s %7s %5s %5s  %7s %5s %5s  %7s %5s %5s  %6s\n" server "(a)512" x cpu "(b)1468" x cpu "(c)${CLIENTS}x" x cpu matrix
for s in $ALL; do
	case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
	label=$s
	case $s in pin-stock | fieldcon-1cpu) label="$s*" ;; esac
	printf "%-15s %7s %5s %5s  %7s %5s %5s  %7s %5s %5s  %6s\n" "$label" \
		"${BEST[$s a]}" "$(ratio "${BEST[$s a]}" "${BEST[tftp-hpa a]:-}")" "${CPU[$s a]:--}" \
		"${BEST[$s b]}" "$(ratio "${BEST[$s b]}" "${BEST[tftp-hpa b]:-}")" "${CPU[$s b]:--}" \
		"${BEST[$s c]}" "$(ratio "${BEST[$s c]}" "${BEST[tftp-hpa c]:-}")" "${CPU[$s c]:--}" "${M[$s]}"
done
echo "* diagnostic: pin-stock is pin/tftp without fieldcon's front end (fails the matrix);"
echo "  fieldcon-1cpu is fieldcon with GOMAXPROCS=1"
