#!/usr/bin/env bash
# Runs the public HTTP caching conformance suite behind cache-tests.fyi
# (npm package http-cache-tests) against hitboxd in the Rfc9111 mode, from
# outside, on loopback, and prints the suite's own result categories.
# Needs node and npm. Usage: bench/conformance/run.sh [hitboxd-binary]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

hitboxd=${1:-}
if [ -z "$hitboxd" ]; then
	hitboxd="$work/hitboxd"
	(cd "$root" && go build -o "$hitboxd" ./cmd/hitboxd)
fi
(cd "$work" && npm install --silent --no-audit --no-fund http-cache-tests@0.4.5 >/dev/null)
suite="$work/node_modules/http-cache-tests"

# The suite's origin, on its usual port 8000 (its tests name it).
(cd "$suite" && exec env npm_config_protocol=http npm_config_port=8000 \
	npm_config_pidfile="$work/origin.pid" node server/server.mjs >"$work/origin.log" 2>&1) &
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:8000/" && break
	sleep 0.1
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s|^listen: .*|listen: 127.0.0.1:$port|; s|^upstream: .*|upstream: http://127.0.0.1:8000|" \
	"$root/examples/rfc9111-conformance.yaml" > "$work/hitboxd.yaml"
"$hitboxd" -config "$work/hitboxd.yaml" 2>"$work/hitboxd.log" &
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.1
done
(cd "$suite" && npm run --silent cli --base="http://127.0.0.1:$port") > "$work/results.json"
node "$here/categories.mjs" "$suite" "$work/results.json"
