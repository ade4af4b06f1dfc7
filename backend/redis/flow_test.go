package redis_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// newCache returns the flow over a memory L1 over a Redis L2 on url, with
// the L1 invalidated by the other instances, as hitboxd wires an instance;
// without opts, with a 10s lock lease polled every 5ms.
func newCache(t *testing.T, url string, o redis.Options, opts ...hitbox.Option) *hitbox.Cache {
	t.Helper()
	o.URL, o.Prefix, o.Channel = url, "fleet:", "fleet:invalidate"
	if o.OpTimeout == 0 {
		// A busy machine starves the server and the pools: a Redis call
		// that timed out would let an instance call the upstream
		// unguarded, which is right but not what these tests are about.
		o.OpTimeout = 10 * time.Second
	}
	l2, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l2.Close(context.Background()) })
	l1, err := memory.New(memory.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l1.Close(context.Background()) })
	c, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	inv, err := l2.Subscribe(l1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inv.Close(context.Background()) })
	if len(opts) == 0 {
		opts = []hitbox.Option{hitbox.WithLock(10*time.Second, 5*time.Millisecond)}
	}
	cache, err := hitbox.New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close(context.Background()) })
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
		deadline := time.Now().Add(30 * time.Second)
		for requests.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d requests answered after 30s, want %d", requests.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(200)
	s.Kill()
	waitFor(requests.Load() + 500)
	s.Restart()
	waitFor(requests.Load() + 500)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests answered, none failed", requests.Load())
}

// lockKey is the Redis key of the flow's lock on an entry key, with
// newCache's prefix: "lock:" + Prefix + key, as docs/design.md says.
func lockKey(key string) string { return "lock:fleet:" + key }

// TestFlowDeadLockHolder checks that a lock left by an instance that died
// (with its lease running, or without a TTL at all) delays a request for
// that key by about one lease at most: the request then takes the lock and
// asks the upstream itself, and succeeds.
func TestFlowDeadLockHolder(t *testing.T) {
	t.Parallel()
	const lease = 500 * time.Millisecond
	for _, tt := range []struct {
		name string
		ttl  time.Duration // of the dead holder's lock key; 0: none
	}{{"lease", lease}, {"no ttl", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := redistest.Start(t)
			cache := newCache(t, s.URL(), redis.Options{}, hitbox.WithLock(lease, 5*time.Millisecond))
			client := goredis.NewClient(&goredis.Options{Addr: s.Addr})
			defer client.Close()
			if err := client.Set(t.Context(), lockKey("k"), "dead", tt.ttl).Err(); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int64
			fetch := func(ctx context.Context) (hitbox.Fetched, error) {
				calls.Add(1)
				// The request holds the lock now: the dead one is gone.
				if v, err := client.Get(ctx, lockKey("k")).Result(); err != nil || v == "dead" {
					return hitbox.Fetched{}, fmt.Errorf("upstream asked while the lock key holds %q (%v)", v, err)
				}
				return hitbox.Fetched{Value: []byte("answer"), Store: true}, nil
			}
			start := time.Now()
			res, err := cache.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}, fetch)
			if err != nil || string(res.Value) != "answer" || res.Status != hitbox.Miss {
				t.Fatalf("Do with a dead lock holder = %+v, %v; want the upstream's answer", res, err)
			}
			// The upstream timeout (30s) would be the bound without the
			// lease; a busy machine gets generous slack over one lease.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the request waited %v for a dead holder's lock, want about one lease (%v)", d, lease)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("upstream calls = %d, want 1", n)
			}
		})
	}
}

// TestFlowLockRenewedWhileSlow checks that an instance whose upstream call
// outlasts the lock's lease keeps the lock (renewed every lease/3): the
// other instance waits for its entry and never calls the upstream.
func TestFlowLockRenewedWhileSlow(t *testing.T) {
	t.Parallel()
	// Long enough that a busy machine never delays a renewal by a lease.
	const lease = 3 * time.Second
	s := redistest.Start(t)
	a := newCache(t, s.URL(), redis.Options{}, hitbox.WithLock(lease, 5*time.Millisecond))
	b := newCache(t, s.URL(), redis.Options{}, hitbox.WithLock(lease, 5*time.Millisecond))
	client := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	defer client.Close()
	req := hitbox.Request{Key: "slow", Policy: hitbox.Enabled(time.Minute, 0)}

	started, release := make(chan struct{}), make(chan struct{})
	slow := func(context.Context) (hitbox.Fetched, error) {
		close(started)
		<-release
		return hitbox.Fetched{Value: []byte("from a"), Store: true}, nil
	}
	var bCalls atomic.Int64
	other := func(context.Context) (hitbox.Fetched, error) {
		bCalls.Add(1)
		return hitbox.Fetched{Value: []byte("from b"), Store: true}, nil
	}
	var wg sync.WaitGroup
	results := make([]hitbox.Result, 2)
	errs := make([]error, 2)
	wg.Go(func() { results[0], errs[0] = a.Do(t.Context(), req, slow) })
	<-started
	wg.Go(func() { results[1], errs[1] = b.Do(t.Context(), req, other) })

	// Watch the lease renewed four times (past one lease) by a.
	token, err := client.Get(t.Context(), lockKey("slow")).Result()
	if err != nil {
		t.Fatalf("a holds no lock while its upstream call runs: %v", err)
	}
	redis.WaitRenewals(t, client, lockKey("slow"), token, 4)
	if n := bCalls.Load(); n != 0 {
		t.Fatalf("b called the upstream %d times while a held the lock", n)
	}
	close(release)
	wg.Wait()
	for i, res := range results {
		if errs[i] != nil || string(res.Value) != "from a" {
			t.Errorf("instance %d: %q, %v; want a's answer", i, res.Value, errs[i])
		}
	}
	if n := bCalls.Load(); n != 0 {
		t.Errorf("b called the upstream %d times, want 0", n)
	}
	if n, err := client.Exists(t.Context(), lockKey("slow")).Result(); err != nil || n != 0 {
		t.Errorf("lock key after the call: exists=%d, %v; want released", n, err)
	}
}

// TestFlowLockWaitRunsOut checks that a request whose key stays locked by
// a live holder (renewing, never storing) asks the upstream itself once
// its upstream timeout has passed, with a fresh timeout for the call: a
// lock never makes a request fail.
func TestFlowLockWaitRunsOut(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	cache := newCache(t, s.URL(), redis.Options{}, hitbox.WithLock(time.Second, 5*time.Millisecond))
	client := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	defer client.Close()
	if err := client.Set(t.Context(), lockKey("k"), "alive", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	start := time.Now()
	var left time.Duration
	fetch := func(ctx context.Context) (hitbox.Fetched, error) {
		dl, _ := ctx.Deadline()
		left = time.Until(dl)
		return hitbox.Fetched{Value: []byte("answer"), Store: true}, nil
	}
	res, err := cache.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0), Timeout: timeout}, fetch)
	if err != nil || string(res.Value) != "answer" {
		t.Fatalf("Do on a key locked for an hour = %+v, %v; want the upstream's answer", res, err)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("the request asked the upstream after %v, before its lock wait (%v) ran out", d, timeout)
	}
	if left <= 0 || left > timeout {
		t.Errorf("the upstream call had %v left, want a fresh timeout in (0, %v]", left, timeout)
	}
}

// TestFlowDefaultLockLease checks that the flow's lock is a short lease by
// default, not the upstream timeout, so that a holder that dies blocks its
// key for a few seconds at most.
func TestFlowDefaultLockLease(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	cache := newCache(t, s.URL(), redis.Options{}, hitbox.WithUpstreamTimeout(time.Minute))
	client := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	defer client.Close()
	var pttl time.Duration
	fetch := func(ctx context.Context) (hitbox.Fetched, error) {
		var err error
		pttl, err = client.PTTL(ctx, lockKey("k")).Result()
		return hitbox.Fetched{Value: []byte("v"), Store: true}, err
	}
	if _, err := cache.Do(t.Context(), hitbox.Request{Key: "k"}, fetch); err != nil {
		t.Fatal(err)
	}
	if pttl <= 0 || pttl > hitbox.DefaultLockLease {
		t.Errorf("PTTL of the lock key during the upstream call = %v, want in (0, %v]", pttl, hitbox.DefaultLockLease)
	}
}
