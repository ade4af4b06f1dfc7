package offload

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by [New] to the zero fields of [Options].
const (
	// DefaultConcurrency is the number of tasks that may run at once when
	// Options.Concurrency is 0.
	DefaultConcurrency = 64
	// DefaultTimeout is the per-task deadline when Options.Timeout is 0.
	DefaultTimeout = 30 * time.Second
	// MaxConcurrency is the largest Options.Concurrency [New] accepts.
	MaxConcurrency = 1 << 30
)

// ErrInvalidOptions is returned (wrapped, with the offending field) by [New]
// for options it cannot use.
var ErrInvalidOptions = errors.New("offload: invalid options")

// Options configures a [Runner]. The zero value is valid and gives 64 tasks
// at once, a 30s deadline per task and no logging.
type Options struct {
	// Concurrency is the number of tasks that may run at once; a task
	// submitted while that many run is dropped, never queued.
	// 0 means [DefaultConcurrency] (64); negative values and values above
	// [MaxConcurrency] are invalid.
	Concurrency int
	// Timeout is the deadline of each task, carried by the context the task
	// receives and counted from the moment the task starts.
	// 0 means [DefaultTimeout] (30s); a negative value means no deadline
	// (the task's context then ends only on a [Runner.Close] whose own
	// context ended first).
	Timeout time.Duration
	// Logger receives panics (Error, with the stack), tasks that outlived
	// their deadline (Warn), a Close that gave up waiting (Warn) and
	// drops (Debug). nil discards everything.
	Logger *slog.Logger
}

// withDefaults validates o and returns it with its zero fields replaced by
// their defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Concurrency < 0:
		return o, fmt.Errorf("%w: Concurrency %d is negative", ErrInvalidOptions, o.Concurrency)
	case o.Concurrency > MaxConcurrency:
		return o, fmt.Errorf("%w: Concurrency %d is above %d", ErrInvalidOptions, o.Concurrency, MaxConcurrency)
	case o.Concurrency == 0:
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
