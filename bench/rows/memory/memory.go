// Package memory is the harness's memory-backend rows: hit throughput at 1
// and 2 CPUs, hit ratio on Zipf traces, and bytes used against the budget,
// for hitbox's backend/memory beside otter, ristretto, theine and
// golang-lru.
package memory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Run measures every memory row once.
func Run(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	var out []result.Measure
	for _, step := range []func(context.Context, measure.Env) ([]result.Measure, error){hitThroughput, hitRatio, byteBound} {
		ms, err := step(ctx, env)
		if err != nil {
			return out, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

const (
	hitKeys      = 100_000
	hitValueSize = 1 << 10
)

func keyList(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "GET:/api/items/" + strconv.Itoa(i)
	}
	return keys
}

// padded keeps per-goroutine counters on their own cache lines.
type padded struct {
	n uint64
	_ [56]byte
}

// hitThroughput is "memory backend, hit": parallel gets of present keys.
func hitThroughput(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	const row = "memory hit"
	keys := keyList(hitKeys)
	value := make([]byte, hitValueSize)
	subjects := []string{subjHitbox, subjOtter, subjOtterBare, subjRistretto, subjTheine, subjLRU}
	targets := map[string]*result.Target{subjOtter: result.AtLeast(0.8, "≥ 0.8× otter")}
	var out []result.Measure
	for _, procs := range []int{1, 2} {
		cas := fmt.Sprintf("%d CPU", procs)
		if procs > 1 {
			cas += "s"
		}
		cas += ", 100k keys, 1 KiB"
		for _, name := range subjects {
			s, err := newStore(name, bound{bytes: 1 << 30, entries: 0, expiry: true})
			if name == subjLRU {
				s, err = newStore(name, bound{entries: 2 * hitKeys})
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for i, k := range keys {
				s.set(k, value)
				if w, ok := s.(waiter); ok && i%1000 == 999 {
					w.wait()
				}
			}
			if w, ok := s.(waiter); ok {
				w.wait()
			}
			var misses [64]padded
			offsets := make([]int, procs)
			for g := range offsets {
				offsets[g] = rand.IntN(len(keys))
			}
			tp, err := measure.Parallel(ctx, procs, env.Duration, func(g int, i uint64) bool {
				k := keys[(offsets[g]+int(i))%len(keys)]
				if !s.get(k) {
					misses[g].n++
				}
				return true
			})
			s.close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			var miss uint64
			for g := range procs {
				miss += misses[g].n
			}
			note := fmt.Sprintf("%.2f allocs/op", tp.AllocsPerOp)
			if miss > 0 {
				note += fmt.Sprintf(", %.1f%% misses", 100*float64(miss)/float64(tp.Ops))
			}
			env.Logf("%s %s %s: %.0f ops/s", row, cas, name, tp.OpsPerSec)
			out = append(out, result.Measure{Row: row, Case: cas, Metric: "gets/s", Unit: result.PerSecond,
				Subject: name, Value: tp.OpsPerSec, Note: note, Target: targets[name]})
		}
	}
	return out, nil
}
