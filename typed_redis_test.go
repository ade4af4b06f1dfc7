package hitbox_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// typedInstance is one instance of a fleet sharing Redis: a Typed over
// its own Redis backend, its in-process layer kept coherent by an
// Invalidator on the backend's channel.
type typedInstance struct {
	users   *hitbox.Typed[user]
	inv     *redis.Invalidator
	decodes *atomic.Int64
}

func newTypedInstance(t *testing.T, url string) typedInstance {
	t.Helper()
	const channel = "hitbox:invalidate"
	l2, err := redis.New(redis.Options{URL: url, Channel: channel, OpTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l2.Close(context.Background()) })
	c := newCacheOnBackend(t, l2)
	decodes := new(atomic.Int64)
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{
		Policy: hitbox.Enabled(time.Hour, 0), Namespace: "users", Codec: countingCodec[user]{decodes: decodes},
	})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := redis.NewInvalidator(redis.InvalidatorOptions{
		Client: l2.Client(), Channel: channel, InstanceID: l2.InstanceID(),
		OnDelete: users.Invalidate, OnPurge: users.InvalidatePrefix,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inv.Close(context.Background()) })
	select {
	case <-inv.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the invalidator did not subscribe")
	}
	return typedInstance{users: users, inv: inv, decodes: decodes}
}

// TestTypedLocalRedisInvalidation checks that a Typed over Redis answers
// hits from its in-process layer, and that another instance's overwrite
// and delete, announced on the backend's channel, drop its copy.
func TestTypedLocalRedisInvalidation(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	a, b := newTypedInstance(t, s.URL()), newTypedInstance(t, s.URL())
	var calls atomic.Int64
	load := loader(&calls)

	if u, res, err := a.users.GetOrFetch(t.Context(), "7", load); err != nil || u.Name != "v1" || res.Status != hitbox.Miss {
		t.Fatalf("a's first call = %+v %v %v", u, res.Status, err)
	}
	waitFor(t, "b receives a's write", func() bool { return b.inv.Stats().Keys >= 1 })
	// b reads the entry from Redis, then from its layer.
	for i := range 2 {
		if u, res, err := b.users.GetOrFetch(t.Context(), "7", load); err != nil || u.Name != "v1" || res.Status != hitbox.Hit {
			t.Fatalf("b's call %d = %+v %v %v, want v1 HIT", i, u, res.Status, err)
		}
	}
	if got := b.decodes.Load(); got != 1 {
		t.Errorf("b decoded %d times, want 1: its second hit comes from its in-process layer", got)
	}
	keys := b.inv.Stats().Keys
	if _, err := a.users.Delete(t.Context(), "7"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b receives a's delete", func() bool { return b.inv.Stats().Keys > keys })
	u, res, err := b.users.GetOrFetch(t.Context(), "7", load)
	if err != nil || u.Name != "v2" || res.Status != hitbox.Miss {
		t.Errorf("b after a's delete = %+v %v %v, want v2 MISS: its in-process copy must be gone", u, res.Status, err)
	}
}

// newCacheOnBackend returns a Cache over b, shut down when the test ends.
func newCacheOnBackend(t *testing.T, b backend.Backend) *hitbox.Cache {
	t.Helper()
	c, err := hitbox.New(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return c
}
