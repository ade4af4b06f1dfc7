package offload

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// closedBit marks the runner's state as shut down; the bits below it count
// the tasks holding a slot (at most MaxConcurrency < closedBit).
const closedBit = int64(1) << 62

// Runner runs background tasks with a bound on how many run at once. Submit
// with [Runner.TryGo] or [Runner.TryGoKey]; they never block and drop the
// task when the runner is full. Stop it with [Runner.Close].
//
// A Runner is safe for concurrent use. Make one with [New]; the zero value
// is not usable. Methods on a nil *Runner do nothing: TryGo and TryGoKey
// return false, Close returns nil and Stats returns the zero Stats.
type Runner struct {
	limit   int64
	timeout time.Duration // <= 0: no per-task deadline
	log     *slog.Logger

	// state is closedBit once Close was called, plus the number of
	// tasks holding a slot. Slots are taken by CAS, so no slot is taken
	// after closedBit is set.
	state atomic.Int64
	// done is closed, exactly once, when state reaches closedBit with no
	// task left: by Close if nothing runs, else by the last task.
	done chan struct{}

	// base is the parent of every task's context; cancel is called when a
	// Close's context ends before the tasks do, and when the runner
	// becomes idle after Close.
	base   context.Context
	cancel context.CancelFunc

	started      atomic.Uint64
	completed    atomic.Uint64
	deduplicated atomic.Uint64
	panics       atomic.Uint64
	timedOut     atomic.Uint64

	dropMu    sync.Mutex        // guards dropped and droppedBy
	dropped   uint64            // all drops
	droppedBy map[string]uint64 // drops per task name

	keysMu sync.Mutex          // guards keys
	keys   map[string]struct{} // keys of the TryGoKey tasks in flight
}

// New returns a Runner configured by o, or an error wrapping
// [ErrInvalidOptions] when o is invalid. The Runner starts no goroutine of
// its own; it runs one per accepted task.
func New(o Options) (*Runner, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	return &Runner{
		limit:     int64(o.Concurrency),
		timeout:   o.Timeout,
		log:       o.Logger,
		done:      make(chan struct{}),
		base:      base,
		cancel:    cancel,
		droppedBy: make(map[string]uint64),
		keys:      make(map[string]struct{}),
	}, nil
}

// TryGo starts fn in a new goroutine unless the runner is full (Concurrency
// tasks running) or shut down, and reports whether it did. It never blocks
// and never queues: a refused task is counted in Stats.Dropped (and under
// its name in Stats.DroppedByName) and is not run.
//
// name labels the task in the counters and logs; use a small fixed set of
// names ("revalidate", "refill", ...), as for metric labels, since each
// name dropped once is kept in the drop counts.
//
// fn's context carries the per-task deadline (Options.Timeout) and is
// canceled when a Close's context ends before the task returns. It does
// not descend from any caller's context: the task outlives the request that
// submitted it. A panic in fn is recovered, counted and logged with its
// stack; the runner goes on. A nil fn is refused (false) without being
// counted.
func (r *Runner) TryGo(name string, fn func(ctx context.Context)) bool {
	if r == nil {
		return false
	}
	if fn == nil {
		r.log.Error("offload: nil task refused", "task", name)
		return false
	}
	if !r.acquire() {
		r.drop(name)
		return false
	}
	r.started.Add(1)
	go r.run(name, "", false, fn)
	return true
}

// TryGoKey is [Runner.TryGo] with at most one task per key in flight: while
// a task submitted with the same key has not returned, fn is refused, not
// run, and counted in Stats.Deduplicated (not in Dropped). It is meant for
// "at most one refresh per cache key at a time". Keys are compared as
// strings; "" is a key like any other. A key is free again as soon as its
// task returns, also by panic. Refusals because the runner is full or shut
// down are drops, as for TryGo.
func (r *Runner) TryGoKey(name, key string, fn func(ctx context.Context)) bool {
	if r == nil {
		return false
	}
	if fn == nil {
		r.log.Error("offload: nil task refused", "task", name, "key", key)
		return false
	}
	r.keysMu.Lock()
	if _, busy := r.keys[key]; busy {
		r.keysMu.Unlock()
		r.deduplicated.Add(1)
		return false
	}
	if !r.acquire() {
		r.keysMu.Unlock()
		r.drop(name)
		return false
	}
	r.keys[key] = struct{}{}
	r.keysMu.Unlock()
	r.started.Add(1)
	go r.run(name, key, true, fn)
	return true
}

// Close stops the runner from accepting tasks (from then on TryGo and
// TryGoKey return false and count a drop) and waits for the tasks in
// flight to return.
//
// It returns nil once no task runs. If ctx ends first, Close cancels the
// contexts of the tasks still running and returns ctx.Err() at once,
// without waiting for them: Go cannot stop a goroutine, so a task that
// ignores its context keeps running. Call Close again (with a short
// grace context, or context.Background()) to wait for those tasks to
// return.
//
// Close is idempotent and safe to call from several goroutines; each
// call waits as described. It returns nil at once when nothing runs, even
// if ctx has already ended.
func (r *Runner) Close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	if prev := r.state.Or(closedBit); prev == 0 {
		// First Close and nothing running: no task will close done.
		close(r.done)
	}
	select {
	case <-r.done:
		r.cancel()
		return nil
	case <-ctx.Done():
	}
	select {
	case <-r.done: // finished at the same moment: not a failure
		r.cancel()
		return nil
	default:
	}
	r.log.Warn("offload: shutdown deadline passed, canceling tasks",
		"running", r.state.Load()&^closedBit, "err", ctx.Err())
	r.cancel()
	return ctx.Err()
}

// Stats returns a snapshot of the runner's counters; see [Stats] for how
// they relate. It is safe to call at any time, also after Close.
func (r *Runner) Stats() Stats {
	if r == nil {
		return Stats{}
	}
	// Completed before Started: a task is counted started before it can
	// complete, so this order keeps Completed <= Started.
	s := Stats{Completed: r.completed.Load()}
	s.Panics = r.panics.Load()
	s.TimedOut = r.timedOut.Load()
	s.Started = r.started.Load()
	s.Deduplicated = r.deduplicated.Load()
	s.Running = int(r.state.Load() &^ closedBit)
	r.dropMu.Lock()
	s.Dropped = r.dropped
	if len(r.droppedBy) > 0 {
		s.DroppedByName = maps.Clone(r.droppedBy)
	}
	r.dropMu.Unlock()
	return s
}

// acquire takes a slot unless the runner is shut down or full.
func (r *Runner) acquire() bool {
	for {
		s := r.state.Load()
		if s&closedBit != 0 || s >= r.limit {
			return false
		}
		if r.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// release gives a slot back and closes done when it was the last one after
// Close.
func (r *Runner) release() {
	if r.state.Add(-1) == closedBit {
		close(r.done)
	}
}

// drop counts a refused task.
func (r *Runner) drop(name string) {
	r.dropMu.Lock()
	r.dropped++
	r.droppedBy[name]++
	r.dropMu.Unlock()
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug("offload: task dropped", "task", name)
	}
}

// run runs one accepted task and does its bookkeeping, whatever way fn
// ends.
func (r *Runner) run(name, key string, keyed bool, fn func(context.Context)) {
	ctx, cancel := r.base, context.CancelFunc(nil)
	if r.timeout > 0 {
		ctx, cancel = context.WithTimeout(r.base, r.timeout)
	}
	defer func() {
		if v := recover(); v != nil {
			r.panics.Add(1)
			r.log.Error("offload: task panicked", append(taskAttrs(name, key, keyed),
				"panic", v, "stack", string(debug.Stack()))...)
		}
		if cancel != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.timedOut.Add(1)
				r.log.Warn("offload: task outlived its deadline",
					append(taskAttrs(name, key, keyed), "timeout", r.timeout)...)
			}
			cancel()
		}
		r.completed.Add(1)
		if keyed {
			r.keysMu.Lock()
			delete(r.keys, key)
			r.keysMu.Unlock()
		}
		r.release()
	}()
	fn(ctx)
}

// taskAttrs returns the log attributes naming a task.
func taskAttrs(name, key string, keyed bool) []any {
	if keyed {
		return []any{"task", name, "key", key}
	}
	return []any{"task", name}
}
