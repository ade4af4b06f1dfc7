package httpcache

import (
	"net/http"
	"strings"
)

// ambiguousPath reports whether an escaped request path is one that
// servers read in different ways: an encoded slash or backslash (%2F,
// %5C), a backslash, a ";" (path parameters, which some servers drop), an
// empty segment ("//", which some merge) or a dot-segment, plain or
// percent-encoded ("..", "%2e%2e", ".%2E"), which some resolve. The
// Middleware never caches such a request: a predicate would read
// "/static/..%2Faccount" under /static/ while the upstream serves
// /account, and a private page would be stored under a shared key (web
// cache deception).
func ambiguousPath(escaped string) bool {
	if strings.ContainsAny(escaped, ";\\") || strings.Contains(escaped, "//") {
		return true
	}
	for i := 0; i+2 < len(escaped); i++ {
		if escaped[i] != '%' {
			continue
		}
		switch strings.ToLower(escaped[i+1 : i+3]) {
		case "2f", "5c":
			return true
		}
	}
	for seg := range strings.SplitSeq(escaped, "/") {
		if isDotSegment(seg) {
			return true
		}
	}
	return false
}

// isDotSegment reports whether seg is "." or ".." once "%2e" (any case)
// is read as ".".
func isDotSegment(seg string) bool {
	if len(seg) == 0 || len(seg) > 6 {
		return false
	}
	dots := 0
	for i := 0; i < len(seg); {
		switch {
		case seg[i] == '.':
			i++
		case i+2 < len(seg) && seg[i] == '%' && strings.EqualFold(seg[i+1:i+3], "2e"):
			i += 3
		default:
			return false
		}
		dots++
	}
	return dots == 1 || dots == 2
}

// ambiguousQuery reports whether a raw query string holds a ";", which
// some servers (Rack, older Python, Tomcat's matrix parameters) read as a
// separator between parameters and others as part of a value. The
// Middleware never caches such a request: a key built from "?x=1;page=2"
// has no page while such an upstream serves page 2, which would be stored
// under the key of the plain page (parameter cloaking). An encoded
// semicolon (%3B) is one reading only and is left alone.
func ambiguousQuery(raw string) bool { return strings.Contains(raw, ";") }

// namesHeaders reports whether a request's Connection header names a field
// beyond the usual connection options (close, keep-alive, upgrade, te,
// http2-settings). A field named there is hop-by-hop: a proxy in front of
// the upstream drops it (hitboxd's does), while a predicate or an
// extractor reads it. The Middleware never caches such a request: a key
// holding "X-Version: v2" would store an answer the upstream made without
// it, for everyone asking for v2 (hop-by-hop header abuse). Clients have
// no use for other options; browsers never send them.
func namesHeaders(h http.Header) bool {
	for _, v := range h["Connection"] {
		for opt := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(opt)) {
			case "", "close", "keep-alive", "upgrade", "te", "http2-settings":
			default:
				return true
			}
		}
	}
	return false
}
