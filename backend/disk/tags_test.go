package disk

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/store"
)

// TestTagMarksSurviveRestart checks that marks are in the file: a Backend
// opened again on it reads them, and a later one never moves back.
func TestTagMarksSurviveRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cache.db")
	ctx := t.Context()
	at := time.Unix(1700000000, 123)
	b := newBackend(t, Options{Path: path})
	if err := b.InvalidateTags(ctx, []string{"user=42", "p"}, at); err != nil {
		t.Fatalf("InvalidateTags: %v", err)
	}
	if err := b.InvalidateTags(ctx, []string{"p"}, at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b = newBackend(t, Options{Path: path})
	for _, tag := range []string{"user=42", "p"} {
		if got, err := b.TagsInvalidated(ctx, []string{tag}); err != nil || !got.Equal(at) {
			t.Errorf("after a restart, %s's mark = %v, %v; want %v", tag, got, err, at)
		}
	}
}

// TestTagsBucketAddedToOldFiles checks that a file made before the tags
// bucket existed opens, gets the bucket, and keeps its entries.
func TestTagsBucketAddedToOldFiles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cache.db")
	ctx := t.Context()
	b := newBackend(t, Options{Path: path})
	if err := b.Set(ctx, "k", backend.Entry{Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(tagsBucket) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b = newBackend(t, Options{Path: path})
	if _, ok, err := b.Get(ctx, "k"); err != nil || !ok {
		t.Fatalf("Get after reopening an old file = %v, %v", ok, err)
	}
	if err := b.InvalidateTags(ctx, []string{"t"}, time.Now()); err != nil {
		t.Fatalf("InvalidateTags on an old file: %v", err)
	}
}

// TestTagMarksPruned checks TagRetention: once there are enough marks, the
// ones older than it go, from the file and from memory.
func TestTagMarksPruned(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cache.db")
	ctx := t.Context()
	var nowNs atomic.Int64 // the sweeper reads the clock concurrently
	nowNs.Store(time.Unix(1700000000, 0).UnixNano())
	clock := func() time.Time { return time.Unix(0, nowNs.Load()) }
	now := clock()
	b := newBackend(t, Options{Path: path, Now: clock, TagRetention: time.Hour})
	old := make([]string, store.DefaultPruneAt-1)
	for i := range old {
		old[i] = fmt.Sprint("old", i)
	}
	if err := b.InvalidateTags(ctx, old, now); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	nowNs.Store(now.UnixNano())
	if err := b.InvalidateTags(ctx, []string{"new"}, now); err != nil {
		t.Fatal(err)
	}
	if n := b.marks.Len(); n != 1 {
		t.Fatalf("marks in memory after pruning = %d, want 1", n)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b = newBackend(t, Options{Path: path, Now: clock, TagRetention: time.Hour})
	if n := b.marks.Len(); n != 1 {
		t.Fatalf("marks in the file after pruning = %d, want 1", n)
	}
	if got, _ := b.TagsInvalidated(ctx, []string{"new"}); !got.Equal(now) {
		t.Errorf("the kept mark = %v, want %v", got, now)
	}
	// The floor the prune left is in the file too.
	if got, _ := b.TagsInvalidated(ctx, []string{"old0"}); !got.Equal(now.Add(-time.Hour)) {
		t.Errorf("a pruned mark after a restart = %v, want the floor %v", got, now.Add(-time.Hour))
	}
}
