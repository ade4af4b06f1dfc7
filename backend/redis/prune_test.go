package redis

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/internal/redistest"
	"github.com/hitbox-go/hitbox/internal/store"
)

// lowerPruneAt makes b prune from n fields instead of
// store.DefaultPruneAt; call it before b is used.
func lowerPruneAt(b *Backend, n int64) { b.schedule.Min = n }

// clocked returns a Backend on a new server with the given TagRetention
// and a driven clock.
func clocked(t *testing.T, retention time.Duration) (*Backend, *backendtest.Clock) {
	t.Helper()
	s := redistest.Start(t)
	clock := backendtest.NewClock(time.Unix(1700000000, 0))
	return newBackend(t, Options{URL: s.URL(), TagRetention: retention, Now: clock.Now}), clock
}

// marksHash returns the fields of b's marks' hash, after any prune b
// started has ended.
func marksHash(t *testing.T, b *Backend) map[string]string {
	t.Helper()
	if err := b.group.Wait(t.Context()); err != nil {
		t.Fatalf("waiting for the prune: %v", err)
	}
	all, err := b.client.HGetAll(t.Context(), b.tagsKey).Result()
	if err != nil {
		t.Fatalf("HGETALL: %v", err)
	}
	return all
}

// mustMark invalidates tags at at.
func mustMark(t *testing.T, b *Backend, at time.Time, tags ...string) {
	t.Helper()
	if err := b.InvalidateTags(t.Context(), tags, at); err != nil {
		t.Fatalf("InvalidateTags(%q): %v", tags, err)
	}
}

// mustRead returns the latest mark of tags.
func mustRead(t *testing.T, b *Backend, tags ...string) time.Time {
	t.Helper()
	at, err := b.TagsInvalidated(t.Context(), tags)
	if err != nil {
		t.Fatalf("TagsInvalidated(%q): %v", tags, err)
	}
	return at
}

// TestTagsPrune checks that, with a TagRetention, InvalidateTags prunes
// the marks older than it once the hash reaches the threshold (and not
// before), that the floor it leaves makes a tagged entry written before the
// cutoff read as invalidated and leaves one written after alone, and that
// the fresh marks stay.
func TestTagsPrune(t *testing.T) {
	t.Parallel()
	b, clock := clocked(t, time.Hour)
	lowerPruneAt(b, 8)
	t0 := clock.Now()
	mustMark(t, b, t0, "old=0", "old=1", "old=2", "old=3", "old=4")
	now := clock.Advance(2 * time.Hour)
	cutoff := now.Add(-time.Hour)

	// 6 fields: under the threshold, nothing goes.
	mustMark(t, b, now, "fresh=1")
	if all := marksHash(t, b); len(all) != 6 {
		t.Fatalf("under the threshold the hash holds %v, want the 6 marks", all)
	}
	// 8 fields: the old marks go, the floor takes their place.
	mustMark(t, b, now, "fresh=2", "fresh=3")
	all := marksHash(t, b)
	want := map[string]string{
		"fresh=1": markString(now), "fresh=2": markString(now), "fresh=3": markString(now),
		floorField: markString(cutoff),
	}
	if !maps.Equal(all, want) {
		t.Fatalf("after the prune the hash holds %v, want %v", all, want)
	}
	if got := mustRead(t, b, "old=0"); !got.Equal(cutoff) {
		t.Errorf("a pruned tag reads %v, want the floor %v", got, cutoff)
	}
	if got := mustRead(t, b, "fresh=1", "old=1"); !got.Equal(now) {
		t.Errorf("a fresh tag with a pruned one reads %v, want its mark %v", got, now)
	}
	// An entry of a tag never invalidated, written before the cutoff,
	// reads as invalidated; one written after it does not.
	before := backend.Entry{Written: t0.Add(time.Minute), Tags: []string{"user=42"}}
	if got := mustRead(t, b, before.Tags...); got.Before(before.Written) {
		t.Errorf("an entry written at %v before the floor reads marks %v: not invalidated", before.Written, got)
	}
	after := backend.Entry{Written: cutoff.Add(time.Minute), Tags: []string{"user=42"}}
	if got := mustRead(t, b, after.Tags...); !got.Before(after.Written) {
		t.Errorf("an entry written at %v after the floor reads marks %v: invalidated", after.Written, got)
	}
	if n := b.schedule.Next(); n != 8 {
		t.Errorf("the next threshold is %d, want 8 (twice the 4 fields left, at least the minimum)", n)
	}
	if e := b.Stats().Errors; e != 0 {
		t.Errorf("Stats.Errors = %d after the prune, want 0", e)
	}
}

// TestTagsPruneKeepsRaisedMark checks that a mark raised past the cutoff
// after a prune's HSCAN found it due stays, while the prune removes the
// others of its batch, and that the floor never moves back.
func TestTagsPruneKeepsRaisedMark(t *testing.T) {
	t.Parallel()
	b, clock := clocked(t, time.Hour)
	ctx := t.Context()
	t0 := clock.Now()
	mustMark(t, b, t0, "a", "b")
	now := clock.Advance(2 * time.Hour)
	cutoff := markString(now.Add(-time.Hour))
	// A prune found a and b due; a purge raises a before its script runs.
	mustMark(t, b, now, "a")
	left, err := pruneMarks.Run(ctx, b.client, []string{b.tagsKey}, cutoff, "a", "b").Int64()
	if err != nil {
		t.Fatalf("pruneMarks: %v", err)
	}
	want := map[string]string{"a": markString(now), floorField: cutoff}
	if all := marksHash(t, b); !maps.Equal(all, want) || left != 2 {
		t.Fatalf("after the batch the hash holds %v (HLEN %d), want %v", all, left, want)
	}
	// An earlier cutoff (another instance's longer retention) lowers no
	// floor and removes no later mark.
	if err := pruneMarks.Run(ctx, b.client, []string{b.tagsKey}, markString(t0), "a").Err(); err != nil {
		t.Fatalf("pruneMarks: %v", err)
	}
	if all := marksHash(t, b); !maps.Equal(all, want) {
		t.Fatalf("after an earlier cutoff the hash holds %v, want %v", all, want)
	}
}

// TestTagsNoRetentionNeverPrunes checks that without a TagRetention no
// mark goes and no floor appears, however old the marks and big the hash.
func TestTagsNoRetentionNeverPrunes(t *testing.T) {
	t.Parallel()
	b, clock := clocked(t, 0)
	lowerPruneAt(b, 2)
	t0 := clock.Now()
	mustMark(t, b, t0, "t=0", "t=1", "t=2", "t=3", "t=4")
	now := clock.Advance(1000 * time.Hour)
	mustMark(t, b, now, "t=5")
	all := marksHash(t, b)
	if len(all) != 6 {
		t.Fatalf("the hash holds %v, want the 6 marks", all)
	}
	if _, ok := all[floorField]; ok {
		t.Errorf("the hash holds a floor %q without a TagRetention", all[floorField])
	}
	if got := mustRead(t, b, "t=0"); !got.Equal(t0) {
		t.Errorf("an old mark reads %v, want %v", got, t0)
	}
}

// TestTagsSubscribedL1IgnoresFloor checks that Marks leaves the floor out
// and that an L1 loading the marks at subscription records the tags'
// marks only, with no failed call for the floor's field.
func TestTagsSubscribedL1IgnoresFloor(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	a := newInstance(t, s.URL())
	ctx := t.Context()
	at := time.Now()
	mustMark(t, a.l2, at, "kept")
	// The floor a prune by another instance left.
	floor := at.Add(-time.Minute)
	if err := pruneMarks.Run(ctx, a.l2.client, []string{a.l2.tagsKey}, markString(floor)).Err(); err != nil {
		t.Fatalf("pruneMarks: %v", err)
	}
	var tags []string
	if err := a.l2.Marks(ctx, func(tag string, _ time.Time) { tags = append(tags, tag) }); err != nil {
		t.Fatalf("Marks: %v", err)
	}
	if !slices.Equal(tags, []string{"kept"}) {
		t.Errorf("Marks gave %q, want only the tag kept", tags)
	}
	c := newInstance(t, s.URL())
	if n := c.l1.TagMarks(); n != 1 {
		t.Errorf("the new instance's L1 holds %d marks, want 1", n)
	}
	if e := c.l1.Stats().Errors; e != 0 {
		t.Errorf("the new instance's L1 counted %d errors loading the marks, want 0", e)
	}
	if got, _ := c.l1.TagsInvalidated(ctx, []string{"kept"}); !got.Equal(at) {
		t.Errorf("the new instance's L1 mark = %v, want %v", got, at)
	}
	// Redis answers with the floor for any tag; the L1 has none.
	if got := mustRead(t, c.l2, "other"); !got.Equal(floor) {
		t.Errorf("Redis reads %v for an unmarked tag, want the floor %v", got, floor)
	}
	if got, _ := c.l1.TagsInvalidated(ctx, []string{"other"}); !got.IsZero() {
		t.Errorf("the L1 reads %v for an unmarked tag, want the zero time", got)
	}
}

// TestTagsPruneBigHash checks a prune at the default threshold, over a
// hash that HSCAN walks in several batches.
func TestTagsPruneBigHash(t *testing.T) {
	t.Parallel()
	b, clock := clocked(t, time.Hour)
	old := make([]string, 1100)
	for i := range old {
		old[i] = fmt.Sprintf("old=%d", i)
	}
	mustMark(t, b, clock.Now(), old...)
	now := clock.Advance(2 * time.Hour)
	fresh := make([]string, 100)
	for i := range fresh {
		fresh[i] = fmt.Sprintf("fresh=%d", i)
	}
	mustMark(t, b, now, fresh...)
	all := marksHash(t, b)
	want := map[string]string{floorField: markString(now.Add(-time.Hour))}
	for _, tag := range fresh {
		want[tag] = markString(now)
	}
	if !maps.Equal(all, want) {
		t.Fatalf("after the prune the hash holds %d fields, want the %d fresh marks and the floor", len(all), len(fresh))
	}
	if n := b.schedule.Next(); n != store.DefaultPruneAt {
		t.Errorf("the next threshold is %d, want %d", n, store.DefaultPruneAt)
	}
}
