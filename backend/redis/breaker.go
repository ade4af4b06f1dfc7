package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"

	circuit "github.com/hitbox-go/hitbox/internal/breaker"
)

// breaker guards the calls to Redis: the circuit breaker the network
// stores share (internal/breaker), or nothing when disabled.
type breaker struct{ circuit.Breaker }

// errExcluded marks an outcome the breaker neither counts as a success nor
// as a failure: the caller gave up.
var errExcluded = circuit.ErrAbandoned

func newBreaker(label string, o BreakerOptions) breaker {
	return breaker{circuit.New(label, circuit.Options(o))}
}

// allow asks the breaker for a call. It returns the function that records
// the call's outcome (pass it what [outcome] makes of the error), or an
// error wrapping [backend.ErrUnavailable] when the breaker is open.
func (b breaker) allow() (done func(error), err error) { return b.Allow() }

// state returns the breaker's state ("closed", "half-open", "open"), or
// "disabled".
func (b breaker) state() string { return b.State() }

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
