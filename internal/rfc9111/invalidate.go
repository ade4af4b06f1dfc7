package rfc9111

import (
	"net/http"
	"net/url"
	"strings"
)

// Safe reports whether a method is safe (RFC 9110 §9.2.1). Methods are
// case-sensitive; an unknown one is unsafe.
func Safe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// Invalidates lists the URIs whose stored responses a cache invalidates
// after a response to an unsafe request (RFC 9111 §4.4): nothing for a safe
// method or an error status (below 200 or from 400); otherwise the target
// URI, then Location and Content-Location when they resolve (against the
// target) to the same origin, without fragments and without duplicates.
// target must be absolute (scheme and host); it is not modified. The URIs
// are resolved but not normalised (host case, default port): map them to
// keys the way the face keys requests.
func Invalidates(method string, target *url.URL, status int, h http.Header) []*url.URL {
	if Safe(method) || status < 200 || status >= 400 || target == nil {
		return nil
	}
	t := *target
	t.Fragment, t.RawFragment = "", ""
	out := []*url.URL{&t}
	for _, name := range [...]string{"Location", "Content-Location"} {
		v := h[name]
		if len(v) != 1 {
			continue
		}
		ref, err := url.Parse(strings.TrimSpace(v[0]))
		if err != nil {
			continue
		}
		u := t.ResolveReference(ref)
		u.Fragment, u.RawFragment = "", ""
		if !sameOrigin(&t, u) {
			continue
		}
		dup := false
		for _, o := range out {
			if o.String() == u.String() {
				dup = true
			}
		}
		if !dup {
			out = append(out, u)
		}
	}
	return out
}

// sameOrigin compares scheme, host and port (the scheme's default port
// filled in), case-insensitively.
func sameOrigin(a, b *url.URL) bool {
	if !strings.EqualFold(a.Scheme, b.Scheme) {
		return false
	}
	ah, ap := hostPort(a)
	bh, bp := hostPort(b)
	return strings.EqualFold(ah, bh) && ap == bp
}

func hostPort(u *url.URL) (host, port string) {
	host, port = u.Hostname(), u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.TrimSuffix(host, "."), port
}
