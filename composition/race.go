package composition

import (
	"context"
	"sync/atomic"
)

// race is one raced operation: a call on each layer at once, both under a
// context detached from the caller's cancellation, so that the loser can
// finish in the background after the caller got its answer.
type race struct {
	ctx    context.Context    // the calls' context
	cancel context.CancelFunc // cancels both calls
	stop   func() bool        // unregisters cancel from the composition's bg
	left   atomic.Int32       // calls still running
	done   chan struct{}      // closed when both calls returned
	onDone func()             // called once both calls returned, before done is closed; may be nil
}

// newRace prepares a race under ctx; onDone (may be nil) runs once both
// calls returned. Its context keeps ctx's values but not its cancellation or
// deadline; it is canceled by race.cancel, by a Close that gives up
// waiting, and once both calls returned.
func (c *Composition) newRace(ctx context.Context, onDone func()) *race {
	r := &race{done: make(chan struct{}), onDone: onDone}
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.left.Store(2)
	return r
}

// start runs call(ctx, 0) and call(ctx, 1) in goroutines the composition
// owns. It returns false when the composition was closed before both
// calls could start (a started one is canceled and awaited).
func (c *Composition) start(r *race, call func(ctx context.Context, i int)) bool {
	r.stop = context.AfterFunc(c.bg, r.cancel)
	for i := range 2 {
		if !c.goTracked(func() {
			defer r.finish()
			call(r.ctx, i)
		}) {
			for range 2 - i {
				r.finish()
			}
			r.abort()
			return false
		}
	}
	return true
}

// abort cancels both calls and waits for them to return: the layers are
// expected to honor their context.
func (r *race) abort() {
	r.cancel()
	<-r.done
}

// finish records that one call returned; the last one releases the race.
func (r *race) finish() {
	if r.left.Add(-1) == 0 {
		r.stop()
		r.cancel()
		if r.onDone != nil {
			r.onDone()
		}
		close(r.done)
	}
}

// loser hands the unfinished call of r over as the [LoserPolicy] says:
// canceled (Drop), watched by a task of the [Offloader], which cancels it
// when the runner gives up on the task (and at once when the runner refuses
// the task), or left running in its owned goroutine (no Offloader).
func (c *Composition) loser(r *race, task string) {
	switch {
	case c.opts.Loser == LoserDrop:
		r.cancel()
	case c.opts.Offload != nil:
		ok := c.opts.Offload.TryGo(task, func(ctx context.Context) {
			select {
			case <-r.done:
			case <-ctx.Done():
				r.cancel()
			}
		})
		if !ok {
			r.cancel()
		}
	}
}
