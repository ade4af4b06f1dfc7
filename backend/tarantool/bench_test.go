package tarantool

import (
	"bytes"
	"context"
	"slices"
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
// reports the median of each and the Backend's ratios to them: the target
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
			ops := []struct {
				name string
				fn   func()
				took []time.Duration
			}{
				{name: "hit", fn: func() {
					if _, ok, err := tb.Get(ctx, "k"); !ok || err != nil {
						b.Fatalf("Get = %v, %v", ok, err)
					}
				}},
				{name: "select", fn: func() {
					if data, err := c.Do(plain).Get(); err != nil || len(data) != 1 {
						b.Fatalf("raw select = %v, %v", data, err)
					}
				}},
				{name: "typed-select", fn: func() {
					var typed []rawTuple
					if err := c.Do(plain).GetTyped(&typed); err != nil || len(typed) != 1 {
						b.Fatalf("raw typed select = %v, %v", typed, err)
					}
				}},
				{name: "redis", fn: func() {
					if _, err := rc.Get(ctx, "k").Bytes(); err != nil {
						b.Fatal(err)
					}
				}},
			}
			i := 0
			for b.Loop() {
				// Each call in turn goes first: the first call of an
				// iteration may wait for a server the previous one let
				// sleep.
				for j := range ops {
					op := &ops[(i+j)%len(ops)]
					t0 := time.Now()
					op.fn()
					op.took = append(op.took, time.Since(t0))
				}
				i++
			}
			// Medians: on a shared machine the means follow the
			// scheduler's stalls more than the calls.
			p50 := make([]float64, len(ops))
			for k, op := range ops {
				slices.Sort(op.took)
				p50[k] = float64(op.took[len(op.took)/2].Nanoseconds())
				b.ReportMetric(p50[k], op.name+"-p50-ns")
			}
			for k, op := range ops[1:] {
				b.ReportMetric(p50[0]/p50[k+1], "ratio-"+op.name)
			}
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
