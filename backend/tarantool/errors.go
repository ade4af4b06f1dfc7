package tarantool

import (
	"context"
	"errors"
	"fmt"

	"github.com/tarantool/go-iproto"
	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
	circuit "github.com/hitbox-go/hitbox/internal/breaker"
)

// fail counts a failed operation and wraps its error, with the caller's
// context error when the caller gave up.
func (b *Backend) fail(ctx context.Context, op string, err error) error {
	b.ops.Errors.Add(1)
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %s: %w (%w)", b.label, op, cerr, err)
	}
	return fmt.Errorf("%s: %s: %w", b.label, op, err)
}

// failed is fail for the error of a request to Tarantool: it wraps
// [backend.ErrTooLarge] for a tuple over the server's limit, and
// [backend.ErrUnavailable] when Tarantool could not serve (see
// [unavailable]) or the space is missing.
func (b *Backend) failed(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil || errors.Is(err, backend.ErrUnavailable):
	case tooLarge(err):
		err = fmt.Errorf("%w: %w", backend.ErrTooLarge, err)
	case unavailable(err) || serverCode(err) == iproto.ER_NO_SUCH_SPACE:
		err = fmt.Errorf("%w: %w", backend.ErrUnavailable, err)
	}
	return b.fail(ctx, op, err)
}

// outcome classifies the error of a request made under the caller's ctx
// for the breaker: nil for a success (an error reply from a working server
// is one), [circuit.ErrAbandoned] when the caller's context ended, and err
// itself for a failure of Tarantool.
func outcome(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return circuit.ErrAbandoned
	}
	if unavailable(err) {
		return err
	}
	return nil
}

// unavailable reports whether err says Tarantool cannot serve: anything
// but an error reply from a working server, and the replies of a server
// that is read-only or still loading.
func unavailable(err error) bool {
	var se tarantool.ServerError
	if !errors.As(err, &se) {
		return true
	}
	switch se.Code {
	case iproto.ER_READONLY, iproto.ER_LOADING:
		return true
	}
	return false
}

// serverCode returns the code of an error reply, or 0.
func serverCode(err error) iproto.Error {
	var se tarantool.ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// tooLarge reports whether err is the server refusing a tuple over its
// memtx_max_tuple_size.
func tooLarge(err error) bool {
	switch serverCode(err) {
	case iproto.ER_MEMTX_MAX_TUPLE_SIZE, iproto.ER_VINYL_MAX_TUPLE_SIZE:
		return true
	}
	return false
}
