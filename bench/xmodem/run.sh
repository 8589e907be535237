#!/bin/sh
# Sends the same file over the simulated serial line (internal/devsim) to
# lrzsz `rx -X -c` with fieldcon's XMODEM-1K sender and with `sx -X -k`, at
# 115200 baud (1 MiB) and 9600 baud (64 KiB by default: 1 MiB would take 18
# minutes per sender), and prints bytes/s, the share of the line rate and
# the ratio fieldcon/lrzsz. Needs lrzsz (scripts/install-test-deps.sh).
#
# Usage: bench/xmodem/run.sh [SIZE_AT_9600]   (bytes, default 65536)
set -eu
cd "$(dirname "$0")/../.."
small="${1:-65536}"
bin="$(mktemp -d)/xmodembench"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/xmodem
status=0
"$bin" -baud 115200 -size 1048576 || status=1
"$bin" -baud 9600 -size "$small" || status=1
exit $status
