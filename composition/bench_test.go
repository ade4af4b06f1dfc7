package composition_test

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
)

func benchMemory(b *testing.B) *memory.Backend {
	b.Helper()
	m, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

func benchComposition(b *testing.B, l1, l2 backend.Backend, o composition.Options) *composition.Composition {
	b.Helper()
	c, err := composition.New(l1, l2, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// BenchmarkGetHit compares an L1 hit through a composition with a Get on the
// bare memory store: the composition's overhead on its hottest path.
func BenchmarkGetHit(b *testing.B) {
	ctx := context.Background()
	e := backend.Entry{Value: make([]byte, 512), Written: time.Now(), Expire: time.Now().Add(time.Hour)}
	run := func(b *testing.B, get func(context.Context, string) (backend.Entry, bool, error)) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := get(ctx, "key"); !ok || err != nil {
				b.Fatalf("Get = %v, %v; want a hit", ok, err)
			}
		}
	}
	b.Run("memory", func(b *testing.B) {
		m := benchMemory(b)
		_ = m.Set(ctx, "key", e)
		run(b, m.Get)
	})
	for _, read := range readPolicies {
		b.Run("composition/"+read.String(), func(b *testing.B) {
			l1 := benchMemory(b)
			c := benchComposition(b, l1, benchMemory(b), composition.Options{Read: read})
			_ = l1.Set(ctx, "key", e)
			run(b, c.Get)
		})
	}
}

// BenchmarkSetSlowL2 reports the latency a Set returns at when L2 takes
// 2ms and L1 is immediate: a race write returns at L1's, an optimistic
// parallel write at L2's.
func BenchmarkSetSlowL2(b *testing.B) {
	ctx := context.Background()
	e := backend.Entry{Value: make([]byte, 512), Written: time.Now(), Expire: time.Now().Add(time.Hour)}
	for _, write := range []composition.WritePolicy{composition.WriteRace, composition.WriteOptimisticParallel} {
		b.Run(write.String(), func(b *testing.B) {
			slow := backendtest.NewFault(benchMemory(b))
			slow.Delay(2 * time.Millisecond)
			c := benchComposition(b, benchMemory(b), slow, composition.Options{Write: write})
			b.ReportAllocs()
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				if err := c.Set(ctx, "key", e); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/set")
		})
	}
}
