package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The proxy has no whole-transfer timeout. A client's request head must
// arrive within timeouts.request_header (http.Server.ReadHeaderTimeout);
// after that every body gets timeouts.body_idle between two reads or two
// writes: the client's request body (idleBody), the response to the
// client (clientWriter) and the upstream's response body (upstreamBody).
// The upstream's answer is bounded by upstream_timeout: by the flow for
// cacheable requests (httpcache.Endpoint.UpstreamTimeout), by
// upstreamCall's timer for requests served directly.

// errUpstreamTimeout is the cause of a call cut because the upstream did
// not answer within upstream_timeout.
var errUpstreamTimeout = errors.New("upstream timed out")

// errUpstreamStalled is the cause of a call cut because the upstream's
// response body paused longer than timeouts.body_idle.
var errUpstreamStalled = errors.New("upstream response body stalled")

// clientWriter is the ResponseWriter of every proxied request. It extends
// the connection's write deadline by idle before each write, so that a
// client that stops reading is cut after idle while a slow but steady one
// is not, and it removes [upstreamErrorHeader] before the response head is
// written.
type clientWriter struct {
	http.ResponseWriter
	ctl   http.ResponseController
	idle  time.Duration // 0: no deadline
	wrote bool
	body  *idleBody // the request's body, nil when it has none
	last  time.Time // when the deadline was last moved; zero: not yet
}

// newClientWriter wraps w. A deadline the previous request on the
// connection left in the past does not matter: every write of this one
// moves it first.
func newClientWriter(w http.ResponseWriter, idle time.Duration) *clientWriter {
	return &clientWriter{ResponseWriter: w, ctl: *http.NewResponseController(w), idle: idle}
}

// extend moves the write deadline idle ahead.
func (c *clientWriter) extend() {
	if c.idle > 0 {
		c.last = time.Now()
		_ = c.ctl.SetWriteDeadline(c.last.Add(c.idle))
	}
}

func (c *clientWriter) WriteHeader(code int) {
	if !c.wrote {
		delete(c.Header(), upstreamErrorHeader)
		c.wrote = code >= 200 || code == http.StatusSwitchingProtocols
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *clientWriter) Write(p []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	c.extend()
	return c.ResponseWriter.Write(p)
}

// FlushError flushes the underlying writer, for http.ResponseController.
func (c *clientWriter) FlushError() error {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	c.extend()
	return c.ctl.Flush()
}

// Flush implements http.Flusher.
func (c *clientWriter) Flush() { _ = c.FlushError() }

// Unwrap returns the underlying writer, for http.ResponseController.
func (c *clientWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// done runs when the handler returned: net/http still writes the head of
// a response that wrote no body, and flushes what is buffered, within
// idle (a deadline moved moments ago is kept: one call less per request).
func (c *clientWriter) done() {
	if c.last.IsZero() || time.Since(c.last) > c.idle/2 {
		c.extend()
	}
}

// idleBody is a client's request body that extends the connection's read
// deadline by idle before each read, until the body ends or the handler
// returned (net/http then reads the connection itself).
type idleBody struct {
	io.ReadCloser
	ctl      *http.ResponseController
	idle     time.Duration
	over     atomic.Bool  // the body ended or the handler returned
	bad      atomic.Bool  // reading it failed (a stall, a cut connection)
	deadline atomic.Int64 // the read deadline in force, in Unix nanoseconds
}

// failedBody reports whether the client's body, read for the request
// written to w, failed or passed its read deadline: the server then
// cancels the request's context (before the read returns), which must not
// be taken for the upstream's failure.
func failedBody(w http.ResponseWriter) bool {
	cw := clientOf(w)
	if cw == nil || cw.body == nil {
		return false
	}
	b := cw.body
	if b.bad.Load() {
		return true
	}
	d := b.deadline.Load()
	return !b.over.Load() && d != 0 && time.Now().UnixNano() >= d
}

func (b *idleBody) Read(p []byte) (int, error) {
	if !b.over.Load() {
		d := time.Now().Add(b.idle)
		b.deadline.Store(d.UnixNano())
		_ = b.ctl.SetReadDeadline(d)
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.bad.Store(err != io.EOF)
		b.over.Store(true)
	}
	return n, err
}

// callKey is the context key of a request's *upstreamCall.
type callKey struct{}

// upstreamCall bounds one call to the upstream: its answer within header
// when the request is served directly (the flow bounds the others), then
// its response body's pauses within idle. Its timer cancels the call's
// context with the reason as cause.
type upstreamCall struct {
	cancel context.CancelCauseFunc
	direct bool          // served outside the flow (no endpoint took it)
	idle   time.Duration // 0: no body timeout
	log    *slog.Logger

	mu    sync.Mutex // guards timer and cause
	timer *time.Timer
	cause error // what the timer cuts the call for
}

// callOf returns the call of ctx, or nil.
func callOf(ctx context.Context) *upstreamCall {
	c, _ := ctx.Value(callKey{}).(*upstreamCall)
	return c
}

// arm (re)starts the timer: after d the call is cut with cause.
func (c *upstreamCall) arm(d time.Duration, cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cause = cause
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.fire)
		return
	}
	c.timer.Reset(d)
}

// fire cuts the call.
func (c *upstreamCall) fire() {
	c.mu.Lock()
	cause := c.cause
	c.mu.Unlock()
	c.cancel(cause)
}

// stop stops the timer.
func (c *upstreamCall) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
}

// answered runs when the response head arrived: the header timer stops,
// and body reads are bounded by idle from now on (not for a protocol
// switch, whose body is the connection).
func (c *upstreamCall) answered(resp *http.Response) {
	c.stop()
	if c.idle <= 0 || resp.StatusCode == http.StatusSwitchingProtocols || resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	c.arm(c.idle, errUpstreamStalled)
	resp.Body = &upstreamBody{ReadCloser: resp.Body, call: c, req: resp.Request}
}

// timedOut reports whether ctx, a call's, was cut because the upstream
// did not answer in time: by this call's timer, or (for a request of the
// flow, whose context only the flow's upstream timeout ends) by the flow.
func (c *upstreamCall) timedOut(ctx context.Context) bool {
	if errors.Is(context.Cause(ctx), errUpstreamTimeout) {
		return true
	}
	return c != nil && !c.direct && ctx.Err() != nil
}

// upstreamBody is the upstream's response body: each read pushes the
// call's idle timer back; a body that pauses longer is cut, the read
// fails, and the client's response is aborted (never passed off as
// complete).
type upstreamBody struct {
	io.ReadCloser
	call   *upstreamCall
	req    *http.Request
	logged bool
}

func (b *upstreamBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == nil {
		b.call.arm(b.call.idle, errUpstreamStalled)
	} else if errors.Is(context.Cause(b.req.Context()), errUpstreamStalled) && !b.logged {
		b.logged = true
		b.call.log.Warn("upstream response body stalled: cut", "method", b.req.Method, "path", b.req.URL.Path,
			"body_idle", b.call.idle.String())
	}
	return n, err
}

func (b *upstreamBody) Close() error {
	b.call.stop()
	return b.ReadCloser.Close()
}

// upstreamHandler is the proxy behind the cache: it bounds each call as
// [upstreamCall] says, then hands the request to the reverse proxy.
type upstreamHandler struct {
	proxy http.Handler
	// direct bounds the answer to a request served directly: the file's
	// upstream_timeout.
	direct time.Duration
	// flow bounds the answer to a call of the flow, which bounds the
	// shared calls itself with the endpoint's upstream_timeout; this is
	// the largest of them, for calls the flow leaves unbounded (a waiter
	// asking for itself after a shared answer that was not storable).
	flow time.Duration
	idle time.Duration // timeouts.body_idle
	log  *slog.Logger
}

func (u *upstreamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	call := &upstreamCall{cancel: cancel, direct: servedDirectly(w), idle: u.idle, log: u.log}
	defer call.stop()
	limit := u.flow
	if call.direct {
		limit = u.direct
	}
	if limit > 0 {
		call.arm(limit, errUpstreamTimeout)
	}
	u.proxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callKey{}, call)))
}

// servedDirectly reports whether w leads to the client's own writer: the
// cache passed the request through (no endpoint took it) rather than
// running it as a shared call of the flow, which writes into a recorder.
func servedDirectly(w http.ResponseWriter) bool { return clientOf(w) != nil }

// clientOf returns the clientWriter w wraps, or nil.
func clientOf(w http.ResponseWriter) *clientWriter {
	for {
		switch t := w.(type) {
		case *clientWriter:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}
