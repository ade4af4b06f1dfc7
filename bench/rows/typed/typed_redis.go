//go:build !hbnoredis

package typed

import (
	"context"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	hbredis "github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	"github.com/hitbox-go/hitbox/composition"
)

// runRedisCases measures typed hits with default options over Redis, alone
// and under a memory L1: both are answered by Typed's in-process layer.
func runRedisCases(ctx context.Context, env measure.Env, keys []string) ([]result.Measure, error) {
	const row = "typed cache-aside hit"
	names := []string{"default options over Redis, struct", "default options over memory + Redis, struct"}
	if env.RedisAddr == "" {
		var out []result.Measure
		for _, n := range names {
			out = append(out, result.NA(row, n, "gets/s", result.PerSecond, result.Hitbox, "no redis-server"))
		}
		return out, nil
	}
	l2, err := hbredis.New(hbredis.Options{URL: "redis://" + env.RedisAddr + "/0"})
	if err != nil {
		return nil, err
	}
	defer l2.Close(context.Background())
	if err := l2.Ping(ctx); err != nil {
		return nil, err
	}
	l1, err := memory.New(memory.Options{})
	if err != nil {
		return nil, err
	}
	defer l1.Close(context.Background())
	comp, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = comp.Close(sctx)
	}()
	var out []result.Measure
	for i, b := range []backend.Backend{l2, comp} {
		cache, err := hitbox.New(b)
		if err != nil {
			return nil, err
		}
		ms, err := structCase(names[i], true, hitbox.TypedOptions[item]{Namespace: "typed-redis"}).run(ctx, env, cache, keys, typedCase{name: names[i], held: true})
		_ = cache.Close(context.Background())
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}
