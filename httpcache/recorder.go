package httpcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// errClientGone is what a streaming handler's writes return once the
// client stopped reading (or nobody is there to read the response).
var errClientGone = errors.New("httpcache: the response is no longer read")

// handlerPanic is a panic of the upstream handler (or a body it cut
// short), carried out of the goroutine that ran it.
type handlerPanic struct {
	value any
	stack []byte
	req   *http.Request // the request of the call whose fetch ran the handler
}

func (p *handlerPanic) Error() string {
	return fmt.Sprintf("httpcache: handler panic: %v\n%s", p.value, p.stack)
}

// outcome is what a handler run produced, sent once per run: a complete
// response (which its client may already have through the slot), a
// response that outgrew the buffer (it streams through the slot, nothing
// to store), or a failure (a panic, a body cut short).
type outcome struct {
	resp     *response
	frame    []byte // resp.body's allocation, room bytes in front of it
	room     int
	teed     bool     // resp already went to the slot's client
	tagVals  []string // the values of resp's tag headers, taken out of it
	uncached bool
	err      error
}

// recMode is what the recorder does with the handler's writes.
type recMode int

const (
	modeBuffer recMode = iota // buffer only (the client gets the answer from the flow)
	modeTee                   // buffer, and copy to the slot's client as written
	modeStream                // copy to the slot's client only: the body outgrew the buffer
	modeDrop                  // nobody to send to: writes fail
)

// recorder is the ResponseWriter the upstream handler writes to on a
// miss. It buffers the body up to limit bytes (each byte reserved in the
// in-flight budget first); on Flush it also tees what it has, and what
// follows, to the call's slot (the client waiting for this call), and
// past the limit or the budget it stops buffering and streams to the slot
// only. It belongs to the goroutine running the handler.
type recorder struct {
	req      *http.Request // the call's request (not the handler's clone)
	cfg      *config
	slot     *slot
	storable func(*response) bool // the verdict the teed head announces
	limit    int64
	head     bool // a HEAD request
	header   http.Header
	status   int // 0 until the header is written
	snap     http.Header
	tagVals  []string // the tag headers' values, taken out of snap
	declared int64    // the Content-Length the handler set, -1 when none
	written  int64    // body bytes written
	frame    []byte   // the buffer's allocation (reserved): room bytes, then buf
	room     int
	buf      []byte
	mode     recMode
	noTee    bool // a tee could not start: the slot is closed
	sent     bool // the outcome went out
	ho       *handoff
	cancel   context.CancelFunc // ends the handler's context
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
	r.tagVals = r.cfg.takeTagHeaders(r.snap) // for the tags: never sent nor stored
	r.declared = -1
	if cl, err := strconv.ParseInt(r.snap.Get("Content-Length"), 10, 64); err == nil && cl >= 0 && !r.head {
		r.declared = cl
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(r.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if r.declared >= 0 && r.written+int64(len(p)) > r.declared {
		return 0, http.ErrContentLength
	}
	r.written += int64(len(p))
	if r.mode == modeTee && r.ho.gaveUp.Load() {
		// The fetch's time ran out while teeing: the response goes on
		// to its client, uncached.
		r.mode = modeStream
		r.slot.streaming(r.cancel)
		r.dropBuffer()
	}
	if r.mode <= modeTee {
		switch {
		case int64(len(r.buf))+int64(len(p)) > r.limit || r.declared > r.limit:
			r.overflow(&r.cfg.stats.TooLarge)
		case !r.reserve(len(p)):
			r.overflow(&r.cfg.stats.OverBudget)
		default:
			r.buf = append(r.buf, p...)
			if r.mode == modeTee {
				_ = r.slot.write(p) // a client gone does not end the recording
			}
			return len(p), nil
		}
	}
	if r.mode == modeDrop {
		return 0, errClientGone
	}
	if err := r.slot.write(p); err != nil {
		r.cancel()
		return 0, err
	}
	return len(p), nil
}

func (r *recorder) WriteString(s string) (int, error) { return r.Write([]byte(s)) }

// Encoding a large body in place: a buffer of at least inPlaceMin bytes
// keeps headRoom bytes in front of the body, where the cached form's head
// is written at the end, so that the body is not copied.
const (
	inPlaceMin = 64 << 10
	headRoom   = 2 << 10
)

// reserve makes room for n more bytes in buf, reserving the buffer's
// growth in the in-flight budget first; false when the budget refused.
func (r *recorder) reserve(n int) bool {
	need := len(r.buf) + n
	if need <= cap(r.buf) {
		return true
	}
	want := max(need, 2*cap(r.buf), 4096)
	if r.declared >= 0 && len(r.buf) == 0 {
		want = max(need, int(r.declared)) // the declared length, at once
	}
	want = int(min(int64(want), r.limit))
	room := 0
	if want >= inPlaceMin {
		room = headRoom
	}
	if !r.cfg.budget.tryAcquire(int64(room + want - cap(r.frame))) {
		return false
	}
	frame := make([]byte, room+len(r.buf), room+want)
	copy(frame[room:], r.buf)
	r.frame, r.room, r.buf = frame, room, frame[room:]
	return true
}

// dropBuffer gives the buffer and its reservation back.
func (r *recorder) dropBuffer() {
	r.cfg.budget.release(int64(cap(r.frame)))
	r.frame, r.room, r.buf = nil, 0, nil
}

// encode returns the cached form of the recorded response, in place when
// the buffer has room in front and little spare capacity behind (the
// stored value then shares the buffer).
func (o *outcome) encode(written time.Time) []byte {
	body := o.resp.body
	if o.room > 0 && cap(o.frame)-o.room-len(body) <= len(body)/16 {
		return encodeInPlace(o.resp.status, o.resp.header, o.frame[:o.room+len(body)], o.room, written)
	}
	return encode(o.resp.status, o.resp.header, body, written)
}

// overflow stops buffering, counting why: what is buffered goes to the
// slot's client (unless it had it already) and the rest streams there; the
// fetch learns that there is nothing to store.
func (r *recorder) overflow(why *atomic.Int64) {
	why.Add(1)
	switch {
	case r.mode == modeTee:
		r.mode = modeStream
		r.slot.streaming(r.cancel)
	case r.slot.start(r.status, r.snap, false, r.buf, false, r.cancel):
		r.mode = modeStream
	default:
		r.mode = modeDrop
		r.cancel()
	}
	r.dropBuffer()
	r.send(outcome{uncached: true})
}

// Flush tees the response to the slot's client: what the handler wrote so
// far now, and what it writes later as it writes it (the recorder goes on
// buffering it for the store). A failure status is never teed, so that a
// stale entry may still answer instead. Without a client to tee to, Flush
// does nothing.
func (r *recorder) Flush() { _ = r.FlushError() }

// FlushError is Flush reporting a client that stopped reading a streamed
// response, for http.ResponseController.
func (r *recorder) FlushError() error {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	switch r.mode {
	case modeBuffer:
		if r.noTee || r.cfg.failed(r.status) {
			return nil
		}
		resp := &response{status: r.status, header: r.snap, body: r.buf}
		if r.slot.start(r.status, r.snap, r.storable(resp), r.buf, true, nil) {
			r.mode = modeTee
		} else {
			r.noTee = true // nobody to tee to: the slot never reopens
		}
		return nil
	case modeTee:
		_ = r.slot.flush()
		return nil
	case modeStream:
		return r.slot.flush()
	}
	return errClientGone
}

// send hands the outcome to the fetch, once; when the fetch gave up on
// it, the recorded body's reservation is released.
func (r *recorder) send(o outcome) {
	if r.sent {
		return
	}
	r.sent = true
	if !r.ho.give(o) && o.resp != nil {
		r.cfg.budget.release(int64(cap(o.frame)))
	}
}

// handoff passes a handler run's outcome to its fetch, which may give up
// waiting for it (its time ran out while the response was being teed).
type handoff struct {
	ch     chan outcome // capacity 1
	mu     sync.Mutex   // guards the hand-over against giving up
	gaveUp atomic.Bool  // set under mu
}

// give sends o unless the fetch gave up, and reports whether it did.
func (h *handoff) give(o outcome) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gaveUp.Load() {
		return false
	}
	h.ch <- o
	return true
}

// giveUp returns the outcome if it arrived, else marks that nobody will
// take it.
func (h *handoff) giveUp() (outcome, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case o := <-h.ch:
		return o, true
	default:
	}
	h.gaveUp.Store(true)
	return outcome{}, false
}

// finish runs when the handler returned (or panicked with p != nil): a
// panic, or a body shorter than its Content-Length, is a response cut
// short, never stored and aborted at its client.
func (r *recorder) finish(p any) {
	var err error
	if p != nil {
		err = &handlerPanic{value: p, stack: debug.Stack(), req: r.req}
	} else if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if err == nil && r.declared > r.written && bodyAllowed(r.status) {
		err = &handlerPanic{value: fmt.Errorf("%w: body cut short (%d of %d bytes)", http.ErrAbortHandler, r.written, r.declared), req: r.req}
	}
	if err != nil {
		r.cfg.stats.CutShort.Add(1)
	}
	r.cancel()
	switch {
	case r.mode >= modeStream:
	case err != nil:
		r.dropBuffer()
	default:
		completeHeader(r.snap, r.status, r.buf, r.head)
	}
	r.slot.end(err != nil)
	if err != nil {
		r.send(outcome{err: err})
		return
	}
	r.send(outcome{
		resp:  &response{status: r.status, header: r.snap, body: r.buf},
		frame: r.frame, room: r.room, teed: r.mode == modeTee, tagVals: r.tagVals,
	})
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
// its own goroutine, and returns when the handler finished or its body
// outgrew the buffer (it then streams to s's client). When ctx ends first
// (the shared call's time is up), a handler whose response is being teed
// to s's client goes on streaming it there, uncached; any other handler's
// context is cancelled and its answer awaited. A streaming handler's
// context ends when it returns or s's owner stops reading.
func runHandler(ctx context.Context, next http.Handler, req *http.Request, body []byte, cfg *config, s *slot, storable func(*response) bool) outcome {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ho := &handoff{ch: make(chan outcome, 1)}
	rec := &recorder{
		req: req, cfg: cfg, slot: s, storable: storable, limit: cfg.maxBody,
		head: req.Method == http.MethodHead, header: make(http.Header),
		ho: ho, cancel: cancel,
	}
	hreq := req.Clone(hctx)
	if body != nil {
		resetBody(hreq, body)
	}
	go func() {
		defer func() { rec.finish(recover()) }()
		next.ServeHTTP(rec, hreq)
	}()
	select {
	case o := <-ho.ch:
		return o
	case <-ctx.Done():
	}
	if !s.teeing() {
		cancel()
		return <-ho.ch
	}
	if o, ok := ho.giveUp(); ok {
		return o
	}
	s.streaming(cancel)
	return outcome{uncached: true}
}
