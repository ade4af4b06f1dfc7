package hitbox

import "errors"

var (
	// ErrNilFetch is returned when a call has no upstream to ask.
	ErrNilFetch = errors.New("hitbox: nil fetch function")
	// ErrNilBackend is returned by [New] without a backend.
	ErrNilBackend = errors.New("hitbox: nil backend")
	// ErrEmptyKey is returned for a call with an empty key; the upstream
	// is not asked.
	ErrEmptyKey = errors.New("hitbox: empty key")
	// ErrInvalidOption is wrapped by the error [New] returns for an
	// option given an invalid value.
	ErrInvalidOption = errors.New("hitbox: invalid option")
	// ErrInvalidTag is returned by [Cache.InvalidateTags] for an empty tag.
	ErrInvalidTag = errors.New("hitbox: invalid tag")
	// ErrUpstreamFailed is the Err of the [EventUpstream] and
	// [EventStaleIfError] events of an upstream answer marked
	// [Fetched.Failed], so that metrics count it as a failure.
	ErrUpstreamFailed = errors.New("hitbox: upstream answered a failure")
)
