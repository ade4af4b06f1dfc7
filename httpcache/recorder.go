package httpcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
)

// errClientGone is what a streaming handler's writes return once the
// client stopped reading (or nobody claimed the response).
var errClientGone = errors.New("httpcache: the response is no longer read")

// handlerPanic is a panic of the upstream handler, carried out of the
// goroutine that ran it.
type handlerPanic struct {
	value any
	stack []byte
	req   *http.Request // the request of the call whose fetch ran the handler
}

func (p *handlerPanic) Error() string {
	return fmt.Sprintf("httpcache: handler panic: %v\n%s", p.value, p.stack)
}

// outcome is what a handler run produced: a complete response, a stream,
// or a panic. Exactly one is sent per run.
type outcome struct {
	resp   *response
	stream *stream
	err    error
}

// stream is a response that is too large to buffer, or that the handler
// flushes: its head and the bytes so far, then the rest as the handler
// writes it. Close (by the caller once done, or by the flow when nobody
// claims it) makes the handler's further writes fail and cancels its
// context.
type stream struct {
	status int
	header http.Header
	prefix []byte
	flush  bool // the handler flushed: flush after the prefix
	pr     *io.PipeReader
	cancel context.CancelFunc
}

// Close stops the stream.
func (s *stream) Close() error {
	_ = s.pr.CloseWithError(errClientGone)
	s.cancel()
	return nil
}

// recorder is the ResponseWriter the upstream handler writes to on a
// miss. It buffers up to limit bytes; past that, or on Flush, it switches
// to streaming. It belongs to the goroutine running the handler.
type recorder struct {
	req    *http.Request // the call's request (not the handler's clone)
	limit  int64
	head   bool // a HEAD request
	header http.Header
	status int // 0 until the header is written
	snap   http.Header
	buf    []byte
	pw     *io.PipeWriter // non-nil once streaming
	out    chan<- outcome
	cancel context.CancelFunc
	stop   func() bool // detaches the handler's context from the fetch's
}

var _ http.Flusher = (*recorder)(nil)

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return // superfluous, as net/http ignores it
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		return // informational responses are not forwarded
	}
	r.status = code
	r.snap = r.header.Clone()
	if r.snap == nil {
		r.snap = http.Header{}
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(r.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if r.pw != nil {
		return r.pw.Write(p)
	}
	if int64(len(r.buf))+int64(len(p)) > r.limit {
		r.startStream(false)
		return r.pw.Write(p)
	}
	r.buf = append(r.buf, p...)
	return len(p), nil
}

func (r *recorder) WriteString(s string) (int, error) {
	if r.pw == nil && r.status != 0 && bodyAllowed(r.status) && int64(len(r.buf))+int64(len(s)) <= r.limit {
		r.buf = append(r.buf, s...)
		return len(s), nil
	}
	return r.Write([]byte(s))
}

// Flush switches to streaming, so that what the handler wrote reaches the
// client now; later flushes send a flush marker (an empty write) that the
// reading side turns into a flush of the real ResponseWriter.
func (r *recorder) Flush() { _ = r.FlushError() }

// FlushError is Flush reporting a client that stopped reading, for
// http.ResponseController.
func (r *recorder) FlushError() error {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.pw == nil {
		r.startStream(true)
		return nil
	}
	_, err := r.pw.Write(nil)
	return err
}

// startStream hands the head and the bytes so far to the fetch and routes
// further writes through a pipe.
func (r *recorder) startStream(flush bool) {
	pr, pw := io.Pipe()
	r.pw = pw
	r.stop() // the stream outlives the fetch: only Close ends it now
	r.out <- outcome{stream: &stream{
		status: r.status, header: r.snap, prefix: r.buf, flush: flush,
		pr: pr, cancel: r.cancel,
	}}
	r.buf = nil
}

// finish runs when the handler returned (or panicked with p != nil) and
// sends the outcome, unless a stream already went out.
func (r *recorder) finish(p any) {
	var err error
	if p != nil {
		err = &handlerPanic{value: p, stack: debug.Stack(), req: r.req}
	}
	if r.pw != nil {
		_ = r.pw.CloseWithError(err) // nil: EOF
		r.cancel()
		return
	}
	r.stop()
	r.cancel()
	if err != nil {
		r.out <- outcome{err: err}
		return
	}
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	completeHeader(r.snap, r.status, r.buf, r.head)
	r.out <- outcome{resp: &response{status: r.status, header: r.snap, body: r.buf}}
}

// completeHeader adds what net/http would add to a response written whole:
// the sniffed Content-Type and the Content-Length, so that the cached form
// says them explicitly.
func completeHeader(h http.Header, status int, body []byte, head bool) {
	if !bodyAllowed(status) {
		return
	}
	_, haveType := h["Content-Type"]
	_, haveTE := h["Transfer-Encoding"]
	if !haveType && !haveTE && h.Get("Content-Encoding") == "" && len(body) > 0 {
		h["Content-Type"] = []string{http.DetectContentType(body)}
	}
	if _, ok := h["Content-Length"]; !ok && !haveTE && (!head || len(body) > 0) {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
}

// bodyAllowed reports whether a response with status may have a body
// (RFC 9110: not 1xx, 204 or 304).
func bodyAllowed(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}

// runHandler runs next on a clone of req with a body replaying body, in
// its own goroutine, and returns when the handler finished or switched to
// streaming. The handler's context follows ctx until then; a stream's
// handler context ends when the stream is closed or the handler returns.
func runHandler(ctx context.Context, next http.Handler, req *http.Request, body []byte, limit int64) outcome {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	out := make(chan outcome, 1)
	rec := &recorder{
		req: req, limit: limit, head: req.Method == http.MethodHead, header: make(http.Header),
		out: out, cancel: cancel, stop: stop,
	}
	hreq := req.Clone(hctx)
	if body != nil {
		resetBody(hreq, body)
	}
	go func() {
		defer func() { rec.finish(recover()) }()
		next.ServeHTTP(rec, hreq)
	}()
	return <-out
}
