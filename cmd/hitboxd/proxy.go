package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/predicate"
)

// upstreamErrorHeader marks the response the proxy writes when the
// upstream could not be reached. The endpoints' response predicates refuse
// responses carrying it (so they are never stored) and [markerStripper]
// removes it before the client sees it. The upstream's own header of that
// name is dropped.
const upstreamErrorHeader = "Hitboxd-Upstream-Error"

// newTransport returns the upstream transport: keep-alive connections,
// many idle ones per host (a cache in front of one origin talks to one
// host), and timeouts on connecting. The wait for the answer is bounded by
// upstream_timeout and the body by timeouts.body_idle ([upstreamHandler]),
// not here: a transport-wide limit would cut an endpoint allowed longer.
// HTTP(S)_PROXY is not consulted: the upstream is where the file says.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// newProxy returns the reverse proxy to target. The outbound request gets
// target's scheme, host and base path, the upstream's Host, and
// X-Forwarded-For (the client's address appended to the chain it sent),
// X-Forwarded-Host and X-Forwarded-Proto; the client's forwardedHeaders
// are dropped. An upstream that cannot be reached gives 502 (504 on a timeout, 400 when the client's body cannot
// be read) with a JSON body {"error": "..."}, marked so that it is never
// cached. Response bodies are copied through buffers from pool; a body
// whose length is known and fits one buffer is read whole before it is
// written, so that it reaches the client in one write.
func newProxy(target *url.URL, t http.RoundTripper, pool httputil.BufferPool, log *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Rewrite dropped the inbound X-Forwarded-* headers; keep the
			// chain of proxies before us, as nginx's
			// $proxy_add_x_forwarded_for does.
			if xff := pr.In.Header["X-Forwarded-For"]; len(xff) > 0 {
				pr.Out.Header["X-Forwarded-For"] = slices.Clone(xff)
			}
			pr.SetXForwarded()
			for _, name := range forwardedHeaders {
				pr.Out.Header.Del(name)
			}
			if pr.Out.Body != nil && pr.Out.Body != http.NoBody {
				pr.Out.Body = clientBody{pr.Out.Body}
			}
		},
		Transport: t,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del(upstreamErrorHeader)
			if c := callOf(resp.Request.Context()); c != nil {
				c.answered(resp)
			}
			if wholeBody(resp) {
				resp.Body = fullBody{resp.Body}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			code, msg := upstreamError(err)
			if failedBody(w) {
				code, msg = http.StatusBadRequest, "malformed or incomplete request body"
			}
			switch {
			case code == http.StatusBadRequest:
				log.Debug("bad request body", "method", r.Method, "path", r.URL.Path, "err", err)
			case callOf(r.Context()).timedOut(r.Context()):
				code, msg = http.StatusGatewayTimeout, errUpstreamTimeout.Error()
				log.Warn("upstream timed out", "method", r.Method, "path", r.URL.Path)
			case r.Context().Err() != nil:
				log.Debug("upstream request canceled", "method", r.Method, "path", r.URL.Path, "err", err)
			default:
				log.Warn("upstream request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			w.Header().Set(upstreamErrorHeader, "1")
			w.Header().Set("Cache-Control", "no-store")
			writeJSONError(w, code, msg)
		},
		ErrorLog:   slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BufferPool: pool,
	}
}

// copyBufferSize is the size of the buffers that response bodies are
// copied through: a 64 KiB body goes out in one write (two syscalls with
// the head) rather than three or more.
const copyBufferSize = 64 << 10

// bufferPool is the proxies' pool of copy buffers (without one,
// ReverseProxy allocates 32 KiB per response, most of the garbage of a
// forwarded request). Get and Put do not allocate.
type bufferPool struct{ p sync.Pool }

var _ httputil.BufferPool = (*bufferPool)(nil)

// Get returns a buffer of copyBufferSize bytes.
func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[copyBufferSize]byte); ok {
		return buf[:]
	}
	return make([]byte, copyBufferSize)
}

// Put returns a buffer that Get gave.
func (b *bufferPool) Put(buf []byte) {
	if len(buf) == copyBufferSize {
		b.p.Put((*[copyBufferSize]byte)(buf))
	}
}

// wholeBody reports whether resp's body is read whole before it is
// written: it has a known length that fits one copy buffer, and is
// neither an event stream (which ReverseProxy flushes as it comes) nor a
// protocol switch (whose body is the connection).
func wholeBody(resp *http.Response) bool {
	switch {
	case resp.ContentLength <= 0, resp.ContentLength > copyBufferSize,
		resp.Body == nil, resp.Body == http.NoBody,
		resp.StatusCode == http.StatusSwitchingProtocols:
		return false
	}
	const sse = "text/event-stream"
	ct := resp.Header.Get("Content-Type")
	return len(ct) < len(sse) || !strings.EqualFold(ct[:len(sse)], sse)
}

// fullBody fills each buffer it is given before returning, so that
// ReverseProxy's copy writes a small body once rather than once per
// segment that arrived.
type fullBody struct{ io.ReadCloser }

func (b fullBody) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := b.ReadCloser.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// upstreamError returns the status and message of a failed upstream call.
func upstreamError(err error) (int, string) {
	var ne net.Error
	switch {
	case errors.As(err, new(*bodyReadError)):
		return http.StatusBadRequest, "malformed or incomplete request body"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout, "upstream timed out"
	case errors.Is(err, context.Canceled):
		return http.StatusBadGateway, "request canceled"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return http.StatusBadGateway, "upstream unreachable"
	}
	return http.StatusBadGateway, "upstream request failed"
}

// clientBody marks the errors of reading the client's body, so that the
// proxy answers them with 400 rather than blaming the upstream.
type clientBody struct{ io.ReadCloser }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyReadError{err: err}
	}
	return n, err
}

// bodyReadError is a failure to read the client's request body.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// Request headers that the key never sees but that common web frameworks
// read to change the answer: a client's own would let it store, under the
// key of a plain request, an answer made for something else.
var (
	// overrideHeaders change the method or the path the upstream serves
	// (X-HTTP-Method-Override turns a GET into a DELETE, X-Original-URL
	// serves another page: Rack, Symfony, Laravel, IIS, ...). A request
	// carrying one is never cached: it goes to the upstream as sent, as a
	// request no endpoint accepts does.
	overrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override", "X-Original-Url", "X-Rewrite-Url"}
	// forwardedHeaders say the scheme, port, path prefix or host under
	// which the client reached the site, for absolute links and
	// redirects (Rack, Spring, ASP.NET, ...). They are dropped, as
	// Forwarded is and as Rewrite drops X-Forwarded-Host and -Proto:
	// hitboxd says the host and scheme itself.
	forwardedHeaders = []string{"X-Forwarded-Scheme", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Server",
		"X-Forwarded-Ssl", "Front-End-Https", "X-Host", "X-Original-Host"}
)

// overridden reports whether r carries one of overrideHeaders.
func overridden(r *http.Request) bool {
	return slices.ContainsFunc(overrideHeaders, func(name string) bool { return len(r.Header[name]) > 0 })
}

// guardEndpoints returns eps with request predicates that also refuse a
// request carrying a method or path override (see overrideHeaders), and
// response predicates that also refuse the proxy's own error responses,
// so that an unreachable upstream is never cached, whatever the endpoints
// accept.
func guardEndpoints(eps []httpcache.Endpoint) []httpcache.Endpoint {
	out := slices.Clone(eps)
	for i := range out {
		req := out[i].Request
		out[i].Request = predicate.RequestFunc(func(r *http.Request) bool {
			if overridden(r) {
				return false
			}
			if req == nil {
				return r.Method == http.MethodGet // the default of a nil Request
			}
			return req.Match(r)
		})
		resp := out[i].Response
		if resp == nil {
			resp = predicate.Status(http.StatusOK) // the default of a nil Response
		}
		out[i].Response = predicate.ResponseFunc(func(r *http.Response) bool {
			if r == nil {
				return false
			}
			if _, failed := r.Header[upstreamErrorHeader]; failed {
				return false
			}
			return resp.Match(r)
		})
	}
	return out
}

// writeJSONError answers {"error": msg} with code.
func writeJSONError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

// writeJSON answers v as JSON with code (&, < and > as they are: keys
// hold & often).
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"cannot encode the answer"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
