package rfc9111

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// DefaultHeuristicMax caps a heuristic freshness lifetime when
// [Config.HeuristicMax] is zero: a day, the age past which RFC 7234 had
// caches warn about heuristic expiration.
const DefaultHeuristicMax = 24 * time.Hour

// Config says what kind of cache asks. The zero value is a shared cache
// (a proxy, hitboxd, httpcache.Middleware) that honours CDN-Cache-Control,
// assigns no heuristic freshness and caps nothing. A Config is a plain
// value: safe to copy and to use from many goroutines.
type Config struct {
	// Private makes a private cache (a client's, httpcache.Transport): it
	// may store private responses and ignores s-maxage, proxy-revalidate
	// and targeted fields.
	Private bool
	// Targeted lists targeted cache-control fields (RFC 9213), most
	// specific first, that a shared cache honours before CDN-Cache-Control,
	// e.g. "Hitbox-Cache-Control". The first one present and valid replaces
	// Cache-Control and Expires.
	Targeted []string
	// Heuristic is the fraction of the time since Last-Modified that a
	// response without explicit freshness stays fresh (RFC 9111 §4.2.2; 0.1
	// is typical). Zero assigns no heuristic freshness.
	Heuristic float64
	// HeuristicMax caps heuristic freshness; zero means DefaultHeuristicMax.
	HeuristicMax time.Duration
	// MaxTTL caps every freshness lifetime (the policy's ttl); zero caps
	// nothing.
	MaxTTL time.Duration
}

// Validate reports a Config the functions would have to correct: a
// heuristic fraction outside [0, 1], a negative duration, a targeted field
// name that is not a token. (The functions themselves never fail: they
// ignore a bad heuristic and negative caps.) Its errors carry no prefix:
// httpcache wraps them in its ErrInvalidOption, the error users see.
func (c Config) Validate() error {
	if math.IsNaN(c.Heuristic) || c.Heuristic < 0 || c.Heuristic > 1 {
		return fmt.Errorf("heuristic %v is not a fraction in [0, 1]", c.Heuristic)
	}
	if c.HeuristicMax < 0 {
		return fmt.Errorf("negative heuristic cap %v", c.HeuristicMax)
	}
	if c.MaxTTL < 0 {
		return fmt.Errorf("negative max ttl %v", c.MaxTTL)
	}
	for _, f := range c.Targeted {
		if !isToken(f) {
			return fmt.Errorf("targeted field %q is not a field name", f)
		}
	}
	return nil
}

// IsToken reports whether s is an RFC 9110 token (a field name, say).
func IsToken(s string) bool { return isToken(s) }

// Request is what the decisions need of a request, parsed once.
type Request struct {
	Method string
	// CC holds the request's Cache-Control directives.
	CC Directives
	// NoCache is CC.NoCache, or Pragma: no-cache when the request has no
	// Cache-Control field (RFC 9111 §5.4).
	NoCache bool
	// Authorization reports an Authorization field (§3.5).
	Authorization bool
}

// ParseRequest reads a request's method and header fields.
func ParseRequest(method string, h http.Header) Request {
	r := Request{Method: method, Authorization: len(h["Authorization"]) > 0}
	cc, ok := h["Cache-Control"]
	r.CC = ParseCacheControl(cc)
	r.NoCache = r.CC.NoCache
	if !ok && !r.NoCache {
		for _, p := range h["Pragma"] {
			if hasNoCache(p) {
				r.NoCache = true
			}
		}
	}
	return r
}

// hasNoCache reports a no-cache element in a Pragma line.
func hasNoCache(line string) bool {
	for line != "" {
		var el string
		el, line, _ = strings.Cut(line, ",")
		if strings.EqualFold(strings.TrimSpace(el), "no-cache") {
			return true
		}
	}
	return false
}

// Response is what the decisions need of a response, parsed once.
type Response struct {
	Status int
	Header http.Header
	// CC holds the directives that govern the response in this cache: the
	// first valid targeted field in a shared cache, else Cache-Control.
	CC Directives
	// Field is the canonical name of the field CC came from.
	Field string
}

// Targeted reports whether a targeted field (not Cache-Control) governs the
// response; Expires is then ignored (RFC 9213 §2.2).
func (r Response) Targeted() bool { return r.Field != "" && r.Field != "Cache-Control" }

// ParseResponse reads a response's status and header fields. h is kept,
// not copied.
func (c Config) ParseResponse(status int, h http.Header) Response {
	r := Response{Status: status, Header: h}
	if !c.Private {
		for _, name := range c.Targeted {
			name = http.CanonicalHeaderKey(name)
			if d, ok := ParseTargeted(h[name]); ok {
				r.CC, r.Field = d, name
				return r
			}
		}
		if d, ok := ParseTargeted(h[CDNCacheControl]); ok {
			r.CC, r.Field = d, CDNCacheControl
			return r
		}
	}
	r.CC, r.Field = ParseCacheControl(h["Cache-Control"]), "Cache-Control"
	return r
}

// date reads a header field holding one HTTP-date; ok is false when it is
// absent, repeated or not a date.
func date(h http.Header, name string) (t time.Time, present, ok bool) {
	v := h[name]
	if len(v) == 0 {
		return time.Time{}, false, false
	}
	if len(v) > 1 {
		return time.Time{}, true, false
	}
	t, ok = ParseHTTPDate(strings.TrimSpace(v[0]))
	return t, true, ok
}

// dateLayouts are the three HTTP-date forms (RFC 9110 §5.6.7).
var dateLayouts = [...]string{http.TimeFormat, time.RFC850, time.ANSIC}

// ParseHTTPDate reads an HTTP-date (RFC 9110 §5.6.7) strictly: one of the
// three forms exactly as written, weekday and all (time.Parse alone takes
// a one-digit hour or a doubled space). A recipient treats anything else
// as invalid, and an invalid Expires as already expired.
func ParseHTTPDate(s string) (time.Time, bool) {
	var buf [40]byte
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if string(t.AppendFormat(buf[:0], layout)) == s {
			return t, true
		}
	}
	return time.Time{}, false
}
