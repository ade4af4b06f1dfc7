package tarantool

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	circuit "github.com/hitbox-go/hitbox/internal/breaker"
	"github.com/hitbox-go/hitbox/internal/store"
)

// Defaults applied to the zero fields of [Options].
const (
	// DefaultSpace is the space of a Backend whose Options leave Space
	// empty.
	DefaultSpace = "hitbox"
	// DefaultTimeout bounds each request when Options.Timeout is zero.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultPoolSize is the number of connections when Options.PoolSize
	// is zero.
	DefaultPoolSize = 2
	// DefaultReconnectInterval is the pause between two connection
	// attempts when Options.ReconnectInterval is zero.
	DefaultReconnectInterval = 500 * time.Millisecond
	// DefaultExpiryMargin is how long after an entry's deadline the sweep
	// may drop it when Options.ExpiryMargin is zero.
	DefaultExpiryMargin = time.Second
	// DefaultSweepInterval is the pause between two sweeps when
	// Options.SweepInterval is zero.
	DefaultSweepInterval = time.Second
	// DefaultSweepBatch is how many tuples one sweep transaction deletes
	// at most when Options.SweepBatch is zero.
	DefaultSweepBatch = 1000
)

// Bounds of the Options.
const (
	// MaxPoolSize bounds Options.PoolSize.
	MaxPoolSize = 64
	// MaxSweepBatch bounds Options.SweepBatch: one transaction should not
	// hold the server's thread for long.
	MaxSweepBatch = 100000
	// MaxSpaceName is the longest space name New accepts, in bytes.
	MaxSpaceName = 64
)

// Options configures a [Backend]. Address is required; the other fields
// have working zero values. They map one to one to hitboxd's
// `type: Tarantool` fields: address, user, password, space, timeout.
type Options struct {
	// Address is the server's "host:port" (also "tcp://host:port" or a
	// Unix socket path "unix:/path/to/socket", as go-tarantool reads
	// them).
	Address string
	// User and Password authenticate the connections; an empty User
	// connects as guest. The user needs read, write and execute on the
	// universe, and create the first time, when the space is missing (see
	// the package doc).
	User, Password string
	// Space is the name of the space the entries live in; empty means
	// [DefaultSpace] ("hitbox"). It is created at the first connection
	// when missing. At most [MaxSpaceName] bytes.
	Space string

	// Timeout bounds each request the Backend makes (each round trip of
	// List, Purge and the sweep), within the caller's context, and each
	// read and write on the connections; zero means [DefaultTimeout]
	// (500ms), negative none (only the caller's context applies). A
	// request that times out counts as a failure for the circuit breaker.
	Timeout time.Duration
	// PoolSize is the number of connections, used in turn (each one
	// carries many requests at once); zero means [DefaultPoolSize] (2),
	// at most [MaxPoolSize].
	PoolSize int
	// ReconnectInterval is the pause between two attempts to connect
	// while the server is away; zero means [DefaultReconnectInterval]
	// (500ms). An attempt may take four Timeouts, at least 2s.
	ReconnectInterval time.Duration

	// Codec encodes the stored values (zero: JSON, no compression). Any
	// value Decode rejects, such as a tuple another program wrote in the
	// space, reads as a miss and counts as a decode error.
	Codec backend.Codec
	// Now is the clock expiry decisions read; nil means time.Now. Reads
	// check each entry's deadline against it, and the sweep drops the
	// tuples whose deadline plus ExpiryMargin it has passed.
	Now func() time.Time
	// ExpiryMargin is added to the deadline the sweep goes by, so that a
	// tuple outlives its entry's deadline a little: reads check the
	// deadline against Now, and the margin absorbs clock differences
	// between the instances that share the space. Zero means
	// [DefaultExpiryMargin] (1s), negative none.
	ExpiryMargin time.Duration
	// SweepInterval is the pause between two sweeps of the tuples past
	// their deadline; zero means [DefaultSweepInterval] (1s), negative
	// no sweep (call [Backend.Sweep] yourself, or let another instance
	// sweep).
	SweepInterval time.Duration
	// SweepBatch is how many tuples one sweep transaction deletes at
	// most (a sweep runs transactions until fewer are left); zero means
	// [DefaultSweepBatch] (1000), at most [MaxSweepBatch].
	SweepBatch int
	// Label names the backend in stats and errors; empty means
	// "tarantool".
	Label string
	// TagRetention bounds how long the tags space keeps a tag's
	// invalidation mark ([Backend.InvalidateTags]): marks older than it
	// at Now are pruned (once the space holds enough of them to be worth
	// it), leaving a floor kept in the space (see [backend.TagMarks]): a
	// tagged entry written before the pruned horizon then reads as
	// invalidated, dropped early rather than served past a purge. 0 keeps
	// every mark (one tuple per tag ever invalidated); negative is an
	// error.
	TagRetention time.Duration

	// Breaker configures the circuit breaker in front of Tarantool.
	Breaker BreakerOptions
}

// BreakerOptions configures a [Backend]'s circuit breaker, the one the
// Redis backend has. After Failures consecutive failed calls (network
// errors, timeouts, a server that is away, loading or read-only; a miss,
// an error reply from a working server or the caller's own cancellation
// is no failure) the breaker opens: every call then fails at once with an
// error wrapping [backend.ErrUnavailable], without reaching Tarantool.
// After OpenTimeout it lets Probes calls through (half-open); when they
// all succeed it closes, and when one fails it opens again. Disabled turns
// it off. Zero Failures mean 5, a zero OpenTimeout 1s, zero Probes 1. The
// network stores share this type (internal/breaker's Options) and the
// breaker behind it.
type BreakerOptions = circuit.Options

// Validate reports Options that New would refuse: no Address, a Space
// longer than [MaxSpaceName], a PoolSize or SweepBatch out of bounds, a
// negative interval or TagRetention, or an invalid Codec. The error is a
// [*backend.OptionError] naming the field, so that a configuration decoder
// can place it on the value that caused it.
func (o Options) Validate() error { return o.validate() }

// validate reports invalid Options.
func (o *Options) validate() error {
	field, err := "", error(nil)
	switch {
	case o.Address == "":
		field, err = "Address", errors.New("tarantool: no Address")
	case len(o.Space) > MaxSpaceName:
		field, err = "Space", fmt.Errorf("tarantool: Space %.20q...: longer than %d bytes", o.Space, MaxSpaceName)
	case o.PoolSize < 0:
		field, err = "PoolSize", fmt.Errorf("tarantool: negative PoolSize %d", o.PoolSize)
	case o.PoolSize > MaxPoolSize:
		field, err = "PoolSize", fmt.Errorf("tarantool: PoolSize %d: at most %d", o.PoolSize, MaxPoolSize)
	case o.ReconnectInterval < 0:
		field, err = "ReconnectInterval", fmt.Errorf("tarantool: negative ReconnectInterval %v", o.ReconnectInterval)
	case o.SweepBatch < 0:
		field, err = "SweepBatch", fmt.Errorf("tarantool: negative SweepBatch %d", o.SweepBatch)
	case o.SweepBatch > MaxSweepBatch:
		field, err = "SweepBatch", fmt.Errorf("tarantool: SweepBatch %d: at most %d", o.SweepBatch, MaxSweepBatch)
	case o.TagRetention < 0:
		field, err = "TagRetention", fmt.Errorf("tarantool: negative TagRetention %v", o.TagRetention)
	case o.Breaker.OpenTimeout < 0:
		field, err = "Breaker", fmt.Errorf("tarantool: negative Breaker.OpenTimeout %v", o.Breaker.OpenTimeout)
	default:
		if cerr := o.Codec.Validate(); cerr != nil {
			field, err = "Codec", fmt.Errorf("tarantool: %w", cerr)
		}
	}
	if err != nil {
		return &backend.OptionError{Field: field, Err: err}
	}
	return nil
}

// setDefaults fills the zero fields of validated Options.
func (o *Options) setDefaults() {
	o.Space = cmp.Or(o.Space, DefaultSpace)
	o.Timeout = store.Duration(o.Timeout, DefaultTimeout)
	o.PoolSize = cmp.Or(o.PoolSize, DefaultPoolSize)
	o.ReconnectInterval = cmp.Or(o.ReconnectInterval, DefaultReconnectInterval)
	o.ExpiryMargin = store.Duration(o.ExpiryMargin, DefaultExpiryMargin)
	o.SweepInterval = cmp.Or(o.SweepInterval, DefaultSweepInterval)
	o.SweepBatch = cmp.Or(o.SweepBatch, DefaultSweepBatch)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Label = cmp.Or(o.Label, "tarantool")
}
