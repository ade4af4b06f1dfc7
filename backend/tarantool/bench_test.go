package tarantool

import (
	"bytes"
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// benchEntry is a 1 KiB entry, the size of a small cached response.
func benchEntry() backend.Entry {
	now := time.Now()
	return backend.Entry{Value: bytes.Repeat([]byte("x"), 1024), Written: now, Stale: now.Add(time.Hour), Expire: now.Add(2 * time.Hour)}
}

// rawTuple is the tuple as a plain go-tarantool user would decode it.
type rawTuple struct {
	_msgpack struct{} `msgpack:",asArray"`
	Key      string
	Deadline int64
	Value    []byte
}

// BenchmarkHitRatio interleaves, in every iteration, a hit of the Backend,
// a raw go-tarantool select of the very tuple the Backend stored (decoded
// as []any, the plain way, and typed into a struct), on the same
// connection, and a raw go-redis GET of the same bytes on a redis-server
// of internal/redistest, timing each, so that all see the same load. It
// reports the mean of each and the Backend's ratios to them: the target
// is 1.15x of the raw select; Redis is for the record.
func BenchmarkHitRatio(b *testing.B) {
	s := tarantooltest.Start(b)
	rs := redistest.Start(b)
	rc := goredis.NewClient(&goredis.Options{Addr: rs.Addr})
	b.Cleanup(func() { rc.Close() })
	for _, codec := range []struct {
		name  string
		codec backend.Codec
	}{
		{"json", backend.Codec{}},
		{"msgpack", backend.Codec{Format: backend.FormatMsgPack}},
	} {
		tb := newBackend(b, s, Options{Codec: codec.codec, PoolSize: 1})
		ctx := context.Background()
		if err := tb.Set(ctx, "k", benchEntry()); err != nil {
			b.Fatal(err)
		}
		raw := readRaw(b, tb, "k")
		if err := rc.Set(ctx, "k", raw, 0).Err(); err != nil {
			b.Fatal(err)
		}
		c, space, err := tb.pick()
		if err != nil {
			b.Fatal(err)
		}
		plain := tarantool.NewSelectRequest(space).Index(primaryIndex).Limit(1).Key([]any{"k"})
		b.Run(codec.name, func(b *testing.B) {
			var hitTime, selectTime, typedTime, redisTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, ok, err := tb.Get(ctx, "k"); !ok || err != nil {
					b.Fatalf("Get = %v, %v", ok, err)
				}
				t1 := time.Now()
				if data, err := c.Do(plain).Get(); err != nil || len(data) != 1 {
					b.Fatalf("raw select = %v, %v", data, err)
				}
				t2 := time.Now()
				var typed []rawTuple
				if err := c.Do(plain).GetTyped(&typed); err != nil || len(typed) != 1 {
					b.Fatalf("raw typed select = %v, %v", typed, err)
				}
				t3 := time.Now()
				if _, err := rc.Get(ctx, "k").Bytes(); err != nil {
					b.Fatal(err)
				}
				hitTime += t1.Sub(t0)
				selectTime += t2.Sub(t1)
				typedTime += t3.Sub(t2)
				redisTime += time.Since(t3)
			}
			n := float64(b.N)
			b.ReportMetric(float64(hitTime.Nanoseconds())/n, "hit-ns/get")
			b.ReportMetric(float64(selectTime.Nanoseconds())/n, "select-ns/get")
			b.ReportMetric(float64(typedTime.Nanoseconds())/n, "typed-select-ns/get")
			b.ReportMetric(float64(redisTime.Nanoseconds())/n, "redis-ns/get")
			b.ReportMetric(float64(hitTime)/float64(selectTime), "ratio-select")
			b.ReportMetric(float64(hitTime)/float64(typedTime), "ratio-typed-select")
			b.ReportMetric(float64(hitTime)/float64(redisTime), "ratio-redis")
		})
	}
}

// BenchmarkHitParallel measures hits of the Backend from many goroutines,
// with one connection and with the default pool of two.
func BenchmarkHitParallel(b *testing.B) {
	s := tarantooltest.Start(b)
	for _, pool := range []struct {
		name string
		size int
	}{{"pool1", 1}, {"pool2", 2}} {
		tb := newBackend(b, s, Options{PoolSize: pool.size})
		ctx := context.Background()
		if err := tb.Set(ctx, "k", benchEntry()); err != nil {
			b.Fatal(err)
		}
		b.Run(pool.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, ok, err := tb.Get(ctx, "k"); !ok || err != nil {
						b.Fatalf("Get = %v, %v", ok, err)
					}
				}
			})
		})
	}
}
