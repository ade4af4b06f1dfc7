package hitbox_test

import (
	"context"
	"strconv"
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

// TestFetchedOwnLifetime: an answer's Fresh and TTL replace the policy's
// Stale and TTL, capped by the policy's TTL; through Do and SetFetched.
func TestFetchedOwnLifetime(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name              string
		policy            hitbox.Policy
		fresh, ttl        time.Duration
		wantStale, wantEx time.Duration // 0 stale: never stale
	}{
		{"own times", hitbox.Policy{TTL: time.Hour, Stale: time.Minute}, 10 * time.Second, 30 * time.Second, 10 * time.Second, 30 * time.Second},
		{"fresh until expiry", hitbox.Policy{TTL: time.Hour}, 30 * time.Second, 30 * time.Second, 0, 30 * time.Second},
		{"stale at once", hitbox.Policy{TTL: time.Hour}, 0, 5 * time.Second, -1, 5 * time.Second},
		{"capped by the policy", hitbox.Policy{TTL: 20 * time.Second}, 10 * time.Minute, time.Hour, 0, 20 * time.Second},
		{"policy never expires", hitbox.Policy{}, 10 * time.Second, time.Hour, 10 * time.Second, time.Hour},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := hitboxtest.NewClock(start)
			c, m := newCache(t, hitbox.WithClock(clock))
			ctx := context.Background()
			f := hitbox.Fetched{Value: []byte("v"), Store: true, Fresh: tt.fresh, TTL: tt.ttl}
			for j, via := range []string{"Do", "SetFetched"} {
				key := "k" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
				req := hitbox.Request{Key: key, Policy: tt.policy}
				if via == "Do" {
					if _, err := c.Do(ctx, req, func(context.Context) (hitbox.Fetched, error) { return f, nil }); err != nil {
						t.Fatal(err)
					}
				} else if !c.SetFetched(ctx, req, f) {
					t.Fatal("SetFetched = false")
				}
				e, ok, err := m.Get(ctx, key)
				if err != nil || !ok {
					t.Fatalf("%s: Get = %v, %v", via, ok, err)
				}
				wantStale := time.Time{}
				switch {
				case tt.wantStale > 0:
					wantStale = start.Add(tt.wantStale)
				case tt.wantStale < 0:
					wantStale = start
				}
				if !e.Stale.Equal(wantStale) || !e.Expire.Equal(start.Add(tt.wantEx)) {
					t.Errorf("%s: stale %v, expire %v; want %v, %v", via, e.Stale, e.Expire, wantStale, start.Add(tt.wantEx))
				}
			}
		})
	}
}
