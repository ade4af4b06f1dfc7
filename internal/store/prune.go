package store

import (
	"math"
	"sync/atomic"

	"github.com/hitbox-go/hitbox/backend"
)

// DefaultPruneAt is the number of tag invalidation marks below which a
// table of them is never pruned.
const DefaultPruneAt = 1024

// PruneSchedule says when a table of tag invalidation marks (a store's, or
// a Typed layer's) is worth a pruning walk: once it holds Min marks
// (DefaultPruneAt when Min is 0), then twice what the last prune left, so
// that the walks cost a constant per mark recorded. Min is set before first
// use (tests lower it). The zero PruneSchedule is ready to use; it is safe
// for concurrent use.
type PruneSchedule struct {
	Min  int64
	next atomic.Int64 // 0: Min
}

// least is Min, or DefaultPruneAt when Min is 0.
func (p *PruneSchedule) least() int64 {
	if p.Min > 0 {
		return p.Min
	}
	return DefaultPruneAt
}

// Next returns the number of marks at which the table is next pruned.
func (p *PruneSchedule) Next() int64 { return max(p.next.Load(), p.least()) }

// Due reports whether a table of n marks is to be pruned.
func (p *PruneSchedule) Due(n int64) bool { return n >= p.Next() }

// Pruned records that a prune left left marks: the next is due at twice
// that, never below Min.
func (p *PruneSchedule) Pruned(left int64) { p.next.Store(max(2*left, p.least())) }

// AgedMarks are tag invalidation marks that prune themselves past the
// longest lifetime of the tagged values they judge: a mark older than that
// affects none of them. Retention, when positive (nanoseconds), prunes
// marks older than it as well. Pruning leaves the floor of
// [backend.TagMarks]. A value of unknown or unbounded lifetime keeps
// every mark. The zero AgedMarks is ready to use (it has seen no value: its
// marks go at the first prune); it must not be copied after first use.
type AgedMarks struct {
	backend.TagMarks
	Retention int64
	maxLife   atomic.Int64 // nanoseconds; math.MaxInt64: a value never goes
	schedule  PruneSchedule
}

// SawLife records the lifetime (nanoseconds; math.MaxInt64: unbounded) of
// a tagged value the marks judge.
func (m *AgedMarks) SawLife(life int64) {
	for {
		old := m.maxLife.Load()
		if old >= life || m.maxLife.CompareAndSwap(old, life) {
			return
		}
	}
}

// PruneDue prunes, once there are enough marks to be worth a walk (see
// [PruneSchedule]), the marks before now (Unix nanoseconds) minus the
// longest lifetime seen (and Retention).
func (m *AgedMarks) PruneDue(now int64) {
	if !m.schedule.Due(int64(m.Len())) {
		return
	}
	life := m.maxLife.Load()
	if m.Retention > 0 {
		life = min(life, m.Retention)
	}
	if life != math.MaxInt64 && now-life < now {
		m.Prune(now - life)
	}
	m.schedule.Pruned(int64(m.Len()))
}
