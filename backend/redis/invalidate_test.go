package redis

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// instance is one service instance: a memory L1 over a Redis L2, composed,
// with the L1 invalidated by the other instances' writes.
type instance struct {
	l1  *memory.Backend
	l2  *Backend
	c   *composition.Composition
	inv *Invalidator
}

func newInstance(t *testing.T, url string) *instance {
	t.Helper()
	// A long OpTimeout: a busy machine starves the server, and these
	// tests are about invalidation, not timeouts.
	l2 := newBackend(t, Options{URL: url, Prefix: "app:", Channel: "app:invalidate", OpTimeout: 10 * time.Second})
	l1, err := memory.New(memory.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l1.Close(context.Background()) })
	c, err := composition.New(l1, l2, composition.Options{Refill: composition.RefillAlways})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	inv, err := l2.Subscribe(l1)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(func() { inv.Close(context.Background()) })
	select {
	case <-inv.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("Invalidator not ready after 30s")
	}
	return &instance{l1: l1, l2: l2, c: c, inv: inv}
}

func entry(v string) backend.Entry {
	now := time.Now()
	return backend.Entry{Value: []byte(v), Written: now, Expire: now.Add(time.Hour)}
}

func (in *instance) set(t *testing.T, key, v string) {
	t.Helper()
	if err := in.c.Set(t.Context(), key, entry(v)); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// get reads key through the composition (refilling L1) and fails t unless
// it holds v.
func (in *instance) get(t *testing.T, key, v string) {
	t.Helper()
	e, ok, err := in.c.Get(t.Context(), key)
	if err != nil || !ok || string(e.Value) != v {
		t.Fatalf("Get(%q) = %q, %v, %v; want %q", key, e.Value, ok, err, v)
	}
}

// inL1 reports whether the instance's L1 holds key.
func (in *instance) inL1(t *testing.T, key string) bool {
	t.Helper()
	_, ok, err := in.l1.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("L1 Get(%q): %v", key, err)
	}
	return ok
}

func TestInvalidationAcrossInstances(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	a, b := newInstance(t, s.URL()), newInstance(t, s.URL())

	a.set(t, "k", "v1")
	eventually(t, "b receives a's write", func() bool { return b.inv.Stats().Keys > 0 })
	b.get(t, "k", "v1") // refills b's L1
	if !b.inL1(t, "k") {
		t.Fatal("b's L1 lacks k after a refilling read")
	}

	t.Run("overwrite", func(t *testing.T) {
		a.set(t, "k", "v2")
		eventually(t, "b's L1 drops k after a's overwrite", func() bool { return !b.inL1(t, "k") })
		b.get(t, "k", "v2")
	})
	t.Run("own writes are ignored", func(t *testing.T) {
		own := a.inv.Stats().Own
		a.set(t, "mine", "v")
		eventually(t, "a receives its own message", func() bool { return a.inv.Stats().Own > own })
		if !a.inL1(t, "mine") {
			t.Fatal("a's own Set dropped the key from a's L1")
		}
	})
	t.Run("delete", func(t *testing.T) {
		b.get(t, "k", "v2")
		if _, err := a.c.Delete(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b's L1 drops k after a's delete", func() bool { return !b.inL1(t, "k") })
		if _, ok, _ := b.c.Get(t.Context(), "k"); ok {
			t.Fatal("b still reads k after a deleted it")
		}
	})
	t.Run("purge", func(t *testing.T) {
		keys := b.inv.Stats().Keys
		for _, k := range []string{"p/1", "p/2", "q/1"} {
			a.set(t, k, "v")
		}
		// Let a's announcements pass before b reads, or they would drop
		// what b's reads refill.
		eventually(t, "b receives a's writes", func() bool { return b.inv.Stats().Keys >= keys+3 })
		for _, k := range []string{"p/1", "p/2", "q/1"} {
			b.get(t, k, "v")
		}
		if _, err := a.c.Purge(t.Context(), "p/"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b's L1 drops p/ after a's purge", func() bool { return !b.inL1(t, "p/1") && !b.inL1(t, "p/2") })
		if !b.inL1(t, "q/1") {
			t.Fatal("a's purge of p/ dropped q/1 from b's L1")
		}
	})
	t.Run("foreign messages are ignored", func(t *testing.T) {
		before := b.inv.Stats().Malformed
		if err := a.l2.Client().Publish(t.Context(), "app:invalidate", "not ours").Err(); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b counts the malformed message", func() bool { return b.inv.Stats().Malformed > before })
		if !b.inL1(t, "q/1") {
			t.Fatal("a malformed message dropped a key")
		}
	})
}

// TestInvalidationReconnect checks that an instance whose subscription was
// lost empties its L1 when it subscribes again, since messages may have
// been missed.
func TestInvalidationReconnect(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newInstance(t, s.URL())
	b.set(t, "k", "v")
	if !b.inL1(t, "k") {
		t.Fatal("L1 lacks k after Set")
	}
	s.Kill()
	s.Restart()
	// The L1 purge comes first, the reconnect count right after it: wait
	// for both (seeing the purge alone may still read a count of 0).
	eventually(t, "the invalidator subscribes again, empties L1 and counts the reconnect", func() bool {
		return !b.inL1(t, "k") && b.inv.Stats().Reconnects > 0
	})
	// And it works again.
	a := newInstance(t, s.URL())
	b.set(t, "k2", "v")
	a.set(t, "k2", "v2")
	eventually(t, "b's L1 drops k2 after a's overwrite", func() bool { return !b.inL1(t, "k2") })
}

func TestSubscribeErrors(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	l1, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close(context.Background())
	quiet := newBackend(t, Options{URL: s.URL()})
	if _, err := quiet.Subscribe(l1); err == nil {
		t.Error("Subscribe on a Backend without Channel = nil error")
	}
	loud := newBackend(t, Options{URL: s.URL(), Channel: "c"})
	if _, err := loud.Subscribe(nil); err == nil {
		t.Error("Subscribe(nil) = nil error")
	}
	for _, o := range []InvalidatorOptions{
		{Channel: "c"},
		{Client: loud.Client()},
		{Client: loud.Client(), Channel: "c", HealthCheck: -1},
	} {
		if _, err := NewInvalidator(o); err == nil {
			t.Errorf("NewInvalidator(%+v) = nil error", o)
		}
	}
}

// TestCloseClosesSubscriptions checks that Close of the Backend ends the
// invalidators Subscribe made (goleak checks their goroutines are gone).
func TestCloseClosesSubscriptions(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b, err := New(Options{URL: s.URL(), Channel: "c"})
	if err != nil {
		t.Fatal(err)
	}
	l1, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close(context.Background())
	inv, err := b.Subscribe(l1)
	if err != nil {
		t.Fatal(err)
	}
	<-inv.Ready()
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inv.done:
	default:
		t.Fatal("the invalidator still runs after the Backend's Close")
	}
	if err := inv.Close(context.Background()); err != nil {
		t.Fatalf("Close of a closed invalidator = %v", err)
	}
	if _, err := b.Subscribe(l1); err == nil {
		t.Fatal("Subscribe after Close = nil error")
	}
}
