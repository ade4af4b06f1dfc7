package hitbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/hitboxtest"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// taggedUpstream answers "vN" tagged with tags.
func taggedUpstream(tags ...string) *hitboxtest.Upstream {
	return hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: fmt.Appendf(nil, "v%d", n), Store: true, Tags: tags}, nil
	})
}

func TestInvalidateTags(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		ctx := t.Context()
		policy := hitbox.Enabled(time.Hour, 0)
		user := taggedUpstream("user=42", "team=7")
		other := taggedUpstream("user=43")
		plain := counter(t)
		do := func(key string, up *hitboxtest.Upstream) hitbox.Result {
			t.Helper()
			res, err := c.Do(ctx, hitbox.Request{Key: key, Policy: policy}, up.Fetch)
			if err != nil {
				t.Fatalf("Do(%q): %v", key, err)
			}
			return res
		}
		do("u42", user)
		do("u43", other)
		do("plain", plain)
		if e, ok, _ := m.Get(ctx, "u42"); !ok || len(e.Tags) != 2 {
			t.Fatalf("stored entry = %+v, %v; want it with its 2 tags", e, ok)
		}
		time.Sleep(time.Second)
		if err := c.InvalidateTags(ctx, "team=7"); err != nil {
			t.Fatalf("InvalidateTags: %v", err)
		}
		time.Sleep(time.Second)
		res := do("u42", user)
		if res.Status != hitbox.Miss || string(res.Value) != "v2" {
			t.Fatalf("after the purge: %v %q, want a miss answered by v2", res.Status, res.Value)
		}
		// Written after the purge: served.
		if res := do("u42", user); res.Status != hitbox.Hit || string(res.Value) != "v2" {
			t.Fatalf("the entry written after the purge: %v %q, want a hit of v2", res.Status, res.Value)
		}
		// Other tags and untagged entries are not affected.
		if res := do("u43", other); res.Status != hitbox.Hit {
			t.Errorf("an entry with other tags: %v, want a hit", res.Status)
		}
		if res := do("plain", plain); res.Status != hitbox.Hit {
			t.Errorf("an untagged entry: %v, want a hit", res.Status)
		}
		if err := c.InvalidateTags(ctx, ""); !errors.Is(err, hitbox.ErrInvalidTag) {
			t.Errorf("InvalidateTags(\"\") = %v, want ErrInvalidTag", err)
		}
	})
}

// TestInvalidatedEntryDeleted checks that a purged entry found by a read is
// deleted from the store in the background, when the answer that replaces
// it is not stored.
func TestInvalidatedEntryDeleted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		ctx := t.Context()
		req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Hour, 0)}
		if _, err := c.Do(ctx, req, taggedUpstream("t").Fetch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := c.InvalidateTags(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		noStore := hitboxtest.NewUpstream(func(context.Context, int64) (hitbox.Fetched, error) {
			return hitbox.Fetched{Value: []byte("not stored")}, nil
		})
		res, err := c.Do(ctx, req, noStore.Fetch)
		if err != nil || res.Status != hitbox.Miss {
			t.Fatalf("Do after the purge = %v, %v; want a miss", res.Status, err)
		}
		synctest.Wait()
		if _, ok, _ := m.Get(ctx, "k"); ok {
			t.Fatal("the purged entry is still in the store")
		}
	})
}

// TestPurgeDuringUpstreamCall checks that an answer whose upstream call
// started before a purge of one of its tags is handed to its callers but
// not stored, since it may predate the purge.
func TestPurgeDuringUpstreamCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, m := newCache(t)
		ctx := t.Context()
		req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Hour, 0)}
		called, release := make(chan struct{}), make(chan struct{})
		slow := hitboxtest.NewUpstream(func(_ context.Context, n int64) (hitbox.Fetched, error) {
			if n == 1 {
				close(called)
				<-release
			}
			return hitbox.Fetched{Value: fmt.Appendf(nil, "v%d", n), Store: true, Tags: []string{"t"}}, nil
		})
		done := make(chan hitbox.Result)
		go func() {
			res, err := c.Do(ctx, req, slow.Fetch)
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		<-called
		time.Sleep(time.Second)
		if err := c.InvalidateTags(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		close(release)
		res := <-done
		if string(res.Value) != "v1" || res.Stored {
			t.Fatalf("the answer begun before the purge = %q, stored %v; want v1, not stored", res.Value, res.Stored)
		}
		if _, ok, _ := m.Get(ctx, "k"); ok {
			t.Fatal("the answer begun before the purge was stored")
		}
		res, err := c.Do(ctx, req, slow.Fetch)
		if err != nil || res.Status != hitbox.Miss || string(res.Value) != "v2" || !res.Stored {
			t.Fatalf("next Do = %v %q stored %v, %v; want a stored miss of v2", res.Status, res.Value, res.Stored, err)
		}
	})
}

// TestInvalidateTagsUnsupported checks the error of a backend that cannot
// invalidate by tag.
func TestInvalidateTagsUnsupported(t *testing.T) {
	t.Parallel()
	c := newCacheOnBackend(t, plainBackend{newMemory(t)})
	if err := c.InvalidateTags(t.Context(), "t"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("InvalidateTags = %v, want ErrUnsupported", err)
	}
}

// plainBackend hides the optional interfaces of the backend it holds.
type plainBackend struct{ b backend.Backend }

func (p plainBackend) Get(ctx context.Context, k string) (backend.Entry, bool, error) {
	return p.b.Get(ctx, k)
}
func (p plainBackend) Set(ctx context.Context, k string, e backend.Entry) error {
	return p.b.Set(ctx, k, e)
}
func (p plainBackend) Delete(ctx context.Context, k string) (bool, error) { return p.b.Delete(ctx, k) }

// fleetInstance is one instance of a fleet: a Cache over a memory L1 and a
// shared Redis L2, its L1 kept in sync by the other instances' messages.
type fleetInstance struct {
	c   *hitbox.Cache
	l1  *memory.Backend
	inv *redis.Invalidator
}

func newFleetInstance(t *testing.T, url string) fleetInstance {
	t.Helper()
	l2, err := redis.New(redis.Options{URL: url, Prefix: "fleet:", Channel: "fleet:invalidate", OpTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l2.Close(context.Background()) })
	l1 := newMemory(t)
	comp, err := composition.New(l1, l2, composition.Options{Refill: composition.RefillAlways})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = comp.Close(context.Background()) })
	inv, err := l2.Subscribe(l1)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-inv.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the invalidator did not subscribe")
	}
	return fleetInstance{c: newCacheOnBackend(t, comp), l1: l1, inv: inv}
}

// TestInvalidateTagsFleet checks that a tag purge on one instance makes the
// other instance's next read of a tagged entry, served from its L1, a miss.
func TestInvalidateTagsFleet(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	a, b := newFleetInstance(t, s.URL()), newFleetInstance(t, s.URL())
	ctx := t.Context()
	req := hitbox.Request{Key: "product/42", Policy: hitbox.Enabled(time.Hour, 0)}
	up := taggedUpstream("product=42")
	if res, err := a.c.Do(ctx, req, up.Fetch); err != nil || !res.Stored {
		t.Fatalf("a's Do = %+v, %v; want a stored answer", res, err)
	}
	// b reads it from Redis, then from its L1.
	if res, err := b.c.Do(ctx, req, up.Fetch); err != nil || res.Status != hitbox.Hit {
		t.Fatalf("b's first Do = %v, %v; want a hit", res.Status, err)
	}
	// a's write reaches b's subscriber as an invalidation of the key at a
	// time of its own: it may drop b's refilled copy, and the next read
	// from Redis refills it again.
	waitFor(t, "b to serve the entry from its L1", func() bool {
		res, err := b.c.Do(ctx, req, up.Fetch)
		if err != nil || res.Status != hitbox.Hit {
			t.Fatalf("b's Do = %v, %v; want a hit", res.Status, err)
		}
		return res.Source == "l1"
	})
	if err := a.c.InvalidateTags(ctx, "product=42"); err != nil {
		t.Fatalf("InvalidateTags: %v", err)
	}
	// b's L1 learns of the purge through the channel: its next read of
	// the entry is a miss.
	waitFor(t, "b's L1 to record a's purge", func() bool {
		at, _ := b.l1.TagsInvalidated(ctx, []string{"product=42"})
		return !at.IsZero()
	})
	calls := up.Calls()
	res, err := b.c.Do(ctx, req, up.Fetch)
	if err != nil || res.Status != hitbox.Miss || up.Calls() != calls+1 {
		t.Fatalf("b's Do after a's purge = %v, %v (upstream calls %d → %d); want a miss", res.Status, err, calls, up.Calls())
	}
	// a never serves the purged answer again: its L1 copy is invalid by
	// a's own mark (until b's write drops it), and b's new entry in Redis
	// is valid.
	for range 3 {
		if res, err := a.c.Do(ctx, req, up.Fetch); err != nil || string(res.Value) == "v1" {
			t.Fatalf("a's Do after the purge = %v %q, %v; want anything but the purged v1", res.Status, res.Value, err)
		}
	}
	if res, err := b.c.Do(ctx, req, up.Fetch); err != nil || res.Status != hitbox.Hit {
		t.Fatalf("b's Do of the entry written after the purge = %v, %v; want a hit", res.Status, err)
	}
}

// TestTaggedL1HitSkipsL2 checks that the flow checks an entry its
// composition's L1 served against L1's marks alone: with L2's tag reads
// failing, the L1 hit of a tagged entry is still a hit (a check reaching
// L2 would fail and make it a miss), while an entry L2 serves is checked
// there.
func TestTaggedL1HitSkipsL2(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l1, l2 := newMemory(t), backendtest.NewFault(newMemory(t))
	comp, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = comp.Close(context.Background()) })
	c := newCacheOnBackend(t, comp)
	req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Hour, 0)}
	up := taggedUpstream("t")
	if _, err := c.Do(ctx, req, up.Fetch); err != nil {
		t.Fatal(err)
	}
	l2.FailGet(errors.New("l2 down"))
	res, err := c.Do(ctx, req, up.Fetch)
	if err != nil || res.Status != hitbox.Hit || res.Source != "l1" {
		t.Fatalf("L1 hit with L2's reads failing = %v from %q, %v; want a hit from l1", res.Status, res.Source, err)
	}
	// An entry L2 serves is checked against L2's marks too: with them
	// unreadable, it is not served.
	var calls int64
	withFailingMarks := backendtest.NewFault(newMemory(t))
	comp2, err := composition.New(newMemory(t), &marksFail{Fault: withFailingMarks}, composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = comp2.Close(context.Background()) })
	c2 := newCacheOnBackend(t, comp2)
	now := time.Now()
	if err := withFailingMarks.Set(ctx, "k", backend.Entry{Value: []byte("old"), Written: now, Expire: now.Add(time.Hour), Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	res, err = c2.Do(ctx, req, func(context.Context) (hitbox.Fetched, error) {
		calls++
		return hitbox.Fetched{Value: []byte("new")}, nil
	})
	if err != nil || res.Status != hitbox.Miss || calls != 1 {
		t.Fatalf("an L2 hit whose marks cannot be read = %v %q, %v (upstream calls %d); want a miss", res.Status, res.Value, err, calls)
	}
}

// marksFail is a Fault whose tag reads always fail.
type marksFail struct{ *backendtest.Fault }

func (m *marksFail) TagsInvalidated(context.Context, []string) (time.Time, error) {
	return time.Time{}, errors.New("marks unreadable")
}
