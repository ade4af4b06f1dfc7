package redis_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// newCache returns the flow over a memory L1 over a Redis L2 on url, with
// the L1 invalidated by the other instances, as hitboxd wires an instance.
func newCache(t *testing.T, url string, o redis.Options) *hitbox.Cache {
	t.Helper()
	o.URL, o.Prefix, o.Channel = url, "fleet:", "fleet:invalidate"
	l2, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l2.Close() })
	l1, err := memory.New(memory.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l1.Close() })
	c, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	inv, err := l2.Subscribe(l1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inv.Close() })
	cache, err := hitbox.New(c, hitbox.WithLock(10*time.Second, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Shutdown(context.Background()) })
	return cache
}

// TestFleetOneUpstreamCall sends 500 concurrent requests for one cold key
// to two instances sharing one Redis: the lock lets exactly one of them
// call the upstream, and everyone gets its answer. The calls to Redis wait
// as long as a loaded machine needs and no breaker opens: a call timing
// out would rightly let an instance call the upstream unguarded.
func TestFleetOneUpstreamCall(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	patient := redis.Options{OpTimeout: 30 * time.Second, Breaker: redis.BreakerOptions{Disabled: true}}
	caches := []*hitbox.Cache{newCache(t, s.URL(), patient), newCache(t, s.URL(), patient)}
	var upstream atomic.Int64
	fetch := func(ctx context.Context) (hitbox.Fetched, error) {
		upstream.Add(1)
		// The upstream's latency: long enough for every request to
		// arrive while the first is in flight.
		time.Sleep(100 * time.Millisecond)
		return hitbox.Fetched{Value: []byte("answer"), Store: true}, nil
	}
	req := hitbox.Request{Key: "cold", Policy: hitbox.Enabled(time.Minute, 0)}
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Go(func() {
			res, err := caches[i%2].Do(t.Context(), req, fetch)
			if err == nil && string(res.Value) != "answer" {
				err = fmt.Errorf("value %q", res.Value)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Do: %v", err)
	}
	if n := upstream.Load(); n != 1 {
		t.Fatalf("500 concurrent requests on two instances made %d upstream calls, want 1", n)
	}
}

// TestFlowSurvivesOutage kills Redis in the middle of a load run: the flow
// answers every request (from L1 or the upstream), and goes back to Redis
// when it is back.
func TestFlowSurvivesOutage(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	cache := newCache(t, s.URL(), redis.Options{
		OpTimeout: 200 * time.Millisecond,
		Breaker:   redis.BreakerOptions{Failures: 3, OpenTimeout: 100 * time.Millisecond},
	})
	fetch := func(ctx context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
	}
	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				req := hitbox.Request{Key: fmt.Sprintf("k%d", (w*7+i)%50), Policy: hitbox.Enabled(50*time.Millisecond, 0)}
				if _, err := cache.Do(t.Context(), req, fetch); err != nil {
					t.Errorf("Do during the outage: %v", err)
					return
				}
				requests.Add(1)
			}
		})
	}
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for requests.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d requests answered after 10s", requests.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(200)
	s.Kill()
	waitFor(requests.Load() + 2000)
	s.Restart()
	waitFor(requests.Load() + 2000)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests answered, none failed", requests.Load())
}
