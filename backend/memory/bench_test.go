package memory

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/hitbox-go/hitbox/backend"
)

// The benchmarks compare the Backend with otter used directly on the same
// data (see otterVariants).

const (
	benchKeys      = 100_000
	benchValueSize = 1 << 10
	benchBudget    = 1 << 30
)

func benchKeyList() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = "GET:/api/items/" + strconv.Itoa(i)
	}
	return keys
}

// benchEntry is a typical entry: written now, stale in half an hour,
// expired in an hour, kept one more minute.
func benchEntry(value []byte, now time.Time) backend.Entry {
	return backend.Entry{Value: value, Written: now, Stale: now.Add(30 * time.Minute), Expire: now.Add(time.Hour), Keep: time.Minute}
}

func benchBackend(b testing.TB, keys []string, value []byte) *Backend {
	b.Helper()
	m, err := New(Options{MaxBytes: benchBudget})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close(context.Background()) })
	now := time.Now()
	for _, k := range keys {
		if err := m.Set(context.Background(), k, benchEntry(value, now)); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC() // so that no collection of the setup's garbage runs in the timed loop
	return m
}

// otterVariants are the otter configurations the Backend is compared with:
// the same features on otter's default clock (read on every call), the same
// features on the clock the Backend uses, and otter with an entry bound only.
var otterVariants = []string{"otter", "otter-coarse", "otter-bare"}

func benchOtter(b testing.TB, keys []string, value []byte, variant string) *otter.Cache[string, []byte] {
	b.Helper()
	o := &otter.Options[string, []byte]{
		MaximumWeight:    benchBudget,
		Weigher:          func(k string, v []byte) uint32 { return uint32(len(k) + len(v) + EntryOverhead) },
		ExpiryCalculator: otter.ExpiryWriting[string, []byte](time.Hour + time.Minute),
	}
	switch variant {
	case "otter-coarse":
		cc := otter.NewCoarseClock(ClockResolution)
		b.Cleanup(cc.Stop)
		o.Clock = cc
	case "otter-bare":
		o = &otter.Options[string, []byte]{MaximumSize: 2 * benchKeys}
	}
	c, err := otter.New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.StopAllGoroutines() })
	for _, k := range keys {
		c.Set(k, value)
	}
	runtime.GC()
	return c
}

func BenchmarkGet(b *testing.B) {
	keys := benchKeyList()
	value := make([]byte, benchValueSize)
	b.Run("memory", func(b *testing.B) {
		m := benchBackend(b, keys, value)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(keys))
			for pb.Next() {
				if _, ok, _ := m.Get(ctx, keys[i]); !ok {
					b.Error("miss on a present key")
					return
				}
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
	})
	for _, variant := range otterVariants {
		b.Run(variant, func(b *testing.B) {
			c := benchOtter(b, keys, value, variant)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(keys))
				for pb.Next() {
					if _, ok := c.GetIfPresent(keys[i]); !ok {
						b.Error("miss on a present key")
						return
					}
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
		})
	}
}

func BenchmarkSet(b *testing.B) {
	keys := benchKeyList()
	value := make([]byte, benchValueSize)
	b.Run("memory", func(b *testing.B) {
		m := benchBackend(b, keys, value)
		ctx := context.Background()
		e := benchEntry(value, time.Now())
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(keys))
			for pb.Next() {
				if err := m.Set(ctx, keys[i], e); err != nil {
					b.Error(err)
					return
				}
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
	})
	for _, variant := range otterVariants {
		b.Run(variant, func(b *testing.B) {
			c := benchOtter(b, keys, value, variant)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(keys))
				for pb.Next() {
					c.Set(keys[i], value)
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
		})
	}
}
