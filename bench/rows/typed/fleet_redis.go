//go:build !hbnoredis

package typed

import (
	"context"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	hbredis "github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
)

// hitboxOverRedis is a Typed over a memory L1 and the shared Redis L2: the
// flow takes the fleet-wide lock through the composition's Locker.
func hitboxOverRedis(ctx context.Context, addr, key string, up *counter) (func() error, func(), error) {
	l1, err := memory.New(memory.Options{})
	if err != nil {
		return nil, nil, err
	}
	l2, err := hbredis.New(hbredis.Options{URL: "redis://" + addr + "/0"})
	if err != nil {
		l1.Close(context.Background())
		return nil, nil, err
	}
	if err := l2.Ping(ctx); err != nil {
		l1.Close(context.Background())
		l2.Close(context.Background())
		return nil, nil, err
	}
	comp, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		l1.Close(context.Background())
		l2.Close(context.Background())
		return nil, nil, err
	}
	cache, err := hitbox.New(comp)
	if err != nil {
		l1.Close(context.Background())
		l2.Close(context.Background())
		return nil, nil, err
	}
	t, err := hitbox.NewTyped(cache, hitbox.TypedOptions[item]{Policy: hitbox.Enabled(time.Hour, 0)})
	if err != nil {
		return nil, nil, err
	}
	done := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cache.Close(sctx)
		_ = comp.Close(sctx)
		_ = l1.Close(context.Background())
		_ = l2.Close(context.Background())
	}
	return func() error {
		_, _, err := t.GetOrFetch(ctx, key, up.fetch)
		return err
	}, done, nil
}
