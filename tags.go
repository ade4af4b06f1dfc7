package hitbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// InvalidateTags invalidates every entry carrying any of tags (see
// [Fetched.Tags]) that was written before this call: a later lookup of
// such an entry is a miss. Entries written afterwards are served as usual,
// and entries without tags are never affected. The invalidation is passive:
// the backend records each tag's invalidation time ([backend.Tagger]) and
// the flow compares it with an entry's write time when it reads the entry.
// The in-process layers of the Typeds made on c hear of it too (see
// [Typed.InvalidateTags]).
// It returns an error wrapping [errors.ErrUnsupported] when the backend
// cannot invalidate by tag, and [ErrInvalidTag] for an empty tag.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) error {
	ctx = orBackground(ctx)
	for _, t := range tags {
		if t == "" {
			return fmt.Errorf("%w: empty tag", ErrInvalidTag)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	tg, ok := c.b.(backend.Tagger)
	if !ok {
		return fmt.Errorf("hitbox: %T cannot invalidate by tag: %w", c.b, errors.ErrUnsupported)
	}
	now := c.cfg.clock.Now()
	c.markLayers(tags, now)
	if err := tg.InvalidateTags(ctx, tags, now); err != nil {
		return fmt.Errorf("hitbox: invalidate tags: %w", err)
	}
	return nil
}

// tagged reports whether e, read for req from the layer labeled src,
// carries a tag invalidated at or after it was written: a miss, whose
// answer overwrites e when it is stored (the shared call drops e when it
// stores none: see dropInvalidated). A backend without Tagger leaves the
// entry valid; one
// that fails to tell makes it invalid (a purged entry is never served
// because the invalidation times could not be read), the error counted as
// a read error.
func (c *Cache) tagged(ctx context.Context, req Request, e backend.Entry, src string) bool {
	tg, ok := c.b.(backend.Tagger)
	if !ok {
		return false
	}
	var (
		at  time.Time
		err error
	)
	if lt, isLT := c.b.(backend.LabeledTagger); isLT {
		at, err = lt.TagsInvalidatedLabeled(ctx, e.Tags, src)
	} else {
		at, err = tg.TagsInvalidated(ctx, e.Tags)
	}
	if err != nil {
		c.cfg.recorder.Record(Event{Kind: EventReadError, Endpoint: req.Endpoint, Source: src, Err: err})
		return true
	}
	return !at.IsZero() && !at.Before(e.Written)
}

// writeFetched stores e, the answer of an upstream call that started at
// started, unless one of its tags was invalidated since started: the
// answer may then predate the invalidation (the upstream read its data
// before it), and storing it would outlive the purge, since it is written
// after the mark. The callers of the flight still get it. A failure to
// read the marks skips the store too.
func (c *Cache) writeFetched(ctx context.Context, req Request, e backend.Entry, started time.Time) bool {
	if len(e.Tags) > 0 {
		if tg, ok := c.b.(backend.Tagger); ok {
			at, err := tg.TagsInvalidated(ctx, e.Tags)
			if err != nil || (!at.IsZero() && !at.Before(started)) {
				return false
			}
		}
	}
	return c.write(ctx, req, e)
}

// dropInvalidated deletes, in the background, the entry of req's key that
// a tag purge invalidated (written at written), once the shared call that
// found it stored no answer over it; an entry written since stays. It runs
// after the call rather than when the entry is read, so that it cannot run
// across the store of the call's own answer and delete it.
func (c *Cache) dropInvalidated(req Request, written time.Time) {
	c.cfg.offload.TryGoKey("tags.delete", req.Key, func(ctx context.Context) {
		if cur, ok, err := c.b.Get(ctx, req.Key); err == nil && ok && cur.Written.Equal(written) {
			_, _ = c.b.Delete(ctx, req.Key)
		}
	})
}
