package composition

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Lock implements [backend.Locker] by delegating to the first layer that
// can lock, L2 first (the layer instances share): a layer implementing
// [backend.Locker] whose Lock does not return an error wrapping
// [errors.ErrUnsupported]. Its error (ErrLocked among them) comes back
// wrapped in an *[Error] naming the layer. When no layer can lock, Lock
// returns an error wrapping errors.ErrUnsupported, and the flow falls back
// to its process-local guard.
func (c *Composition) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	ctx, err := c.begin(ctx, "lock", key)
	if err != nil {
		return nil, err
	}
	for _, i := range [...]int{1, 0} {
		lk, ok := c.layers[i].b.(backend.Locker)
		if !ok {
			continue
		}
		unlock, err := lk.Lock(ctx, key, ttl)
		switch {
		case err == nil:
			return unlock, nil
		case errors.Is(err, errors.ErrUnsupported):
			continue
		}
		return nil, newError("lock", layerErr{c.label(i), err})
	}
	return nil, fmt.Errorf("composition: lock: no layer can lock: %w", errors.ErrUnsupported)
}

var (
	_ backend.Backend       = (*Composition)(nil)
	_ backend.Lister        = (*Composition)(nil)
	_ backend.Purger        = (*Composition)(nil)
	_ backend.Locker        = (*Composition)(nil)
	_ backend.StatsReporter = (*Composition)(nil)
	_ backend.Labeled       = (*Composition)(nil)
)
