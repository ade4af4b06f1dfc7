package config

import (
	"fmt"
	"strings"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
)

var defaultTagHeaders = []string{"Surrogate-Key"}

// fieldNames reads a list of HTTP field names (null: none), trimmed,
// that check (if any) accepts.
func (d *decoder) fieldNames(n *node, path, what string, check func(item *node, p, s string) bool) []string {
	var out []string
	if n.kind == kindNull {
		return out
	}
	items, ok := d.list(n, path, "a list of "+what+" names")
	if !ok {
		return out
	}
	for i, item := range items {
		p := indexPath(path, i)
		s, ok := d.str(item, p, "a "+what+" name")
		if s = strings.TrimSpace(s); !ok {
			continue
		}
		if !isToken(s) {
			d.fail(item, p, ErrValue, "invalid %s name %q", what, s)
		} else if check == nil || check(item, p, s) {
			out = append(out, s)
		}
	}
	return out
}

// tags decodes an endpoint's `tags: {request: [...]}`: Static pairs or
// any key extractor.
func (d *decoder) tags(n *node, path string) []*keyer {
	fs, ok := d.fields(n, path, "a mapping (request)", true, "request")
	if !ok {
		return nil
	}
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
	var parts []hitbox.KeyPart
	for i, k := range n.keys {
		v := n.vals[i]
		text, ok := v.scalarText()
		if !ok || v.tag != "" {
			d.wrongType(v, joinPath(path, k.text), "a value (string, number or boolean)")
			return nil
		}
		parts = append(parts, hitbox.Part(k.text, text))
	}
	return &keyer{x: extract.Static(parts...), loc: loc(n, path), kind: "Static", text: staticString(parts)}
}

// staticString describes Static parts as the dump shows them.
func staticString(parts []hitbox.KeyPart) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprintf("%s=%q", p.Name, p.Value)
	}
	return "Static " + strings.Join(s, " ")
}

// dumpTracing writes the tag headers and tracing that are not defaults.
func dumpTracing(w *strings.Builder, f *File) {
	if f.TagHeaders != nil && fmt.Sprint(f.TagHeaders) != fmt.Sprint(defaultTagHeaders) {
		fmt.Fprintf(w, "tag_headers: %q\n", f.TagHeaders)
	}
	if t := f.Tracing; t.Exporter != "" {
		fmt.Fprintf(w, "tracing: exporter=%s endpoint=%q sample_ratio=%g\n", t.Exporter, t.Endpoint, t.SampleRatio)
	}
}
