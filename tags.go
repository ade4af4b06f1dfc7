package hitbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/hitbox-go/hitbox/backend"
)

// InvalidateTags invalidates every entry carrying any of tags (see
// [Fetched.Tags]) that was written before this call: a later lookup of
// such an entry is a miss. Entries written afterwards are served as usual,
// and entries without tags are never affected. The invalidation is passive:
// the backend records each tag's invalidation time ([backend.Tagger]) and
// the flow compares it with an entry's write time when it reads the entry.
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
	if err := tg.InvalidateTags(ctx, tags, c.cfg.clock.Now()); err != nil {
		return fmt.Errorf("hitbox: invalidate tags: %w", err)
	}
	return nil
}

// tagged reports whether e, read for req, carries a tag invalidated at or
// after it was written. A backend without Tagger leaves the entry valid;
// one that fails to tell makes it invalid (a purged entry is never served
// because the invalidation times could not be read), the error counted as
// a read error.
func (c *Cache) tagged(ctx context.Context, req Request, e backend.Entry) bool {
	tg, ok := c.b.(backend.Tagger)
	if !ok {
		return false
	}
	at, err := tg.TagsInvalidated(ctx, e.Tags)
	if err != nil {
		c.cfg.recorder.Record(Event{Kind: EventReadError, Endpoint: req.Endpoint, Source: c.source, Err: err})
		return true
	}
	return !at.IsZero() && !at.Before(e.Written)
}
