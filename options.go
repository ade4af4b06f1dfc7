package hitbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Offloader runs background work without blocking the caller.
// *offload.Runner satisfies it.
type Offloader interface {
	// TryGoKey starts fn unless a task with the same key is running or
	// the runner is full, and reports whether it did.
	TryGoKey(name, key string, fn func(ctx context.Context)) bool
	// TryGo starts fn unless the runner is full, and reports whether it
	// did.
	TryGo(name string, fn func(ctx context.Context)) bool
}

// Option configures a [Cache]. An option given an invalid value makes
// [New] return an error wrapping [ErrInvalidOption].
type Option func(*config)

// Defaults of the options of a [Cache].
const (
	// DefaultUpstreamTimeout bounds a shared upstream call when neither
	// [Request.Timeout] nor [WithUpstreamTimeout] says otherwise.
	DefaultUpstreamTimeout = 30 * time.Second
	// DefaultLockLease is the lease of a distributed lock ([WithLock]).
	DefaultLockLease = 5 * time.Second
	// DefaultLockPoll is how often a caller waiting for another
	// instance's lock looks for its entry ([WithLock]).
	DefaultLockPoll = 20 * time.Millisecond
	// DefaultStaleIfErrorRetry is how long after a failure answered from
	// a stale entry the upstream is not asked again for that key
	// ([WithStaleIfErrorRetry]).
	DefaultStaleIfErrorRetry = 5 * time.Second
)

type config struct {
	clock           Clock
	recorder        Recorder
	offload         Offloader
	logger          *slog.Logger
	upstreamTimeout time.Duration
	backendTimeout  time.Duration
	lockLease       time.Duration
	lockPoll        time.Duration
	staleRetry      time.Duration
	tracer          trace.Tracer // nil: no spans ([WithTracerProvider])
	spanInternal    []trace.SpanStartOption
	spanClient      []trace.SpanStartOption
	errs            []error // invalid option values, returned by New
}

// invalid records an invalid option value for New to return.
func (o *config) invalid(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
}

// WithClock sets the time source (default [SystemClock]).
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithRecorder sets the receiver of the flow's events (default: none).
func WithRecorder(r Recorder) Option { return func(o *config) { o.recorder = r } }

// WithOffload sets the runner for background work: refreshes under
// [StaleOffloadRevalidate] and stores under [Policy.StoreInBackground].
// Without it the Cache makes its own runner (offload's defaults) and
// closes it in [Cache.Close]; a runner passed here is the caller's to
// close.
func WithOffload(r Offloader) Option { return func(o *config) { o.offload = r } }

// WithLogger sets the logger for errors the flow swallows (default:
// discard).
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.logger = l } }

// WithUpstreamTimeout bounds a shared upstream call, which runs detached
// from the callers' cancellation, when the request sets no
// [Request.Timeout] (zero or negative: [DefaultUpstreamTimeout], 30s). It
// also bounds how long the call waits for another instance's lock
// ([WithLock]) before asking the upstream itself, with a timeout of its
// own.
func WithUpstreamTimeout(d time.Duration) Option {
	return func(o *config) { o.upstreamTimeout = d }
}

// WithBackendTimeout bounds each backend read and write made by the flow
// (default: none, the backends' own timeouts apply: a memory backend never
// blocks and the Redis backend has per-operation timeouts). A read that
// times out is a miss; a write that times out is counted.
func WithBackendTimeout(d time.Duration) Option {
	return func(o *config) { o.backendTimeout = d }
}

// WithLock sets the lease of the distributed lock taken through a
// backend's [backend.Locker] (default [DefaultLockLease], 5s) and how
// often a caller that lost the lock looks for the winner's entry and tries
// the lock again (default [DefaultLockPoll], 20ms). Both must be positive.
//
// The holder's backend renews the lease while the upstream call runs (the
// Redis backend every lease/3), so a slow upstream keeps the lock; a
// holder that dies stops renewing, and another instance takes the lock
// within about one lease. A caller that waits longer than its upstream
// timeout for a live holder asks the upstream itself: a lock never makes a
// call fail.
func WithLock(lease, poll time.Duration) Option {
	return func(o *config) {
		if lease <= 0 || poll <= 0 {
			o.invalid("WithLock(%v, %v): lease and poll must be positive", lease, poll)
			return
		}
		o.lockLease, o.lockPoll = lease, poll
	}
}

// WithStaleIfErrorRetry sets how long, after an upstream failure answered
// from a stale entry ([Policy.StaleIfError]), the calls for that key are
// answered from the entry without asking the upstream (default
// [DefaultStaleIfErrorRetry], 5s): at most one upstream try per key per
// interval while the upstream is failing. d must be positive. The Cache
// remembers the interval of at most 65536 keys at once; past that a key
// may get one more try.
func WithStaleIfErrorRetry(d time.Duration) Option {
	return func(o *config) {
		if d <= 0 {
			o.invalid("WithStaleIfErrorRetry(%v): the interval must be positive", d)
			return
		}
		o.staleRetry = d
	}
}

func (o *config) defaults() {
	if o.clock == nil {
		o.clock = SystemClock{}
	}
	if o.recorder == nil {
		o.recorder = nopRecorder{}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.upstreamTimeout <= 0 {
		o.upstreamTimeout = DefaultUpstreamTimeout
	}
	if o.lockLease <= 0 {
		o.lockLease = DefaultLockLease
	}
	if o.lockPoll <= 0 {
		o.lockPoll = DefaultLockPoll
	}
	if o.staleRetry <= 0 {
		o.staleRetry = DefaultStaleIfErrorRetry
	}
}
