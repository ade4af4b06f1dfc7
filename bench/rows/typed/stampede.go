package typed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rediscache "github.com/go-redis/cache/v9"
	goredis "github.com/redis/go-redis/v9"
	"github.com/viccon/sturdyc"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Callers is how many goroutines ask for the cold key at once.
const Callers = 1000

// upstreamDelay is how long the simulated upstream takes: long enough for
// every caller to arrive while the first call is in flight.
const upstreamDelay = 50 * time.Millisecond

const (
	stampedeRow  = "stampede, one process"
	stampedeCase = "1000 callers, one cold key"
)

// counter is a simulated upstream counting its calls.
type counter struct{ calls atomic.Int64 }

func (c *counter) fetch(ctx context.Context) (item, error) {
	c.calls.Add(1)
	select {
	case <-time.After(upstreamDelay):
	case <-ctx.Done():
		return item{}, ctx.Err()
	}
	return item{ID: 1, Name: "Ann", Email: "ann@example.com"}, nil
}

// stampede starts Callers goroutines together on get and returns how long
// until the last one had its answer; get returns an error for a failed call.
func stampede(get func() error) (time.Duration, error) {
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	start := make(chan struct{})
	for range Callers {
		wg.Go(func() {
			<-start
			if err := get(); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let every goroutine reach the barrier
	t0 := time.Now()
	close(start)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return 0, fmt.Errorf("%d calls failed: %v", n, firstErr.Load())
	}
	return time.Since(t0), nil
}

// RunStampede measures the one-process stampede once.
func RunStampede(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	key := fmt.Sprintf("cold-%d-%d", env.Rep, time.Now().UnixNano())
	type subject struct {
		name string
		run  func(up *counter) (func() error, func(), error)
	}
	subjects := []subject{
		{result.Hitbox, func(up *counter) (func() error, func(), error) {
			mem, err := memory.New(memory.Options{})
			if err != nil {
				return nil, nil, err
			}
			cache, err := hitbox.New(mem)
			if err != nil {
				return nil, nil, err
			}
			t, err := hitbox.NewTyped(cache, hitbox.TypedOptions[item]{Policy: hitbox.Enabled(time.Hour, 0)})
			if err != nil {
				return nil, nil, err
			}
			return func() error {
					_, _, err := t.GetOrFetch(ctx, key, up.fetch)
					return err
				}, func() {
					_ = cache.Close(context.Background())
					_ = mem.Close(context.Background())
				}, nil
		}},
		{subjSturdyc, func(up *counter) (func() error, func(), error) {
			sc := sturdyc.New[item](10_000, 10, time.Hour, 10)
			return func() error {
				_, err := sc.GetOrFetch(ctx, key, up.fetch)
				return err
			}, func() {}, nil
		}},
	}
	if env.RedisAddr != "" {
		subjects = append(subjects, subject{subjOnce, func(up *counter) (func() error, func(), error) {
			rdb := goredis.NewClient(&goredis.Options{Addr: env.RedisAddr})
			c := rediscache.New(&rediscache.Options{Redis: rdb, LocalCache: rediscache.NewTinyLFU(1000, time.Hour)})
			return func() error { return once(ctx, c, key, up) }, func() { _ = rdb.Close() }, nil
		}})
	}
	var out []result.Measure
	for _, s := range subjects {
		up := &counter{}
		get, done, err := s.run(up)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		took, err := stampede(get)
		done()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		env.Logf("stampede %s: %d upstream calls, %v", s.name, up.calls.Load(), took)
		var target *result.Target
		if s.name != result.Hitbox {
			target = result.Exactly(1, "exactly 1 upstream call")
		}
		out = append(out,
			result.Measure{Row: stampedeRow, Case: stampedeCase, Metric: "upstream calls", Unit: result.Count,
				Subject: s.name, Value: float64(up.calls.Load()), Target: target},
			result.Measure{Row: stampedeRow, Case: stampedeCase, Metric: "last answer after", Unit: result.Nanos,
				Subject: s.name, Value: float64(took), Note: fmt.Sprintf("upstream takes %v", upstreamDelay)})
	}
	if env.RedisAddr == "" {
		out = append(out, result.NA(stampedeRow, stampedeCase, "upstream calls", result.Count, subjOnce, "no redis-server"))
	}
	out = append(out, result.NA(stampedeRow, stampedeCase, "upstream calls", result.Count, subjGocache, gocacheNA))
	return out, nil
}

// once is go-redis/cache's Once for the key with up as the loader.
func once(ctx context.Context, c *rediscache.Cache, key string, up *counter) error {
	var v item
	err := c.Once(&rediscache.Item{Ctx: ctx, Key: key, Value: &v, TTL: time.Hour,
		Do: func(*rediscache.Item) (any, error) { return up.fetch(ctx) }})
	if err == nil && v.ID != 1 {
		return errors.New("wrong value")
	}
	return err
}
