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
	"sync/atomic"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
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
// the same names. What a handler flushes reaches this client as it is
// written (the response is still stored when it completes within the
// limit); a response body larger than the limit ([WithMaxBody]) streams
// through to this client uncached, and one cut short is never stored and
// aborts this client's response.
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

// call is one cacheable request's state, shared with its fetch (which may
// run on another goroutine and after ServeHTTP returned: it only reads p
// and goes through s, the slot of this ServeHTTP's writer).
type call struct {
	h    *handler
	p    plan
	head bool // a HEAD whose key a GET shares: its answer is never stored
	s    slot
	led  atomic.Pointer[[]byte] // the response this call's fetch stored as a Vary variant
	rfc  *rfcCall               // nil: SemanticsHitbox
	// untaggable is set by the fetch, before the handler runs, when a
	// Tags extractor failed: the answer is not stored.
	untaggable bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := h.prepare(r, false)
	defer releaseBody(h.cfg.budget, p.body)
	if p.ep == nil {
		code := h.bypass(w, p.r, "", hitbox.ForwardBypass)
		h.invalidate(r.Context(), p.r, code, w.Header())
		return
	}
	h.rfcHeadKey(&p)
	c := &call{h: h, p: p, head: h.headShares(p), s: newSlot(w, h.cfg.budget)}
	if p.ep.rfc != nil {
		c.rfc = &rfcCall{req: rfc9111.ParseRequest(p.r.Method, p.r.Header)}
		h.serveRFCMode(w, r, c)
		return
	}
	h.serve(w, r, c, true)
}

// serve answers a cacheable request through the flow. retry allows one
// more flow call after cached bytes failed to decode (the entry is
// deleted first, so that the call stores a fresh one).
func (h *handler) serve(w http.ResponseWriter, r *http.Request, c *call, retry bool) {
	defer c.s.detach()
	res, err := h.do(r.Context(), c.p.r, c.request(), c, &c.led)
	if h.answer(w, r, c, res, err) {
		return
	}
	if h.undecodable(r.Context(), &c.p, retry) {
		h.serve(w, r, &call{h: h, p: c.p, head: c.head, s: newSlot(w, h.cfg.budget), rfc: c.rfc.again()}, false)
		return
	}
	h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
}

func (c *call) request() hitbox.Request {
	return c.p.ep.request(c.p.key)
}

// fetch asks the handler, for the flow. The answer goes back as bytes in
// the cached form: stored when storable, marked Failed when its status is
// a failure one; a response that outgrew the buffer went to the slot's
// client and leaves nothing to share.
func (c *call) fetch(ctx context.Context) (f hitbox.Fetched, err error) {
	var kept int64
	defer func() {
		// A panic here would crash the flow's goroutine: hand it to
		// the caller instead (a response predicate may panic).
		if p := recover(); p != nil {
			f, err = hitbox.Fetched{}, &handlerPanic{value: p, stack: debug.Stack(), req: c.p.r}
		}
		c.s.keep(kept)
	}()
	if c.rfc != nil {
		return c.fetchRFC(ctx, &kept)
	}
	tags, tagged := c.h.fetchTags(&c.p)
	c.untaggable = !tagged
	o := runHandler(ctx, c.h.next, c.p.r, c.p.body, &c.h.cfg, &c.s, c.storable)
	switch {
	case o.err != nil:
		return hitbox.Fetched{}, o.err
	case o.uncached:
		return hitbox.Fetched{}, nil
	}
	resp := o.resp
	kept = int64(cap(o.frame))
	store := c.storable(resp)
	value := o.encode(c.h.clock.Now())
	switch {
	case store:
		return hitbox.Fetched{Value: value, Store: true, Tags: c.h.answerTags(tags, o.tagVals)}, nil
	case !c.head && !o.teed && c.h.cfg.failed(resp.status):
		return hitbox.Fetched{Value: value, Failed: true}, nil
	}
	return hitbox.Fetched{Value: value}, nil
}

// storable reports whether a recorded response may be stored: its tags
// could be made, the response predicates hold, it is not partial, and it
// does not answer a HEAD whose key a GET would read.
func (c *call) storable(resp *response) bool {
	return !c.head && !c.untaggable && !partial(resp.status, resp.header) && c.p.ep.resp.Match(asHTTPResponse(resp, c.p.r))
}

// asHTTPResponse builds the *http.Response that response predicates see,
// with a replayable body.
func asHTTPResponse(r *response, req *http.Request) *http.Response {
	return httpResponse(req, r.header, r.status, io.NopCloser(bytes.NewReader(r.body)), int64(len(r.body)))
}

// httpResponse is the HTTP/1.1 response of status, h and body (n bytes
// long, -1: unknown) answering req.
func httpResponse(req *http.Request, h http.Header, status int, body io.ReadCloser, n int64) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: n,
		Request:       req,
	}
}

// answer writes the flow's result to w; false when the cached bytes do
// not decode (nothing was written).
func (h *handler) answer(w http.ResponseWriter, r *http.Request, c *call, res hitbox.Result, err error) bool {
	if c.s.takeOver() {
		// The handler's response went to this client as it was written.
		if c.s.wait(r.Context()) {
			if hp, ok := errors.AsType[*handlerPanic](err); ok && hp.req == c.p.r {
				repanic(hp)
			}
			panic(http.ErrAbortHandler) // cut short: never a silent short answer
		}
		return true
	}
	if err != nil {
		h.failed(w, r, c, res, err)
		return true
	}
	switch {
	case c.rfc != nil && res.Value != nil:
		return h.serveRFC(w, r, c, &res)
	case res.Status == hitbox.Hit || res.Status == hitbox.Stale:
		return h.serveCached(w, r, &res)
	case res.Value == nil:
		// The response outgrew the buffer after this client left.
		h.writeError(w, res.Forward)
		return true
	}
	return h.serveStored(w, r, &res)
}

// failed answers a flow error.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, c *call, res hitbox.Result, err error) {
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
func (c *call) fresh() *http.Request {
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
func (h *handler) serveCached(w http.ResponseWriter, r *http.Request, res *hitbox.Result) bool {
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
	h.cfg.stripTagHeaders(hdr) // an entry stored with other tag headers in force
	setCached(hdr, spare, cachedXStatus(res.Status), hitStatus(res, now), ageSeconds(written, now))
	writeBody(w, r, hdr, v.status, v.body)
	return true
}

// serveStored writes the upstream's answer in its cached form (MISS),
// stored or not.
func (h *handler) serveStored(w http.ResponseWriter, r *http.Request, res *hitbox.Result) bool {
	v, err := parse(res.Value)
	if err != nil {
		return false
	}
	hdr := w.Header()
	spare := v.fill(hdr, 2)
	h.cfg.stripTagHeaders(hdr)
	setForwarded(hdr, spare, forwardStatus(res.Forward, v.status, res.Stored))
	writeBody(w, r, hdr, v.status, v.body)
	return true
}

// writeBody writes the status and the body (nothing for HEAD), sliced as
// the request's Range asks.
func writeBody(w http.ResponseWriter, r *http.Request, hdr http.Header, status int, body []byte) {
	status, body = sliceRange(r, hdr, status, body)
	w.WriteHeader(status)
	if r.Method != http.MethodHead && len(body) > 0 {
		_, _ = w.Write(body)
	}
}

// bypass serves r from the handler directly, nothing cached, through the
// flow with a disabled policy (so that it is counted), and returns the
// status written. Cache.Do runs the fetch of a disabled policy on this
// goroutine, before it returns.
func (h *handler) bypass(w http.ResponseWriter, r *http.Request, endpoint string, fwd hitbox.Forward) int {
	bw := &forwardWriter{w: w, fwd: fwd, cfg: &h.cfg}
	_, _ = h.cache.Do(r.Context(), hitbox.Request{Policy: hitbox.Disabled(), Endpoint: endpoint},
		func(context.Context) (hitbox.Fetched, error) {
			h.next.ServeHTTP(bw, r)
			return hitbox.Fetched{}, nil
		})
	bw.finish()
	return bw.code
}

// forwardWriter passes a handler's response through, adding the status
// headers of a forwarded answer when the header is written.
type forwardWriter struct {
	w        http.ResponseWriter
	fwd      hitbox.Forward
	cfg      *config // its tag headers are never passed on
	wrote    bool
	hijacked bool
	code     int       // the status written
	vals     [2]string // the status headers' values
}

func (b *forwardWriter) Header() http.Header { return b.w.Header() }

func (b *forwardWriter) WriteHeader(code int) {
	b.cfg.stripTagHeaders(b.w.Header())
	if !b.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		b.wrote, b.code = true, code
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
