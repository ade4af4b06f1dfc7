package backend

import "errors"

var (
	// ErrInvalidKey is returned for an empty key or one a backend cannot
	// store.
	ErrInvalidKey = errors.New("backend: invalid key")
	// ErrTooLarge is returned when a value cannot fit in the backend at all
	// (larger than its whole budget or its per-value limit).
	ErrTooLarge = errors.New("backend: value too large")
	// ErrClosed is returned by a backend after its owner closed it.
	ErrClosed = errors.New("backend: closed")
	// ErrLocked is returned by [Locker.Lock] when another holder has the
	// lock.
	ErrLocked = errors.New("backend: locked by another holder")
	// ErrDecode marks stored bytes that could not be decoded: foreign,
	// corrupted or written by an incompatible version. Backends report such
	// bytes as a miss and count them; the error surfaces only from
	// [Codec.Decode].
	ErrDecode = errors.New("backend: cannot decode stored value")
	// ErrUnavailable marks a backend that is down or whose circuit breaker
	// is open.
	ErrUnavailable = errors.New("backend: unavailable")
	// ErrUnsupported is what an optional capability answers when the
	// backend implements its method but cannot serve it (see the package
	// documentation). It is [errors.ErrUnsupported], so that either name
	// matches with errors.Is.
	ErrUnsupported = errors.ErrUnsupported
)

// OptionError is an error a store's New or Options.Validate returns for
// one field of its Options: Field names it as the Options spell it ("URL",
// "Space", ...), Err says what is wrong. A configuration decoder uses
// Field to place the error on the value that set it; errors.As finds it.
type OptionError struct {
	Field string
	Err   error
}

// Error returns Err's text, which names the field itself.
func (e *OptionError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *OptionError) Unwrap() error { return e.Err }
