//go:build !hbnoredis

// Package composition is the harness's composition rows: a memory L1 over
// a Redis L2 (hitbox's composition of backend/memory over backend/redis)
// beside go-redis/cache and otter + go-redis wired by hand, for an L1 hit,
// an L2 hit and a miss-and-fill, as p50 and p99 latencies of single calls.
package composition

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

const (
	valueSize = 1 << 10
	hotKeys   = 1000
	maxOps    = 1 << 20
)

// Subjects.
const (
	subjHitbox  = result.Hitbox
	subjCache   = "go-redis/cache"
	subjHand    = "otter + go-redis by hand"
	subjRawGet  = "go-redis GET, same bytes"
	subjEko     = "eko/gocache chain"
	ekoNA       = "github.com/eko/gocache/lib/v4 not served by the module proxy here"
	caseL1      = "L1 hit"
	caseL2      = "L2 hit"
	caseMiss    = "miss and fill"
	rowPrefix   = "composition "
	caseDetails = "1 KiB, memory over Redis on loopback"
)

// layered is the common face of the subjects.
type layered interface {
	// l1get reads a key present in both layers.
	l1get(ctx context.Context, key string) (bool, error)
	// l2get reads a key present only in L2 without refilling L1.
	l2get(ctx context.Context, key string) (bool, error)
	// get then set: the miss-and-fill path.
	get(ctx context.Context, key string) (bool, error)
	set(ctx context.Context, key string, v []byte) error
	// setL2 writes a key to L2 only.
	setL2(ctx context.Context, key string, v []byte) error
	close()
}

// Run measures every composition row once.
func Run(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	if env.RedisAddr == "" {
		return nil, errors.New("composition: no redis-server address")
	}
	flush := goredis.NewClient(&goredis.Options{Addr: env.RedisAddr})
	defer flush.Close()
	value := make([]byte, valueSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	var out []result.Measure
	for _, name := range []string{subjHitbox, subjCache, subjHand, subjRawGet} {
		if err := flush.FlushAll(ctx).Err(); err != nil {
			return nil, fmt.Errorf("FLUSHALL: %w", err)
		}
		s, err := newSubject(name, env.RedisAddr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ms, err := measureSubject(ctx, env, name, s, value)
		s.close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, ms...)
	}
	for _, cas := range []string{caseL1, caseL2, caseMiss} {
		for _, metric := range []string{"p50", "p99"} {
			out = append(out, result.NA(rowPrefix+cas, caseDetails, metric, result.Nanos, subjEko, ekoNA))
		}
	}
	return out, nil
}

func newSubject(name, addr string) (layered, error) {
	switch name {
	case subjHitbox:
		return newHitbox(addr)
	case subjCache:
		return newGoRedisCache(addr), nil
	case subjHand:
		return newHand(addr)
	case subjRawGet:
		return newRaw(addr)
	}
	return nil, fmt.Errorf("unknown subject %q", name)
}

// targets are performance.md's, per case and peer.
func target(cas, peer string) *result.Target {
	switch {
	case cas == caseL1 && peer == subjHand:
		return result.AtMost(1.5, "≤ 1.5× raw otter get")
	case cas == caseL1 && (peer == subjCache || peer == subjEko):
		return result.Below(1, "faster than "+peer)
	case cas == caseL2 && peer == subjRawGet:
		return result.AtMost(1.15, "≤ 1.15× raw go-redis GET")
	}
	return nil
}

func measureSubject(ctx context.Context, env measure.Env, name string, s layered, value []byte) ([]result.Measure, error) {
	hot := make([]string, hotKeys)
	cold := make([]string, hotKeys)
	for i := range hot {
		hot[i] = "GET:/api/hot/" + strconv.Itoa(i)
		cold[i] = "GET:/api/l2/" + strconv.Itoa(i)
		if err := s.set(ctx, hot[i], value); err != nil {
			return nil, fmt.Errorf("set: %w", err)
		}
		if err := s.setL2(ctx, cold[i], value); err != nil {
			return nil, fmt.Errorf("set L2: %w", err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let asynchronous L1 writes land
	var firstErr error
	check := func(ok bool, err error) bool {
		if err != nil || !ok {
			if firstErr == nil {
				firstErr = fmt.Errorf("not a hit (%v)", err)
			}
			return false
		}
		return true
	}
	cases := []struct {
		name string
		op   func(i int) bool
	}{
		{caseL1, func(i int) bool { return check(s.l1get(ctx, hot[i%hotKeys])) }},
		{caseL2, func(i int) bool { return check(s.l2get(ctx, cold[i%hotKeys])) }},
		{caseMiss, func(i int) bool {
			k := "GET:/api/miss/" + strconv.Itoa(env.Rep) + "/" + strconv.Itoa(i)
			ok, err := s.get(ctx, k)
			if err != nil || ok {
				return check(false, fmt.Errorf("want a miss: ok=%v, %v", ok, err))
			}
			return check(true, s.set(ctx, k, value))
		}},
	}
	var out []result.Measure
	for _, c := range cases {
		if name == subjRawGet && c.name != caseL2 {
			continue // the floor of an L2 hit only
		}
		lat, err := measure.Sequential(ctx, env.Duration, maxOps, c.op)
		if err != nil {
			if firstErr != nil {
				err = firstErr
			}
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		env.Logf("composition %s %s: p50 %v p99 %v", c.name, name, lat.P50, lat.P99)
		note := fmt.Sprintf("%.1f allocs/op", lat.AllocsPerOp)
		for _, q := range []struct {
			metric string
			v      time.Duration
		}{{"p50", lat.P50}, {"p99", lat.P99}} {
			out = append(out, result.Measure{Row: rowPrefix + c.name, Case: caseDetails, Metric: q.metric,
				Unit: result.Nanos, Subject: name, Value: float64(q.v), Note: note, Target: target(c.name, name)})
		}
	}
	return out, nil
}
