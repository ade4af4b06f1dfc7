package redis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// fromBreaker reports whether err is the breaker's refusal: the call
// failed at once, without reaching Redis.
func fromBreaker(err error) bool {
	return errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests)
}

// outage drives calls at b for d while Redis is away, and reports how many
// calls there were and how many of them the breaker let through to Redis
// (counted by their errors, not their durations, which a busy machine
// stretches), and fails t for a call that succeeded or failed without
// wrapping ErrUnavailable.
func outage(t *testing.T, b *Backend, d time.Duration) (calls, reached int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < d; calls++ {
		var err error
		if calls%2 == 0 {
			_, _, err = b.Get(t.Context(), "k")
		} else {
			err = b.Set(t.Context(), "k", entry("v"))
		}
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("call %d while Redis is away = %v, want an error wrapping backend.ErrUnavailable", calls, err)
		}
		if !fromBreaker(err) {
			reached++
		}
	}
	return calls, reached
}

// recovers waits until b reads and writes again, with its breaker closed.
func recovers(t *testing.T, b *Backend) {
	t.Helper()
	eventually(t, "the backend recovers (Set, then Get of the value set, breaker closed)", func() bool {
		if err := b.Set(t.Context(), "k", entry("back")); err != nil {
			return false
		}
		e, ok, err := b.Get(t.Context(), "k")
		st := b.BreakerState()
		return err == nil && ok && string(e.Value) == "back" && (st == "closed" || st == "disabled")
	})
}

func breakerOptions(url string) Options {
	return Options{
		URL:       url,
		OpTimeout: 200 * time.Millisecond,
		Breaker:   BreakerOptions{Failures: 3, OpenTimeout: 100 * time.Millisecond},
	}
}

// TestBreakerStall pauses Redis: calls hang until OpTimeout, until the
// breaker opens; from then on they fail at once, but for a probe each
// OpenTimeout.
func TestBreakerStall(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newBackend(t, breakerOptions(s.URL()))
	recovers(t, b)
	s.Pause()
	const d = time.Second
	calls, reached := outage(t, b, d)
	t.Logf("during a %v stall: %d calls, %d reached Redis", d, calls, reached)
	// 3 failures open it; then at most one probe per OpenTimeout plus the
	// probe's own OpTimeout (each hangs for all of it: a busy machine
	// makes fewer, never more).
	if maxReached := 3 + int(d/(100*time.Millisecond+b.opTimeout)) + 1; reached > maxReached {
		t.Errorf("%d of %d calls during a stall reached Redis, want at most %d", reached, calls, maxReached)
	}
	if calls < 10*reached {
		t.Errorf("%d calls during a %v stall, %d of them reached Redis: the breaker does not make failures fast", calls, d, reached)
	}
	if st := b.BreakerState(); st == "closed" {
		t.Errorf("breaker %s during a stall", st)
	}
	s.Resume()
	recovers(t, b)
}

// TestBreakerKill kills Redis in the middle of a concurrent run: calls fail
// fast (reset and refused connections, then the open breaker) with errors
// wrapping ErrUnavailable, and the backend finds the restarted server by
// itself.
func TestBreakerKill(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	o := breakerOptions(s.URL())
	// Calls to a killed server fail at once (refused, reset); a long
	// OpTimeout shows any call that waited for it instead, without a busy
	// machine making calls to a live server time out.
	o.OpTimeout = 2 * time.Second
	b := newBackend(t, o)
	recovers(t, b)
	var (
		stop                  atomic.Bool
		calls, timedOut, fail atomic.Int64
		wg                    sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				var err error
				if (w+i)%2 == 0 {
					_, _, err = b.Get(t.Context(), "k")
				} else {
					err = b.Set(t.Context(), "k", entry("v"))
				}
				calls.Add(1)
				if errors.Is(err, context.DeadlineExceeded) {
					timedOut.Add(1)
				}
				if err != nil && !errors.Is(err, backend.ErrUnavailable) {
					fail.Add(1)
					t.Errorf("call during the outage = %v, want nil or an error wrapping ErrUnavailable", err)
				}
			}
		})
	}
	eventually(t, "the run gets going", func() bool { return calls.Load() > 100 })
	s.Kill()
	before := calls.Load()
	eventually(t, "calls go on with Redis down", func() bool { return calls.Load() > before+1000 })
	if st := b.BreakerState(); st == "closed" {
		t.Errorf("breaker %s with Redis down", st)
	}
	s.Restart()
	eventually(t, "the breaker closes again", func() bool { return b.BreakerState() == "closed" })
	stop.Store(true)
	wg.Wait()
	t.Logf("%d calls, %d timed out, %d errors counted", calls.Load(), timedOut.Load(), b.Stats().Errors)
	if timedOut.Load() > 4 {
		t.Errorf("%d of %d calls waited out the %v OpTimeout, want at most one per worker", timedOut.Load(), calls.Load(), b.opTimeout)
	}
	if b.Stats().Errors == 0 {
		t.Error("Stats().Errors = 0 after an outage")
	}
	recovers(t, b)
}

// TestBreakerIgnoresCallers checks that calls the caller abandoned and
// error replies from a live server do not open the breaker.
func TestBreakerIgnoresCallers(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newBackend(t, breakerOptions(s.URL()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 10 {
		if _, _, err := b.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get with a canceled context = %v", err)
		}
	}
	// A list under the prefix: GET answers WRONGTYPE.
	if err := b.Client().RPush(t.Context(), b.prefix+"list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		_, _, err := b.Get(t.Context(), "list")
		if err == nil || errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Get of a list = %v, want an error that is not ErrUnavailable", err)
		}
	}
	if st := b.BreakerState(); st != "closed" {
		t.Fatalf("breaker %s after canceled calls and error replies, want closed", st)
	}
}

func TestBreakerDisabled(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	o := breakerOptions(s.URL())
	o.Breaker.Disabled = true
	b := newBackend(t, o)
	if st := b.BreakerState(); st != "disabled" {
		t.Fatalf("BreakerState = %q, want disabled", st)
	}
	s.Kill()
	for range 10 {
		if err := b.Set(t.Context(), "k", entry("v")); !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Set with Redis down = %v, want ErrUnavailable", err)
		}
	}
	s.Restart()
	recovers(t, b)
}

// TestForeignBytes checks that bytes another program wrote under a key are
// a miss, counted as a decode error and not as an error.
func TestForeignBytes(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newBackend(t, Options{URL: s.URL()})
	for i, raw := range []string{"hello", "", "hb\x01\x01\x01garbage", `{"value":"dg=="}`} {
		if err := b.Client().Set(t.Context(), b.prefix+"k", raw, 0).Err(); err != nil {
			t.Fatal(err)
		}
		e, ok, err := b.Get(t.Context(), "k")
		if ok || err != nil {
			t.Fatalf("Get over foreign bytes %q = %q, %v, %v; want a miss", raw, e.Value, ok, err)
		}
		st := b.Stats()
		if st.DecodeErrors != uint64(i+1) || st.Misses != uint64(i+1) || st.Errors != 0 {
			t.Fatalf("after %d foreign reads: DecodeErrors %d, Misses %d, Errors %d; want %d, %d, 0", i+1, st.DecodeErrors, st.Misses, st.Errors, i+1, i+1)
		}
	}
}
