package httpcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hitbox-go/hitbox"
)

// Transport is an http.RoundTripper that answers requests from a
// [hitbox.Cache] as its endpoints say, asking its base RoundTripper on a
// miss. Responses carry X-Cache-Status, Cache-Status and (from the cache)
// Age, exactly as the [Middleware]'s do.
//
// The base call of a miss runs with the shared call's context (not
// cancelled when this caller gives up: others may be waiting for the same
// answer). A response body larger than the limit ([WithMaxBody]) is not
// stored: the caller reads it from the base as it arrives. An error of the
// base (or a body that fails mid-way) is returned as is, also to callers
// that waited for that call; like an answer with a failure status
// ([WithFailureStatuses]) it lets a policy's StaleIfError serve a kept
// entry instead. The
// request's body is read once (up to [WithMaxRequestBody]) for predicates
// and extractors and sent to the base unchanged; RoundTrip closes it as
// the RoundTripper contract says and does not modify the request.
//
// A Transport is safe for concurrent use. Make one with [NewTransport].
type Transport struct {
	*core
	base http.RoundTripper
}

// NewTransport returns a Transport over c asking base on a miss (nil:
// http.DefaultTransport). It returns an error for a nil cache, an invalid
// endpoint ([ErrInvalidEndpoint]) or option ([ErrInvalidOption]).
func NewTransport(c *hitbox.Cache, base http.RoundTripper, endpoints []Endpoint, opts ...Option) (*Transport, error) {
	co, err := newCore(c, endpoints, opts, true)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{core: co, base: base}, nil
}

// upstreamError is a failure of the base RoundTripper.
type upstreamError struct{ err error }

func (e *upstreamError) Error() string { return e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

// tcall is one cacheable client request's state, shared with its fetch.
type tcall struct {
	t    *Transport
	p    plan
	req  *http.Request          // the caller's request, as given
	head bool                   // a HEAD whose key a GET shares: its answer is never stored
	s    slot                   // holds the in-flight budget of the recorded body
	led  atomic.Pointer[[]byte] // the response this call's fetch stored as a Vary variant
	rfc  *rfcCall               // nil: SemanticsHitbox

	// stream is the response this call's fetch streams instead of
	// buffering, not yet taken (guarded by s.mu). Flights carry bytes
	// only, so it goes from the fetch to its own caller here, and is
	// closed when the caller left or did not take it.
	stream *clientStream
}

// give hands the caller the response its fetch streams; it is closed at
// once when the caller is done.
func (c *tcall) give(cs *clientStream) {
	c.s.mu.Lock()
	if c.s.left {
		c.s.mu.Unlock()
		_ = cs.Close()
		return
	}
	old := c.stream
	c.stream = cs
	c.s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
}

// take returns the response the fetch gave, if any, and forgets it.
func (c *tcall) take() *clientStream {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cs := c.stream
	c.stream = nil
	return cs
}

// detach is the caller's last word: the slot's, then a streamed response
// nobody took is closed.
func (c *tcall) detach() {
	c.s.detach()
	if cs := c.take(); cs != nil {
		_ = cs.Close()
	}
}

// RoundTrip answers req from the cache or the base RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		if req != nil && req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errors.New("httpcache: nil request or URL")
	}
	p := t.prepare(req, true)
	defer releaseBody(t.cfg.budget, p.body)
	if p.ep == nil {
		return t.directInvalidating(req, p.r, "")
	}
	t.rfcHeadKey(&p)
	c := &tcall{t: t, p: p, req: req, head: t.headShares(p), s: newSlot(nil, t.cfg.budget)}
	if p.ep.rfc != nil {
		return t.roundTripRFC(c)
	}
	return t.roundTrip(c, true)
}

// roundTrip answers a cacheable request through the flow. retry allows
// one more flow call after cached bytes failed to decode.
func (t *Transport) roundTrip(c *tcall, retry bool) (*http.Response, error) {
	defer c.detach()
	res, err := t.do(c.req.Context(), c.p.r, c.request(), c, &c.led)
	resp, ok, err := t.answer(c, res, err)
	if ok || err != nil {
		return resp, err
	}
	if t.undecodable(c.req.Context(), &c.p, retry) {
		return t.roundTrip(&tcall{t: t, p: c.p, req: c.req, head: c.head, s: newSlot(nil, t.cfg.budget), rfc: c.rfc.again()}, false)
	}
	return t.direct(c.req, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
}

func (c *tcall) request() hitbox.Request {
	return c.p.ep.request(c.p.key)
}

// fetch asks the base RoundTripper, for the flow. A body read whole goes
// back as bytes in the cached form (stored when storable, marked Failed
// when its status is a failure one); a body larger than the limit, or
// than what the in-flight budget allows, goes to this caller only, as a
// stream given to its slot (the flight carries no bytes). A transport error, or a body that fails mid-way, is
// an upstream error.
func (c *tcall) fetch(ctx context.Context) (f hitbox.Fetched, err error) {
	var kept int64
	defer func() {
		if p := recover(); p != nil {
			f, err = hitbox.Fetched{}, &upstreamError{fmt.Errorf("httpcache: panic in transport: %v", p)}
		}
		c.s.keep(kept)
	}()
	// The request's context follows ctx while the body is read; a body
	// streamed to the caller lives until the caller closes it.
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	out := c.p.r.Clone(hctx)
	if c.p.body != nil {
		resetBody(out, c.p.body)
	}
	reqTags, tagged := c.t.fetchTags(&c.p)
	var rf rfcFetched
	if c.rfc != nil {
		if out.Header == nil {
			out.Header = make(http.Header)
		}
		if tagged {
			rf.stored = c.t.storedForFetch(ctx, c.p.r, c.p.key)
		}
		rf.validated = setValidators(out.Header, rf.stored)
		rf.reqTime = c.t.clock.Now()
	}
	resp, err := c.t.base.RoundTrip(out)
	if err != nil {
		stop()
		cancel()
		return hitbox.Fetched{}, &upstreamError{err}
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	cfg := &c.t.cfg
	var tagVals []string
	if resp.Header != nil {
		tagVals = cfg.takeTagHeaders(resp.Header) // never passed on nor stored
	}
	head := out.Method == http.MethodHead
	if resp.ContentLength > cfg.maxBody && !head {
		cfg.stats.TooLarge.Add(1)
		stop()
		c.give(newClientStream(resp, nil, cancel))
		return hitbox.Fetched{}, nil
	}
	hint := resp.ContentLength
	if head {
		hint = -1
	}
	b, refused, err := readReserved(resp.Body, cfg.maxBody, hint, cfg.budget)
	if err != nil {
		cfg.budget.release(int64(cap(b)))
		cfg.stats.CutShort.Add(1)
		_ = resp.Body.Close()
		stop()
		cancel()
		return hitbox.Fetched{}, &upstreamError{err}
	}
	if refused || int64(len(b)) > cfg.maxBody {
		// The bytes read so far go to the caller uncounted: they are
		// no longer the flight's.
		cfg.budget.release(int64(cap(b)))
		if refused {
			cfg.stats.OverBudget.Add(1)
		} else {
			cfg.stats.TooLarge.Add(1)
		}
		stop()
		c.give(newClientStream(resp, b, cancel))
		return hitbox.Fetched{}, nil
	}
	kept = int64(cap(b))
	_ = resp.Body.Close()
	stop()
	cancel()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if !head {
		resp.ContentLength = int64(len(b))
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	if c.rfc != nil {
		rf.resp = &response{status: resp.StatusCode, header: resp.Header, body: b}
		rf.failed = !c.head && cfg.failed(resp.StatusCode)
		rf.tags, rf.untaggable = c.t.answerTags(reqTags, tagVals), !tagged
		return c.t.finishRFC(c.rfc, c.p.ep, c.p.r, c.head, rf), nil
	}
	store := tagged && !c.head && !partial(resp.StatusCode, resp.Header) && c.p.ep.resp.Match(resp)
	value := encode(resp.StatusCode, resp.Header, b, c.t.clock.Now())
	switch {
	case store:
		return hitbox.Fetched{Value: value, Store: true, Tags: c.t.answerTags(reqTags, tagVals)}, nil
	case !c.head && cfg.failed(resp.StatusCode):
		return hitbox.Fetched{Value: value, Failed: true}, nil
	}
	return hitbox.Fetched{Value: value}, nil
}

// clientStream is a base response whose body was too large to buffer: the
// bytes read so far, then the rest from the base. Closing it closes the
// base body and ends the request's context.
type clientStream struct {
	resp *http.Response
}

func newClientStream(resp *http.Response, prefix []byte, cancel context.CancelFunc) *clientStream {
	body := resp.Body
	var r io.Reader = body
	if len(prefix) > 0 {
		r = io.MultiReader(bytes.NewReader(prefix), body)
	}
	resp.Body = &streamBody{r: r, c: body, cancel: cancel}
	return &clientStream{resp: resp}
}

// Close closes the base body.
func (s *clientStream) Close() error { return s.resp.Body.Close() }

type streamBody struct {
	r      io.Reader
	c      io.Closer
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed, stop and err
	closed bool
	stop   func() bool
	err    error
}

func (b *streamBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *streamBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.err = b.c.Close()
		b.cancel()
		if b.stop != nil {
			b.stop()
		}
	}
	return b.err
}

// watch closes the body when ctx ends, as a client's response body
// stops when its request's context does.
func (b *streamBody) watch(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.stop = context.AfterFunc(ctx, func() { _ = b.Close() })
	}
}

// answer turns the flow's result into a response; false (and no error)
// when the cached bytes do not decode.
func (t *Transport) answer(c *tcall, res hitbox.Result, err error) (*http.Response, bool, error) {
	if err != nil {
		if ue, ok := errors.AsType[*upstreamError](err); ok {
			return nil, true, ue.err
		}
		if cerr := c.req.Context().Err(); cerr != nil {
			return nil, true, cerr
		}
		t.cfg.logger.Warn("httpcache: cache flow failed, asking the upstream", "key", c.p.key, "err", err)
		resp, err := t.direct(c.req, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
		return resp, true, err
	}
	// A Miss of this call's own fetch (never a stale stand-in) may be a
	// response streamed to this caller; any other answer leaves it for
	// detach to close.
	if res.Status == hitbox.Miss && !res.StaleIfError {
		if cs := c.take(); cs != nil {
			return c.streamed(cs, res.Forward), true, nil
		}
	}
	if res.Value == nil && res.Status == hitbox.Miss {
		return nil, true, errors.New("httpcache: base RoundTripper returned no response")
	}
	if c.rfc != nil {
		return t.answerRFCResponse(c, &res)
	}
	v, perr := parse(res.Value)
	if perr != nil {
		return nil, false, nil
	}
	if res.Status == hitbox.Hit || res.Status == hitbox.Stale {
		resp, spare := fromView(&v, c.req, 3)
		t.cfg.stripTagHeaders(resp.Header) // an entry stored with other tag headers in force
		now := t.clock.Now()
		written := res.Written
		if written.IsZero() {
			written = v.written
		}
		setCached(resp.Header, spare, cachedXStatus(res.Status), hitStatus(&res, now), ageSeconds(written, now))
		return resp, true, nil
	}
	resp, spare := fromView(&v, c.req, 2)
	setForwarded(resp.Header, spare, forwardStatus(res.Forward, v.status, res.Stored))
	return resp, true, nil
}

// streamed answers with the response the call's fetch streams: its body
// stops when the caller's request context ends.
func (c *tcall) streamed(cs *clientStream, fwd hitbox.Forward) *http.Response {
	resp := cs.resp
	resp.Request = c.req
	if sb, ok := resp.Body.(*streamBody); ok {
		sb.watch(c.req.Context())
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	setForwarded(resp.Header, nil, forwardStatus(fwd, resp.StatusCode, false))
	return resp
}

// fresh returns the plan's request with its body rewound (a copy: a
// fetch may be reading the plan's request).
func (c *tcall) fresh() *http.Request {
	if c.p.body == nil {
		return c.p.r
	}
	r := new(http.Request)
	*r = *c.p.r
	resetBody(r, c.p.body)
	return r
}

// fromView builds a response from a cached form, with extra spare strings
// for the status headers, sliced as the request's Range asks. A HEAD gets
// no body and the declared length.
func fromView(v *view, req *http.Request, extra int) (*http.Response, []string) {
	h := make(http.Header, v.nkeys+extra)
	spare := v.fill(h, extra)
	return newResponse(req, h, v.status, v.body), spare
}

// newResponse builds a response answering req, sliced as its Range asks;
// a HEAD gets no body and the declared length.
func newResponse(req *http.Request, h http.Header, status int, body []byte) *http.Response {
	status, body = sliceRange(req, h, status, body)
	n := int64(len(body))
	var rc io.ReadCloser = io.NopCloser(bytes.NewReader(body))
	if req.Method == http.MethodHead {
		// The declared length of the resource, as net/http reports it.
		n = -1
		if cl, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && cl >= 0 {
			n = cl
		}
		rc = http.NoBody
	}
	return httpResponse(req, h, status, rc, n)
}

// direct asks the base for r, nothing cached, through the flow with a
// disabled policy (so that it is counted).
func (t *Transport) direct(req, r *http.Request, endpoint string, fwd hitbox.Forward) (*http.Response, error) {
	// A disabled policy runs the fetch on this goroutine before Do
	// returns: the response comes back through resp.
	var resp *http.Response
	_, err := t.cache.Do(req.Context(), hitbox.Request{Policy: hitbox.Disabled(), Endpoint: endpoint},
		func(context.Context) (f hitbox.Fetched, err error) {
			resp, err = t.base.RoundTrip(r)
			return f, err
		})
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, errors.New("httpcache: base RoundTripper returned no response")
	}
	resp.Request = req
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	t.cfg.stripTagHeaders(resp.Header)
	setForwarded(resp.Header, nil, forwardStatus(fwd, resp.StatusCode, false))
	return resp, nil
}

var _ http.RoundTripper = (*Transport)(nil)
