#!/usr/bin/env bash
# The whole test suite: vet, the tests of every package with and without the
# race detector, and a short run of each fuzz target. Run from the
# repository root: ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

# Servers the tests start for themselves on free loopback ports.
need=""
for bin in redis-server redis-sentinel redis-cli; do
	command -v "$bin" >/dev/null 2>&1 || need="$need $bin"
done
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "== installing redis-server redis-sentinel redis-tools (missing:$need)"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel redis-tools >/dev/null
	else
		echo "missing:$need; install redis-server, redis-sentinel and redis-tools" >&2
		exit 1
	fi
fi

if ! command -v tarantool >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "== installing tarantool (missing)"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tarantool >/dev/null
	else
		echo "tarantool is missing: the Tarantool tests will skip; install the Debian package tarantool" >&2
	fi
fi

# Headless Chromium for the dashboard's browser test; once it is here, the
# test must run (HITBOX_REQUIRE_BROWSER turns its skip into a failure).
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "== installing chromium (missing)"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		echo "chromium is missing: the dashboard's browser test will skip; install the Debian package chromium" >&2
	fi
fi
if command -v chromium >/dev/null 2>&1; then
	export HITBOX_REQUIRE_BROWSER=1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

# Without the race detector too: some tests (allocation counts) run only
# there, and timing differs.
echo "== go test"
go test -count=1 -timeout 15m ./...

# Each fuzz target briefly (FUZZTIME=0 skips them).
fuzztime="${FUZZTIME:-5s}"
if [ "$fuzztime" != "0" ]; then
	echo "== fuzz ($fuzztime each)"
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
			echo "-- $pkg $target"
			out=$(mktemp)
			# A failing input is saved under testdata/fuzz and fails again:
			# that is a failure. A fuzzing engine that gave up without one
			# (under load its baseline run can outlast a short -fuzztime:
			# "context deadline exceeded") is given longer tries.
			ok=""
			for t in "$fuzztime" 20s 60s; do
				if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" >"$out" 2>&1; then
					ok=1
					break
				fi
				if ls "$dir/testdata/fuzz/$target"/* >/dev/null 2>&1 && git -C "$dir" status --porcelain -- "testdata/fuzz/$target" | grep -q .; then
					break
				fi
				echo "   (the fuzzing engine failed without a failing input after $t; trying longer)"
				tail -3 "$out"
			done
			if [ -z "$ok" ]; then
				cat "$out"
				exit 1
			fi
			rm -f "$out"
		done
	done
fi
echo "== all tests passed"
