package hitbox

import "strconv"

// Status is what a caller was answered with, as X-Cache-Status shows it.
// The zero Status is invalid.
type Status int

const (
	// Hit: served from the cache, fresh (also for a caller that waited for
	// another caller's upstream call).
	Hit Status = iota + 1
	// Miss: the upstream answered (a miss, an expired entry, a stale one
	// under Revalidate, a bypassed request).
	Miss
	// Stale: served from the cache past its stale time.
	Stale
)

// String returns "HIT", "MISS", "STALE" or "Status(N)".
func (s Status) String() string {
	switch s {
	case Hit:
		return "HIT"
	case Miss:
		return "MISS"
	case Stale:
		return "STALE"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Forward says why the upstream was asked (RFC 9211's fwd parameter). The
// zero Forward means the upstream was not asked for this answer.
type Forward int

const (
	// ForwardMiss: no entry was found.
	ForwardMiss Forward = iota + 1
	// ForwardStale: an entry was found but was expired, or stale under
	// Revalidate.
	ForwardStale
	// ForwardBypass: the request was not cacheable (predicates or a
	// disabled policy).
	ForwardBypass
)

// String returns "miss", "stale", "bypass", "" for zero, or "Forward(N)".
func (f Forward) String() string {
	switch f {
	case 0:
		return ""
	case ForwardMiss:
		return "miss"
	case ForwardStale:
		return "stale"
	case ForwardBypass:
		return "bypass"
	}
	return "Forward(" + strconv.Itoa(int(f)) + ")"
}
