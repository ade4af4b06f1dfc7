package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
)

// purgeTags is POST /purge {"tags": [...]}: it invalidates the tags
// (passively: every entry carrying one of them and written before is no
// longer served, whichever instance reads it), then deletes the entries it
// finds carrying one of them, best effort, and answers how many it
// deleted. The marks are what make the purge hold; the deletions only free
// the space at once, and count what the store lists with its tags (an
// entry a store cannot list, or lists without its tags, is not counted).
// withPrefix says the body also named a prefix: refused.
func (a *adminAPI) purgeTags(w http.ResponseWriter, r *http.Request, withPrefix bool, raw json.RawMessage) {
	if withPrefix {
		writeJSONError(w, http.StatusBadRequest, `body: give "prefix" or "tags", not both`)
		return
	}
	tags, err := parsePurgeTags(raw)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.withStore(w, func(b backend.Backend, _ hitbox.KeyFormat) {
		err := a.invalidate(r.Context(), b, tags)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			writeJSONError(w, http.StatusNotImplemented, "the backend cannot invalidate by tag")
			return
		case err != nil:
			a.backendError(w, "purge tags", err)
			return
		}
		if a.tagPurged != nil {
			a.tagPurged(len(tags))
		}
		writeJSON(w, http.StatusOK, map[string]int{"deleted": a.deleteTagged(r.Context(), b, tags)})
	})
}

// parsePurgeTags reads the "tags" of a purge: a non-empty list of
// non-empty strings.
func parsePurgeTags(raw json.RawMessage) ([]string, error) {
	const want = `tags: want a list of tags, like {"tags": ["user=42"]}`
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, errors.New(want)
	}
	if len(items) == 0 {
		return nil, errors.New("tags: the list is empty: name at least one tag")
	}
	tags := make([]string, 0, len(items))
	for i, it := range items {
		var t string
		if it = bytes.TrimSpace(it); len(it) == 0 || it[0] != '"' || json.Unmarshal(it, &t) != nil {
			return nil, fmt.Errorf("tags[%d]: want a string, got %s", i, it)
		}
		if t == "" {
			return nil, fmt.Errorf("tags[%d]: empty tag", i)
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// invalidate invalidates tags through the cache in force, or, without
// one, through b's backend.Tagger at the admin's clock (what
// hitbox.Cache.InvalidateTags does); an error wrapping
// errors.ErrUnsupported when b cannot invalidate by tag.
func (a *adminAPI) invalidate(ctx context.Context, b backend.Backend, tags []string) error {
	if a.invalidateTags != nil {
		return a.invalidateTags(ctx, tags)
	}
	tg, ok := b.(backend.Tagger)
	if !ok {
		return fmt.Errorf("%T cannot invalidate by tag: %w", b, errors.ErrUnsupported)
	}
	return tg.InvalidateTags(ctx, tags, a.clock())
}

// deleteTagged deletes the entries b lists with one of tags and returns
// how many it deleted. Failures are logged, not returned: the tags are
// already invalidated.
func (a *adminAPI) deleteTagged(ctx context.Context, b backend.Backend, tags []string) int {
	l, ok := b.(backend.Lister)
	if !ok {
		return 0
	}
	var keys []string
	err := l.List(ctx, "", func(ki backend.KeyInfo) bool {
		if slices.ContainsFunc(ki.Tags, func(t string) bool { return slices.Contains(tags, t) }) {
			keys = append(keys, ki.Key)
		}
		return true
	})
	if err != nil && a.log != nil {
		a.log.Warn("admin: purge tags: listing the tagged entries failed (they stay invalidated)", "err", err)
	}
	n, failed := 0, 0
	var first error
	for _, k := range keys {
		deleted, err := b.Delete(ctx, k)
		switch {
		case err != nil:
			failed++
			first = cmp.Or(first, err)
		case deleted:
			n++
		}
	}
	if failed > 0 && a.log != nil {
		a.log.Warn("admin: purge tags: deleting entries failed (they stay invalidated)", "failed", failed, "err", first)
	}
	return n
}
