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
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

// newCache returns a Cache over a fresh memory backend; inside a synctest
// bubble time.Now is the bubble's clock, so the defaults are driven.
func newCache(t *testing.T, opts ...hitbox.Option) (*hitbox.Cache, *memory.Backend) {
	t.Helper()
	return newCacheOn(t, newMemory(t), opts...)
}

// newMemory returns a memory backend, on now when one is given, closed
// when the test ends.
func newMemory(t *testing.T, now ...func() time.Time) *memory.Backend {
	t.Helper()
	o := memory.Options{MaxBytes: 64 << 20}
	if len(now) > 0 {
		o.Now = now[0]
	}
	m, err := memory.New(o)
	if err != nil {
		t.Fatalf("memory.New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

// newCacheOn returns a Cache over m, shut down when the test ends.
func newCacheOn(t *testing.T, m *memory.Backend, opts ...hitbox.Option) (*hitbox.Cache, *memory.Backend) {
	t.Helper()
	c, err := hitbox.New(m, opts...)
	if err != nil {
		t.Fatalf("hitbox.New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return c, m
}

type want struct {
	status    hitbox.Status
	fwd       hitbox.Forward
	value     string
	stored    bool
	collapsed bool
}

func check(t *testing.T, what string, res hitbox.Result, err error, w want) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: error %v", what, err)
	}
	got := want{res.Status, res.Forward, string(res.Value), res.Stored, res.Collapsed}
	if got != w {
		t.Errorf("%s = %+v, want %+v", what, got, w)
	}
}

func counter(t *testing.T) *hitboxtest.Upstream {
	t.Helper()
	return hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: fmt.Appendf(nil, "v%d", n), Store: true}, nil
	})
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	policy := hitbox.Policy{TTL: 10 * time.Second, Stale: 5 * time.Second}
	tests := []struct {
		name  string
		mode  hitbox.StaleMode
		stale want // at 6s
		after int64
	}{
		{"Return", hitbox.StaleReturn, want{hitbox.Stale, 0, "v1", false, false}, 1},
		{"Revalidate", hitbox.StaleRevalidate, want{hitbox.Miss, hitbox.ForwardStale, "v2", true, false}, 2},
		{"OffloadRevalidate", hitbox.StaleOffloadRevalidate, want{hitbox.Stale, 0, "v1", false, false}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := newCache(t)
				up := counter(t)
				p := policy
				p.StaleMode = tt.mode
				req := hitbox.Request{Key: "k", Policy: p}
				res, err := c.Do(t.Context(), req, up.Fetch)
				check(t, "cold", res, err, want{hitbox.Miss, hitbox.ForwardMiss, "v1", true, false})
				res, err = c.Do(t.Context(), req, up.Fetch)
				check(t, "fresh", res, err, want{hitbox.Hit, 0, "v1", false, false})
				time.Sleep(6 * time.Second)
				res, err = c.Do(t.Context(), req, up.Fetch)
				check(t, "stale", res, err, tt.stale)
				synctest.Wait()
				if got := up.Calls(); got != tt.after {
					t.Errorf("upstream calls after the stale answer = %d, want %d", got, tt.after)
				}
				time.Sleep(20 * time.Second)
				res, err = c.Do(t.Context(), req, up.Fetch)
				n := up.Calls()
				check(t, "expired", res, err, want{hitbox.Miss, hitbox.ForwardStale, fmt.Sprintf("v%d", n), true, false})
			})
		})
	}
}

func TestOffloadRevalidateRefreshesOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		release := make(chan struct{})
		up := counter(t)
		req := hitbox.Request{Key: "k", Policy: hitbox.Policy{TTL: time.Minute, Stale: time.Second, StaleMode: hitbox.StaleOffloadRevalidate}}
		if _, err := c.Do(t.Context(), req, up.Fetch); err != nil {
			t.Fatal(err)
		}
		up.Set(func(_ context.Context, n int64) (hitbox.Fetched, error) {
			<-release
			return hitbox.Fetched{Value: fmt.Appendf(nil, "v%d", n), Store: true}, nil
		})
		time.Sleep(2 * time.Second)
		for range 50 {
			res, err := c.Do(t.Context(), req, up.Fetch)
			check(t, "stale while refreshing", res, err, want{hitbox.Stale, 0, "v1", false, false})
		}
		synctest.Wait()
		if got := up.Calls(); got != 2 {
			t.Errorf("upstream calls during the refresh = %d, want 2 (one refresh per key)", got)
		}
		close(release)
		synctest.Wait()
		res, err := c.Do(t.Context(), req, up.Fetch)
		check(t, "after refresh", res, err, want{hitbox.Hit, 0, "v2", false, false})
	})
}

func TestFailingRevalidationKeepsServingStale(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		up := counter(t)
		req := hitbox.Request{Key: "k", Policy: hitbox.Policy{TTL: 10 * time.Second, Stale: time.Second, StaleMode: hitbox.StaleOffloadRevalidate}}
		if _, err := c.Do(t.Context(), req, up.Fetch); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("origin down")
		up.Set(func(context.Context, int64) (hitbox.Fetched, error) { return hitbox.Fetched{}, boom })
		for range 8 {
			time.Sleep(time.Second)
			res, err := c.Do(t.Context(), req, up.Fetch)
			check(t, "stale with a failing refresh", res, err, want{hitbox.Stale, 0, "v1", false, false})
			synctest.Wait()
		}
		time.Sleep(2 * time.Second) // past the ttl
		if _, err := c.Do(t.Context(), req, up.Fetch); !errors.Is(err, boom) {
			t.Errorf("after expiry: error %v, want %v", err, boom)
		}
	})
}

func TestStampede(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		release := make(chan struct{})
		up := hitboxtest.NewUpstream(func(context.Context, int64) (hitbox.Fetched, error) {
			<-release
			return hitbox.Fetched{Value: []byte("shared"), Store: true}, nil
		})
		const n = 1000
		results := make([]hitbox.Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = c.Do(t.Context(), hitbox.Request{Key: "cold", Policy: hitbox.Enabled(time.Minute, 0)}, up.Fetch)
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if got := up.Calls(); got != 1 {
			t.Fatalf("upstream calls = %d, want 1", got)
		}
		var misses, collapsed int
		for i := range n {
			if errs[i] != nil || string(results[i].Value) != "shared" {
				t.Fatalf("caller %d: %q, %v", i, results[i].Value, errs[i])
			}
			switch {
			case results[i].Status == hitbox.Miss:
				misses++
			case results[i].Status == hitbox.Hit && results[i].Collapsed:
				collapsed++
			}
		}
		if misses != 1 || collapsed != n-1 {
			t.Errorf("misses = %d, collapsed hits = %d; want 1 and %d", misses, collapsed, n-1)
		}
	})
}

func TestWaiterGivingUpDoesNotCancelSharedCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		release := make(chan struct{})
		var sawCancel bool
		up := hitboxtest.NewUpstream(func(ctx context.Context, _ int64) (hitbox.Fetched, error) {
			select {
			case <-release:
			case <-ctx.Done():
				sawCancel = true
				return hitbox.Fetched{}, ctx.Err()
			}
			return hitbox.Fetched{Value: []byte("done"), Store: true}, nil
		})
		req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := c.Do(ctx, req, up.Fetch); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("first caller: %v, want deadline exceeded", err)
		}
		close(release)
		synctest.Wait()
		if sawCancel {
			t.Fatal("the shared call saw the first caller's cancellation")
		}
		if _, ok, _ := m.Get(t.Context(), "k"); !ok {
			t.Fatal("the shared call's answer was not stored")
		}
	})
}

func TestUnstorableSharedAnswerIsNotReused(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		release := make(chan struct{})
		up := hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
			if n == 1 {
				<-release
			}
			return hitbox.Fetched{Value: fmt.Appendf(nil, "404 #%d", n)}, nil
		})
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				res, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}, up.Fetch)
				if err != nil || res.Status != hitbox.Miss || res.Stored || res.Collapsed {
					t.Errorf("caller: %+v, %v; want an unstored MISS", res, err)
				}
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if got := up.Calls(); got != 5 {
			t.Errorf("upstream calls = %d, want 5 (each waiter asks for itself)", got)
		}
	})
}

func TestUpstreamErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		boom := errors.New("boom")
		up := hitboxtest.NewUpstream(func(context.Context, int64) (hitbox.Fetched, error) { return hitbox.Fetched{}, boom })
		req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}
		if _, err := c.Do(t.Context(), req, up.Fetch); !errors.Is(err, boom) {
			t.Fatalf("error = %v, want %v", err, boom)
		}
		if _, ok, _ := m.Get(t.Context(), "k"); ok {
			t.Fatal("an upstream error was cached")
		}

		// StaleIfError serves the kept expired entry instead.
		req.Policy = hitbox.Policy{TTL: time.Second, StaleIfError: 5 * time.Second}
		good := counter(t)
		if _, err := c.Do(t.Context(), req, good.Fetch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		res, err := c.Do(t.Context(), req, up.Fetch)
		if err != nil || res.Status != hitbox.Stale || !res.StaleIfError || string(res.Value) != "v1" {
			t.Errorf("stale-if-error: %+v, %v", res, err)
		}
	})
}

func TestDisabledBypasses(t *testing.T) {
	t.Parallel()
	c, m := newCache(t)
	up := counter(t)
	for i := range 3 {
		res, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Disabled()}, up.Fetch)
		check(t, "disabled", res, err, want{hitbox.Miss, hitbox.ForwardBypass, fmt.Sprintf("v%d", i+1), false, false})
	}
	if _, ok, _ := m.Get(t.Context(), "k"); ok {
		t.Error("a disabled policy stored its answer")
	}
}

func TestBackendErrorsNeverFailTheCaller(t *testing.T) {
	t.Parallel()
	m, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	f := backendtest.NewFault(m)
	var events sync.Map
	rec := hitbox.RecorderFunc(func(e hitbox.Event) {
		n, _ := events.LoadOrStore(e.Kind, new(int))
		*n.(*int)++ // only one goroutine records here
	})
	c, err := hitbox.New(f, hitbox.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	f.FailGet(backend.ErrUnavailable)
	f.FailSet(backend.ErrUnavailable)
	up := counter(t)
	req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}
	res, err := c.Do(t.Context(), req, up.Fetch)
	check(t, "with a failing backend", res, err, want{hitbox.Miss, hitbox.ForwardMiss, "v1", false, false})
	for _, k := range []hitbox.EventKind{hitbox.EventReadError, hitbox.EventWriteError} {
		if _, ok := events.Load(k); !ok {
			t.Errorf("no %v event recorded", k)
		}
	}
}

func TestInvalidCalls(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t)
	up := counter(t)
	if _, err := c.Do(t.Context(), hitbox.Request{}, up.Fetch); !errors.Is(err, hitbox.ErrEmptyKey) {
		t.Errorf("empty key: %v, want ErrEmptyKey", err)
	}
	if _, err := c.Do(t.Context(), hitbox.Request{Key: "k"}, nil); !errors.Is(err, hitbox.ErrNilFetch) {
		t.Errorf("nil fetch: %v, want ErrNilFetch", err)
	}
	for _, p := range []hitbox.Policy{{TTL: -time.Second}, {Stale: -1}, {Concurrency: -1}, {Jitter: -1}, {StaleMode: 9}} {
		if _, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: p}, up.Fetch); !errors.Is(err, hitbox.ErrInvalidPolicy) {
			t.Errorf("policy %+v: %v, want ErrInvalidPolicy", p, err)
		}
	}
	if up.Calls() != 0 {
		t.Errorf("invalid calls reached the upstream %d times", up.Calls())
	}
	if _, err := hitbox.New(nil); !errors.Is(err, hitbox.ErrNilBackend) {
		t.Errorf("New(nil): %v, want ErrNilBackend", err)
	}
	//lint:ignore SA1012 a nil context is documented as Background
	if _, err := c.Do(nil, hitbox.Request{Key: "k"}, up.Fetch); err != nil { //nolint:staticcheck
		t.Errorf("nil context: %v", err)
	}
}

func TestConcurrencyAllowsNCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := newCache(t)
		release := make(chan struct{})
		up := hitboxtest.NewUpstream(func(context.Context, int64) (hitbox.Fetched, error) {
			<-release
			return hitbox.Fetched{Value: []byte("x"), Store: true}, nil
		})
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				_, _ = c.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Policy{Concurrency: 3}}, up.Fetch)
			})
		}
		synctest.Wait()
		if got := up.Calls(); got != 3 {
			t.Errorf("upstream calls at once = %d, want 3", got)
		}
		close(release)
		wg.Wait()
	})
}

func TestEntryTimes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		up := counter(t)
		start := time.Now()
		tests := []struct {
			key                 string
			p                   hitbox.Policy
			stale, expire, keep time.Duration
		}{
			{"both", hitbox.Policy{TTL: 60 * time.Second, Stale: 30 * time.Second}, 30 * time.Second, 60 * time.Second, hitbox.DefaultKeep},
			{"stale-not-less", hitbox.Policy{TTL: 10 * time.Second, Stale: 30 * time.Second}, 0, 10 * time.Second, hitbox.DefaultKeep},
			{"never", hitbox.Policy{}, 0, 0, 0},
			{"keep", hitbox.Policy{TTL: time.Second, Keep: 5 * time.Minute}, 0, time.Second, 5 * time.Minute},
			{"no-keep", hitbox.Policy{TTL: time.Second, Keep: -1}, 0, time.Second, 0},
		}
		for _, tt := range tests {
			if _, err := c.Do(t.Context(), hitbox.Request{Key: tt.key, Policy: tt.p}, up.Fetch); err != nil {
				t.Fatal(err)
			}
			e, ok, err := m.Get(t.Context(), tt.key)
			if !ok || err != nil {
				t.Fatalf("%s: not stored (%v)", tt.key, err)
			}
			at := func(d time.Duration) time.Time {
				if d == 0 {
					return time.Time{}
				}
				return start.Add(d)
			}
			if !e.Stale.Equal(at(tt.stale)) || !e.Expire.Equal(at(tt.expire)) || e.Keep != tt.keep || !e.Written.Equal(start) {
				t.Errorf("%s: entry times %v/%v/%v/%v, want stale +%v expire +%v keep %v", tt.key, e.Written, e.Stale, e.Expire, e.Keep, tt.stale, tt.expire, tt.keep)
			}
		}
	})
}
