//go:build !hbnoredis

// Package redisdown is the harness's "Redis down" row: hitbox's flow over a
// memory L1 and a Redis L2 under load, with the redis-server killed in the
// middle of the run. It counts the errors callers see and compares the
// latency once Redis is gone with the same run while it was up.
package redisdown

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	hbredis "github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	"github.com/hitbox-go/hitbox/composition"
)

// quiet drops go-redis's log lines: one per failed dial once Redis is gone.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

const (
	row     = "Redis down"
	keys    = 20_000
	callers = 8
	// l1Budget holds about a tenth of the keys, so that Redis answers
	// the rest while it is up.
	l1Budget = 2 << 20
)

// Run measures the row once: a phase with Redis up, then Redis killed and
// a phase of twice the duration without it.
func Run(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	goredis.SetLogger(quiet{}) // this worker process runs this row only
	bin, err := proc.Need("redis-server")
	if err != nil {
		return []result.Measure{result.NA(row, "", "errors", result.Count, result.Hitbox, err.Error())}, nil
	}
	g := &proc.Group{Dir: env.TempDir}
	defer g.StopAll()
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	rs, err := g.Start("redis-down", exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"))
	if err != nil {
		return nil, err
	}
	if err := proc.WaitListening(ctx, addr, rs, 10*time.Second); err != nil {
		return nil, err
	}
	l1, err := memory.New(memory.Options{MaxBytes: l1Budget})
	if err != nil {
		return nil, err
	}
	defer l1.Close(context.Background())
	l2, err := hbredis.New(hbredis.Options{URL: "redis://" + addr + "/0"})
	if err != nil {
		return nil, err
	}
	defer l2.Close(context.Background())
	comp, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		return nil, err
	}
	cache, err := hitbox.New(comp)
	if err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cache.Close(sctx)
		_ = comp.Close(sctx)
	}()
	value := make([]byte, 1<<10)
	fetch := func(context.Context) (hitbox.Fetched, error) { return hitbox.Fetched{Value: value, Store: true}, nil }
	names := make([]string, keys)
	for i := range names {
		names[i] = "GET:/api/items/" + strconv.Itoa(i)
		if _, err := cache.Do(ctx, hitbox.Request{Key: names[i], Policy: hitbox.Enabled(time.Hour, 0)}, fetch); err != nil {
			return nil, err
		}
	}
	load := func(d time.Duration) phase {
		return run(ctx, cache, names, fetch, d)
	}
	up := load(env.Duration)
	rs.Stop(time.Second) // SIGTERM: redis-server exits at once with --save ""
	down := load(2 * env.Duration)
	env.Logf("%s: up p50 %v p99 %v errors %d; down p50 %v p99 %v errors %d, breaker %s",
		row, up.p50, up.p99, up.errors, down.p50, down.p99, down.errors, l2.BreakerState())
	cas := fmt.Sprintf("%d callers, %d keys, L1 holds ~10%%", callers, keys/1000*1000)
	note := fmt.Sprintf("%d calls; breaker %s at the end", down.calls, l2.BreakerState())
	upNote := fmt.Sprintf("%d calls", up.calls)
	const peer = "the same run, Redis up"
	return []result.Measure{
		{Row: row, Case: cas, Metric: "errors seen by callers", Unit: result.Count, Subject: result.Hitbox, Value: float64(down.errors), Note: note},
		{Row: row, Case: cas, Metric: "errors seen by callers", Unit: result.Count, Subject: peer, Value: float64(up.errors), Note: upNote,
			Target: result.Exactly(0, "zero user-visible errors")},
		{Row: row, Case: cas, Metric: "p50", Unit: result.Nanos, Subject: result.Hitbox, Value: float64(down.p50)},
		{Row: row, Case: cas, Metric: "p50", Unit: result.Nanos, Subject: peer, Value: float64(up.p50)},
		{Row: row, Case: cas, Metric: "p99", Unit: result.Nanos, Subject: result.Hitbox, Value: float64(down.p99)},
		{Row: row, Case: cas, Metric: "p99", Unit: result.Nanos, Subject: peer, Value: float64(up.p99)},
	}, nil
}

// phase is what one load phase saw.
type phase struct {
	calls, errors int64
	p50, p99      time.Duration
}

// run calls the cache from callers goroutines over the keys for d.
func run(ctx context.Context, cache *hitbox.Cache, names []string, fetch hitbox.Fetch, d time.Duration) phase {
	var errs, calls atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for c := range callers {
		wg.Go(func() {
			var lat []time.Duration
			for i := c * 7919; time.Now().Before(deadline) && ctx.Err() == nil; i += 104729 {
				req := hitbox.Request{Key: names[i%len(names)], Policy: hitbox.Enabled(time.Hour, 0)}
				t0 := time.Now()
				res, err := cache.Do(ctx, req, fetch)
				lat = append(lat, time.Since(t0))
				calls.Add(1)
				if err != nil || len(res.Value) != 1<<10 {
					errs.Add(1)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	return phase{calls: calls.Load(), errors: errs.Load(), p50: measure.Percentile(all, 0.5), p99: measure.Percentile(all, 0.99)}
}
