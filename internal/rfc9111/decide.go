package rfc9111

import "time"

// Decision is what a cache may do with a stored response for a request
// (RFC 9111 §4, §5.2.1; RFC 5861).
type Decision uint8

// The decisions of [Decide].
const (
	// Serve: the response is fresh enough for the request.
	Serve Decision = iota + 1
	// ServeStale: the response is stale but the request accepts it
	// (max-stale); no validation is needed.
	ServeStale
	// ServeStaleRevalidate: the response is stale within its
	// stale-while-revalidate window: serve it and revalidate in the
	// background.
	ServeStaleRevalidate
	// Revalidate: the response may only be used after a successful
	// validation (or replaced by a new one).
	Revalidate
	// GatewayTimeout: the request says only-if-cached and the response
	// cannot be used without the origin: answer 504 (§5.2.1.7).
	GatewayTimeout
)

var decisionNames = [...]string{"", "serve", "serve-stale", "serve-stale-revalidate", "revalidate", "gateway-timeout"}

// String returns the decision as a short token.
func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return "decision?"
}

// Decide says how a stored response described by f may answer req at now.
// The order follows RFC 9111 §4: no-cache (request, or Pragma, or response)
// and the request's max-age demand validation; a fresh response that meets
// min-fresh is served; a stale one is never served under must-revalidate
// (nor proxy-revalidate or s-maxage in a shared cache); else max-stale
// serves it, then stale-while-revalidate serves it while a background
// validation runs. What needs the origin becomes GatewayTimeout under
// only-if-cached. An invalid request max-age counts as 0, an invalid
// min-fresh or max-stale as absent.
func Decide(req Request, f Freshness, now time.Time) Decision {
	revalidate := Revalidate
	if req.CC.OnlyIfCached {
		revalidate = GatewayTimeout
	}
	if req.NoCache || f.NoCache {
		return revalidate
	}
	age := f.Age(now)
	if ma := req.CC.MaxAge; ma.Present() && age > ma.Duration() {
		return revalidate
	}
	need := addSat(age, req.CC.MinFresh.Duration())
	if f.Lifetime > need {
		return Serve
	}
	if f.MustRevalidate {
		return revalidate
	}
	overdue := need - f.Lifetime
	if req.CC.MaxStaleAny || (req.CC.MaxStale.Valid() && overdue <= req.CC.MaxStale.Duration()) {
		return ServeStale
	}
	// A response still fresh that misses min-fresh is not stale: the
	// server's stale-while-revalidate does not speak for it.
	if stale := age - f.Lifetime; stale >= 0 && f.StaleWhileRevalidate > 0 && stale <= f.StaleWhileRevalidate {
		return ServeStaleRevalidate
	}
	return revalidate
}

// StaleIfError reports whether a stale response may answer req at now
// because the origin failed (an error, or a 500, 502, 503 or 504): within
// the response's or the request's stale-if-error window (RFC 5861 §4), or
// within the request's max-stale; never under no-cache or must-revalidate,
// which RFC 9111 §4.2.4 lets no extension override (we pick the
// restrictive reading of the two RFCs). The caller combines it with its
// own policy (the smaller bound wins).
func StaleIfError(req Request, f Freshness, now time.Time) bool {
	if f.NoCache || f.MustRevalidate || req.NoCache {
		return false
	}
	overdue := f.Staleness(now)
	if overdue <= f.StaleIfError && f.StaleIfError > 0 {
		return true
	}
	if sie := req.CC.StaleIfError; sie.Valid() && overdue <= sie.Duration() {
		return true
	}
	return req.CC.MaxStaleAny || (req.CC.MaxStale.Valid() && overdue <= req.CC.MaxStale.Duration())
}
