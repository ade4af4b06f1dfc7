package composition

import (
	"context"
	"fmt"

	"github.com/hitbox-go/hitbox/backend"
)

// getResult is one layer's answer to a read.
type getResult struct {
	e     backend.Entry
	ok    bool
	err   error
	label string // the label of the layer that answered, when ok
	layer int    // 0 for L1, 1 for L2
}

func (r *getResult) hit() bool { return r.ok && r.err == nil }

// Get implements [backend.Backend]: it reads as the [ReadPolicy] says (and
// refills as the [RefillPolicy] says). See [Composition.GetLabeled].
func (c *Composition) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	var r getResult
	c.get(ctx, key, &r)
	return r.e, r.ok, r.err
}

// GetLabeled is Get that also returns the label of the layer that answered
// a hit ("l1", "l2", or "l2.l1" for the L1 of a composition in L2); the
// label is empty on a miss or an error.
//
// A miss is not an error, and a hit of any state (fresh, stale, or expired
// within its keep window) answers. A layer's failure is returned only when
// no layer could answer: with [ReadSequential], an L1 error is swallowed
// (counted in [Composition.Stats]) and L2 is read, unless ctx has ended,
// and an L2 error is returned; with [ReadRace] and [ReadParallel], one
// layer's error is swallowed when the other answers, even with a miss, and
// only both layers' errors together are returned. Errors are *[Error]
// values naming the failed layers.
//
// Sequential and parallel reads pass ctx to the layers and wait for them,
// relying on them to honor it. A raced read runs its layers under a
// detached context: when ctx ends before a hit, it cancels both, waits for
// them, and returns an error wrapping ctx's cause.
//
// With [RefillAlways], an entry that L2 answered and that is Fresh at
// [Options.Now] is written into L1 before GetLabeled returns; that write's
// failure is counted, never returned.
//
// While the loser of an acknowledged [WriteRace] write of key is still
// writing, GetLabeled reads only the layer that won (read your writes).
func (c *Composition) GetLabeled(ctx context.Context, key string) (e backend.Entry, ok bool, label string, err error) {
	var r getResult
	c.get(ctx, key, &r)
	return r.e, r.ok, r.label, r.err
}

// get reads key into r (results travel by pointer: an Entry is large).
func (c *Composition) get(ctx context.Context, key string, r *getResult) {
	ctx, err := c.begin(ctx, "get", key)
	if err != nil {
		c.stats.errors.Add(1)
		*r = getResult{err: err}
		return
	}
	pending := c.pending.winner(key)
	switch {
	case pending >= 0:
		// A raced write of key was acknowledged and its loser is still
		// writing: only the winner has the entry.
		c.readLayer(ctx, pending, key, r)
		if r.err != nil {
			r.err = newError("get", layerErr{c.label(pending), r.err})
		}
	case c.opts.Read == ReadRace:
		c.getRace(ctx, key, r)
	case c.opts.Read == ReadParallel:
		c.getParallel(ctx, key, r)
	default:
		c.getSequential(ctx, key, r)
	}
	switch {
	case r.err != nil:
		c.stats.errors.Add(1)
		*r = getResult{err: r.err}
	case !r.ok:
		c.stats.misses.Add(1)
		*r = getResult{}
	default:
		c.stats.hits.Add(1)
		if r.layer == 1 && pending < 0 && c.opts.Refill == RefillAlways && r.e.State(c.now()) == backend.Fresh {
			c.refill(ctx, key, r.e)
		}
	}
}

// readLayer reads key from layer i into r and counts the outcome.
func (c *Composition) readLayer(ctx context.Context, i int, key string, r *getResult) {
	l := &c.layers[i]
	r.layer, r.label = i, ""
	if l.lg != nil {
		r.e, r.ok, r.label, r.err = l.lg.GetLabeled(ctx, key)
	} else {
		r.e, r.ok, r.err = l.b.Get(ctx, key)
	}
	if r.hit() && r.label == "" {
		r.label = c.label(i)
	}
	if countErr(ctx, r.err) {
		l.stats.get(r.ok, r.err)
	}
}

func (c *Composition) getSequential(ctx context.Context, key string, r *getResult) {
	c.readLayer(ctx, 0, key, r)
	if r.hit() {
		return
	}
	err1 := r.err
	if err1 != nil && ctx.Err() != nil {
		*r = getResult{err: newError("get", layerErr{c.label(0), err1})}
		return
	}
	c.readLayer(ctx, 1, key, r)
	if r.err != nil {
		r.err = newError("get", layerErr{c.label(0), err1}, layerErr{c.label(1), r.err})
	}
}

func (c *Composition) getRace(ctx context.Context, key string, out *getResult) {
	ch := make(chan *getResult, 2)
	rc := c.newRace(ctx, nil)
	if !c.start(rc, func(lctx context.Context, i int) {
		var r getResult
		c.readLayer(lctx, i, key, &r)
		ch <- &r
	}) {
		*out = getResult{err: fmt.Errorf("composition: get: %w", ErrClosed)}
		return
	}
	var res [2]*getResult
	for n := range 2 {
		select {
		case r := <-ch:
			if r.hit() {
				if n == 0 {
					c.loser(rc, TaskRaceReadLoser)
				}
				*out = *r
				return
			}
			res[r.layer] = r
		case <-ctx.Done():
			rc.abort()
			*out = getResult{err: ctxError("get", ctx)}
			return
		}
	}
	c.bothFailedOrMiss(res[0], res[1], out)
}

func (c *Composition) getParallel(ctx context.Context, key string, out *getResult) {
	var r2 getResult
	done := make(chan struct{})
	if !c.goTracked(func() {
		defer close(done)
		c.readLayer(ctx, 1, key, &r2)
	}) {
		*out = getResult{err: fmt.Errorf("composition: get: %w", ErrClosed)}
		return
	}
	c.readLayer(ctx, 0, key, out)
	<-done
	switch h1, h2 := out.hit(), r2.hit(); {
	case h1 && h2:
		if outlives(r2.e, out.e) {
			*out = r2
		}
	case h1:
	case h2:
		*out = r2
	default:
		r1 := *out
		c.bothFailedOrMiss(&r1, &r2, out)
	}
}

// bothFailedOrMiss decides into out a read in which neither layer hit: an
// error when both failed, else a miss.
func (c *Composition) bothFailedOrMiss(r1, r2, out *getResult) {
	if r1.err != nil && r2.err != nil {
		*out = getResult{err: newError("get", layerErr{c.label(0), r1.err}, layerErr{c.label(1), r2.err})}
		return
	}
	*out = getResult{}
}

// outlives reports whether a expires strictly later than b (a zero Expire
// is never).
func outlives(a, b backend.Entry) bool {
	switch {
	case b.Expire.IsZero():
		return false
	case a.Expire.IsZero():
		return true
	}
	return a.Expire.After(b.Expire)
}
