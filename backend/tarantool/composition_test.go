package tarantool_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// spaces numbers the spaces of the L2s these tests make.
var spaces atomic.Int64

// newL2 returns a Tarantool backend on s with a space of its own, closed
// by t.Cleanup, once it answers.
func newL2(t testing.TB, s *tarantooltest.Server, o tarantool.Options) *tarantool.Backend {
	t.Helper()
	o.Address, o.User, o.Password = s.Addr, tarantooltest.User, tarantooltest.Password
	o.Space = fmt.Sprintf("l2_%d", spaces.Add(1))
	b, err := tarantool.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for b.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the L2 did not connect within 30s: %v", b.Ping(t.Context()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return b
}

func newMemory(t testing.TB, now func() time.Time) *memory.Backend {
	t.Helper()
	m, err := memory.New(memory.Options{MaxBytes: 64 << 20, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// TestCompositionConformance runs the conformance suite on a memory L1
// over a Tarantool L2, for every read × write × refill policy.
func TestCompositionConformance(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	for _, read := range []composition.ReadPolicy{composition.ReadSequential, composition.ReadRace, composition.ReadParallel} {
		for _, write := range []composition.WritePolicy{composition.WriteOptimisticParallel, composition.WriteSequential, composition.WriteRace} {
			for _, refill := range []composition.RefillPolicy{composition.RefillNever, composition.RefillAlways} {
				o := composition.Options{Read: read, Write: write, Refill: refill}
				t.Run(read.String()+"/"+write.String()+"/"+refill.String(), func(t *testing.T) {
					t.Parallel()
					backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
						o := o
						o.Now = now
						l2 := newL2(t, s, tarantool.Options{Now: now, Timeout: 20 * time.Second, PoolSize: 1})
						c, err := composition.New(newMemory(t, now), l2, o)
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() {
							if err := c.Close(context.Background()); err != nil {
								t.Errorf("Close = %v", err)
							}
						})
						return c
					}, backendtest.Options{MaxValueSize: 1 << 20})
				})
			}
		}
	}
}

// TestFlowSurvivesKill kills Tarantool under a load of requests through
// the flow over a memory L1 and a Tarantool L2: every request is answered
// (from L1 or the upstream), and the L2 serves again after the restart.
func TestFlowSurvivesKill(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	l2 := newL2(t, s, tarantool.Options{
		Timeout:           200 * time.Millisecond,
		ReconnectInterval: 50 * time.Millisecond,
		Breaker:           tarantool.BreakerOptions{Failures: 3, OpenTimeout: 100 * time.Millisecond},
	})
	c, err := composition.New(newMemory(t, nil), l2, composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	cache, err := hitbox.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close(context.Background()) })
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
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s (%d requests answered)", what, requests.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("200 requests", func() bool { return requests.Load() >= 200 })
	s.Kill()
	n := requests.Load()
	waitFor("2000 requests with Tarantool down", func() bool { return requests.Load() >= n+2000 })
	s.Restart()
	sets := l2.Stats().Sets
	waitFor("writes reach Tarantool again", func() bool { return l2.Stats().Sets > sets+100 })
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests answered, none failed; L2 errors counted: %d", requests.Load(), l2.Stats().Errors)
}
