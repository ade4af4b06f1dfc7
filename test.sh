#!/usr/bin/env bash
# The whole test suite: vet, the race-enabled tests of every package, and a
# short run of each fuzz target. Run from the repository root: ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

# Each fuzz target briefly (FUZZTIME=0 skips them).
fuzztime="${FUZZTIME:-5s}"
if [ "$fuzztime" != "0" ]; then
	echo "== fuzz ($fuzztime each)"
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
			echo "-- $pkg $target"
			go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/dev/null
		done
	done
fi
echo "== all tests passed"
