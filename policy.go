package hitbox

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StaleMode says what a stale entry gets. The zero StaleMode means
// [StaleReturn].
type StaleMode int

const (
	// StaleReturn serves a stale entry as STALE and refreshes nothing
	// (hitbox's Return, the default).
	StaleReturn StaleMode = iota + 1
	// StaleRevalidate asks the upstream now; the caller gets the fresh
	// answer (hitbox's Revalidate).
	StaleRevalidate
	// StaleOffloadRevalidate serves the stale entry as STALE while one
	// background refresh per key runs (hitbox's OffloadRevalidate).
	StaleOffloadRevalidate
)

// String returns the mode's name as hitbox's configuration writes it.
func (m StaleMode) String() string {
	switch m {
	case StaleReturn:
		return "Return"
	case StaleRevalidate:
		return "Revalidate"
	case StaleOffloadRevalidate:
		return "OffloadRevalidate"
	}
	return "StaleMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseStaleMode reads a stale mode name (Return, Revalidate,
// OffloadRevalidate), case-insensitively.
func ParseStaleMode(s string) (StaleMode, error) {
	for _, m := range []StaleMode{StaleReturn, StaleRevalidate, StaleOffloadRevalidate} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("hitbox: unknown stale mode %q (want Return, Revalidate or OffloadRevalidate)", s)
}

// DefaultKeep is how long an expired entry is kept when [Policy.Keep] is
// zero.
const DefaultKeep = 60 * time.Second

// Policy says whether and how a request's answer is cached: hitbox's
// `Enabled: {ttl, stale, ...}` or `Disabled`.
//
// The zero Policy is enabled with entries that never expire, like hitbox's
// `Enabled: {}`.
type Policy struct {
	// Disabled turns caching off: every call goes to the upstream and
	// nothing is stored (hitbox's Disabled).
	Disabled bool
	// TTL is how long after writing an entry expires; zero never expires.
	TTL time.Duration
	// Stale is how long after writing an entry turns stale; it matters
	// only when it is less than TTL (or TTL is zero). Zero: never stale.
	Stale time.Duration
	// Keep is how long an expired entry is kept (never served as fresh,
	// but reported as fwd=stale and usable by StaleIfError). Zero means
	// [DefaultKeep]; negative keeps nothing.
	Keep time.Duration
	// StaleMode is what a stale entry gets; zero means [StaleReturn].
	StaleMode StaleMode
	// Concurrency is how many upstream calls per key may run at once; the
	// other callers wait for a stored result. Zero means 1.
	Concurrency int
	// Jitter, when positive, adds a random duration in [0, Jitter) to
	// each entry's TTL (and Stale), spreading expiries of entries written
	// together.
	Jitter time.Duration
	// StaleIfError, when positive, is how long past its expiry an entry
	// may still be served (as STALE, Result.StaleIfError set) when the
	// upstream call fails: the fetch returned an error or an answer marked
	// [Fetched.Failed]. A stale entry that has not expired qualifies too.
	// It must not exceed the keep period (an expired entry is gone after
	// Keep). Such answers are counted apart ([EventStaleIfError]) so that
	// a stale hit never hides an outage. After such a failure the key's
	// upstream is tried at most once per retry interval
	// ([WithStaleIfErrorRetry]); the calls in between get the entry at
	// once. Zero: off.
	StaleIfError time.Duration
	// StoreInBackground stores through the offload runner after
	// answering, instead of before (the default), trading "a client that
	// got a MISS finds the entry at once" for latency.
	StoreInBackground bool
}

// Enabled returns an enabled policy with the given ttl and stale times.
func Enabled(ttl, stale time.Duration) Policy { return Policy{TTL: ttl, Stale: stale} }

// Disabled returns a policy that turns caching off.
func Disabled() Policy { return Policy{Disabled: true} }

// ErrInvalidPolicy is wrapped by [Policy.Validate]'s errors.
var ErrInvalidPolicy = errors.New("hitbox: invalid policy")

// Validate reports a policy whose values make no sense (negative TTL,
// Stale or Jitter, negative Concurrency, an unknown StaleMode).
func (p Policy) Validate() error {
	var errs []error
	if p.TTL < 0 {
		errs = append(errs, fmt.Errorf("%w: negative ttl %v", ErrInvalidPolicy, p.TTL))
	}
	if p.Stale < 0 {
		errs = append(errs, fmt.Errorf("%w: negative stale %v", ErrInvalidPolicy, p.Stale))
	}
	if p.Jitter < 0 {
		errs = append(errs, fmt.Errorf("%w: negative jitter %v", ErrInvalidPolicy, p.Jitter))
	}
	if p.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("%w: negative concurrency %d", ErrInvalidPolicy, p.Concurrency))
	}
	if p.StaleIfError < 0 {
		errs = append(errs, fmt.Errorf("%w: negative stale_if_error %v", ErrInvalidPolicy, p.StaleIfError))
	} else if p.StaleIfError > 0 && p.StaleIfError > max(p.keep(), 0) {
		errs = append(errs, fmt.Errorf("%w: stale_if_error %v is longer than keep %v (an expired entry is gone after keep)", ErrInvalidPolicy, p.StaleIfError, max(p.keep(), 0)))
	}
	if p.StaleMode < 0 || p.StaleMode > StaleOffloadRevalidate {
		errs = append(errs, fmt.Errorf("%w: unknown stale mode %d", ErrInvalidPolicy, int(p.StaleMode)))
	}
	return errors.Join(errs...)
}

// invalid is a cheap test for what Validate reports.
func (p Policy) invalid() bool {
	return p.TTL < 0 || p.Stale < 0 || p.Jitter < 0 || p.Concurrency < 0 ||
		p.StaleMode < 0 || p.StaleMode > StaleOffloadRevalidate ||
		p.StaleIfError < 0 || (p.StaleIfError > 0 && p.StaleIfError > max(p.keep(), 0))
}

func (p Policy) staleMode() StaleMode {
	return cmp.Or(p.StaleMode, StaleReturn)
}

func (p Policy) concurrency() int {
	if p.Concurrency <= 0 {
		return 1
	}
	return p.Concurrency
}

func (p Policy) keep() time.Duration {
	switch {
	case p.Keep == 0:
		return DefaultKeep
	case p.Keep < 0:
		return 0
	}
	return p.Keep
}
