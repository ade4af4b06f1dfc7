package hitbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

// events counts the flow's events by kind.
type events struct {
	mu sync.Mutex // guards n
	n  map[hitbox.EventKind]int
	// upstreamErrs collects the Err of EventUpstream events.
	upstreamErrs []error
}

func (e *events) Record(ev hitbox.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = make(map[hitbox.EventKind]int)
	}
	e.n[ev.Kind]++
	if ev.Kind == hitbox.EventUpstream {
		e.upstreamErrs = append(e.upstreamErrs, ev.Err)
	}
}

func (e *events) count(k hitbox.EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[k]
}

// concurrently runs n calls of do at once against an upstream blocked on
// release, releases it once they all wait, and returns their results.
func concurrently(t *testing.T, n int, release chan struct{}, do func() (hitbox.Result, error)) ([]hitbox.Result, []error) {
	t.Helper()
	results := make([]hitbox.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = do() })
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	return results, errs
}

// TestFailedSharedCallIsShared checks that the callers waiting on a
// shared upstream call that fails (an error, or an answer marked Failed)
// all get that failure from one upstream call, while a successful answer
// that may not be stored sends each waiter to the upstream (issue #9,
// point 3).
func TestFailedSharedCallIsShared(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection refused")
	tests := []struct {
		name      string
		answer    func(n int64) (hitbox.Fetched, error)
		wantCalls int64
		check     func(t *testing.T, i int, res hitbox.Result, err error)
	}{
		{
			name: "error",
			answer: func(int64) (hitbox.Fetched, error) {
				return hitbox.Fetched{}, boom
			},
			wantCalls: 1,
			check: func(t *testing.T, i int, res hitbox.Result, err error) {
				if !errors.Is(err, boom) || res.Status != hitbox.Miss || res.Forward != hitbox.ForwardMiss {
					t.Errorf("caller %d: %v %v, %v; want MISS fwd=miss and %v", i, res.Status, res.Forward, err, boom)
				}
			},
		},
		{
			name: "failed answer",
			answer: func(int64) (hitbox.Fetched, error) {
				return hitbox.Fetched{Value: []byte("503 busy"), Failed: true}, nil
			},
			wantCalls: 1,
			check: func(t *testing.T, i int, res hitbox.Result, err error) {
				if err != nil || !res.Failed || res.Status != hitbox.Miss || res.Forward != hitbox.ForwardMiss ||
					string(res.Value) != "503 busy" || res.Stored || res.Collapsed || res.StaleIfError {
					t.Errorf("caller %d: %+v, %v; want the failed answer as a MISS", i, res, err)
				}
			},
		},
		{
			name: "not storable",
			answer: func(n int64) (hitbox.Fetched, error) {
				return hitbox.Fetched{Value: fmt.Appendf(nil, "201 #%d", n)}, nil
			},
			wantCalls: 10,
			check: func(t *testing.T, i int, res hitbox.Result, err error) {
				if err != nil || res.Failed || res.Status != hitbox.Miss || res.Stored || res.Collapsed {
					t.Errorf("caller %d: %+v, %v; want its own unstored MISS", i, res, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, m := newCache(t)
				release := make(chan struct{})
				up := hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
					if n == 1 {
						<-release
					}
					return tt.answer(n)
				})
				req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}
				results, errs := concurrently(t, 10, release, func() (hitbox.Result, error) {
					return c.Do(t.Context(), req, up.Fetch)
				})
				if got := up.Calls(); got != tt.wantCalls {
					t.Errorf("upstream calls = %d, want %d", got, tt.wantCalls)
				}
				for i := range results {
					tt.check(t, i, results[i], errs[i])
				}
				if _, ok, _ := m.Get(t.Context(), "k"); ok {
					t.Error("a failed or unstorable answer was stored")
				}
			})
		})
	}
}

// TestFailedAnswerRecordedAsUpstreamError checks that an answer marked
// Failed counts as a failed upstream call, and that Store wins over
// Failed.
func TestFailedAnswerRecordedAsUpstreamError(t *testing.T) {
	t.Parallel()
	rec := &events{}
	c, m := newCache(t, hitbox.WithRecorder(rec))
	failed := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("500"), Failed: true}, nil
	}
	if _, err := c.Do(t.Context(), hitbox.Request{Key: "k"}, failed); err != nil {
		t.Fatal(err)
	}
	both := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("500 stored"), Store: true, Failed: true}, nil
	}
	res, err := c.Do(t.Context(), hitbox.Request{Key: "k2"}, both)
	if err != nil || res.Failed || !res.Stored {
		t.Errorf("Store and Failed: %+v, %v; want a stored answer, not Failed", res, err)
	}
	if _, ok, _ := m.Get(t.Context(), "k2"); !ok {
		t.Error("Store and Failed: not stored")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.upstreamErrs) != 2 || !errors.Is(rec.upstreamErrs[0], hitbox.ErrUpstreamFailed) || rec.upstreamErrs[1] != nil {
		t.Errorf("upstream event errors = %v, want [ErrUpstreamFailed <nil>]", rec.upstreamErrs)
	}
}

// primed returns a Cache holding "v1" under key "k" written under p, and
// the driven clock reading the write time.
func primed(t *testing.T, p hitbox.Policy, opts ...hitbox.Option) (*hitbox.Cache, *hitboxtest.Clock) {
	t.Helper()
	clock := hitboxtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, _ := newCacheOn(t, newMemory(t, clock.Now), append(opts, hitbox.WithClock(clock))...)
	ok := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("v1"), Store: true}, nil
	}
	if _, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: p}, ok); err != nil {
		t.Fatal(err)
	}
	return c, clock
}

// TestStaleIfError checks which entries stand in for a failed upstream
// call (an error or a Failed answer): stale ones, and expired ones up to
// StaleIfError past their expiry (issue #9, point 5).
func TestStaleIfError(t *testing.T) {
	t.Parallel()
	boom := errors.New("refused")
	fails := map[string]hitbox.Fetch{
		"error": func(context.Context) (hitbox.Fetched, error) { return hitbox.Fetched{}, boom },
		"failed answer": func(context.Context) (hitbox.Fetched, error) {
			return hitbox.Fetched{Value: []byte("502"), Failed: true}, nil
		},
	}
	expiring := hitbox.Policy{TTL: 10 * time.Second, Keep: 5 * time.Minute, StaleIfError: time.Minute}
	tests := []struct {
		name   string
		p      hitbox.Policy
		after  time.Duration
		served bool
		fwd    hitbox.Forward
		ttl    time.Duration // of the served entry, at the answer
	}{
		{"expired, within", expiring, 30 * time.Second, true, hitbox.ForwardStale, -20 * time.Second},
		{"expired, at the bound", expiring, 70 * time.Second, false, 0, 0},
		{"expired, off", hitbox.Policy{TTL: 10 * time.Second, Keep: 5 * time.Minute}, 30 * time.Second, false, 0, 0},
		{"stale under Revalidate", hitbox.Policy{TTL: time.Hour, Stale: 10 * time.Second, StaleMode: hitbox.StaleRevalidate, StaleIfError: time.Second}, 30 * time.Second, true, hitbox.ForwardStale, time.Hour - 30*time.Second},
		{"never expires, stale", hitbox.Policy{Stale: 10 * time.Second, StaleMode: hitbox.StaleRevalidate, StaleIfError: time.Second}, time.Hour, true, hitbox.ForwardStale, 0},
	}
	for _, tt := range tests {
		for kind, fetch := range fails {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				rec := &events{}
				c, clock := primed(t, tt.p, hitbox.WithRecorder(rec))
				clock.Advance(tt.after)
				res, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: tt.p}, fetch)
				if !tt.served {
					if res.StaleIfError || (err == nil && !res.Failed) {
						t.Errorf("Do = %+v, %v; want the failure, not the entry", res, err)
					}
					if n := rec.count(hitbox.EventStaleIfError); n != 0 {
						t.Errorf("%d stale_if_error events, want 0", n)
					}
					return
				}
				if err != nil || res.Status != hitbox.Stale || !res.StaleIfError || res.Failed || string(res.Value) != "v1" || res.Forward != tt.fwd {
					t.Fatalf("Do = %+v, %v; want v1 as STALE with StaleIfError, fwd %v", res, err, tt.fwd)
				}
				if ttl, _ := res.TTL(clock.Now()); ttl != tt.ttl {
					t.Errorf("served entry's TTL = %v, want %v", ttl, tt.ttl)
				}
				if n, s := rec.count(hitbox.EventStaleIfError), rec.count(hitbox.EventStale); n != 1 || s != 0 {
					t.Errorf("events: stale_if_error %d, stale %d; want 1 and 0", n, s)
				}
			})
		}
	}
}

// TestStaleIfErrorSharedByWaiters checks that every caller waiting on a
// failed shared call gets the stale entry, from one upstream call.
func TestStaleIfErrorSharedByWaiters(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := hitbox.Policy{TTL: 10 * time.Second, StaleIfError: time.Minute}
		c, clock := primed(t, p)
		clock.Advance(20 * time.Second)
		release := make(chan struct{})
		up := hitboxtest.NewUpstream(func(context.Context, int64) (hitbox.Fetched, error) {
			<-release
			return hitbox.Fetched{Value: []byte("500"), Failed: true}, nil
		})
		results, errs := concurrently(t, 10, release, func() (hitbox.Result, error) {
			return c.Do(t.Context(), hitbox.Request{Key: "k", Policy: p}, up.Fetch)
		})
		if got := up.Calls(); got != 1 {
			t.Errorf("upstream calls = %d, want 1", got)
		}
		for i := range results {
			if errs[i] != nil || !results[i].StaleIfError || string(results[i].Value) != "v1" {
				t.Errorf("caller %d: %+v, %v; want v1 with StaleIfError", i, results[i], errs[i])
			}
		}
	})
}

// TestStaleIfErrorRetryInterval checks that while the upstream fails, the
// key's upstream is tried at most once per retry interval, the other calls
// being answered from the entry at once, and that the first try after the
// upstream is back stores its answer.
func TestStaleIfErrorRetryInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := hitbox.Policy{TTL: 10 * time.Second, Keep: 5 * time.Minute, StaleIfError: 5 * time.Minute}
		rec := &events{}
		c, clock := primed(t, p, hitbox.WithRecorder(rec), hitbox.WithStaleIfErrorRetry(3*time.Second))
		clock.Advance(20 * time.Second)
		var (
			mu      sync.Mutex // guards healthy
			healthy bool
			release = make(chan struct{})
		)
		up := hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
			if n == 2 {
				<-release // the second try is slow
			}
			mu.Lock()
			defer mu.Unlock()
			if healthy {
				return hitbox.Fetched{Value: []byte("v2"), Store: true}, nil
			}
			return hitbox.Fetched{}, errors.New("down")
		})
		req := hitbox.Request{Key: "k", Policy: p}
		do := func(what string, wantValue string, wantFwd hitbox.Forward) {
			t.Helper()
			res, err := c.Do(t.Context(), req, up.Fetch)
			if err != nil || !res.StaleIfError || string(res.Value) != wantValue || res.Forward != wantFwd {
				t.Fatalf("%s: %+v, %v; want %s with StaleIfError, fwd %v", what, res, err, wantValue, wantFwd)
			}
		}
		do("first failure", "v1", hitbox.ForwardStale)
		for range 100 {
			clock.Advance(10 * time.Millisecond)
			do("within the interval", "v1", 0)
		}
		if got := up.Calls(); got != 1 {
			t.Fatalf("upstream calls within the retry interval = %d, want 1", got)
		}

		// After the interval one call tries again; while its try is in
		// flight the others are answered at once.
		clock.Advance(3 * time.Second)
		tried := make(chan struct{})
		go func() {
			defer close(tried)
			do("the second try", "v1", hitbox.ForwardStale)
		}()
		synctest.Wait()
		for range 20 {
			do("during the second try", "v1", 0)
		}
		close(release)
		<-tried
		if got := up.Calls(); got != 2 {
			t.Fatalf("upstream calls after the interval = %d, want 2", got)
		}

		// The upstream is back: the next try stores, and hits follow.
		mu.Lock()
		healthy = true
		mu.Unlock()
		do("still within the interval", "v1", 0)
		clock.Advance(3 * time.Second)
		res, err := c.Do(t.Context(), req, up.Fetch)
		if err != nil || res.Status != hitbox.Miss || !res.Stored || string(res.Value) != "v2" {
			t.Fatalf("after recovery: %+v, %v; want v2 stored", res, err)
		}
		res, err = c.Do(t.Context(), req, up.Fetch)
		if err != nil || res.Status != hitbox.Hit || string(res.Value) != "v2" {
			t.Fatalf("after recovery, next call: %+v, %v; want a HIT on v2", res, err)
		}
		if got := up.Calls(); got != 3 {
			t.Errorf("upstream calls = %d, want 3", got)
		}
		if n, s := rec.count(hitbox.EventStaleIfError), rec.count(hitbox.EventStale); n != 1+100+1+20+1 || s != 0 {
			t.Errorf("events: stale_if_error %d, stale %d; want %d and 0", n, s, 1+100+1+20+1)
		}
	})
}

// TestTypedStaleIfError checks that a typed fetch's error serves the
// kept value under StaleIfError.
func TestTypedStaleIfError(t *testing.T) {
	t.Parallel()
	clock := hitboxtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, _ := newCacheOn(t, newMemory(t, clock.Now), hitbox.WithClock(clock))
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{
		Policy:    hitbox.Policy{TTL: time.Minute, StaleIfError: time.Hour, Keep: time.Hour},
		Namespace: "users",
	})
	if err != nil {
		t.Fatal(err)
	}
	ann := func(context.Context) (user, error) { return user{ID: 7, Name: "Ann"}, nil }
	if _, _, err := users.GetOrFetch(t.Context(), "7", ann); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	down := func(context.Context) (user, error) { return user{}, errors.New("db down") }
	u, res, err := users.GetOrFetch(t.Context(), "7", down)
	if err != nil || u != (user{7, "Ann"}) || res.Status != hitbox.Stale || !res.StaleIfError {
		t.Errorf("GetOrFetch with a failing loader = %+v, %+v, %v; want Ann as STALE with StaleIfError", u, res, err)
	}
	clock.Advance(time.Hour)
	if _, _, err := users.GetOrFetch(t.Context(), "7", down); err == nil {
		t.Error("GetOrFetch past StaleIfError = nil error, want the loader's")
	}
}

// TestRequestTimeoutBoundsSharedCall checks that Request.Timeout bounds
// the shared upstream call, and that the Cache's default applies when it
// is zero (issue #9, point 4).
func TestRequestTimeoutBoundsSharedCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []hitbox.Option
		timeout time.Duration
		want    time.Duration
	}{
		{"request", nil, 2 * time.Second, 2 * time.Second},
		{"request over option", []hitbox.Option{hitbox.WithUpstreamTimeout(time.Minute)}, 3 * time.Second, 3 * time.Second},
		{"option", []hitbox.Option{hitbox.WithUpstreamTimeout(7 * time.Second)}, 0, 7 * time.Second},
		{"default", nil, 0, hitbox.DefaultUpstreamTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := newCache(t, tt.opts...)
				blocked := func(ctx context.Context) (hitbox.Fetched, error) {
					<-ctx.Done()
					return hitbox.Fetched{}, ctx.Err()
				}
				start := time.Now()
				_, err := c.Do(t.Context(), hitbox.Request{Key: "k", Timeout: tt.timeout}, blocked)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Do = %v, want deadline exceeded", err)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("the shared call ended after %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestNewRefusesInvalidOptions checks that the options refuse values that
// make no sense.
func TestNewRefusesInvalidOptions(t *testing.T) {
	t.Parallel()
	m := newMemory(t)
	for _, o := range []hitbox.Option{
		hitbox.WithLock(0, time.Millisecond),
		hitbox.WithLock(time.Second, 0),
		hitbox.WithLock(-time.Second, time.Millisecond),
		hitbox.WithStaleIfErrorRetry(0),
		hitbox.WithStaleIfErrorRetry(-time.Second),
	} {
		if c, err := hitbox.New(m, o); !errors.Is(err, hitbox.ErrInvalidOption) || c != nil {
			t.Errorf("New with an invalid option = %v, %v; want nil and ErrInvalidOption", c, err)
		}
	}
	c, err := hitbox.New(m, hitbox.WithLock(time.Second, time.Millisecond), hitbox.WithStaleIfErrorRetry(time.Second))
	if err != nil {
		t.Fatalf("New with valid options = %v", err)
	}
	_ = c.Close(t.Context())
}

// TestFailedRefreshSharedWithJoiners checks that a caller that joins a
// background refresh (StaleOffloadRevalidate) gets its failed answer
// rather than asking the upstream again.
func TestFailedRefreshSharedWithJoiners(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		p := hitbox.Policy{TTL: 10 * time.Second, Stale: time.Second, StaleMode: hitbox.StaleOffloadRevalidate}
		req := hitbox.Request{Key: "k", Policy: p}
		release := make(chan struct{})
		up := hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
			if n == 1 {
				return hitbox.Fetched{Value: []byte("v1"), Store: true}, nil
			}
			<-release
			return hitbox.Fetched{Value: []byte("503"), Failed: true}, nil
		})
		if _, err := c.Do(t.Context(), req, up.Fetch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		res, err := c.Do(t.Context(), req, up.Fetch) // stale: starts the refresh
		if err != nil || res.Status != hitbox.Stale {
			t.Fatalf("stale call: %+v, %v", res, err)
		}
		synctest.Wait()
		time.Sleep(10 * time.Second) // expired: the next caller joins the refresh
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, err = c.Do(t.Context(), req, up.Fetch)
		}()
		synctest.Wait()
		close(release)
		<-done
		if err != nil || !res.Failed || string(res.Value) != "503" {
			t.Errorf("caller joining a failed refresh: %+v, %v; want the failed answer", res, err)
		}
		if got := up.Calls(); got != 2 {
			t.Errorf("upstream calls = %d, want 2 (the fill and the refresh)", got)
		}
	})
}
