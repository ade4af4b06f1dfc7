package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/extract"
)

var extractorNames = []string{"Method", "Path", "Query", "Header", "Body"}

// keyer is a decoded key extractor (or tag source): the library's value,
// and what the dump and the warnings read of it.
type keyer struct {
	x       extract.Extractor
	loc     Loc
	kind    string // Method, Path, Query, Header, Body or Static
	text    string // as the dump writes it
	name    string // Query's and Header's name, or prefix
	prefix  bool   // the name is a prefix ({starts: ...})
	value   bool   // a value regex picks part of the value
	pattern string // Path's
}

// defaultExtractors are Method, then Path "{path}*" (hitbox 0.2's
// defaults), placed at path.
func defaultExtractors(path string) []*keyer {
	x := extract.Default()
	return []*keyer{
		{x: x[0], loc: Loc{Path: path}, kind: "Method", text: fmt.Sprint(x[0])},
		{x: x[1], loc: Loc{Path: path}, kind: "Path", text: fmt.Sprint(x[1]), pattern: "{path}*"},
	}
}

// items decodes each item of the list n (null: none) with f, keeping
// the ones without errors.
func items[T any](d *decoder, n *node, path, what string, f func(*node, string) *T) []*T {
	out := []*T{}
	if n.kind == kindNull {
		return out
	}
	list, _ := d.list(n, path, what)
	for i, item := range list {
		if v := f(item, indexPath(path, i)); v != nil {
			out = append(out, v)
		}
	}
	return out
}

func (d *decoder) extractor(n *node, path string) *keyer {
	if n.kind == kindString && slices.Contains(extractorNames, n.text) {
		d.fail(n, path, ErrType, "want an extractor mapping, got the string %q (write `- %s:` with a colon)", n.text, n.text)
		return nil
	}
	key, val, p, ok := d.single(n, path, "extractor", extractorNames)
	if !ok {
		return nil
	}
	e := &keyer{kind: key, loc: loc(n, p)}
	var err error
	switch key {
	case "Method":
		if val.kind != kindNull {
			d.fail(val, p, ErrValue, "Method takes no value (write `- Method:`)")
			return nil
		}
		e.x = extract.Method()
	case "Path":
		if e.pattern, ok = d.str(val, p, "a path pattern"); !ok {
			return nil
		}
		e.x, err = extract.Path(e.pattern)
	case "Query", "Header":
		ok = d.selector(e, val, p)
	default:
		ok = d.bodyKey(e, val, p)
	}
	if !ok || !d.check(val, p, err) {
		return nil
	}
	e.text = fmt.Sprint(e.x) // as the library describes it
	return e
}

// selector decodes a Query or Header extractor: a name, or hitbox 0.2's
// selector {name, value, transforms}.
func (d *decoder) selector(e *keyer, n *node, path string) bool {
	var sel extract.Selector
	var ok bool
	if n.kind == kindString {
		e.name = n.text
		ok = d.noTag(n, path) && d.checkName(n, path, e.kind, e.name, false)
	} else {
		ok = d.selectorMap(e, n, path, &sel)
	}
	if !ok {
		return false
	}
	sel.Name, sel.Prefix = e.name, e.prefix
	var err error
	if e.kind == "Query" {
		e.x, err = extract.QuerySelector(sel)
	} else {
		e.x, err = extract.HeaderSelector(sel)
	}
	return d.check(n, path, err)
}

// selectorMap decodes hitbox 0.2's selector {name, value, transforms}.
func (d *decoder) selectorMap(e *keyer, n *node, path string, sel *extract.Selector) bool {
	what := strings.ToLower(e.kind)
	fs, ok := d.fields(n, path, "a "+what+" name or a selector mapping (name, value, transforms)", false,
		"name", "value", "transforms", "transform")
	if !ok {
		return false
	}
	name, hasName := fs["name"]
	if !hasName {
		d.fail(n, joinPath(path, "name"), ErrMissing, "missing name")
		return false
	}
	switch name.val.kind {
	case kindString:
		e.name = name.val.text
		ok = d.noTag(name.val, name.path) && d.checkName(name.val, name.path, e.kind, e.name, false)
	case kindMap:
		k, v, p, single := d.single(name.val, name.path, "name selector", []string{"eq", "starts"})
		if !single {
			ok = false
			break
		}
		if e.name, ok = d.str(v, p, "a "+what+" name"); ok {
			e.prefix = k == "starts"
			ok = d.checkName(v, p, e.kind, e.name, e.prefix)
		}
	default:
		d.wrongType(name.val, name.path, "a name, {eq: name} or {starts: prefix}")
		ok = false
	}
	if v, has := fs["value"]; has {
		if sel.Value, has = d.str(v.val, v.path, "a regular expression"); has {
			if _, err := regexp.Compile(sel.Value); err != nil {
				d.fail(v.val, v.path, ErrValue, "invalid regex %q: %w", sel.Value, err)
				ok = false
			}
		} else {
			ok = false
		}
		e.value = sel.Value != ""
	}
	ts, tsOK := d.transformsField(fs)
	sel.Transforms = ts
	return ok && tsOK
}

// transformEntry returns the entry of `transforms` or `transform` (not
// both), whether there is one, and whether there was no error.
func (d *decoder) transformEntry(fs map[string]entry) (entry, bool, bool) {
	plural, hasPlural := fs["transforms"]
	singular, hasSingular := fs["transform"]
	if hasPlural && hasSingular {
		d.fail(singular.key, singular.path, ErrValue, "transform and transforms mean the same: write one of them")
		return entry{}, false, false
	}
	if hasSingular {
		return singular, true, true
	}
	return plural, hasPlural, true
}

// transformsField reads `transforms` or `transform`: one or a list.
func (d *decoder) transformsField(fs map[string]entry) (extract.Transforms, bool) {
	t, has, ok := d.transformEntry(fs)
	if !has {
		return nil, ok
	}
	return d.transforms(t.val, t.path)
}

// transforms reads one transform or a list of them.
func (d *decoder) transforms(n *node, path string) (extract.Transforms, bool) {
	if n.kind == kindNull {
		return nil, true
	}
	items, out := oneOrList(n, path), extract.Transforms{}
	for _, e := range items {
		if t, ok := d.transform(e.val, e.path); ok {
			out = append(out, t)
		}
	}
	return out, len(out) == len(items)
}

// transform reads a transform by extract's name for it, or capitalised
// (hash, Hash), as hitbox files write both.
func (d *decoder) transform(n *node, path string) (extract.Transform, bool) {
	switch n.kind {
	case kindString:
		k, err := extract.ParseTransformKind(n.text)
		if err == nil && (n.text == k.String() || n.text == strings.ToUpper(k.String()[:1])+k.String()[1:]) {
			if k == extract.TransformTruncate {
				d.fail(n, path, ErrValue, "truncate needs a length: write {truncate: N}")
				return extract.Transform{}, false
			}
			return extract.Transform{Kind: k}, d.noTag(n, path)
		}
		d.unknown(n, path, ErrUnknownField, "transform", n.text, []string{"lowercase", "uppercase", "hash", "truncate"})
		return extract.Transform{}, false
	case kindMap:
		_, val, p, ok := d.single(n, path, "transform", []string{"truncate", "Truncate"})
		if !ok {
			return extract.Transform{}, false
		}
		length, ok := d.integer(val, p, 0, math.MaxInt32)
		return extract.Transform{Kind: extract.TransformTruncate, N: int(length)}, ok
	}
	d.wrongType(n, path, "a transform (lowercase, uppercase, hash or {truncate: N})")
	return extract.Transform{}, false
}

// bodyKey decodes a Body extractor.
func (d *decoder) bodyKey(e *keyer, n *node, path string) bool {
	var err error
	if n.kind == kindString {
		e.x, err = extract.Body(n.text)
		return d.noTag(n, path) && d.check(n, path, err)
	}
	fs, ok := d.fields(n, path, "a jq expression or a mapping (jq, regex, key, global, transforms)", false,
		"jq", "regex", "key", "global", "transforms", "transform")
	if !ok {
		return false
	}
	if j, has := fs["jq"]; has {
		for _, other := range []string{"regex", "key", "global", "transforms", "transform"} {
			if o, has := fs[other]; has {
				d.fail(o.key, o.path, ErrValue, "%s does not go with jq (it belongs to the regex form)", other)
				return false
			}
		}
		expr, ok := d.str(j.val, j.path, "a jq expression")
		if !ok {
			return false
		}
		e.x, err = extract.BodyJQ(expr)
		return d.check(j.val, j.path, err)
	}
	r, hasRegex := fs["regex"]
	if !hasRegex {
		for _, other := range []string{"key", "global"} {
			if o, has := fs[other]; has {
				d.fail(o.key, o.path, ErrValue, "%s needs regex", other)
				return false
			}
		}
		ts, ok := d.transformsField(fs)
		if !ok {
			return false
		}
		if len(ts) != 1 || ts[0].Kind != extract.TransformHash {
			d.fail(n, path, ErrValue, "a Body extractor needs jq, regex, or transforms: [hash] (the hash of the whole body)")
			return false
		}
		e.x = extract.BodyHash()
		return true
	}
	return d.bodyRegex(e, n, path, fs, r)
}

// bodyRegex decodes `Body: {regex, key, global, transforms}`.
func (d *decoder) bodyRegex(e *keyer, n *node, path string, fs map[string]entry, r entry) bool {
	expr, ok := d.str(r.val, r.path, "a regular expression")
	if !ok {
		return false
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		d.fail(r.val, r.path, ErrValue, "invalid regex %q: %w", expr, err)
		return false
	}
	key, global := "body", false
	if k, has := fs["key"]; has {
		if key, ok = d.str(k.val, k.path, "a part name"); ok && key == "" {
			d.fail(k.val, k.path, ErrValue, "empty part name")
			ok = false
		}
	}
	if g, has := fs["global"]; has {
		var gOK bool
		global, gOK = d.boolean(g.val, g.path)
		ok = ok && gOK
	}
	parts := slices.DeleteFunc(slices.Clone(re.SubexpNames()), func(s string) bool { return s == "" })
	if len(parts) == 0 {
		parts = []string{key}
	}
	var pt extract.PartTransforms
	t, has, tOK := d.transformEntry(fs)
	if !tOK {
		return false
	}
	if has && t.val.kind == kindMap && t.val.get("truncate") == nil && t.val.get("Truncate") == nil {
		pt.ByPart = map[string]extract.Transforms{}
		for i, k := range t.val.keys {
			p := joinPath(t.path, k.text)
			if !slices.Contains(parts, k.text) {
				d.fail(k, p, ErrValue, "the regex has no part %q (its parts: %s)", k.text, strings.Join(parts, ", "))
				ok = false
				continue
			}
			ts, tsOK := d.transforms(t.val.vals[i], p)
			pt.ByPart[k.text] = ts
			ok = ok && tsOK
		}
	} else if has {
		var tsOK bool
		pt.All, tsOK = d.transforms(t.val, t.path)
		ok = ok && tsOK
	}
	if !ok {
		return false
	}
	e.x, err = extract.BodyRegex(expr, key, global, pt)
	return d.check(r.val, r.path, err)
}
