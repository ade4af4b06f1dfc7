package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// defaultTagHeaders is tag_headers' default, httpcache's.
var defaultTagHeaders = []string{httpcache.DefaultTagHeader}

// fieldNames reads a list of HTTP field names (null: none), trimmed,
// that check (if any) accepts. A name must be a token, as httpcache's
// constructor requires of tag headers and targeted fields.
func (d *decoder) fieldNames(n *node, path, what string, check func(item *node, p, s string) bool) []string {
	var out []string
	var items []*node
	if n.kind != kindNull {
		items, _ = d.list(n, path, "a list of "+what+" names")
	}
	for i, item := range items {
		p := indexPath(path, i)
		s, ok := d.str(item, p, "a "+what+" name")
		switch s = strings.TrimSpace(s); {
		case !ok:
		case !rfc9111.IsToken(s):
			d.fail(item, p, ErrValue, "invalid %s name %q", what, s)
		case check == nil || check(item, p, s):
			out = append(out, s)
		}
	}
	return out
}

// tags decodes an endpoint's `tags: {request: [...]}`: Static pairs or
// any key extractor.
func (d *decoder) tags(n *node, path string) []*keyer {
	fs, _ := d.fields(n, path, "a mapping (request)", true, "request")
	e, ok := fs["request"]
	if !ok {
		return nil
	}
	return items(d, e.val, e.path, "a list of tag sources (Static or an extractor)", func(item *node, p string) *keyer {
		d.accepts(p, []string{"Static"}, false)
		if item.kind == kindMap && len(item.keys) == 1 && item.keys[0].text == "Static" {
			return d.static(item.vals[0], joinPath(p, "Static"))
		}
		return d.extractor(item, p)
	})
}

// static decodes `Static: {name: value, ...}`.
func (d *decoder) static(n *node, path string) *keyer {
	if n.kind != kindMap {
		d.wrongType(n, path, "a mapping of tag names to values (e.g. {tier: premium})")
		return nil
	}
	if len(n.keys) == 0 {
		d.fail(n, path, ErrValue, "empty Static: write at least one tag (e.g. {tier: premium})")
		return nil
	}
	d.noTag(n, path)
	parts, text := make([]hitbox.KeyPart, 0, len(n.keys)), "Static"
	for i, k := range n.keys {
		v, ok := n.vals[i].scalarText()
		if !ok || n.vals[i].tag != "" {
			d.wrongType(n.vals[i], joinPath(path, k.text), "a value (string, number or boolean)")
			return nil
		}
		parts = append(parts, hitbox.Part(k.text, v))
		text += fmt.Sprintf(" %s=%q", k.text, v) // as the dump shows it
	}
	return &keyer{x: extract.Static(parts...), loc: loc(n, path), kind: "Static", text: text}
}

// dumpTracing writes the tag headers and tracing that are not defaults.
func dumpTracing(w *strings.Builder, f *File) {
	if f.TagHeaders != nil && !slices.Equal(f.TagHeaders, defaultTagHeaders) {
		fmt.Fprintf(w, "tag_headers: %q\n", f.TagHeaders)
	}
	if t := f.Tracing; t.Exporter != "" {
		fmt.Fprintf(w, "tracing: exporter=%s endpoint=%q sample_ratio=%g\n", t.Exporter, t.Endpoint, t.SampleRatio)
	}
}
