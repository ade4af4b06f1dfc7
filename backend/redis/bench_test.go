package redis

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// benchEntry is a 1 KiB entry, the size of a small cached response.
func benchEntry() backend.Entry {
	now := time.Now()
	return backend.Entry{Value: bytes.Repeat([]byte("x"), 1024), Written: now, Stale: now.Add(time.Hour), Expire: now.Add(2 * time.Hour)}
}

// BenchmarkL2Hit compares a hit of the Backend with a raw go-redis GET of
// the very bytes the Backend stored, on the same client: the difference is
// what the Backend adds (breaker, timeout context, decoding). Target: the
// Backend within 1.15x of the raw GET.
func BenchmarkL2Hit(b *testing.B) {
	s := redistest.Start(b)
	for _, codec := range []struct {
		name  string
		codec backend.Codec
	}{
		{"json", backend.Codec{}},
		{"msgpack", backend.Codec{Format: backend.FormatMsgPack}},
	} {
		rb := newBackend(b, Options{URL: s.URL(), Codec: codec.codec})
		ctx := context.Background()
		if err := rb.Set(ctx, "k", benchEntry()); err != nil {
			b.Fatal(err)
		}
		key := rb.prefix + "k"
		b.Run(codec.name+"/backend", func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := rb.Get(ctx, "k"); !ok || err != nil {
					b.Fatalf("Get = %v, %v", ok, err)
				}
			}
		})
		b.Run(codec.name+"/raw", func(b *testing.B) {
			for b.Loop() {
				if _, err := rb.Client().Get(ctx, key).Bytes(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(codec.name+"/backend-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, ok, err := rb.Get(ctx, "k"); !ok || err != nil {
						b.Fatalf("Get = %v, %v", ok, err)
					}
				}
			})
		})
		b.Run(codec.name+"/raw-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := rb.Client().Get(ctx, key).Bytes(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkL2HitRatio interleaves a hit of the Backend and a raw GET of
// the same bytes in every iteration, timing each, so that both see the same
// load (the machine may be busy): it reports the mean of each and their
// ratio, the figure to hold to the 1.15x target.
func BenchmarkL2HitRatio(b *testing.B) {
	s := redistest.Start(b)
	for _, codec := range []struct {
		name  string
		codec backend.Codec
	}{
		{"json", backend.Codec{}},
		{"msgpack", backend.Codec{Format: backend.FormatMsgPack}},
		{"binary", backend.Codec{Format: backend.FormatBinary}},
	} {
		rb := newBackend(b, Options{URL: s.URL(), Codec: codec.codec})
		ctx := context.Background()
		if err := rb.Set(ctx, "k", benchEntry()); err != nil {
			b.Fatal(err)
		}
		key := rb.prefix + "k"
		b.Run(codec.name, func(b *testing.B) {
			var backendTime, rawTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, ok, err := rb.Get(ctx, "k"); !ok || err != nil {
					b.Fatalf("Get = %v, %v", ok, err)
				}
				t1 := time.Now()
				if _, err := rb.Client().Get(ctx, key).Bytes(); err != nil {
					b.Fatal(err)
				}
				backendTime += t1.Sub(t0)
				rawTime += time.Since(t1)
			}
			b.ReportMetric(float64(backendTime.Nanoseconds())/float64(b.N), "backend-ns/get")
			b.ReportMetric(float64(rawTime.Nanoseconds())/float64(b.N), "raw-ns/get")
			b.ReportMetric(float64(backendTime)/float64(rawTime), "ratio")
		})
	}
}

// BenchmarkL1Hit compares an L1 hit of a memory-over-Redis composition
// with a hit of a bare memory backend. Target: within 1.5x.
func BenchmarkL1Hit(b *testing.B) {
	s := redistest.Start(b)
	ctx := context.Background()
	l2 := newBackend(b, Options{URL: s.URL()})
	newMemory := func() *memory.Backend {
		m, err := memory.New(memory.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.Close(context.Background()) })
		if err := m.Set(ctx, "k", benchEntry()); err != nil {
			b.Fatal(err)
		}
		return m
	}
	bare := newMemory()
	c, err := composition.New(newMemory(), l2, composition.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(ctx) })
	for _, bb := range []struct {
		name string
		b    backend.Backend
	}{{"composition", c}, {"memory", bare}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := bb.b.Get(ctx, "k"); !ok || err != nil {
					b.Fatalf("Get = %v, %v", ok, err)
				}
			}
		})
	}
	// Interleaved batches, as in BenchmarkL2HitRatio.
	b.Run("ratio", func(b *testing.B) {
		const batch = 64
		var compTime, memTime time.Duration
		for b.Loop() {
			t0 := time.Now()
			for range batch {
				c.Get(ctx, "k")
			}
			t1 := time.Now()
			for range batch {
				bare.Get(ctx, "k")
			}
			compTime += t1.Sub(t0)
			memTime += time.Since(t1)
		}
		n := float64(b.N * batch)
		b.ReportMetric(float64(compTime.Nanoseconds())/n, "composition-ns/get")
		b.ReportMetric(float64(memTime.Nanoseconds())/n, "memory-ns/get")
		b.ReportMetric(float64(compTime)/float64(memTime), "ratio")
	})
}

func BenchmarkSet(b *testing.B) {
	s := redistest.Start(b)
	ctx := context.Background()
	for _, channel := range []string{"", "inval"} {
		rb := newBackend(b, Options{URL: s.URL(), Channel: channel})
		name := "plain"
		if channel != "" {
			name = "announced"
		}
		e := benchEntry()
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := rb.Set(ctx, "k", e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTagsInvalidated is the tag check of a hit Redis serves: the
// marks of an entry's two tags, among 1,000 other marks, in one HMGET.
func BenchmarkTagsInvalidated(b *testing.B) {
	s := redistest.Start(b)
	ctx := context.Background()
	rb := newBackend(b, Options{URL: s.URL()})
	others := make([]string, 1000)
	for i := range others {
		others[i] = fmt.Sprintf("other=%d", i)
	}
	at := time.Now()
	if err := rb.InvalidateTags(ctx, append(others, "product=7"), at); err != nil {
		b.Fatal(err)
	}
	tags := []string{"product=7", "user=42"}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := rb.TagsInvalidated(ctx, tags); err != nil || !got.Equal(at) {
			b.Fatalf("TagsInvalidated = %v, %v; want %v", got, err, at)
		}
	}
}
