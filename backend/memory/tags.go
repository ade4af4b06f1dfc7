package memory

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// minPruneAt is the number of marks below which the store never prunes.
const minPruneAt = 1024

// tagState is a Backend's tag invalidation marks, kept apart from the
// entries: the byte budget never evicts them.
type tagState struct {
	marks backend.TagMarks
	// maxLife is the longest lifetime (deadline − Written, in
	// nanoseconds) of a tagged entry the store has accepted;
	// math.MaxInt64 once one never expires.
	maxLife atomic.Int64
	// retention is Options.TagRetention in nanoseconds (0: none).
	retention int64
	// pruneAt is the number of marks at which InvalidateTags prunes.
	pruneAt atomic.Int64
}

// sawLifetime records the lifetime of a tagged entry written at written
// with the given deadline (Unix nanoseconds).
func (s *tagState) sawLifetime(written time.Time, deadline int64) {
	life := int64(math.MaxInt64)
	if deadline != math.MaxInt64 {
		w := backend.MarkNano(written)
		if w == math.MinInt64 || deadline-w < 0 {
			life = math.MaxInt64 // no write time, or beyond an int64
		} else {
			life = deadline - w
		}
	}
	for {
		old := s.maxLife.Load()
		if old >= life || s.maxLife.CompareAndSwap(old, life) {
			return
		}
	}
}

// prune removes the marks no live entry can be affected by, when there are
// enough of them to be worth a walk.
func (s *tagState) prune(now int64) {
	if int64(s.marks.Len()) < s.pruneAt.Load() {
		return
	}
	life := s.maxLife.Load()
	if s.retention > 0 {
		life = min(life, s.retention)
	}
	if life != math.MaxInt64 && now-life < now {
		s.marks.Prune(now - life)
	}
	s.pruneAt.Store(max(2*int64(s.marks.Len()), minPruneAt))
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
		b.tags.marks.Mark(t, mark)
	}
	b.tags.prune(b.nowNano())
	return nil
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags, or the zero time. It takes no lock and does not allocate. ctx is not
// used.
func (b *Backend) TagsInvalidated(_ context.Context, tags []string) (time.Time, error) {
	if b.closed.Load() {
		return time.Time{}, b.fail("tags invalidated", backend.ErrClosed)
	}
	return b.tags.marks.LatestTime(tags), nil
}

// TagMarks returns the number of tags with an invalidation mark (pruned
// ones left out).
func (b *Backend) TagMarks() int { return b.tags.marks.Len() }
