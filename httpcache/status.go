package httpcache

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hitbox-go/hitbox"
)

// X-Cache-Status values.
const (
	statusHit   = "HIT"
	statusMiss  = "MISS"
	statusStale = "STALE"
)

// hitStatus returns the Cache-Status of an answer from the cache:
// "hitbox; hit; collapsed" for a caller that waited for another's upstream
// call, else "hitbox; hit; ttl=N" (no ttl when the entry never expires),
// followed by "; detail=stale-if-error" for a stale entry served because
// the upstream failed.
func hitStatus(res *hitbox.Result, now time.Time) string {
	if res.Collapsed {
		return "hitbox; hit; collapsed"
	}
	ttl, ok := res.TTL(now)
	if !ok && !res.StaleIfError {
		return "hitbox; hit"
	}
	var buf [64]byte
	b := append(buf[:0], "hitbox; hit"...)
	if ok {
		b = append(b, "; ttl="...)
		b = strconv.AppendInt(b, floorSeconds(ttl), 10)
	}
	if res.StaleIfError {
		b = append(b, "; detail=stale-if-error"...)
	}
	return string(b)
}

// forwardStatus returns the Cache-Status of an answer from the upstream:
// "hitbox; fwd=F; fwd-status=N" and "; stored" when it was stored.
func forwardStatus(fwd hitbox.Forward, code int, stored bool) string {
	var buf [64]byte
	b := append(buf[:0], "hitbox; fwd="...)
	if fwd == 0 {
		fwd = hitbox.ForwardMiss
	}
	b = append(b, fwd.String()...)
	if code > 0 {
		b = append(b, "; fwd-status="...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	if stored {
		b = append(b, "; stored"...)
	}
	return string(b)
}

// floorSeconds returns d in whole seconds, rounded down.
func floorSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second < 0 {
		s--
	}
	return s
}

// ageSeconds returns the Age of an entry written at written, at now: whole
// seconds, never negative.
func ageSeconds(written, now time.Time) int64 {
	if written.IsZero() {
		return 0
	}
	return max(floorSeconds(now.Sub(written)), 0)
}

// setCached sets the status headers of an answer from the cache in h,
// using spare (at least 3 strings) for the values.
func setCached(h http.Header, spare []string, xcs, cs string, age int64) {
	spare[0], spare[1], spare[2] = xcs, cs, strconv.FormatInt(age, 10)
	h[hdrXCacheStatus] = spare[0:1:1]
	h[hdrCacheStatus] = spare[1:2:2]
	h[hdrAge] = spare[2:3:3]
}

// setForwarded sets the status headers of an answer from the upstream in
// h, using spare for the values when it has 2 strings, and removes Age,
// which only answers from the cache carry.
func setForwarded(h http.Header, spare []string, cs string) {
	vals := spare
	if len(vals) < 2 {
		vals = make([]string, 2)
	}
	vals[0], vals[1] = statusMiss, cs
	h[hdrXCacheStatus] = vals[0:1:1]
	h[hdrCacheStatus] = vals[1:2:2]
	delete(h, hdrAge)
}

// cachedXStatus returns the X-Cache-Status of an answer from the cache.
func cachedXStatus(s hitbox.Status) string {
	if s == hitbox.Stale {
		return statusStale
	}
	return statusHit
}
