#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real peers the tests talk to,
# then gofmt, go vet, the tests (race detector on), and the cross-builds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt wants to change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -timeout 45m ./...

echo "== cross-builds (CGO_ENABLED=0)"
for target in windows/amd64 darwin/amd64 darwin/arm64 linux/arm64; do
	echo "   $target"
	CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -o /dev/null ./...
done
echo "== all passed"
