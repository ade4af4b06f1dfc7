package main

import (
	"fmt"
	"strings"
)

// policies are the endpoints' policies, by kind, in the file's language.
var policies = [numKinds]string{
	kindHot:  "{Enabled: {ttl: 30s, stale: 20s, policy: {stale: OffloadRevalidate}}}",
	kindCold: "{Enabled: {ttl: 60s}}",
	// Short enough that entries go stale and expire many times a minute.
	kindStale:   "{Enabled: {ttl: 4s, stale: 1s, keep: 20s, stale_if_error: 20s, policy: {stale: OffloadRevalidate}}}",
	kindLarge:   "{Enabled: {ttl: 20s, stale: 10s, policy: {stale: OffloadRevalidate}}}",
	kindHuge:    "{Enabled: {ttl: 20s}}",
	kindChunked: "{Enabled: {ttl: 15s, stale: 5s, policy: {stale: OffloadRevalidate}}}",
	kindSlow:    "{Enabled: {ttl: 10s, stale: 5s, policy: {stale: OffloadRevalidate}}}",
	// A failed answer after expiry is replaced by the kept entry.
	kindFail:  "{Enabled: {ttl: 5s, keep: 30s, stale_if_error: 30s}}",
	kindReset: "{Enabled: {ttl: 5s}}",
}

// hitboxdConfig returns hitboxd's file for the soak: the proxy and the
// admin API on free ports of 127.0.0.1 in front of upstream, memory over
// the Redis at redisURL, and one endpoint per kind of traffic. Every
// endpoint's key is (method, id), so endpoints share their parts and only
// hitboxd's keeping endpoints apart (issue #9 point 8) keeps /hot/1 and
// /cold/1 apart; with distinct, the id part is named after the kind
// instead ({hot}, {cold}, ...), which keeps them apart in any case.
func hitboxdConfig(upstream, redisURL string, distinct bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by hitboxsoak for one run.
listen: 127.0.0.1:0
upstream: %s
admin:
  listen: 127.0.0.1:0
backend:
  type: Composition
  l1: {type: Memory, max_bytes: 64MiB}
  l2:
    type: Redis
    url: %s
    timeouts: {dial: 1s, read: 1s, write: 1s, operation: 500ms}
    breaker: {failures: 5, open: 1s, probes: 1}
  policy: {read: Sequential, write: OptimisticParallel, refill: Always}
  invalidation: {channel: "hitboxsoak:invalidate"}
# The per-entry body limit (issue #9 point 1) and the in-flight budget
# (point 7) would go here once the file has them; the built-in limit is
# %d bytes, which the huge bodies exceed.
endpoints:
`, upstream, redisURL, entryLimit)
	for k := range numKinds {
		part := "id"
		if distinct {
			part = k.String()
		}
		fmt.Fprintf(&b, `  - name: %[1]s
    request:
      - Method: GET
      - Path: "/%[1]s/{%[2]s}"
      - Not: {Header: {Authorization: {exist: ~}}}
      - Not: {Header: {Cookie: {exist: ~}}}
    response:
      - Status: 200
      - Not: {Header: {Set-Cookie: {exist: ~}}}
    extractors: [{Method: ~}, {Path: "/%[1]s/{%[2]s}"}, {Query: {name: {starts: ""}}}]
    policy: %[3]s
`, k, part, policies[k])
		if k == kindSlow {
			// Longer than the slowest answer: a slow answer is not a
			// failure here.
			b.WriteString("    upstream_timeout: 30s\n")
		}
	}
	return b.String()
}
