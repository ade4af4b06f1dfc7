package rfc9111

import (
	"strconv"
	"time"
)

// MaxDeltaSeconds is the greatest delta-seconds value: RFC 9111 §1.2.2 says
// a cache MUST consider any larger value (or an overflowing calculation) to
// be 2^31.
const MaxDeltaSeconds = 1 << 31

// Delta is a delta-seconds argument of a directive (RFC 9111 §1.2.2): unset,
// invalid (present but not a non-negative integer, or duplicated with
// another value), or 0..2^31 seconds. The zero value is unset, so a zero
// [Directives] holds no directive.
type Delta uint32

// InvalidDelta is the [Delta] of a directive whose argument is missing or
// not delta-seconds ("max-age", "max-age=-1", "max-age=1.5"), or given
// twice with different values. (Internally a Delta is 0 when unset,
// InvalidDelta when invalid, otherwise the seconds plus one.)
const InvalidDelta Delta = 1<<32 - 1

// Seconds returns the Delta of n seconds, capped to [0, 2^31].
func Seconds(n int64) Delta {
	if n < 0 {
		n = 0
	}
	if n > MaxDeltaSeconds {
		n = MaxDeltaSeconds
	}
	return Delta(n + 1)
}

// Present reports whether the directive was given, valid or not.
func (d Delta) Present() bool { return d != 0 }

// Valid reports whether the directive was given with a usable value.
func (d Delta) Valid() bool { return d != 0 && d != InvalidDelta }

// Seconds returns the value in seconds; 0 when unset or invalid.
func (d Delta) Seconds() int64 {
	if !d.Valid() {
		return 0
	}
	return int64(d) - 1
}

// Duration returns the value as a duration; 0 when unset or invalid.
func (d Delta) Duration() time.Duration { return time.Duration(d.Seconds()) * time.Second }

// String returns the argument as written by [Directives.String]: the
// seconds, "invalid", or "" when unset.
func (d Delta) String() string {
	switch {
	case d == 0:
		return ""
	case d == InvalidDelta:
		return "invalid"
	}
	return strconv.FormatInt(d.Seconds(), 10)
}

// parseDelta reads delta-seconds: one or more digits, leading zeros
// allowed, capped at 2^31. Anything else is InvalidDelta.
func parseDelta(s string) Delta {
	if s == "" {
		return InvalidDelta
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return InvalidDelta
		}
		if n <= MaxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	return Seconds(n)
}

// merge combines a directive seen again: the same value stays, a different
// one makes the directive invalid (RFC 9111 §4.2.1: a response with
// conflicting freshness information is best considered stale).
func (d Delta) merge(v Delta) Delta {
	if d == 0 || d == v {
		return v
	}
	return InvalidDelta
}
