package hitbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

func TestCacheSet(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := hitboxtest.NewClock(start)
	c, m := newCache(t, hitbox.WithClock(clock))
	ctx := context.Background()
	p := hitbox.Policy{TTL: time.Minute, Stale: 10 * time.Second}
	if !c.Set(ctx, hitbox.Request{Key: "k", Policy: p}, []byte("v")) {
		t.Fatal("Set = false")
	}
	e, ok, err := m.Get(ctx, "k")
	if err != nil || !ok || string(e.Value) != "v" || !e.Written.Equal(start) ||
		!e.Stale.Equal(start.Add(10*time.Second)) || !e.Expire.Equal(start.Add(time.Minute)) {
		t.Errorf("Get = %+v, %v, %v; want v written now, stale in 10s, expiring in 1m", e, ok, err)
	}
	// Later lookups see it as the flow's own entry.
	res, err := c.Do(ctx, hitbox.Request{Key: "k", Policy: p}, func(context.Context) (hitbox.Fetched, error) {
		t.Error("fetch called for a stored key")
		return hitbox.Fetched{}, nil
	})
	if err != nil || res.Status != hitbox.Hit || string(res.Value) != "v" {
		t.Errorf("Do = %+v, %v; want a hit on v", res, err)
	}
	for _, req := range []hitbox.Request{{Key: "", Policy: p}, {Key: "d", Policy: hitbox.Disabled()}, {Key: "i", Policy: hitbox.Policy{TTL: -1}}} {
		if c.Set(ctx, req, []byte("v")) {
			t.Errorf("Set(%+v) = true, want false", req)
		}
	}
}
