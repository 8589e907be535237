#!/bin/sh
# Measures the simulated serial link (internal/devsim) at 9600 and 115200
# baud, each direction, and prints the measured rate against the line rate
# (10 bits per byte at 8N1). A figure a little under 100% is the one-slice
# start-up latency; over 100% would mean the link is too fast.
#
# Usage: bench/link/run.sh [SECONDS_PER_DIRECTION]   (default 5)
set -eu
cd "$(dirname "$0")/../.."
secs="${1:-5}"
bin="$(mktemp -d)/linkbench"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/link
for baud in 9600 115200; do
	"$bin" -baud "$baud" -seconds "$secs"
done
