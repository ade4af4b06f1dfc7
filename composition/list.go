package composition

import (
	"context"
	"errors"
	"fmt"

	"github.com/hitbox-go/hitbox/backend"
)

// List implements [backend.Lister]: the union of the layers' keys under
// prefix, each key once. A key both layers hold is reported with the
// metadata of the entry that expires later (L1's on a tie), as a parallel
// read would pick it.
//
// List first collects L1's entries (memory in proportion to L1's size, the
// smaller layer as a rule), then walks L2, then reports the L1 entries L2
// did not have. A layer that cannot list (it does not implement
// [backend.Lister], or its List returns an error wrapping
// [errors.ErrUnsupported]) is skipped; when neither can, List returns an
// *[Error] wrapping errors.ErrUnsupported. When a layer fails, the other
// layer's entries are still reported, and the failure is returned as an
// *[Error] naming the layer.
func (c *Composition) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if c.closed.Load() {
		return fmt.Errorf("composition: list: %w", ErrClosed)
	}
	l1 := make(map[string]backend.KeyInfo)
	err1 := listLayer(ctx, c.layers[0].b, prefix, func(k backend.KeyInfo) bool {
		l1[k.Key] = k
		return true
	})
	stopped := false
	err2 := listLayer(ctx, c.layers[1].b, prefix, func(k backend.KeyInfo) bool {
		if k1, ok := l1[k.Key]; ok {
			delete(l1, k.Key)
			if !outlives(backend.Entry{Expire: k.Expire}, backend.Entry{Expire: k1.Expire}) {
				k = k1
			}
		}
		if !fn(k) {
			stopped = true
		}
		return !stopped
	})
	if !stopped {
		for _, k := range l1 {
			if !fn(k) {
				break
			}
		}
	}
	return c.layersErr("list", err1, err2)
}

// layersErr reports the failures of an operation on both layers, where
// ErrUnsupported from one layer alone is no failure.
func (c *Composition) layersErr(op string, err1, err2 error) error {
	u1, u2 := errors.Is(err1, errors.ErrUnsupported), errors.Is(err2, errors.ErrUnsupported)
	if u1 != u2 {
		if u1 {
			err1 = nil
		} else {
			err2 = nil
		}
	}
	if err1 == nil && err2 == nil {
		return nil
	}
	return newError(op, layerErr{c.label(0), err1}, layerErr{c.label(1), err2})
}

func listLayer(ctx context.Context, b backend.Backend, prefix string, fn func(backend.KeyInfo) bool) error {
	l, ok := b.(backend.Lister)
	if !ok {
		return fmt.Errorf("%T cannot list: %w", b, errors.ErrUnsupported)
	}
	return l.List(ctx, prefix, fn)
}

// Purge implements [backend.Purger]: it purges L2, then L1 (so that a read
// in between is less likely to refill L1 from L2), each with its own Purge,
// or with List and Delete when it has no Purge. It returns the larger of the
// two layers' counts: the number of distinct keys deleted when L1 holds a
// subset of L2's keys, as a refilled L1 does.
//
// A layer's failure does not stop the other's purge and is returned as an
// *[Error] naming the layer, with the other layer's count: a purge is
// complete only when both layers were purged. A layer that can neither
// purge nor list fails with an error wrapping [errors.ErrUnsupported].
func (c *Composition) Purge(ctx context.Context, prefix string) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if c.closed.Load() {
		return 0, fmt.Errorf("composition: purge: %w", ErrClosed)
	}
	if err := c.pending.settlePrefix(ctx, prefix); err != nil {
		return 0, ctxError("purge", ctx)
	}
	n2, err2 := backend.PurgePrefix(ctx, c.layers[1].b, prefix)
	n1, err1 := backend.PurgePrefix(ctx, c.layers[0].b, prefix)
	for i, err := range []error{err1, err2} {
		if err != nil && !errors.Is(err, errors.ErrUnsupported) && countErr(ctx, err) {
			c.layers[i].stats.errors.Add(1)
		}
	}
	if err1 != nil || err2 != nil {
		return max(n1, n2), newError("purge", layerErr{c.label(0), err1}, layerErr{c.label(1), err2})
	}
	return max(n1, n2), nil
}
