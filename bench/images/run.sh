#!/usr/bin/env bash
# Benchmark: `fieldcon image inspect` against `md5sum` + `sha512sum` + `tar tvf`
# run one after another on the same synthetic 300 MiB Cisco-style bundle, in
# the same run. Prints seconds, MB/s and peak RSS for each, the ratio, and the
# peak RSS of inspect on a 10x smaller bundle to show that memory stays flat.
#
#   bench/images/run.sh            # 300 MiB
#   SIZE_MB=1000 bench/images/run.sh
#   RUNS=5 bench/images/run.sh     # best of 5 (default 3)
#
# Needs Go, GNU time (/usr/bin/time), coreutils, tar and jq. The bundles live
# in a temporary folder under /tmp that is removed on exit.
set -euo pipefail

SIZE_MB=${SIZE_MB:-300}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at $TIME (Debian package: time)" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }

WORK=$(mktemp -d /tmp/fieldcon-bench-images.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
echo "building fieldcon and generating ${SIZE_MB} MiB and $((SIZE_MB / 10)) MiB bundles in $WORK ..."
go build -o "$WORK/fieldcon" ./cmd/fieldcon
go run ./bench/images/genbundle -o "$WORK/big.tar" -mb "$SIZE_MB"
go run ./bench/images/genbundle -o "$WORK/small.tar" -mb $((SIZE_MB / 10))
BYTES=$(stat -c %s "$WORK/big.tar")
# Warm the page cache so every tool reads from memory, not from the disk.
cat "$WORK/big.tar" "$WORK/small.tar" >/dev/null

# best NAME CMD... runs CMD RUNS times; sets SECS (best wall time) and RSS
# (largest peak resident set, KiB).
best() {
	local name=$1
	shift
	SECS=""
	RSS=0
	for _ in $(seq "$RUNS"); do
		"$TIME" -f '%e %M' -o "$WORK/time.$name" "$@" >/dev/null 2>"$WORK/err.$name" || {
			# inspect exits 1 when a verdict fails; anything else is an error.
			if [ "$name" != inspect ] && [ "$name" != small ]; then
				cat "$WORK/err.$name" >&2
				exit 1
			fi
		}
		read -r s m < <(tail -n 1 "$WORK/time.$name")
		if [ -z "$SECS" ] || awk -v a="$s" -v b="$SECS" 'BEGIN{exit !(a<b)}'; then SECS=$s; fi
		if [ "$m" -gt "$RSS" ]; then RSS=$m; fi
	done
}

row() { # name secs rss
	awk -v n="$1" -v s="$2" -v r="$3" -v b="$BYTES" 'BEGIN{
		if (s > 0) printf "%-30s %8.2f s %9.0f MB/s %8.1f MiB\n", n, s, b/1e6/s, r/1024
		else       printf "%-30s %10s %14s %8.1f MiB\n", n, "<0.01 s", "(seeks)", r/1024 }'
}

best inspect "$WORK/fieldcon" image inspect "$WORK/big.tar" --json
INS_S=$SECS INS_R=$RSS
best md5 md5sum "$WORK/big.tar"
MD5_S=$SECS MD5_R=$RSS
best sha sha512sum "$WORK/big.tar"
SHA_S=$SECS SHA_R=$RSS
best tar tar tvf "$WORK/big.tar"
TAR_S=$SECS TAR_R=$RSS
best small "$WORK/fieldcon" image inspect "$WORK/small.tar" --json
SMALL_R=$RSS

# The figures only count if fieldcon computed the same hashes.
"$WORK/fieldcon" image inspect "$WORK/big.tar" --json >"$WORK/inspect.json" || true
got_md5=$(jq -r .image.md5 "$WORK/inspect.json")
got_sha=$(jq -r .image.sha512 "$WORK/inspect.json")
want_md5=$(md5sum "$WORK/big.tar" | cut -d' ' -f1)
want_sha=$(sha512sum "$WORK/big.tar" | cut -d' ' -f1)
if [ "$got_md5" != "$want_md5" ] || [ "$got_sha" != "$want_sha" ]; then
	echo "hash mismatch: fieldcon $got_md5 / md5sum $want_md5" >&2
	exit 1
fi
members=$(jq -r .image.tar.members "$WORK/inspect.json")
listed=$(tar tf "$WORK/big.tar" | wc -l)

SEQ_S=$(awk -v a="$MD5_S" -v b="$SHA_S" -v c="$TAR_S" 'BEGIN{print a+b+c}')
SEQ_R=$(printf '%s\n' "$MD5_R" "$SHA_R" "$TAR_R" | sort -n | tail -n 1)

echo
echo "file: $BYTES bytes, $members members (tar lists $listed), best of $RUNS runs, $(nproc) CPUs"
printf '%-30s %10s %14s %12s\n' tool time throughput "peak RSS"
row "fieldcon image inspect" "$INS_S" "$INS_R"
row "md5sum" "$MD5_S" "$MD5_R"
row "sha512sum" "$SHA_S" "$SHA_R"
row "tar tvf" "$TAR_S" "$TAR_R"
row "md5sum + sha512sum + tar tvf" "$SEQ_S" "$SEQ_R"
awk -v a="$SEQ_S" -v b="$INS_S" 'BEGIN{ if (b > 0) printf "ratio (three in sequence / fieldcon): %.2fx\n", a/b }'
awk -v s="$SMALL_R" -v b="$INS_R" -v mb="$SIZE_MB" 'BEGIN{
	printf "fieldcon peak RSS: %.1f MiB at %d MiB, %.1f MiB at %d MiB (memory flat: %s)\n",
		b/1024, mb, s/1024, mb/10, (b < s*1.5 + 4096) ? "yes" : "NO" }'
echo "hashes match md5sum and sha512sum"
