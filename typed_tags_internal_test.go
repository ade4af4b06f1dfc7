package hitbox

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/internal/store"
)

// newInternalCache returns a Cache over a memory backend on clock (nil:
// the system clock), both closed when the test ends.
func newInternalCache(t *testing.T, clock Clock) *Cache {
	t.Helper()
	mem, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	var opts []Option
	if clock != nil {
		opts = append(opts, WithClock(clock))
	}
	c, err := New(mem, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// liveLayerCount walks c's list of layers, as InvalidateTags does, and
// returns how many are left.
func (c *Cache) liveLayerCount() int {
	c.layersMu.Lock()
	defer c.layersMu.Unlock()
	c.layers = c.liveLayers()
	return len(c.layers)
}

// TestTypedLayerCollected checks that the Cache's list of layers does not
// keep a Typed alive: once it is unreachable, it is collected and dropped
// from the list, while a reachable one stays.
func TestTypedLayerCollected(t *testing.T) {
	t.Parallel()
	c := newInternalCache(t, nil)
	kept, err := NewTyped(c, TypedOptions[int]{})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		dropped, err := NewTyped(c, TypedOptions[int]{Tags: func(string, int) []string { return []string{"t"} }})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := dropped.GetOrFetch(t.Context(), "1", func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
	}()
	if _, err := NewTyped(c, TypedOptions[int]{Local: Local[int]{Off: true}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for c.liveLayerCount() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d layers still listed, want 1: the unreachable Typed was not collected", c.liveLayerCount())
		}
		runtime.GC()
	}
	if err := c.InvalidateTags(t.Context(), "t"); err != nil {
		t.Fatal(err)
	}
	if n := c.liveLayerCount(); n != 1 {
		t.Errorf("%d layers listed, want the reachable one", n)
	}
	runtime.KeepAlive(kept)
}

// TestLayerMarksPruned checks that a layer's marks are pruned once they
// are older than its values' longest freshness, and kept before.
func TestLayerMarksPruned(t *testing.T) {
	t.Parallel()
	clock := backendtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newInternalCache(t, clock)
	typed, err := NewTyped(c, TypedOptions[int]{Policy: Enabled(time.Minute, 0)})
	if err != nil {
		t.Fatal(err)
	}
	m := typed.local.marks
	for i := range store.DefaultPruneAt {
		typed.InvalidateTags([]string{strconv.Itoa(i)}, clock.Now())
	}
	if n := m.Len(); n != store.DefaultPruneAt {
		t.Fatalf("marks = %d, want %d: none is older than a minute", n, store.DefaultPruneAt)
	}
	clock.Advance(2 * time.Minute)
	for i := range store.DefaultPruneAt {
		typed.InvalidateTags([]string{"new" + strconv.Itoa(i)}, clock.Now())
	}
	if n := m.Len(); n >= 2*store.DefaultPruneAt || n < store.DefaultPruneAt {
		t.Errorf("marks = %d, want the old ones pruned (fewer than %d, at least the %d new)", n, 2*store.DefaultPruneAt, store.DefaultPruneAt)
	}
	if !m.current([]string{"0"}, clock.Now().UnixNano()) || m.current([]string{"new0"}, clock.Now().UnixNano()) {
		t.Error("a value known current now: want it current for a pruned tag, hidden by a new mark")
	}
}
