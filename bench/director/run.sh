#!/bin/sh
# Benchmark: N simulated Smart Install switches (default 50) join at once
# through `fieldcon director serve` (DHCP + image list + a 20 MB image +
# config over TFTP). Prints the time until all succeeded and the director's
# peak memory. Needs root (network namespaces fcdir-bsrv / fcdir-bcli,
# subnet 10.99.0.0/24).
set -eu
N=${N:-50}
SIZE_MB=${SIZE_MB:-20}
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/director: needs root for network namespaces" >&2; exit 1; }
tmp=$(mktemp -d)
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	ip netns del fcdir-bsrv 2>/dev/null || true
	ip netns del fcdir-bcli 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
go build -o "$tmp/fieldcon" ./cmd/fieldcon
go build -o "$tmp/clients" ./bench/director/clients
ip netns add fcdir-bsrv
ip netns add fcdir-bcli
ip link add fcdirb0 netns fcdir-bsrv type veth peer name fcdirb1 netns fcdir-bcli
ip -n fcdir-bsrv addr add 10.99.0.1/24 dev fcdirb0
ip -n fcdir-bcli addr add 10.99.0.2/24 dev fcdirb1
ip -n fcdir-bsrv link set lo up; ip -n fcdir-bsrv link set fcdirb0 up
ip -n fcdir-bcli link set lo up; ip -n fcdir-bcli link set fcdirb1 up

ws="$tmp/ws"
mkdir -p "$ws/images"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom > "$ws/images/c2960x-universalk9-tar.152-7.E10.tar"
printf 'hostname bench\n!\nend\n' > "$ws/images/seed.txt"
"$tmp/fieldcon" director init --workspace "$ws" --image c2960x-universalk9-tar.152-7.E10.tar --config seed.txt >/dev/null
ip netns exec fcdir-bsrv "$tmp/fieldcon" director serve --workspace "$ws" --iface fcdirb0 --open \
	--range 10.99.0.100-10.99.0.250 --force > "$tmp/director.log" 2>&1 &
pid=$!
# Wait until the director answers (it probes the segment for 5 s first).
i=0
until grep -q "Director is Enabled" "$tmp/director.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && { cat "$tmp/director.log"; exit 1; }
	sleep 0.2
done
start=$(date +%s.%N)
ip netns exec fcdir-bcli "$tmp/clients" -iface fcdirb1 -n "$N"
end=$(date +%s.%N)
# The director's own view: one UPGRD_SUCCESS for the image and one for the
# configuration of every switch (its event log is the serve output).
want=$((2 * N))
i=0
until [ "$(grep -c 'director SMI-6-UPGRD_SUCCESS' "$tmp/director.log")" -ge $want ]; do
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.1
done
seen=$(grep -c 'director SMI-6-UPGRD_SUCCESS' "$tmp/director.log")
done_at=$(date +%s.%N)
peak=$(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)
echo "director: $N switches joined in $(echo "$end - $start" | bc) s (image ${SIZE_MB} MB each); the director logged $seen of $want UPGRD_SUCCESS after $(echo "$done_at - $start" | bc) s; director peak memory (VmHWM) $peak"
[ "$seen" -ge $want ] || { echo "bench/director: the director did not see every switch succeed" >&2; exit 1; }
