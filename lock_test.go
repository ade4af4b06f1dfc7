package hitbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// cannotLock is a store that implements Locker but answers ErrUnsupported,
// as a composition whose layers cannot lock does.
type cannotLock struct {
	*memory.Backend
	calls atomic.Int64
}

func (c *cannotLock) Lock(context.Context, string, time.Duration) (func(), error) {
	c.calls.Add(1)
	return nil, fmt.Errorf("no layer can lock: %w", errors.ErrUnsupported)
}

// TestLockerUnsupportedRemembered: a Locker that answers ErrUnsupported is
// asked once; later misses go to the upstream without the lock path.
func TestLockerUnsupportedRemembered(t *testing.T) {
	t.Parallel()
	b := &cannotLock{Backend: newMemory(t)}
	c := newCacheOnBackend(t, b)
	for i := range 5 {
		res, err := c.Do(t.Context(), hitbox.Request{Key: fmt.Sprintf("k%d", i), Policy: hitbox.Enabled(time.Minute, 0)},
			func(context.Context) (hitbox.Fetched, error) {
				return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
			})
		if err != nil || res.Status != hitbox.Miss || !res.Stored {
			t.Fatalf("miss %d: %+v, %v; want a stored MISS", i, res, err)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("Lock called %d times over 5 misses, want 1 (the negative answer remembered)", n)
	}
}
