package composition

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// InvalidateTags implements [backend.Tagger]: it records the invalidation
// on every layer that can (one implementing [backend.Tagger] whose
// InvalidateTags does not return an error wrapping [errors.ErrUnsupported]),
// L1 first, both layers even when one fails. Failures come back in an
// *[Error] naming the layers; when no layer can invalidate by tag,
// InvalidateTags returns an error wrapping errors.ErrUnsupported.
func (c *Composition) InvalidateTags(ctx context.Context, tags []string, at time.Time) error {
	ctx, err := c.beginTags(ctx, "invalidate tags")
	if err != nil {
		return err
	}
	var (
		fails []layerErr
		some  bool
	)
	for i := range c.layers {
		tg, ok := c.layers[i].b.(backend.Tagger)
		if !ok {
			continue
		}
		err := tg.InvalidateTags(ctx, tags, at)
		switch {
		case err == nil:
			some = true
		case errors.Is(err, errors.ErrUnsupported):
		default:
			some = true
			fails = append(fails, layerErr{c.label(i), err})
		}
	}
	switch {
	case len(fails) > 0:
		return newError("invalidate tags", fails...)
	case !some:
		return fmt.Errorf("composition: invalidate tags: no layer can invalidate by tag: %w", errors.ErrUnsupported)
	}
	return nil
}

// TagsInvalidated implements [backend.Tagger]: the latest mark of any of
// tags over every layer that implements [backend.Tagger] (a call to each:
// see [Composition.TagsInvalidatedLabeled] for the cheaper check of a
// served entry). A layer's failure is returned in an *[Error] naming it.
func (c *Composition) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	ctx, err := c.beginTags(ctx, "tags invalidated")
	if err != nil {
		return time.Time{}, err
	}
	return c.marks(ctx, tags, len(c.layers))
}

// TagsInvalidatedLabeled is [Composition.TagsInvalidated] for an entry that
// the layer labeled label served ([Composition.GetLabeled]'s label), as the
// request flow checks a tagged entry on every hit. With [TagCheckServing]
// (the default) it reads the marks of that layer and of the layers above
// it only: an entry an in-process L1 served is checked against L1's marks,
// with no call to L2. This is exact when L1 records every invalidation
// that L2 does, which holds for this instance's own (InvalidateTags marks
// every layer) and, across a fleet, for the other instances' when L1 is
// subscribed to them (redis.Backend.Subscribe, which also loads L2's marks
// into L1 when it subscribes). An entry L2 served is checked against L1's
// and L2's marks. With [TagCheckEvery], or for a label the composition does
// not know (empty included), it reads every layer's marks.
func (c *Composition) TagsInvalidatedLabeled(ctx context.Context, tags []string, label string) (time.Time, error) {
	ctx, err := c.beginTags(ctx, "tags invalidated")
	if err != nil {
		return time.Time{}, err
	}
	if c.opts.TagCheck == TagCheckEvery {
		return c.marks(ctx, tags, len(c.layers))
	}
	for i := range c.layers {
		l := &c.layers[i]
		switch {
		case label == c.label(i):
			return c.marks(ctx, tags, i+1)
		case l.inner != nil && strings.HasPrefix(label, c.label(i)+"."):
			above, err := c.marks(ctx, tags, i)
			if err != nil {
				return time.Time{}, err
			}
			at, err := l.inner.TagsInvalidatedLabeled(ctx, tags, label)
			if err != nil {
				return time.Time{}, newError("tags invalidated", layerErr{c.label(i), err})
			}
			return latest(above, at), nil
		}
	}
	return c.marks(ctx, tags, len(c.layers))
}

// marks returns the latest mark of any of tags over the first n layers.
func (c *Composition) marks(ctx context.Context, tags []string, n int) (time.Time, error) {
	var at time.Time
	for i := range n {
		tg, ok := c.layers[i].b.(backend.Tagger)
		if !ok {
			continue
		}
		m, err := tg.TagsInvalidated(ctx, tags)
		if err != nil {
			return time.Time{}, newError("tags invalidated", layerErr{c.label(i), err})
		}
		at = latest(at, m)
	}
	return at, nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// beginTags checks what every tag operation checks first.
func (c *Composition) beginTags(ctx context.Context, op string) (context.Context, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if c.closed.Load() {
		return ctx, fmt.Errorf("composition: %s: %w", op, ErrClosed)
	}
	return ctx, nil
}

var (
	_ backend.Tagger        = (*Composition)(nil)
	_ backend.LabeledTagger = (*Composition)(nil)
)
