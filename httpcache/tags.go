package httpcache

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// Tags: see "Tags" in the package documentation. Tags live beside an
// entry, never in its key. A failing Tags extractor makes the answer
// unstored because an entry missing one of its tags could not be
// invalidated by it.

// DefaultTagHeader is the response header whose tokens become tags unless
// [WithTagHeaders] says otherwise.
const DefaultTagHeader = "Surrogate-Key"

// Bounds on one answer's tags: the tags past MaxTags, and any tag longer
// than MaxTagLen bytes, are dropped (counted in Stats.TagsDropped, and
// logged the first time).
const (
	MaxTags   = 64
	MaxTagLen = 1 << 10
)

// WithTagHeaders names the response headers whose space-separated tokens
// become tags of the stored answer, each token a tag as written (default
// [DefaultTagHeader]; no name means none). These headers are removed from
// every response before a client, the store or a response predicate sees
// it. A name that is not a field name is an error from the constructor.
func WithTagHeaders(names ...string) Option {
	return func(c *config) { c.tagHeaders = append(make([]string, 0, len(names)), names...) }
}

// defaultTagHeaders is the tag headers of WithTagHeaders' default
// (read-only).
var defaultTagHeaders = []string{DefaultTagHeader}

// tagDefaults canonicalises the tag header names (nil: the default).
func (c *config) tagDefaults() {
	if c.tagHeaders == nil {
		c.tagHeaders = defaultTagHeaders
		return
	}
	for i, n := range c.tagHeaders {
		c.tagHeaders[i] = textproto.CanonicalMIMEHeaderKey(n)
	}
}

// checkTags reports an invalid tag header name.
func (c *config) checkTags() error {
	for _, n := range c.tagHeaders {
		if !rfc9111.IsToken(n) {
			return fmt.Errorf("%w: tag header %q is not a field name", ErrInvalidOption, n)
		}
	}
	return nil
}

// takeTagHeaders removes the tag headers from h and returns their values
// (nil when none).
func (c *config) takeTagHeaders(h http.Header) []string {
	var vals []string
	for _, n := range c.tagHeaders {
		if vs, ok := h[n]; ok {
			vals = append(vals, vs...)
			delete(h, n)
		}
	}
	return vals
}

// stripTagHeaders removes the tag headers from h, a header going to a
// client.
func (c *config) stripTagHeaders(h http.Header) {
	for _, n := range c.tagHeaders {
		delete(h, n)
	}
}

// requestTags returns the tags the endpoint's Tags extractors give r:
// "name=value" for each part with a value; an extractor's error makes the
// answer uncacheable (see the notes above).
func requestTags(r *http.Request, ep *endpoint) ([]string, error) {
	if len(ep.tags) == 0 {
		return nil, nil
	}
	parts, err := extract.Key(r, ep.tags, nil)
	if err != nil {
		return nil, err
	}
	tags := make([]string, 0, len(parts))
	for _, p := range parts {
		if p.HasValue {
			tags = append(tags, p.Name+"="+p.Value)
		}
	}
	return tags, nil
}

// answerTags returns the tags of an answer: tags (from the request), then
// the tokens of vals (the values of its tag headers), without duplicates,
// within the bounds.
func (c *core) answerTags(tags []string, vals []string) []string {
	if len(tags) == 0 && len(vals) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(tags)+len(vals), MaxTags))
	dropped := 0
	add := func(t string) {
		switch {
		case t == "" || slices.Contains(out, t):
		case len(t) > MaxTagLen || len(out) == MaxTags:
			dropped++
		default:
			out = append(out, t)
		}
	}
	for _, t := range tags {
		add(t)
	}
	for _, v := range vals {
		for t := range strings.FieldsSeq(v) {
			add(t)
		}
	}
	if dropped > 0 {
		c.cfg.stats.TagsDropped.Add(int64(dropped))
		if c.tagsLogged.CompareAndSwap(false, true) {
			c.cfg.logger.Warn("httpcache: tags dropped (more than the bounds allow; logged once)",
				"dropped", dropped, "max_tags", MaxTags, "max_tag_len", MaxTagLen)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fetchTags runs the endpoint's Tags extractors on a rewound copy of the
// plan's request for a fetch; false when one failed (counted): the answer
// must not be stored.
func (c *core) fetchTags(p *plan) ([]string, bool) {
	if len(p.ep.tags) == 0 {
		return nil, true
	}
	r := p.r
	if p.body != nil {
		r = new(http.Request)
		*r = *p.r
		resetBody(r, p.body)
	}
	tags, err := requestTags(r, p.ep)
	if err != nil {
		c.cfg.stats.TagErrors.Add(1)
		c.cfg.logger.Debug("httpcache: a tag extractor failed: the answer is not stored", "endpoint", p.ep.name, "err", err)
		return nil, false
	}
	return tags, true
}

// tagInvalidated reports whether e, read straight from the backend b
// (outside the flow, which checks it itself), carries a tag invalidated at
// or after it was written; an error reading the invalidation times counts
// as invalidated (a purged entry is never served because they could not be
// read).
func tagInvalidated(ctx context.Context, b backend.Backend, e backend.Entry) bool {
	if len(e.Tags) == 0 {
		return false
	}
	tg, ok := b.(backend.Tagger)
	if !ok {
		return false
	}
	at, err := tg.TagsInvalidated(ctx, e.Tags)
	return err != nil || (!at.IsZero() && !at.Before(e.Written))
}

// unionTags returns a's tags followed by those of b it lacks, within
// MaxTags.
func unionTags(a, b []string) []string {
	out := slices.Clip(a)
	for _, t := range b {
		if len(out) < MaxTags && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
