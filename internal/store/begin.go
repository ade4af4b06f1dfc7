package store

import (
	"context"
	"sync/atomic"

	"github.com/hitbox-go/hitbox/backend"
)

// Fail is how a store counts and wraps the error of a failed operation op.
type Fail func(ctx context.Context, op string, err error) error

// Open checks what every operation op of a network store checks first: it
// returns ctx, or [context.Background] when ctx is nil, and fail's
// wrapping of [backend.ErrClosed] when closed is set.
func Open(ctx context.Context, closed *atomic.Bool, op string, fail Fail) (context.Context, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if closed.Load() {
		return ctx, fail(ctx, op, backend.ErrClosed)
	}
	return ctx, nil
}

// Begin is [Open] for an operation on one key: it fails first with
// [backend.ErrInvalidKey] for an empty key, and last with ctx's error when
// ctx has ended.
func Begin(ctx context.Context, key string, closed *atomic.Bool, op string, fail Fail) (context.Context, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var err error
	switch {
	case key == "":
		err = backend.ErrInvalidKey
	case closed.Load():
		err = backend.ErrClosed
	default:
		err = ctx.Err()
	}
	if err != nil {
		return ctx, fail(ctx, op, err)
	}
	return ctx, nil
}
