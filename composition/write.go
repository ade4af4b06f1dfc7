package composition

import (
	"context"
	"fmt"

	"github.com/hitbox-go/hitbox/backend"
)

// Set implements [backend.Backend]: it writes e to the layers as the
// [WritePolicy] says.
//
//   - [WriteOptimisticParallel]: both layers at once, waiting for both;
//     nil when at least one write succeeded (the other's failure is counted
//     in [Composition.Stats]).
//   - [WriteSequential]: L1, then L2; an L1 error is returned at once, L2
//     untouched; an L2 error is returned too (L1 keeps the entry).
//   - [WriteRace]: both layers at once; nil on the first success, the other
//     write finishing or being canceled as the [LoserPolicy] says; when the
//     first layer to finish failed, the other is awaited; when ctx ends
//     first, both writes are canceled and an error wrapping ctx's cause is
//     returned.
//
// When both layers fail, the *[Error] names both and wraps both causes.
// Sequential and parallel writes pass ctx to the layers and rely on them to
// honor it.
//
// Before writing, Set cancels and awaits the loser of an earlier raced write
// of key still in flight, so that it cannot land over this write.
func (c *Composition) Set(ctx context.Context, key string, e backend.Entry) error {
	ctx, err := c.begin(ctx, "set", key)
	if err == nil {
		err = c.settle(ctx, "set", key)
	}
	if err == nil {
		switch c.opts.Write {
		case WriteSequential:
			err = c.setSequential(ctx, key, e)
		case WriteRace:
			err = c.setRace(ctx, key, e)
		default:
			err = c.setParallel(ctx, key, e)
		}
	}
	c.stats.set(err)
	return err
}

// writeLayer writes e to layer i and counts the outcome.
func (c *Composition) writeLayer(ctx context.Context, i int, key string, e backend.Entry) error {
	l := &c.layers[i]
	err := l.b.Set(ctx, key, e)
	if countErr(ctx, err) {
		l.stats.set(err)
	}
	return err
}

func (c *Composition) setSequential(ctx context.Context, key string, e backend.Entry) error {
	if err := c.writeLayer(ctx, 0, key, e); err != nil {
		return newError("set", layerErr{c.label(0), err})
	}
	if err := c.writeLayer(ctx, 1, key, e); err != nil {
		return newError("set", layerErr{c.label(1), err})
	}
	return nil
}

func (c *Composition) setParallel(ctx context.Context, key string, e backend.Entry) error {
	ch := make(chan error, 1)
	if !c.goTracked(func() { ch <- c.writeLayer(ctx, 1, key, e) }) {
		return fmt.Errorf("composition: set: %w", ErrClosed)
	}
	err1 := c.writeLayer(ctx, 0, key, e)
	if err2 := <-ch; err1 != nil && err2 != nil {
		return newError("set", layerErr{c.label(0), err1}, layerErr{c.label(1), err2})
	}
	return nil
}

// setResult is one layer's answer to a raced write.
type setResult struct {
	err   error
	layer int
}

func (c *Composition) setRace(ctx context.Context, key string, e backend.Entry) error {
	in := &inflight{}
	in.winner.Store(-1)
	rc := c.newRace(ctx, func() { c.pending.remove(key, in) })
	in.race = rc
	c.pending.add(key, in)
	ch := make(chan setResult, 2)
	if !c.start(rc, func(lctx context.Context, i int) { ch <- setResult{c.writeLayer(lctx, i, key, e), i} }) {
		return fmt.Errorf("composition: set: %w", ErrClosed)
	}
	var errs [2]error
	for n := range 2 {
		select {
		case r := <-ch:
			if r.err == nil {
				if n == 0 {
					in.winner.Store(int32(r.layer))
					c.loser(rc, TaskRaceWriteLoser)
				}
				return nil
			}
			errs[r.layer] = r.err
		case <-ctx.Done():
			rc.abort()
			return ctxError("set", ctx)
		}
	}
	return newError("set", layerErr{c.label(0), errs[0]}, layerErr{c.label(1), errs[1]})
}

// Delete implements [backend.Backend]: it deletes key from both layers at
// once and reports deleted when either had it. One layer's failure is
// swallowed (counted in [Composition.Stats]) and the other's answer
// returned, as hitbox does; when both fail, the *[Error] names both and
// wraps both causes. Like Set, it first cancels and awaits the loser of a
// raced write of key still in flight, which would bring the entry back.
func (c *Composition) Delete(ctx context.Context, key string) (bool, error) {
	ctx, err := c.begin(ctx, "delete", key)
	if err == nil {
		err = c.settle(ctx, "delete", key)
	}
	if err != nil {
		c.stats.errors.Add(1)
		return false, err
	}
	type result struct {
		deleted bool
		err     error
	}
	do := func(i int) result {
		l := &c.layers[i]
		d, err := l.b.Delete(ctx, key)
		if countErr(ctx, err) {
			l.stats.del(d, err)
		}
		return result{d, err}
	}
	ch := make(chan result, 1)
	if !c.goTracked(func() { ch <- do(1) }) {
		c.stats.errors.Add(1)
		return false, fmt.Errorf("composition: delete: %w", ErrClosed)
	}
	r1 := do(0)
	r2 := <-ch
	if r1.err != nil && r2.err != nil {
		err := newError("delete", layerErr{c.label(0), r1.err}, layerErr{c.label(1), r2.err})
		c.stats.errors.Add(1)
		return false, err
	}
	deleted := (r1.err == nil && r1.deleted) || (r2.err == nil && r2.deleted)
	c.stats.del(deleted, nil)
	return deleted, nil
}

// settle waits for the loser of a raced write of key still in flight,
// having canceled it, so that op on key lands after it.
func (c *Composition) settle(ctx context.Context, op, key string) error {
	if err := c.pending.settle(ctx, key); err != nil {
		return ctxError(op, ctx)
	}
	return nil
}
