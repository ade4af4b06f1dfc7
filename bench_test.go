package hitbox_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
)

type benchValue struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// rawCodec stores strings as they are: the typed API's own overhead with no
// encoding cost.
type rawCodec struct{}

func (rawCodec) Marshal(v string) ([]byte, error)   { return []byte(v), nil }
func (rawCodec) Unmarshal(b []byte) (string, error) { return string(b), nil }

// BenchmarkTypedHit compares a typed GetOrFetch hit (served by the
// in-process layer by default; through the byte flow with the layer off)
// with a bare memory backend Get and a raw otter get of the same key.
func BenchmarkTypedHit(b *testing.B) {
	cache, mem := newBenchCache(b)
	ctx := context.Background()

	b.Run("memory-get", func(b *testing.B) {
		_ = mem.Set(ctx, "k", backend.Entry{Value: []byte(`{"id":1}`)})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, _ := mem.Get(ctx, "k"); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("otter-get", func(b *testing.B) {
		oc, err := otter.New(&otter.Options[string, benchValue]{MaximumSize: 1000})
		if err != nil {
			b.Fatal(err)
		}
		oc.Set("1", benchValue{1, "Ann", "ann@example.com"})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := oc.GetIfPresent("1"); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("typed-raw", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[string]{Codec: rawCodec{}, Namespace: "raw"}, "value")
	})
	b.Run("typed-json", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[benchValue]{Namespace: "json"}, benchValue{1, "Ann", "ann@example.com"})
	})
	b.Run("typed-json-tagged", func(b *testing.B) {
		// Two tags among 1,000 marks the layer heard of.
		tags := func(string, benchValue) []string { return []string{"user=1", "team=1"} }
		o := hitbox.TypedOptions[benchValue]{Namespace: "tagged", Tags: tags}
		for i := range 1000 {
			if err := cache.InvalidateTags(ctx, "other="+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		benchTyped(b, cache, o, benchValue{1, "Ann", "ann@example.com"})
	})
	b.Run("typed-json-local-off", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[benchValue]{Namespace: "off", Local: hitbox.Local[benchValue]{Off: true}},
			benchValue{1, "Ann", "ann@example.com"})
	})
}

// newBenchCache returns a Cache over a fresh memory backend, made with
// opts, both closed when the benchmark ends.
func newBenchCache(b *testing.B, opts ...hitbox.Option) (*hitbox.Cache, *memory.Backend) {
	b.Helper()
	return memCache(b, opts...)
}

// benchTyped measures parallel GetOrFetch hits of one key holding v.
func benchTyped[T any](b *testing.B, cache *hitbox.Cache, o hitbox.TypedOptions[T], v T) {
	ctx := context.Background()
	typed, err := hitbox.NewTyped(cache, o)
	if err != nil {
		b.Fatal(err)
	}
	load := func(context.Context) (T, error) { return v, nil }
	_, _, _ = typed.GetOrFetch(ctx, "1", load)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, res, _ := typed.GetOrFetch(ctx, "1", load); res.Status != hitbox.Hit {
				b.Fatal("not a hit")
			}
		}
	})
}

// BenchmarkTypedHitVsOtter interleaves batches of typed hits (1000 ids of
// a small struct) with batches of raw otter gets of the same values on one
// goroutine, and reports the median batch time per get of each and their
// ratio: a figure a loaded machine shifts for both alike. "default" is
// Typed with default options (its in-process layer answers); "local-off"
// goes through the byte flow and the JSON codec, as every hit did before
// the layer.
func BenchmarkTypedHitVsOtter(b *testing.B) {
	for _, c := range []struct {
		name  string
		local hitbox.Local[benchValue]
	}{{"default", hitbox.Local[benchValue]{}}, {"local-off", hitbox.Local[benchValue]{Off: true}}} {
		b.Run(c.name, func(b *testing.B) { benchTypedVsOtter(b, c.local) })
	}
}

func benchTypedVsOtter(b *testing.B, local hitbox.Local[benchValue]) {
	cache, _ := newBenchCache(b)
	ctx := context.Background()
	typed, err := hitbox.NewTyped(cache, hitbox.TypedOptions[benchValue]{Policy: hitbox.Enabled(time.Hour, 0), Local: local})
	if err != nil {
		b.Fatal(err)
	}
	oc, err := otter.New(&otter.Options[string, benchValue]{MaximumSize: 10_000})
	if err != nil {
		b.Fatal(err)
	}
	const n, batch = 1000, 1000
	ids, loads := fillTyped(b, typed, n, func(id string, v benchValue) { oc.Set(id, v) })
	var typedT, otterT []time.Duration
	for b.Loop() {
		t0 := time.Now()
		for j := range batch {
			if _, res, _ := typed.GetOrFetch(ctx, ids[j%n], loads[j%n]); res.Status != hitbox.Hit {
				b.Fatal("not a hit")
			}
		}
		t1 := time.Now()
		for j := range batch {
			if _, ok := oc.GetIfPresent(ids[j%n]); !ok {
				b.Fatal("miss")
			}
		}
		t2 := time.Now()
		typedT, otterT = append(typedT, t1.Sub(t0)), append(otterT, t2.Sub(t1))
	}
	tm, om := medianPerOp(typedT, batch), medianPerOp(otterT, batch)
	b.ReportMetric(tm, "typed-ns/get")
	b.ReportMetric(om, "otter-ns/get")
	b.ReportMetric(om/tm, "typed-rate/otter-rate")
}

// fillTyped stores n benchValues in typed under the ids "0" to "n-1",
// handing each to peer too (to fill the cache it is compared with), and
// returns the ids and the loaders that give their values.
func fillTyped(b *testing.B, typed *hitbox.Typed[benchValue], n int, peer func(id string, v benchValue)) ([]string, []func(context.Context) (benchValue, error)) {
	ids := make([]string, n)
	loads := make([]func(context.Context) (benchValue, error), n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
		v := benchValue{i, "Ann", "ann@example.com"}
		loads[i] = func(context.Context) (benchValue, error) { return v, nil }
		if _, _, err := typed.GetOrFetch(context.Background(), ids[i], loads[i]); err != nil {
			b.Fatal(err)
		}
		peer(ids[i], v)
	}
	return ids, loads
}

// medianPerOp returns the median of batch times, per operation of a batch,
// in nanoseconds.
func medianPerOp(ts []time.Duration, batch int) float64 {
	slices.Sort(ts)
	return float64(ts[len(ts)/2].Nanoseconds()) / float64(batch)
}
