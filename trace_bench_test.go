package hitbox_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox"
)

// BenchmarkCacheHit measures a Cache.Do hit over the memory backend:
// "untraced" with no tracer provider (the default: no span, no allocation
// for tracing), "unsampled" with an SDK provider whose sampler records
// nothing (spans are started, no attribute is built), "traced" with one
// sampling every call into an in-memory exporter (reset as it goes).
func BenchmarkCacheHit(b *testing.B) {
	b.Run("untraced", func(b *testing.B) {
		c, _ := newBenchCache(b)
		benchHit(b, c)
	})
	b.Run("unsampled", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		c, _ := newBenchCache(b, hitbox.WithTracerProvider(tp))
		benchHit(b, c)
	})
	b.Run("traced", func(b *testing.B) {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		c, _ := newBenchCache(b, hitbox.WithTracerProvider(tp))
		benchHit(b, c, exp.Reset)
	})
}

// benchHit runs Do hits on c, calling each of every now and then.
func benchHit(b *testing.B, c *hitbox.Cache, every ...func()) {
	ctx := context.Background()
	req := hitbox.Request{Key: "k", Endpoint: "bench", Policy: hitbox.Enabled(time.Hour, 0)}
	fetch := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte(`{"id":1}`), Store: true}, nil
	}
	if _, err := c.Do(ctx, req, fetch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res, err := c.Do(ctx, req, fetch)
		if err != nil || res.Status != hitbox.Hit {
			b.Fatalf("Do = %v, %v; want a hit", res.Status, err)
		}
		if i++; i%1024 == 0 {
			for _, f := range every {
				f()
			}
		}
	}
}
