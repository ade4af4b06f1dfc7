package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/hitbox-go/hitbox/backend"
)

// breaker guards the calls to Redis: a gobreaker two-step breaker, or
// nothing when disabled.
type breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}] // nil when disabled
}

// errExcluded marks an outcome the breaker neither counts as a success nor
// as a failure: the caller gave up.
var errExcluded = errors.New("redis: call abandoned by its caller")

func newBreaker(label string, o BreakerOptions) breaker {
	if o.Disabled {
		return breaker{}
	}
	return breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        label,
		MaxRequests: o.Probes,
		Timeout:     o.OpenTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= o.Failures
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
	})}
}

// noop is the outcome recorder of a disabled breaker.
func noop(error) {}

// allow asks the breaker for a call. It returns the function that records
// the call's outcome (pass it what [outcome] makes of the error), or an
// error wrapping [backend.ErrUnavailable] when the breaker is open.
func (b breaker) allow() (done func(error), err error) {
	if b.cb == nil {
		return noop, nil
	}
	done, err = b.cb.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w: circuit breaker %w", backend.ErrUnavailable, err)
	}
	return done, nil
}

// state returns the breaker's state ("closed", "half-open", "open"), or
// "disabled".
func (b breaker) state() string {
	if b.cb == nil {
		return "disabled"
	}
	return b.cb.State().String()
}

// outcome classifies the error of a call made under the caller's ctx for
// the breaker: nil for a success (a miss and an error reply from a live
// server are successes), errExcluded when the caller's context ended, and
// err itself for a failure of Redis (network errors, timeouts, a server
// that is loading, read-only or down).
func outcome(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, goredis.Nil) {
		return nil
	}
	if ctx.Err() != nil {
		return errExcluded
	}
	if unavailable(err) {
		return err
	}
	return nil
}

// unavailable reports whether err says Redis cannot serve: anything but an
// error reply from a working server.
func unavailable(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return true
	}
	return goredis.IsLoadingError(err) || goredis.IsReadOnlyError(err) ||
		goredis.IsClusterDownError(err) || goredis.IsMasterDownError(err) ||
		goredis.IsTryAgainError(err) || goredis.IsMaxClientsError(err)
}
