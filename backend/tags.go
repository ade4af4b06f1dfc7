package backend

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on an entry's tags. Stores refuse to encode more, and decoders
// treat more as corrupted bytes, so that hostile bytes cannot make a decoder
// allocate without bound.
const (
	// MaxTags is the most tags one entry may carry.
	MaxTags = 1024
	// MaxTagLen is the longest tag, in bytes.
	MaxTagLen = 1024
)

// CheckTags returns an error when tags break [MaxTags] or [MaxTagLen], or
// hold an empty tag.
func CheckTags(tags []string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("backend: %d tags, over the limit of %d", len(tags), MaxTags)
	}
	for _, t := range tags {
		if t == "" {
			return fmt.Errorf("backend: empty tag")
		}
		if len(t) > MaxTagLen {
			return fmt.Errorf("backend: tag of %d bytes, over the limit of %d", len(t), MaxTagLen)
		}
	}
	return nil
}

// CheckInvalidTags returns an error for the first tag of a
// [Tagger.InvalidateTags] call that a store cannot record: an empty tag,
// or, when maxLen > 0, one longer than maxLen bytes (a store's own limit on
// what it keys by; [MaxTags] and [MaxTagLen] bound an entry's tags, not
// what a purge may name). Stores wrap the error with their label and the
// operation.
func CheckInvalidTags(tags []string, maxLen int) error {
	for _, t := range tags {
		if t == "" {
			return errors.New("empty tag")
		}
		if maxLen > 0 && len(t) > maxLen {
			return fmt.Errorf("tag of %d bytes, at most %d", len(t), maxLen)
		}
	}
	return nil
}

// TagMarks is an in-process table of tag invalidation times ("marks") in
// Unix nanoseconds, for the stores that keep them in memory ([Tagger]): a
// mark only ever moves forward. Reads take no lock and do not allocate, so
// that the tag check on a hit stays cheap; writes are rare (one per tag
// purge).
//
// Pruning old marks leaves a floor: every tag then reads as invalidated at
// least at the latest time pruned before, since a pruned mark may have
// been up to then. An entry written before the floor that reaches the
// store afterwards (an old entry copied from another layer) is then
// treated as invalidated, never served past a purge whose mark is gone.
//
// The zero TagMarks is empty and ready to use; it must not be copied after
// first use. It is safe for concurrent use.
type TagMarks struct {
	mu sync.Mutex // serializes writers (Mark, Prune); readers take no lock
	m  sync.Map   // tag → *atomic.Int64
	n  atomic.Int64
	// The floor, valid once hasFloor is set; written under mu, the
	// floor first.
	floor    atomic.Int64
	hasFloor atomic.Bool
}

// Mark raises tag's mark to at (Unix nanoseconds) and reports whether it
// moved: a mark never goes backwards.
func (m *TagMarks) Mark(tag string, at int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m.Load(tag)
	if !ok {
		a := new(atomic.Int64)
		a.Store(at)
		m.m.Store(tag, a)
		m.n.Add(1)
		return true
	}
	a := v.(*atomic.Int64)
	if a.Load() >= at {
		return false
	}
	a.Store(at)
	return true
}

// Latest returns the latest mark of any of tags (the floor counting as a
// mark of each), or math.MinInt64 when none of them has one.
func (m *TagMarks) Latest(tags []string) int64 {
	latest := m.Floor()
	if m.n.Load() == 0 || len(tags) == 0 {
		if len(tags) == 0 {
			return math.MinInt64
		}
		return latest
	}
	for _, t := range tags {
		if v, ok := m.m.Load(t); ok {
			latest = max(latest, v.(*atomic.Int64).Load())
		}
	}
	return latest
}

// LatestTime is [TagMarks.Latest] as a time: the zero time when none of
// tags has a mark.
func (m *TagMarks) LatestTime(tags []string) time.Time {
	return MarkTime(m.Latest(tags))
}

// Len returns the number of tags with a mark.
func (m *TagMarks) Len() int { return int(m.n.Load()) }

// Floor returns the floor left by pruning (see [TagMarks]), or
// math.MinInt64 when nothing was pruned.
func (m *TagMarks) Floor() int64 {
	if !m.hasFloor.Load() {
		return math.MinInt64
	}
	return m.floor.Load()
}

// RaiseFloor raises the floor to at (Unix nanoseconds): a store that keeps
// the floor (on disk, say) restores it with this.
func (m *TagMarks) RaiseFloor(at int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.raiseFloor(at)
}

func (m *TagMarks) raiseFloor(at int64) {
	if at == math.MinInt64 || (m.hasFloor.Load() && m.floor.Load() >= at) {
		return
	}
	m.floor.Store(at)
	m.hasFloor.Store(true)
}

// Prune removes the marks before before (Unix nanoseconds), raises the
// floor to before, and returns how many marks it removed.
func (m *TagMarks) Prune(before int64) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.raiseFloor(before)
	removed := 0
	m.m.Range(func(k, v any) bool {
		if v.(*atomic.Int64).Load() < before {
			m.m.Delete(k)
			m.n.Add(-1)
			removed++
		}
		return true
	})
	return removed
}

// Range calls fn for each tag and its mark until fn returns false.
func (m *TagMarks) Range(fn func(tag string, at int64) bool) {
	m.m.Range(func(k, v any) bool { return fn(k.(string), v.(*atomic.Int64).Load()) })
}

// MarkNano returns at in Unix nanoseconds, clamped to the int64 range (the
// zero time is math.MinInt64: no mark).
func MarkNano(at time.Time) int64 {
	switch {
	case at.IsZero(), at.Before(minNanoTime):
		return math.MinInt64
	case !at.Before(maxNanoTime):
		return math.MaxInt64
	}
	return at.UnixNano()
}

// MarkTime is the inverse of [MarkNano]: math.MinInt64 is the zero time.
func MarkTime(at int64) time.Time {
	if at == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, at)
}
