package httpcache

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// invalidate deletes what a non-error answer (status code, header h) to
// r, an unsafe request, invalidates (RFC 9111 §4.4): the stored responses
// of its target URI and of a same-origin Location or Content-Location.
// Each URI is keyed as a GET of it with r's other header fields would be,
// by the first endpoint that accepts that GET when it is in the Rfc9111
// mode; its primary entry is deleted or, when it is a Vary marker,
// replaced by one of the next generation, which finds none of the
// variants stored before (varygen.go).
func (c *core) invalidate(ctx context.Context, r *http.Request, code int, h http.Header) {
	if rfc9111.Safe(r.Method) || !c.anyRFC() {
		return
	}
	scheme := requestScheme(r, c.client)
	target := &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	if c.client {
		target.Host = r.URL.Host
		if r.Host != "" {
			target.Host = r.Host
		}
	}
	for _, u := range rfc9111.Invalidates(r.Method, target, code, h) {
		c.invalidateURI(ctx, r, u)
	}
}

// anyRFC reports whether an endpoint is in the Rfc9111 mode.
func (c *core) anyRFC() bool {
	for i := range c.endpoints {
		if c.endpoints[i].rfc != nil {
			return true
		}
	}
	return false
}

// invalidateURI deletes the entries a GET of u would be answered from.
func (c *core) invalidateURI(ctx context.Context, r *http.Request, u *url.URL) {
	g := (&http.Request{
		Method: http.MethodGet, URL: &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
		Header: r.Header, Host: u.Host, TLS: r.TLS, RemoteAddr: r.RemoteAddr, Body: http.NoBody,
		RequestURI: u.RequestURI(),
	}).WithContext(ctx)
	if c.client {
		g.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
		g.RequestURI = ""
	}
	for i := range c.endpoints {
		ep := &c.endpoints[i]
		if !ep.req.Match(g) {
			continue
		}
		key, ok := c.key(g, ep)
		if !ok || ep.rfc == nil {
			return // the endpoint that answers such a GET ignores unsafe methods
		}
		if b, found := c.storedPrimary(ctx, key); found {
			if names, gen, marker := parseMarkerGen(b); marker {
				// Every variant at once: see varygen.go.
				c.cache.Set(ctx, ep.request(key), encodeMarkerGen(names, gen+1))
				return
			}
		}
		_, _ = c.cache.Delete(ctx, key)
		return
	}
}

// storedPrimary reads the value under key; false when none.
func (c *core) storedPrimary(ctx context.Context, key string) ([]byte, bool) {
	e, ok, err := c.cache.Backend().Get(ctx, key)
	if err != nil || !ok {
		return nil, false
	}
	return e.Value, true
}
