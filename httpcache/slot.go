package httpcache

import (
	"context"
	"net/http"
	"sync"

	"github.com/hitbox-go/hitbox"
)

// slot is where the response of a call's own upstream run may go while
// the handler writes it: the ResponseWriter of the ServeHTTP that made the
// call. The flow may run the call's fetch on another goroutine and after
// ServeHTTP returned (a shared call outlives a client that gave up; a
// background refresh runs after the stale answer), so the slot only
// accepts a response while its owner waits in the flow for this very
// call: takeOver closes it before the owner writes anything itself, and
// detach when ServeHTTP returns. A response the recorder started teeing
// belongs to the slot: the owner waits for its end (wait).
//
// The slot also holds, until its owner is done, the in-flight budget of
// the response its fetch recorded (keep), so that the bytes stay counted
// while the flow stores and serves them. Its mutex also guards the
// Transport's streamed response (tcall.give), which must not outlive the
// owner either.
type slot struct {
	mu       sync.Mutex // guards everything below
	w        http.ResponseWriter
	bud      *budget
	closed   bool // the owner serves w itself, or left: no tee may start
	started  bool // the recorder wrote the head: the response is the slot's
	gone     bool // a write to w failed: the client stopped reading
	cut      bool // the response was cut short: the owner must abort it
	done     chan struct{}
	cancel   context.CancelFunc // ends the handler of a streamed response
	left     bool               // detach ran: the owner is done
	reserved int64
}

func newSlot(w http.ResponseWriter, bud *budget) slot { return slot{w: w, bud: bud} }

// start writes the head and the body so far to the client, with the
// status headers of a miss (stored announces the response predicates'
// verdict so far), and reports whether it could (the slot is open).
// cancel, when not nil, ends the handler if the client stops reading.
func (s *slot) start(status int, h http.Header, stored bool, prefix []byte, flush bool, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.started || s.w == nil {
		return false
	}
	s.started, s.done, s.cancel = true, make(chan struct{}), cancel
	hdr := s.w.Header()
	for k, v := range h {
		hdr[k] = v
	}
	setForwarded(hdr, nil, forwardStatus(hitbox.ForwardMiss, status, stored))
	s.w.WriteHeader(status)
	if len(prefix) > 0 {
		if _, err := s.w.Write(prefix); err != nil {
			s.gone = true
		}
	}
	if flush && !s.gone {
		if err := http.NewResponseController(s.w).Flush(); err != nil {
			s.gone = true
		}
	}
	return true
}

// teeing reports whether a response is going to the client through the
// slot.
func (s *slot) teeing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && !s.closed
}

// streaming says that the teed response now streams only to this client:
// cancel ends its handler when the client stops reading.
func (s *slot) streaming(cancel context.CancelFunc) {
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
}

// write sends p to the client of a started response.
func (s *slot) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.closed || s.gone {
		return errClientGone
	}
	if _, err := s.w.Write(p); err != nil {
		s.gone = true
		return err
	}
	return nil
}

// flush flushes a started response.
func (s *slot) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.closed || s.gone {
		return errClientGone
	}
	if err := http.NewResponseController(s.w).Flush(); err != nil {
		s.gone = true
		return err
	}
	return nil
}

// end marks the end of a started response (cut: cut short).
func (s *slot) end(cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started && s.done != nil {
		s.cut = cut
		close(s.done)
		s.done = nil
	}
}

// takeOver is called by the owner before it answers: it reports true when
// the response already went (or goes) to the client through the slot, and
// otherwise closes the slot so that no tee starts while the owner writes.
func (s *slot) takeOver() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return true
	}
	s.closed = true
	return false
}

// wait waits for the end of a started response and reports whether it
// was cut short. When ctx ends first (the client went away) the slot
// closes: a streamed response's handler is cancelled, a teed one goes on
// recording for the store.
func (s *slot) wait(ctx context.Context) (cut bool) {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			s.mu.Lock()
			s.closed = true
			cancel := s.cancel
			s.mu.Unlock()
			if cancel != nil {
				cancel()
			}
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cut
}

// keep holds n bytes of in-flight budget until the owner is done (at
// once when it is).
func (s *slot) keep(n int64) {
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		s.bud.release(n)
		return
	}
	s.reserved += n
	s.mu.Unlock()
}

// detach is the owner's last word: the slot closes and the budget it
// holds is released.
func (s *slot) detach() {
	s.mu.Lock()
	s.closed, s.left = true, true
	n := s.reserved
	s.reserved = 0
	s.w = nil
	s.mu.Unlock()
	s.bud.release(n)
}
