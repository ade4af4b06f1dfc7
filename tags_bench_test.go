package hitbox_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/disk"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// tagStore is one store the tag benchmarks run on.
type tagStore struct {
	name string
	make func(b *testing.B) backend.Backend
}

func tagStores() []tagStore {
	return []tagStore{
		{"memory", func(b *testing.B) backend.Backend {
			m, err := memory.New(memory.Options{MaxBytes: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = m.Close(context.Background()) })
			return m
		}},
		{"redis", func(b *testing.B) backend.Backend { return benchRedis(b, redistest.Start(b).URL()) }},
		{"disk", func(b *testing.B) backend.Backend {
			d, err := disk.New(disk.Options{Path: filepath.Join(b.TempDir(), "cache.db"), MaxBytes: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = d.Close(context.Background()) })
			return d
		}},
		{"tarantool", func(b *testing.B) backend.Backend {
			s := tarantooltest.Start(b)
			t, err := tarantool.New(tarantool.Options{Address: s.Addr, User: tarantooltest.User, Password: tarantooltest.Password, Space: "bench", Timeout: 10 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = t.Close(context.Background()) })
			for t.Ping(context.Background()) != nil {
				time.Sleep(10 * time.Millisecond)
			}
			return t
		}},
		{"memory-over-redis", func(b *testing.B) backend.Backend {
			l2 := benchRedis(b, redistest.Start(b).URL())
			l1, err := memory.New(memory.Options{MaxBytes: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = l1.Close(context.Background()) })
			c, err := composition.New(l1, l2, composition.Options{Refill: composition.RefillAlways})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close(context.Background()) })
			inv, err := l2.Subscribe(l1)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = inv.Close(context.Background()) })
			<-inv.Ready()
			return c
		}},
	}
}

func benchRedis(b *testing.B, url string) *redis.Backend {
	r, err := redis.New(redis.Options{URL: url, Channel: "bench:invalidate", OpTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// BenchmarkTagsHit compares a Cache hit of an entry with two tags (the
// flow checks their marks: the cost of passive invalidation on a hit) with
// the same hit of an untagged entry, per store. 1,000 other tags carry a
// mark, so that the marks' table is not empty.
func BenchmarkTagsHit(b *testing.B) {
	for _, st := range tagStores() {
		b.Run(st.name, func(b *testing.B) {
			c, err := hitbox.New(st.make(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close(context.Background()) })
			ctx := context.Background()
			other := make([]string, 1000)
			for i := range other {
				other[i] = fmt.Sprint("other=", i)
			}
			if err := c.InvalidateTags(ctx, other...); err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Millisecond) // entries written after the marks
			for _, tc := range []struct {
				name string
				tags []string
			}{{"untagged", nil}, {"tagged2", []string{"user=42", "team=7"}}} {
				b.Run(tc.name, func(b *testing.B) {
					req := hitbox.Request{Key: "hit/" + tc.name, Policy: hitbox.Enabled(time.Hour, 0)}
					fetch := func(context.Context) (hitbox.Fetched, error) {
						return hitbox.Fetched{Value: []byte(`{"id":42,"name":"Ann"}`), Store: true, Tags: tc.tags}, nil
					}
					if _, err := c.Do(ctx, req, fetch); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					for b.Loop() {
						res, err := c.Do(ctx, req, fetch)
						if err != nil || res.Status != hitbox.Hit {
							b.Fatalf("Do = %v, %v; want a hit", res.Status, err)
						}
					}
				})
			}
		})
	}
}

// fillTagged stores n tagged entries under prefix, from 32 goroutines (so
// that the disk store groups its commits).
func fillTagged(b *testing.B, st backend.Backend, prefix string, n int) {
	b.Helper()
	now := time.Now()
	e := backend.Entry{Value: []byte(`{"id":42,"name":"Ann"}`), Written: now, Expire: now.Add(time.Hour), Tags: []string{"bulk"}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	const workers = 32
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := st.Set(context.Background(), fmt.Sprint(prefix, i), e); err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if ferr != nil {
		b.Fatal(ferr)
	}
}

// BenchmarkTagsPurge10k compares invalidating 10,000 stored entries by their
// tag (passive: one mark written, whatever the number of entries) with
// deleting them by prefix (backend.Purger), per store. Each op of the
// prefix case purges 10,000 entries stored again (untimed) before it.
func BenchmarkTagsPurge10k(b *testing.B) {
	const n = 10000
	for _, st := range tagStores() {
		b.Run(st.name, func(b *testing.B) {
			be := st.make(b)
			c, err := hitbox.New(be)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close(context.Background()) })
			ctx := context.Background()
			b.Run("tag", func(b *testing.B) {
				fillTagged(b, be, "bytag/", n)
				b.ResetTimer()
				for b.Loop() {
					if err := c.InvalidateTags(ctx, "bulk"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("prefix", func(b *testing.B) {
				p := be.(backend.Purger)
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					fillTagged(b, be, "byprefix/", n)
					b.StartTimer()
					got, err := p.Purge(ctx, "byprefix/")
					if err != nil || got < n {
						b.Fatalf("Purge = %d, %v; want %d", got, err, n)
					}
				}
			})
		})
	}
}
