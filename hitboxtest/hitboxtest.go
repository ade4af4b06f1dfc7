// Package hitboxtest helps test code that uses hitbox, the way
// net/http/httptest helps test HTTP code: a [Clock] that tests drive, and
// upstreams that count their calls.
package hitboxtest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/backendtest"
)

// Clock is a driven clock: it stands still until Advance or Set moves it.
// It satisfies hitbox.Clock, and its Now method value fits the
// `Now func() time.Time` of backend options. Safe for concurrent use.
type Clock = backendtest.Clock

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return backendtest.NewClock(start) }

var _ hitbox.Clock = (*Clock)(nil)

// Upstream is a hitbox.Fetch source that counts its calls. Its zero value
// answers "v" with Store set.
type Upstream struct {
	calls atomic.Int64
	mu    sync.Mutex // guards fn
	fn    func(ctx context.Context, call int64) (hitbox.Fetched, error)
}

// NewUpstream returns an Upstream answering with fn; call counts from 1.
func NewUpstream(fn func(ctx context.Context, call int64) (hitbox.Fetched, error)) *Upstream {
	return &Upstream{fn: fn}
}

// Fetch is the hitbox.Fetch to pass to Cache.Do.
func (u *Upstream) Fetch(ctx context.Context) (hitbox.Fetched, error) {
	n := u.calls.Add(1)
	u.mu.Lock()
	fn := u.fn
	u.mu.Unlock()
	if fn == nil {
		return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
	}
	return fn(ctx, n)
}

// Set replaces the answering function.
func (u *Upstream) Set(fn func(ctx context.Context, call int64) (hitbox.Fetched, error)) {
	u.mu.Lock()
	u.fn = fn
	u.mu.Unlock()
}

// Calls returns how many times Fetch was called.
func (u *Upstream) Calls() int64 { return u.calls.Load() }

// CountingHandler wraps an http.Handler and counts the requests it serves,
// for an httptest.Server standing in as an origin.
type CountingHandler struct {
	Handler http.Handler
	n       atomic.Int64
}

// ServeHTTP counts the request and passes it on.
func (h *CountingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.n.Add(1)
	h.Handler.ServeHTTP(w, r)
}

// Calls returns how many requests the handler served.
func (h *CountingHandler) Calls() int64 { return h.n.Load() }
