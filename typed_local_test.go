package hitbox_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

// countingCodec is JSONCodec counting its decodes.
type countingCodec[T any] struct {
	hitbox.JSONCodec[T]
	decodes *atomic.Int64
}

func (c countingCodec[T]) Unmarshal(b []byte) (T, error) {
	c.decodes.Add(1)
	return c.JSONCodec.Unmarshal(b)
}

// typedOnClock returns a Typed of users over a memory backend on a driven
// clock, with the codec counting its decodes.
func typedOnClock(t *testing.T, p hitbox.Policy, local hitbox.Local[user]) (*hitbox.Typed[user], *hitboxtest.Clock, *atomic.Int64) {
	t.Helper()
	e := newTypedEnv(t, hitbox.TypedOptions[user]{Policy: p, Local: local})
	return e.users, e.clock, e.decodes
}

// typedEnv is a Typed of users (namespace "users") over a memory backend
// on a driven clock, with the codec counting its decodes.
type typedEnv struct {
	users   *hitbox.Typed[user]
	c       *hitbox.Cache
	m       *memory.Backend
	clock   *hitboxtest.Clock
	decodes *atomic.Int64
}

// newTypedEnv returns a typedEnv whose Typed is made with o, its
// Namespace and Codec set.
func newTypedEnv(t *testing.T, o hitbox.TypedOptions[user]) typedEnv {
	t.Helper()
	clock := hitboxtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, m := newCacheOn(t, newMemory(t, clock.Now), hitbox.WithClock(clock))
	decodes := new(atomic.Int64)
	o.Namespace, o.Codec = "users", countingCodec[user]{decodes: decodes}
	users, err := hitbox.NewTyped(c, o)
	if err != nil {
		t.Fatal(err)
	}
	return typedEnv{users: users, c: c, m: m, clock: clock, decodes: decodes}
}

// loader returns a loader of user 7 named name+N for its Nth call.
func loader(calls *atomic.Int64) func(context.Context) (user, error) {
	return func(context.Context) (user, error) {
		n := calls.Add(1)
		return user{ID: 7, Name: "v" + strconv.FormatInt(n, 10)}, nil
	}
}

// TestTypedLocalHitServedInProcess checks that a fresh hit is answered by
// the in-process layer: no decode, and still a HIT when the backend lost
// the entry, with the entry's times; with the layer off it decodes.
func TestTypedLocalHitServedInProcess(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{false, true} {
		users, clock, decodes := typedOnClock(t, hitbox.Enabled(time.Minute, 0), hitbox.Local[user]{Off: off})
		var calls atomic.Int64
		load := loader(&calls)
		_, miss, err := users.GetOrFetch(t.Context(), "7", load)
		if err != nil || miss.Status != hitbox.Miss {
			t.Fatalf("off=%v: first call: %v %v", off, miss.Status, err)
		}
		clock.Advance(time.Second)
		u, res, err := users.GetOrFetch(t.Context(), "7", load)
		if err != nil || u.Name != "v1" || res.Status != hitbox.Hit || res.Source != "memory" ||
			!res.Written.Equal(miss.Written) || !res.Expire.Equal(miss.Expire) {
			t.Fatalf("off=%v: hit = %+v %+v %v; want v1 HIT from memory with the miss's times", off, u, res, err)
		}
		wantDecodes := int64(0)
		if off {
			wantDecodes = 2 // the miss and the hit
		}
		if got := decodes.Load(); got != wantDecodes {
			t.Errorf("off=%v: decodes = %d, want %d", off, got, wantDecodes)
		}
	}
}

// TestTypedLocalHitRecorded checks that a hit answered by the layer is
// recorded as a hit of the Typed's endpoint and of its value's source.
func TestTypedLocalHitRecorded(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	rec := hitbox.RecorderFunc(func(e hitbox.Event) {
		if e.Kind == hitbox.EventHit && e.Endpoint == "users" && e.Source == "memory" {
			hits.Add(1)
		}
	})
	c, _ := newCache(t, hitbox.WithRecorder(rec))
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{Namespace: "users"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	for range 3 {
		if _, _, err := users.GetOrFetch(t.Context(), "7", loader(&calls)); err != nil {
			t.Fatal(err)
		}
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("recorded hits = %d, want 2", got)
	}
}

// TestTypedLocalStaleRefreshOnce checks stale-while-revalidate through the
// layer: a stale value is served as STALE (from the layer, no decode) while
// exactly one background refresh runs for the key, whose value then fills
// the layer and is a HIT.
func TestTypedLocalStaleRefreshOnce(t *testing.T) {
	t.Parallel()
	users, clock, decodes := typedOnClock(t,
		hitbox.Policy{TTL: time.Hour, Stale: time.Minute, StaleMode: hitbox.StaleOffloadRevalidate}, hitbox.Local[user]{})
	var calls atomic.Int64
	release := make(chan struct{})
	load := func(ctx context.Context) (user, error) {
		if calls.Load() > 0 {
			<-release
		}
		return loader(&calls)(ctx)
	}
	if _, _, err := users.GetOrFetch(t.Context(), "7", load); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			u, res, err := users.GetOrFetch(t.Context(), "7", load)
			if err != nil || u.Name != "v1" || res.Status != hitbox.Stale {
				t.Errorf("stale call = %+v %v %v, want v1 STALE", u, res.Status, err)
			}
		})
	}
	wg.Wait()
	close(release)
	waitFor(t, "the refresh", func() bool { return calls.Load() == 2 })
	waitFor(t, "the refreshed value", func() bool {
		u, res, err := users.GetOrFetch(t.Context(), "7", load)
		return err == nil && u.Name == "v2" && res.Status == hitbox.Hit
	})
	if got := calls.Load(); got != 2 {
		t.Errorf("loader calls = %d, want 2 (one refresh for 20 stale calls)", got)
	}
	if got := decodes.Load(); got != 0 {
		t.Errorf("decodes = %d, want 0: every answer came from the layer", got)
	}
}

// TestTypedLocalExpiredAndDelete checks that an expired value and a
// deleted one are misses that ask the loader again.
func TestTypedLocalExpiredAndDelete(t *testing.T) {
	t.Parallel()
	users, clock, _ := typedOnClock(t, hitbox.Enabled(time.Minute, 0), hitbox.Local[user]{})
	var calls atomic.Int64
	load := loader(&calls)
	steps := []struct {
		name   string
		before func()
		want   string
		status hitbox.Status
	}{
		{"cold", func() {}, "v1", hitbox.Miss},
		{"fresh", func() { clock.Advance(59 * time.Second) }, "v1", hitbox.Hit},
		{"expired", func() { clock.Advance(2 * time.Second) }, "v2", hitbox.Miss},
		{"deleted", func() {
			if ok, err := users.Delete(t.Context(), "7"); !ok || err != nil {
				t.Errorf("Delete = %v, %v", ok, err)
			}
		}, "v3", hitbox.Miss},
		{"after delete", func() {}, "v3", hitbox.Hit},
	}
	for _, s := range steps {
		s.before()
		u, res, err := users.GetOrFetch(t.Context(), "7", load)
		if err != nil || u.Name != s.want || res.Status != s.status {
			t.Errorf("%s: %+v %v %v, want %s %v", s.name, u, res.Status, err, s.want, s.status)
		}
	}
}

// TestTypedLocalStaleIfError checks that a value the layer holds stands
// in for a failing loader under StaleIfError, without a decode.
func TestTypedLocalStaleIfError(t *testing.T) {
	t.Parallel()
	users, clock, decodes := typedOnClock(t,
		hitbox.Policy{TTL: time.Minute, StaleIfError: time.Hour, Keep: time.Hour}, hitbox.Local[user]{})
	var calls atomic.Int64
	if _, _, err := users.GetOrFetch(t.Context(), "7", loader(&calls)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	down := func(context.Context) (user, error) { return user{}, errors.New("db down") }
	u, res, err := users.GetOrFetch(t.Context(), "7", down)
	if err != nil || u.Name != "v1" || res.Status != hitbox.Stale || !res.StaleIfError {
		t.Errorf("failing loader = %+v %+v %v, want v1 STALE with StaleIfError", u, res, err)
	}
	if got := decodes.Load(); got != 0 {
		t.Errorf("decodes = %d, want 0", got)
	}
}

// TestTypedLocalInvalidate checks that Invalidate drops only this
// Typed's keys and InvalidatePrefix drops what its prefix covers; the
// next call reads the backend again (one decode each).
func TestTypedLocalInvalidate(t *testing.T) {
	t.Parallel()
	users, _, decodes := typedOnClock(t, hitbox.Enabled(time.Minute, 0), hitbox.Local[user]{})
	var calls atomic.Int64
	load := loader(&calls)
	for _, id := range []string{"7", "8", "a b"} {
		if _, _, err := users.GetOrFetch(t.Context(), id, load); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name       string
		invalidate func()
		decodes    int64 // after reading the three ids again
	}{
		{"other keys", func() { users.Invalidate([]string{"others:v0:id=7", "7", "users:v0:id=7x"}) }, 0},
		{"one key", func() { users.Invalidate([]string{users.Key("a b")}) }, 1},
		{"a prefix of some ids", func() { users.InvalidatePrefix(users.Key("7")) }, 2},
		{"another namespace", func() { users.InvalidatePrefix("others:") }, 2},
		{"everything", func() { users.InvalidatePrefix("") }, 5},
	}
	for _, s := range steps {
		s.invalidate()
		for _, id := range []string{"7", "8", "a b"} {
			if _, res, err := users.GetOrFetch(t.Context(), id, load); err != nil || res.Status != hitbox.Hit {
				t.Fatalf("%s: %s: %v %v", s.name, id, res.Status, err)
			}
		}
		if got := decodes.Load(); got != s.decodes {
			t.Errorf("after invalidating %s: decodes = %d, want %d", s.name, got, s.decodes)
		}
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("loader calls = %d, want 3", got)
	}
}

// TestTypedLocalConcurrent runs hits, misses, refreshes and deletes of a
// few keys at once (for -race) and checks every answer is a value of its
// own key.
func TestTypedLocalConcurrent(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t)
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{
		Policy:    hitbox.Policy{TTL: time.Hour, Stale: time.Nanosecond, StaleMode: hitbox.StaleOffloadRevalidate},
		Namespace: "users", Local: hitbox.Local[user]{MaxBytes: 4 << 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := (g + i) % 5
				load := func(context.Context) (user, error) { return user{ID: id, Name: fmt.Sprint(id)}, nil }
				if i%50 == 0 {
					_, _ = users.Delete(t.Context(), strconv.Itoa(id))
				}
				u, _, err := users.GetOrFetch(t.Context(), strconv.Itoa(id), load)
				if err != nil || u.ID != id {
					t.Errorf("id %d: %+v %v", id, u, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestNewTypedLocalInvalid checks that a negative Local.MaxBytes is an
// error wrapping ErrInvalidOption.
func TestNewTypedLocalInvalid(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t)
	_, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{Local: hitbox.Local[user]{MaxBytes: -1}})
	if !errors.Is(err, hitbox.ErrInvalidOption) {
		t.Errorf("NewTyped with MaxBytes -1 = %v, want ErrInvalidOption", err)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
