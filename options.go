package hitbox

import (
	"context"
	"log/slog"
	"time"
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

// Option configures a [Cache].
type Option func(*config)

type config struct {
	clock           Clock
	recorder        Recorder
	offload         Offloader
	logger          *slog.Logger
	upstreamTimeout time.Duration
	backendTimeout  time.Duration
	lockTTL         time.Duration
	lockPoll        time.Duration
}

// WithClock sets the time source (default [SystemClock]).
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithRecorder sets the receiver of the flow's events (default: none).
func WithRecorder(r Recorder) Option { return func(o *config) { o.recorder = r } }

// WithOffload sets the runner for background work: refreshes under
// [StaleOffloadRevalidate] and stores under [Policy.StoreInBackground].
// Without it the Cache makes its own runner (offload's defaults) and shuts
// it down in [Cache.Shutdown]; a runner passed here is the caller's to shut
// down.
func WithOffload(r Offloader) Option { return func(o *config) { o.offload = r } }

// WithLogger sets the logger for errors the flow swallows (default:
// discard).
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.logger = l } }

// WithUpstreamTimeout bounds a shared upstream call, which runs detached
// from the callers' cancellation (default 30s).
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

// WithLock sets the lifetime of a distributed lock taken through a
// backend's [backend.Locker] (default: the upstream timeout) and how often
// an instance that lost the lock looks for the winner's entry (default
// 20ms).
func WithLock(ttl, poll time.Duration) Option {
	return func(o *config) { o.lockTTL, o.lockPoll = ttl, poll }
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
		o.upstreamTimeout = 30 * time.Second
	}
	if o.lockTTL <= 0 {
		o.lockTTL = o.upstreamTimeout
	}
	if o.lockPoll <= 0 {
		o.lockPoll = 20 * time.Millisecond
	}
}
