package hitbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// BenchmarkTypedRedisJSONVsGet measures the typed JSON path with no
// in-process layer (every hit is a Redis read and a JSON decode) against
// what a hand-written cache-aside does for the same value: a go-redis GET
// of its JSON and json.Unmarshal. Batches of the two interleave on one
// goroutine against one redis-server, and the medians per get and their
// ratio are reported (issue #10's target: at most 1.15×).
func BenchmarkTypedRedisJSONVsGet(b *testing.B) {
	s := redistest.Start(b)
	ctx := context.Background()
	l2, err := redis.New(redis.Options{URL: s.URL(), OpTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l2.Close(context.Background()) })
	cache, err := hitbox.New(l2)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cache.Close(context.Background()) })
	typed, err := hitbox.NewTyped(cache, hitbox.TypedOptions[benchValue]{
		Policy: hitbox.Enabled(time.Hour, 0), Local: hitbox.Local[benchValue]{Off: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	raw := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	b.Cleanup(func() { _ = raw.Close() })

	const n, batch = 100, 100
	ids, loads := fillTyped(b, typed, n, func(id string, v benchValue) {
		js, _ := json.Marshal(v)
		if err := raw.Set(ctx, "raw:"+id, js, time.Hour).Err(); err != nil {
			b.Fatal(err)
		}
	})
	var typedT, rawT []time.Duration
	for b.Loop() {
		t0 := time.Now()
		for j := range batch {
			if _, res, err := typed.GetOrFetch(ctx, ids[j%n], loads[j%n]); err != nil || res.Status != hitbox.Hit {
				b.Fatalf("typed get = %v, %v; want a hit", res.Status, err)
			}
		}
		t1 := time.Now()
		for j := range batch {
			data, err := raw.Get(ctx, "raw:"+ids[j%n]).Bytes()
			if err != nil {
				b.Fatal(err)
			}
			var v benchValue
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		typedT, rawT = append(typedT, t1.Sub(t0)), append(rawT, t2.Sub(t1))
	}
	tm, rm := medianPerOp(typedT, batch), medianPerOp(rawT, batch)
	b.ReportMetric(tm, "typed-ns/get")
	b.ReportMetric(rm, "raw-ns/get")
	b.ReportMetric(tm/rm, "typed-time/raw-time")
}
