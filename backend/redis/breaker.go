package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"

	circuit "github.com/hitbox-go/hitbox/internal/breaker"
)

// errExcluded marks an outcome the breaker neither counts as a success nor
// as a failure: the caller gave up.
var errExcluded = circuit.ErrAbandoned

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
