package backend

import (
	"fmt"
	"math"
	"time"
)

// State is where an entry stands in its life: Fresh, then Stale, then
// Expired. The zero State is invalid.
type State int

const (
	// Fresh entries are served as they are.
	Fresh State = iota + 1
	// Stale entries may be served while the flow refreshes them, as the
	// policy says.
	Stale
	// Expired entries are never served as fresh.
	Expired
)

// String returns "fresh", "stale", "expired" or "State(N)".
func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case Stale:
		return "stale"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Entry is a stored value with its timing metadata.
//
// A zero Stale means the entry never goes stale; a zero Expire means it never
// expires. Stale counts from the time of writing like Expire, so it matters
// only when it is before Expire.
type Entry struct {
	// Value is the stored bytes, opaque to the backend.
	Value []byte
	// Written is when the value was produced.
	Written time.Time
	// Stale is when the entry turns stale (zero: never).
	Stale time.Time
	// Expire is when the entry expires (zero: never).
	Expire time.Time
	// Keep is how long a backend retains the entry after Expire, so that
	// the flow can report an expired entry (fwd=stale) or serve it when the
	// upstream fails. Zero drops the entry at Expire; negative is treated
	// as zero.
	Keep time.Duration
	// Tags, optional, are the entry's tags ("name=value" strings, or a
	// response's Surrogate-Key tokens): an invalidation of any of them
	// (see [Tagger]) invalidates the entry if it was written at or before
	// that invalidation. Stores that encode entries keep them.
	Tags []string
}

// State returns the entry's state at now: Expired from Expire on, else Stale
// from Stale on, else Fresh.
func (e Entry) State(now time.Time) State {
	if !e.Expire.IsZero() && !now.Before(e.Expire) {
		return Expired
	}
	if !e.Stale.IsZero() && !now.Before(e.Stale) {
		return Stale
	}
	return Fresh
}

// Deadline returns when a backend may drop the entry: Expire plus Keep, or
// the zero time when the entry never expires.
func (e Entry) Deadline() time.Time {
	if e.Expire.IsZero() {
		return time.Time{}
	}
	if e.Keep <= 0 {
		return e.Expire
	}
	return e.Expire.Add(e.Keep)
}

// Latest and earliest times whose Unix nanoseconds fit in an int64.
var (
	maxNanoTime = time.Unix(0, math.MaxInt64)
	minNanoTime = time.Unix(0, math.MinInt64)
)

// DeadlineNano returns [Entry.Deadline] in Unix nanoseconds, clamped to the
// int64 range, and math.MaxInt64 when the entry never expires: the form
// stores keep to compare and index deadlines cheaply.
func (e Entry) DeadlineNano() int64 {
	d := e.Deadline()
	switch {
	case d.IsZero(), !d.Before(maxNanoTime):
		return math.MaxInt64
	case d.Before(minNanoTime):
		return math.MinInt64
	}
	return d.UnixNano()
}

// Gone reports whether the entry is past its deadline at now, when a backend
// must no longer return it.
func (e Entry) Gone(now time.Time) bool {
	d := e.Deadline()
	return !d.IsZero() && !now.Before(d)
}

// TTL returns how long until the entry expires at now (negative once
// expired), and false when it never expires.
func (e Entry) TTL(now time.Time) (time.Duration, bool) {
	if e.Expire.IsZero() {
		return 0, false
	}
	return e.Expire.Sub(now), true
}
