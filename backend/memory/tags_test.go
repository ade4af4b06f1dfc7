package memory

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/store"
)

func TestInvalidateTagsMarks(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	b := newBackend(t, Options{Now: clock.Now})
	ctx := t.Context()
	now := clock.Now()
	e := backend.Entry{Value: []byte("v"), Written: now, Expire: now.Add(time.Hour), Tags: []string{"user=42"}}
	if err := b.Set(ctx, "k", e); err != nil {
		t.Fatal(err)
	}
	if err := b.InvalidateTags(ctx, []string{"user=42"}, now); err != nil {
		t.Fatalf("InvalidateTags = %v", err)
	}
	at, err := b.TagsInvalidated(ctx, []string{"x", "user=42"})
	if err != nil || !at.Equal(now) {
		t.Fatalf("TagsInvalidated = %v, %v; want %v", at, err, now)
	}
	got, ok, err := b.Get(ctx, "k")
	if err != nil || !ok || !slices.Equal(got.Tags, e.Tags) {
		t.Fatalf("Get = %+v, %v, %v; want the tagged entry kept (passive)", got, ok, err)
	}
	if err := b.InvalidateTags(ctx, []string{""}, now); err == nil {
		t.Error("InvalidateTags with an empty tag = nil, want an error")
	}
	if err := b.Set(ctx, "bad", backend.Entry{Value: []byte("v"), Tags: []string{""}}); err == nil {
		t.Error("Set with an empty tag = nil, want an error")
	}
}

// TestTagMarksPruned checks that marks older than the longest lifetime of a
// tagged entry go once there are enough of them, and newer ones stay.
func TestTagMarksPruned(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	b := newBackend(t, Options{Now: clock.Now})
	ctx := t.Context()
	now := clock.Now()
	// The longest-lived tagged entry lives an hour.
	e := backend.Entry{Value: []byte("v"), Written: now, Expire: now.Add(time.Hour), Tags: []string{"t"}}
	if err := b.Set(ctx, "k", e); err != nil {
		t.Fatal(err)
	}
	old := now
	for i := range store.DefaultPruneAt - 1 {
		if err := b.InvalidateTags(ctx, []string{fmt.Sprint("old", i)}, old); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.TagMarks(); n != store.DefaultPruneAt-1 {
		t.Fatalf("TagMarks = %d, want %d", n, store.DefaultPruneAt-1)
	}
	now = clock.Advance(2 * time.Hour)
	if err := b.InvalidateTags(ctx, []string{"new"}, now); err != nil {
		t.Fatal(err)
	}
	if n := b.TagMarks(); n != 1 {
		t.Fatalf("TagMarks after pruning = %d, want 1 (the new mark)", n)
	}
	if at, _ := b.TagsInvalidated(ctx, []string{"new"}); !at.Equal(now) {
		t.Errorf("the new mark = %v, want %v", at, now)
	}
	// A pruned mark leaves the floor, the prune's horizon: no entry in
	// the store was written before it, and one that comes later from
	// another layer with an older write time reads as invalidated.
	floor := now.Add(-time.Hour)
	if at, _ := b.TagsInvalidated(ctx, []string{"old0"}); !at.Equal(floor) {
		t.Errorf("a pruned mark = %v, want the floor %v", at, floor)
	}
	if at, _ := b.TagsInvalidated(ctx, e.Tags); !at.Before(now) {
		t.Errorf("the floor %v, want it before an entry written now (%v)", at, now)
	}
}

// TestTagMarksKeptForNeverExpiring checks that a tagged entry that never
// expires keeps every mark, unless TagRetention says otherwise.
func TestTagMarksKeptForNeverExpiring(t *testing.T) {
	t.Parallel()
	for _, retention := range []time.Duration{0, time.Hour} {
		clock := newTestClock()
		b := newBackend(t, Options{Now: clock.Now, TagRetention: retention})
		ctx := t.Context()
		now := clock.Now()
		if err := b.Set(ctx, "k", backend.Entry{Value: []byte("v"), Written: now, Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		for i := range store.DefaultPruneAt - 1 {
			if err := b.InvalidateTags(ctx, []string{fmt.Sprint("old", i)}, now); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(24 * time.Hour)
		if err := b.InvalidateTags(ctx, []string{"new"}, clock.Now()); err != nil {
			t.Fatal(err)
		}
		want := store.DefaultPruneAt
		if retention > 0 {
			want = 1
		}
		if n := b.TagMarks(); n != want {
			t.Errorf("TagRetention %v: TagMarks = %d, want %d", retention, n, want)
		}
	}
	if _, err := New(Options{TagRetention: -1}); err == nil {
		t.Error("New with a negative TagRetention = nil error, want one")
	}
}
