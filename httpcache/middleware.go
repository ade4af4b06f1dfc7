package httpcache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/hitbox-go/hitbox"
)

// Middleware returns net/http server middleware that answers requests from
// c as endpoints say, asking the wrapped handler (the upstream) on a miss.
//
// The wrapped handler runs, on a miss, in a goroutine of its own on a
// clone of the request (same body, the shared call's context: it is not
// cancelled when this client goes away, since other clients may be waiting
// for the same answer) and writes into a recorder; the response is then
// stored when the endpoint's response predicates accept it, and written to
// the client. Headers the handler's writer already had from outer
// middleware are kept; the cached response's headers replace values under
// the same names. A response body larger than the limit ([WithMaxBody]),
// or one the handler flushes, streams through to this client uncached.
//
// Every response carries X-Cache-Status and Cache-Status, and answers from
// the cache carry Age (removed from every other response); see the package
// documentation. The cache never fails a request: bytes it cannot decode
// are a miss, and when the flow fails for a reason other than the handler
// the request is served by the handler directly. A handler that panics on
// a miss panics again on the request's goroutine (net/http then aborts the
// response as usual); clients that waited for that call get 502 Bad
// Gateway.
//
// Middleware returns an error for a nil cache, an invalid endpoint
// ([ErrInvalidEndpoint]) or option ([ErrInvalidOption]). A nil handler
// passed to the returned function answers 404 Not Found. The returned
// handlers are safe for concurrent use.
func Middleware(c *hitbox.Cache, endpoints []Endpoint, opts ...Option) (func(http.Handler) http.Handler, error) {
	co, err := newCore(c, endpoints, opts, false)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.NotFoundHandler()
		}
		return &handler{core: co, next: next}
	}, nil
}

// handler is the http.Handler the middleware returns.
type handler struct {
	*core
	next http.Handler
}

// call is one cacheable request's state, copied into its fetch (which may
// run on another goroutine and after ServeHTTP returned: it only reads p).
// It is passed by value so that the fetch closure is the only allocation.
type call struct {
	h *handler
	p plan
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := h.prepare(r, false)
	if p.ep == nil {
		h.bypass(w, p.r, "", hitbox.ForwardBypass)
		return
	}
	c := call{h: h, p: p}
	res, err := h.do(r.Context(), c.p.r, c.request(), func(ctx context.Context) (hitbox.Fetched, error) {
		return c.fetch(ctx)
	})
	h.answer(w, r, c, res, err, true)
}

func (c call) request() hitbox.Request {
	return hitbox.Request{Key: c.p.key, Policy: c.p.ep.policy, Endpoint: c.p.ep.name, Timeout: c.p.ep.timeout}
}

// fetch asks the handler, for the flow.
func (c call) fetch(ctx context.Context) (f hitbox.Fetched, err error) {
	defer func() {
		// A panic here would crash the flow's goroutine: hand it to
		// the caller instead (a response predicate may panic).
		if p := recover(); p != nil {
			closePayload(f.Payload)
			f, err = hitbox.Fetched{}, &handlerPanic{value: p, stack: debug.Stack(), req: c.p.r}
		}
	}()
	o := runHandler(ctx, c.h.next, c.p.r, c.p.body, c.h.cfg.maxBody)
	switch {
	case o.err != nil:
		return hitbox.Fetched{}, o.err
	case o.stream != nil:
		return hitbox.Fetched{Payload: o.stream}, nil
	}
	resp := o.resp
	if !c.p.ep.resp.Match(asHTTPResponse(resp, c.p.r)) {
		return hitbox.Fetched{Payload: resp}, nil
	}
	return hitbox.Fetched{Value: encode(resp.status, resp.header, resp.body, c.h.clock.Now()), Store: true}, nil
}

// asHTTPResponse builds the *http.Response that response predicates see,
// with a replayable body.
func asHTTPResponse(r *response, req *http.Request) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		StatusCode:    r.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header,
		Body:          io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)),
		Request:       req,
	}
}

// answer writes the flow's result to w. retry allows one more flow call
// after cached bytes failed to decode (the entry is deleted first, so
// that the call stores a fresh one).
func (h *handler) answer(w http.ResponseWriter, r *http.Request, c call, res hitbox.Result, err error, retry bool) {
	if err != nil {
		h.failed(w, r, c, res, err)
		return
	}
	switch {
	case res.Status == hitbox.Hit || res.Status == hitbox.Stale:
		if h.serveCached(w, &res) {
			return
		}
	case res.Payload != nil:
		switch pl := res.Payload.(type) {
		case *response:
			h.serveResponse(w, pl, forwardStatus(res.Forward, pl.status, false))
			return
		case *stream:
			h.serveStream(w, r, pl, res.Forward)
			return
		}
		closePayload(res.Payload)
	default:
		if h.serveStored(w, &res) {
			return
		}
	}
	h.cfg.logger.Warn("httpcache: cached response cannot be decoded", "key", c.p.key, "endpoint", c.p.ep.name)
	if retry {
		_, _ = h.cache.Delete(r.Context(), c.p.key)
		res, err = h.do(r.Context(), c.p.r, c.request(), c.fetch)
		h.answer(w, r, c, res, err, false)
		return
	}
	h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
}

// failed answers a flow error.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, c call, res hitbox.Result, err error) {
	if hp, ok := errors.AsType[*handlerPanic](err); ok {
		if hp.req == c.p.r {
			repanic(hp)
		}
		// Another client's call to the handler panicked.
		h.writeError(w, res.Forward)
		return
	}
	if r.Context().Err() != nil {
		h.writeError(w, res.Forward)
		return
	}
	// Not the upstream's failure: never fail the request because of the
	// cache.
	h.cfg.logger.Warn("httpcache: cache flow failed, serving from the upstream", "key", c.p.key, "err", err)
	h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
}

// fresh returns the plan's request with its body rewound (a copy: a
// fetch may be reading the plan's request).
func (c call) fresh() *http.Request {
	if c.p.body == nil {
		return c.p.r
	}
	r := new(http.Request)
	*r = *c.p.r
	resetBody(r, c.p.body)
	return r
}

func repanic(hp *handlerPanic) {
	if err, ok := hp.value.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(http.ErrAbortHandler)
	}
	panic(hp)
}

// writeError answers 502 Bad Gateway when no answer could be had.
func (h *handler) writeError(w http.ResponseWriter, fwd hitbox.Forward) {
	hdr := w.Header()
	setForwarded(hdr, nil, forwardStatus(fwd, 0, false))
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, "upstream failed\n")
}

// serveCached writes an answer from the cache (HIT or STALE).
func (h *handler) serveCached(w http.ResponseWriter, res *hitbox.Result) bool {
	v, err := parse(res.Value)
	if err != nil {
		return false
	}
	now := h.clock.Now()
	written := res.Written
	if written.IsZero() {
		written = v.written
	}
	hdr := w.Header()
	spare := v.fill(hdr, 3)
	setCached(hdr, spare, cachedXStatus(res.Status), hitStatus(res, now), ageSeconds(written, now))
	w.WriteHeader(v.status)
	_, _ = w.Write(v.body)
	return true
}

// serveStored writes the upstream's answer in its cached form (MISS).
func (h *handler) serveStored(w http.ResponseWriter, res *hitbox.Result) bool {
	v, err := parse(res.Value)
	if err != nil {
		return false
	}
	hdr := w.Header()
	spare := v.fill(hdr, 2)
	setForwarded(hdr, spare, forwardStatus(res.Forward, v.status, res.Stored))
	w.WriteHeader(v.status)
	_, _ = w.Write(v.body)
	return true
}

// serveResponse writes a recorded response that was not stored (MISS).
func (h *handler) serveResponse(w http.ResponseWriter, resp *response, cs string) {
	hdr := w.Header()
	for k, v := range resp.header {
		hdr[k] = v
	}
	setForwarded(hdr, nil, cs)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// serveStream copies a streaming response to w as the handler writes it,
// flushing where the handler flushed. It closes the stream when done, or
// when the client goes away.
func (h *handler) serveStream(w http.ResponseWriter, r *http.Request, s *stream, fwd hitbox.Forward) {
	defer s.Close()
	stop := context.AfterFunc(r.Context(), func() { _ = s.Close() })
	defer stop()
	hdr := w.Header()
	for k, v := range s.header {
		hdr[k] = v
	}
	setForwarded(hdr, nil, forwardStatus(fwd, s.status, false))
	w.WriteHeader(s.status)
	rc := http.NewResponseController(w)
	if len(s.prefix) > 0 {
		if _, err := w.Write(s.prefix); err != nil {
			return
		}
	}
	if s.flush {
		_ = rc.Flush()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := s.pr.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		} else if err == nil {
			_ = rc.Flush() // the handler flushed
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return
		default:
			if hp, ok := errors.AsType[*handlerPanic](err); ok {
				// The response is cut short: abort it so that the
				// client cannot take it for complete.
				repanic(hp)
			}
			return // the client went away
		}
	}
}

// bypass serves r from the handler directly, nothing cached, through the
// flow with a disabled policy (so that it is counted). Cache.Do runs the
// fetch of a disabled policy on this goroutine, before it returns.
func (h *handler) bypass(w http.ResponseWriter, r *http.Request, endpoint string, fwd hitbox.Forward) {
	bw := &forwardWriter{w: w, fwd: fwd}
	_, _ = h.cache.Do(r.Context(), hitbox.Request{Policy: hitbox.Disabled(), Endpoint: endpoint},
		func(context.Context) (hitbox.Fetched, error) {
			h.next.ServeHTTP(bw, r)
			return hitbox.Fetched{}, nil
		})
	bw.finish()
}

// forwardWriter passes a handler's response through, adding the status
// headers of a forwarded answer when the header is written.
type forwardWriter struct {
	w        http.ResponseWriter
	fwd      hitbox.Forward
	wrote    bool
	hijacked bool
	vals     [2]string // the status headers' values
}

func (b *forwardWriter) Header() http.Header { return b.w.Header() }

func (b *forwardWriter) WriteHeader(code int) {
	if !b.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		b.wrote = true
		setForwarded(b.w.Header(), b.vals[:], forwardStatus(b.fwd, code, false))
	}
	b.w.WriteHeader(code)
}

func (b *forwardWriter) Write(p []byte) (int, error) {
	if !b.wrote {
		b.WriteHeader(http.StatusOK)
	}
	return b.w.Write(p)
}

func (b *forwardWriter) Flush() { _ = b.FlushError() }

// FlushError flushes the underlying writer, for http.ResponseController.
func (b *forwardWriter) FlushError() error {
	if !b.wrote {
		b.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(b.w).Flush()
}

// Hijack hands the connection over, for http.ResponseController.
func (b *forwardWriter) Hijack() (c net.Conn, rw *bufio.ReadWriter, err error) {
	c, rw, err = http.NewResponseController(b.w).Hijack()
	if err == nil {
		b.hijacked = true
	}
	return c, rw, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (b *forwardWriter) Unwrap() http.ResponseWriter { return b.w }

// finish writes the header of a handler that wrote nothing, as net/http
// would after it returned.
func (b *forwardWriter) finish() {
	if !b.wrote && !b.hijacked {
		b.WriteHeader(http.StatusOK)
	}
}

// closePayload closes a payload nobody will use.
func closePayload(p any) {
	if cl, ok := p.(io.Closer); ok {
		_ = cl.Close()
	}
}
