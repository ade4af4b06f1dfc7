// Package typed is the harness's rows for the typed cache-aside API
// (hitbox.Typed's GetOrFetch on a present key, beside raw otter and
// sturdyc) and for the stampede guard (1000 concurrent callers on one cold
// key, in one process and in two processes sharing Redis).
package typed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/viccon/sturdyc"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Subjects.
const (
	subjOtter   = "otter (raw get)"
	subjSturdyc = "sturdyc"
	subjGocache = "eko/gocache loadable"
	subjOnce    = "go-redis/cache Once"
	gocacheNA   = "github.com/eko/gocache/lib/v4 not served by the module proxy here"
)

// item is the value of the struct case.
type item struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// bytesCodec stores []byte values as they are: the typed API's own cost
// with no encoding.
type bytesCodec struct{}

func (bytesCodec) Marshal(v []byte) ([]byte, error)   { return v, nil }
func (bytesCodec) Unmarshal(b []byte) ([]byte, error) { return b, nil }

const ids = 1000

// typedCase is one case of the typed hit row.
type typedCase struct {
	name string
	// held: the case uses Typed with default options, so the row's
	// targets apply; other cases are reported only.
	held bool
	run  func(ctx context.Context, env measure.Env, cache *hitbox.Cache, keys []string, c typedCase) ([]result.Measure, error)
}

func newItem(i int) item { return item{ID: i, Name: "Ann", Email: "ann@example.com"} }

// structCase is a case of item values with options o.
func structCase(name string, held bool, o hitbox.TypedOptions[item]) typedCase {
	return typedCase{name, held, func(ctx context.Context, env measure.Env, cache *hitbox.Cache, keys []string, c typedCase) ([]result.Measure, error) {
		return runCase(ctx, env, cache, keys, c, o, newItem)
	}}
}

// bytesCase is a case of 1 KiB []byte values with options o.
func bytesCase(name string, held bool, o hitbox.TypedOptions[[]byte]) typedCase {
	payload := make([]byte, 1<<10)
	return typedCase{name, held, func(ctx context.Context, env measure.Env, cache *hitbox.Cache, keys []string, c typedCase) ([]result.Measure, error) {
		return runCase(ctx, env, cache, keys, c, o, func(int) []byte { return payload })
	}}
}

// Run measures the typed hit rows once: over a memory backend, and over
// Redis (alone and under a memory L1) when the harness started one.
func Run(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	mem, err := memory.New(memory.Options{})
	if err != nil {
		return nil, err
	}
	defer mem.Close(context.Background())
	cache, err := hitbox.New(mem)
	if err != nil {
		return nil, err
	}
	defer cache.Close(context.Background())
	keys := make([]string, ids)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	cases := []typedCase{
		structCase("default options, struct", true, hitbox.TypedOptions[item]{Namespace: "struct"}),
		bytesCase("default options, 1 KiB []byte", true, hitbox.TypedOptions[[]byte]{Namespace: "bytes"}),
		structCase("struct, JSON codec, in-process layer off", false,
			hitbox.TypedOptions[item]{Namespace: "off", Codec: hitbox.JSONCodec[item]{}, Local: hitbox.Local[item]{Off: true}}),
		bytesCase("1 KiB []byte, identity codec", false, hitbox.TypedOptions[[]byte]{Namespace: "identity", Codec: bytesCodec{}}),
		bytesCase("1 KiB []byte, identity codec, in-process layer off", false,
			hitbox.TypedOptions[[]byte]{Namespace: "identity-off", Codec: bytesCodec{}, Local: hitbox.Local[[]byte]{Off: true}}),
	}
	var out []result.Measure
	for _, c := range cases {
		ms, err := c.run(ctx, env, cache, keys, c)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	ms, err := runRedisCases(ctx, env, keys)
	if err != nil {
		return nil, err
	}
	return append(out, ms...), nil
}

func runCase[T any](ctx context.Context, env measure.Env, cache *hitbox.Cache, keys []string, tc typedCase,
	o hitbox.TypedOptions[T], value func(i int) T) ([]result.Measure, error) {
	const row = "typed cache-aside hit"
	o.Policy = hitbox.Enabled(time.Hour, 0)
	typed, err := hitbox.NewTyped(cache, o)
	if err != nil {
		return nil, err
	}
	oc, err := otter.New(&otter.Options[string, T]{MaximumSize: 10 * ids})
	if err != nil {
		return nil, err
	}
	defer oc.StopAllGoroutines()
	sc := sturdyc.New[T](10*ids, 10, time.Hour, 10)
	fetches := make([]func(context.Context) (T, error), len(keys))
	for i, k := range keys {
		v := value(i)
		fetches[i] = func(context.Context) (T, error) { return v, nil }
		if _, _, err := typed.GetOrFetch(ctx, k, fetches[i]); err != nil {
			return nil, err
		}
		oc.Set(k, v)
		if _, err := sc.GetOrFetch(ctx, k, fetches[i]); err != nil {
			return nil, err
		}
	}
	target := func(t *result.Target) *result.Target {
		if !tc.held {
			return nil
		}
		return t
	}
	subjects := []struct {
		name   string
		target *result.Target
		get    func(k string, fetch func(context.Context) (T, error)) bool
	}{
		{result.Hitbox, nil, func(k string, f func(context.Context) (T, error)) bool {
			_, res, err := typed.GetOrFetch(ctx, k, f)
			return err == nil && res.Status == hitbox.Hit
		}},
		{subjOtter, target(result.AtLeast(0.5, "≤ 2× raw otter (≥ 0.5× its rate)")), func(k string, _ func(context.Context) (T, error)) bool {
			_, ok := oc.GetIfPresent(k)
			return ok
		}},
		{subjSturdyc, target(result.AtLeast(1, "at least sturdyc's rate")), func(k string, f func(context.Context) (T, error)) bool {
			_, err := sc.GetOrFetch(ctx, k, f)
			return err == nil
		}},
	}
	var out []result.Measure
	for _, procs := range []int{1, 2} {
		c := fmt.Sprintf("%s, %d CPU", tc.name, procs)
		if procs > 1 {
			c += "s"
		}
		offsets := []int{rand.IntN(ids), rand.IntN(ids)}
		for _, s := range subjects {
			tp, err := measure.Parallel(ctx, procs, env.Duration, func(g int, i uint64) bool {
				j := (offsets[g%2] + int(i)) % ids
				return s.get(keys[j], fetches[j])
			})
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", c, s.name, err)
			}
			env.Logf("%s %s %s: %.0f ops/s", row, c, s.name, tp.OpsPerSec)
			out = append(out, result.Measure{Row: row, Case: c, Metric: "gets/s", Unit: result.PerSecond,
				Subject: s.name, Value: tp.OpsPerSec, Note: fmt.Sprintf("%.1f allocs/op", tp.AllocsPerOp), Target: s.target})
		}
		out = append(out, result.NA(row, c, "gets/s", result.PerSecond, subjGocache, gocacheNA))
		out[len(out)-1].Target = target(result.Above(1, "faster than gocache"))
	}
	return out, nil
}
