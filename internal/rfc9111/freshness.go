package rfc9111

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// Source says where a freshness lifetime came from (RFC 9111 §4.2.1).
type Source uint8

// The sources of a freshness lifetime, in order of precedence.
const (
	// FromSMaxAge: s-maxage, in a shared cache.
	FromSMaxAge Source = iota + 1
	// FromMaxAge: max-age.
	FromMaxAge
	// FromExpires: Expires minus Date.
	FromExpires
	// FromHeuristic: a fraction of the time since Last-Modified (§4.2.2).
	FromHeuristic
	// FromNothing: no explicit freshness and no heuristic; the lifetime is 0.
	FromNothing
)

var sourceNames = [...]string{"", "s-maxage", "max-age", "expires", "heuristic", "none"}

// String returns the source as the directive or field it names.
func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "source?"
}

// Freshness is what a cache keeps about a stored response to decide, at any
// later time, whether it is fresh (RFC 9111 §4.2) and how it may be served
// once stale. It is a plain value: store it beside the response, or
// recompute it from the stored header fields and times.
type Freshness struct {
	// Lifetime is the freshness lifetime, capped by Config.MaxTTL.
	Lifetime time.Duration
	// Source says where Lifetime came from.
	Source Source
	// InitialAge is the corrected_initial_age of §4.2.3: the age of the
	// response when it was received.
	InitialAge time.Duration
	// ResponseTime is when the response was received.
	ResponseTime time.Time
	// NoCache: the response said no-cache (unqualified): every use needs a
	// successful validation (§5.2.2.4).
	NoCache bool
	// MustRevalidate: once stale, the response is never served without
	// validation, whatever the request or the stale-* windows allow
	// (must-revalidate; in a shared cache also proxy-revalidate and
	// s-maxage, §5.2.2.2, §5.2.2.8, §5.2.2.10).
	MustRevalidate bool
	// StaleWhileRevalidate and StaleIfError are the RFC 5861 windows past
	// Lifetime (0 when absent or invalid).
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration
}

// Freshness computes what the cache needs to judge resp later: its
// lifetime, its age on arrival, and the directives that govern serving it
// stale. requestTime and responseTime are when the request was sent
// upstream and the response received (the caller's clock; §4.2.3).
func (c Config) Freshness(resp Response, requestTime, responseTime time.Time) Freshness {
	cc := &resp.CC
	shared := !c.Private
	f := Freshness{
		ResponseTime:         responseTime,
		NoCache:              cc.NoCache,
		MustRevalidate:       cc.MustRevalidate || (shared && (cc.ProxyRevalidate || cc.SMaxAge.Present())),
		StaleWhileRevalidate: cc.StaleWhileRevalidate.Duration(),
		StaleIfError:         cc.StaleIfError.Duration(),
	}
	f.Lifetime, f.Source = c.lifetime(resp, responseTime)
	if c.MaxTTL > 0 && f.Lifetime > c.MaxTTL {
		f.Lifetime = c.MaxTTL
	}
	f.InitialAge = InitialAge(resp.Header, requestTime, responseTime)
	return f
}

// lifetime is §4.2.1's freshness_lifetime (plus §4.2.2's heuristic).
func (c Config) lifetime(resp Response, responseTime time.Time) (time.Duration, Source) {
	cc := &resp.CC
	switch {
	case !c.Private && cc.SMaxAge.Present():
		return cc.SMaxAge.Duration(), FromSMaxAge // invalid: 0, stale
	case cc.MaxAge.Present():
		return cc.MaxAge.Duration(), FromMaxAge
	}
	h := resp.Header
	dateValue := responseDate(h, responseTime)
	if !resp.Targeted() {
		if exp, present, ok := date(h, "Expires"); present {
			if !ok || !exp.After(dateValue) {
				return 0, FromExpires // an invalid Expires is in the past (§5.3)
			}
			return exp.Sub(dateValue), FromExpires
		}
	}
	if c.Heuristic > 0 && c.Heuristic <= 1 && (HeuristicallyCacheable(resp.Status) || cc.Public) {
		if lm, _, ok := date(h, "Last-Modified"); ok && dateValue.After(lm) {
			d := time.Duration(float64(dateValue.Sub(lm)) * c.Heuristic)
			limit := c.HeuristicMax
			if limit <= 0 {
				limit = DefaultHeuristicMax
			}
			return min(d, limit), FromHeuristic
		}
	}
	return 0, FromNothing
}

// responseDate is the Date of a response, or when it was received when it
// has no valid one (RFC 9110 §6.6.1: a recipient with a clock adds it).
func responseDate(h http.Header, responseTime time.Time) time.Time {
	if d, _, ok := date(h, "Date"); ok {
		return d
	}
	return responseTime
}

// InitialAge is §4.2.3's corrected_initial_age of a response received at
// responseTime for a request sent at requestTime:
//
//	apparent_age = max(0, response_time - date_value)
//	corrected_age_value = age_value + (response_time - request_time)
//	corrected_initial_age = max(apparent_age, corrected_age_value)
//
// An Age field that is not delta-seconds counts as absent; of several
// lines, the first counts.
func InitialAge(h http.Header, requestTime, responseTime time.Time) time.Duration {
	apparent := max(0, responseTime.Sub(responseDate(h, responseTime)))
	var ageValue time.Duration
	if v := h["Age"]; len(v) > 0 {
		first, _, _ := strings.Cut(v[0], ",")
		ageValue = parseDelta(strings.TrimSpace(first)).Duration()
	}
	corrected := addSat(ageValue, max(0, responseTime.Sub(requestTime)))
	return max(apparent, corrected)
}

// addSat adds two non-negative durations, saturating instead of
// overflowing (§1.2.2: an overflow must not turn into a negative age).
func addSat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Age is the response's current_age at now (§4.2.3): its initial age plus
// the time it has been resident in the cache.
func (f Freshness) Age(now time.Time) time.Duration {
	return addSat(max(0, f.InitialAge), max(0, now.Sub(f.ResponseTime)))
}

// Fresh reports whether the response is fresh at now: its lifetime is
// greater than its current age (§4.2).
func (f Freshness) Fresh(now time.Time) bool { return f.Lifetime > f.Age(now) }

// StaleAt is the instant the response becomes stale: what a backend.Entry
// takes as its Stale time.
func (f Freshness) StaleAt() time.Time { return f.ResponseTime.Add(f.Lifetime - f.InitialAge) }

// Staleness is how long the response has been stale at now (0 while fresh).
func (f Freshness) Staleness(now time.Time) time.Duration {
	return max(0, f.Age(now)-f.Lifetime)
}

// AgeSeconds is the value of the Age field for a response served from the
// cache at now (§5.1): whole seconds, capped at 2^31.
func (f Freshness) AgeSeconds(now time.Time) int64 {
	return min(int64(f.Age(now)/time.Second), MaxDeltaSeconds)
}

// Remaining is the freshness left at now: negative once stale (RFC 9211's
// Cache-Status ttl parameter).
func (f Freshness) Remaining(now time.Time) time.Duration { return f.Lifetime - f.Age(now) }
