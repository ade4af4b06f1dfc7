package memory

import (
	"context"
	"math"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// lifetime is the lifetime (deadline − Written, in nanoseconds) of a
// tagged entry written at written with the given deadline (Unix
// nanoseconds): math.MaxInt64 when it never expires, has no write time or
// lives beyond an int64. The Backend's marks ([store.AgedMarks], kept
// apart from the entries: the byte budget never evicts them) are pruned
// past the longest.
func lifetime(written time.Time, deadline int64) int64 {
	w := backend.MarkNano(written)
	if deadline == math.MaxInt64 || w == math.MinInt64 || deadline-w < 0 {
		return math.MaxInt64
	}
	return deadline - w
}

// InvalidateTags records at as the invalidation time of each of tags, as
// [backend.Tagger] says: every entry carrying one of them written at or
// before at reads as invalidated from then on. The marks live in the
// process beside the entries, outside the byte budget; see
// [Options.TagRetention] for how long. ctx is not used.
func (b *Backend) InvalidateTags(_ context.Context, tags []string, at time.Time) error {
	if b.closed.Load() {
		return b.fail("invalidate tags", backend.ErrClosed)
	}
	if err := backend.CheckInvalidTags(tags, 0); err != nil {
		return b.fail("invalidate tags", err)
	}
	mark := backend.MarkNano(at)
	for _, t := range tags {
		b.tags.Mark(t, mark)
	}
	b.tags.PruneDue(b.nowNano())
	return nil
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags, or the zero time. It takes no lock and does not allocate. ctx is not
// used.
func (b *Backend) TagsInvalidated(_ context.Context, tags []string) (time.Time, error) {
	if b.closed.Load() {
		return time.Time{}, b.fail("tags invalidated", backend.ErrClosed)
	}
	return b.tags.LatestTime(tags), nil
}

// TagMarks returns the number of tags with an invalidation mark (pruned
// ones left out).
func (b *Backend) TagMarks() int { return b.tags.Len() }
