#!/usr/bin/env bash
# Floods fieldcon's console pane from the simulated serial line at 115200
# and at 921600 baud for 60 s each and prints: bytes sent by the device vs
# bytes received by the pane (must be equal, checksums too), the median and
# 99th percentile delay from a key press to the byte reaching the device,
# and the peak memory. A benchmark, not a test: it prints figures.
#
#   bench/tui/run.sh [DURATION]     (default 60s)
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-60s}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/tuibench" ./bench/tui
for baud in 115200 921600; do
	"$out/tuibench" -baud "$baud" -duration "$dur"
done
