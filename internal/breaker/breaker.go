// Package breaker is the circuit breaker the network stores (backend/redis,
// backend/tarantool) put in front of their server: a sony/gobreaker
// two-step breaker that opens after a number of consecutive failures, fails
// calls at once with an error wrapping [backend.ErrUnavailable] while open,
// and lets probes through after a while. Each store decides what counts as
// a failure of its server; this package only counts.
package breaker

import (
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/hitbox-go/hitbox/backend"
)

// Options configures a [Breaker]. The stores expose it as their
// BreakerOptions (an alias).
type Options struct {
	// Disabled turns the breaker off: every call goes to the server.
	Disabled bool
	// Failures is how many consecutive failures open the breaker; zero
	// means [DefaultFailures].
	Failures uint32
	// OpenTimeout is how long the breaker stays open before it probes;
	// zero means [DefaultOpenTimeout].
	OpenTimeout time.Duration
	// Probes is how many calls the half-open breaker lets through, all of
	// which must succeed to close it; zero means 1.
	Probes uint32
}

// Defaults of the zero fields of [Options].
const (
	// DefaultFailures is how many consecutive failures open the breaker
	// when Options.Failures is zero.
	DefaultFailures = 5
	// DefaultOpenTimeout is how long the breaker stays open before it
	// lets a probe through when Options.OpenTimeout is zero.
	DefaultOpenTimeout = time.Second
)

// ErrAbandoned marks an outcome the breaker counts neither as a success
// nor as a failure: the caller gave up (its context ended).
var ErrAbandoned = errors.New("call abandoned by its caller")

// Breaker guards the calls to one server. The zero Breaker, and the one New
// makes from Options with Disabled set, let every call through.
type Breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}] // nil when disabled
}

// New returns a Breaker named name (the store's label) configured by o,
// with the defaults applied to o's zero fields.
func New(name string, o Options) Breaker {
	if o.Disabled {
		return Breaker{}
	}
	failures := o.Failures
	if failures == 0 {
		failures = DefaultFailures
	}
	open := o.OpenTimeout
	if open <= 0 {
		open = DefaultOpenTimeout
	}
	probes := o.Probes
	if probes == 0 {
		probes = 1
	}
	return Breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: probes,
		Timeout:     open,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= failures
		},
		IsExcluded: func(err error) bool { return errors.Is(err, ErrAbandoned) },
	})}
}

// noop is the outcome recorder of a disabled breaker.
func noop(error) {}

// Allow asks the breaker for a call. It returns the function that records
// the call's outcome (nil for a success, an error wrapping [ErrAbandoned]
// for a call the caller gave up, any other error for a failure of the
// server), or an error wrapping [backend.ErrUnavailable] when the breaker
// is open or has all the probes it allows in flight.
func (b Breaker) Allow() (done func(error), err error) {
	if b.cb == nil {
		return noop, nil
	}
	done, err = b.cb.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w: circuit breaker %w", backend.ErrUnavailable, err)
	}
	return done, nil
}

// State returns the breaker's state ("closed", "half-open", "open"), or
// "disabled".
func (b Breaker) State() string {
	if b.cb == nil {
		return "disabled"
	}
	return b.cb.State().String()
}
