package config

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/extract"
)

var (
	extractorNames = []string{"Method", "Path", "Query", "Header", "Body"}
	// Transform names as files write them: hitbox's lower-case names and
	// the capitalised ones of hitbox files.
	transformNames = map[string]TransformKind{
		"lowercase": Lowercase, "Lowercase": Lowercase, "uppercase": Uppercase, "Uppercase": Uppercase,
		"hash": Hash, "Hash": Hash, "truncate": Truncate, "Truncate": Truncate,
	}
)

// defaultExtractors are Method, then Path "{path}*" (hitbox 0.2's
// defaults), placed at path.
func defaultExtractors(path string) []*Extractor {
	return []*Extractor{
		{Kind: MethodKey, Loc: Loc{Path: path}},
		{Kind: PathKey, Loc: Loc{Path: path}, Pattern: "{path}*"},
	}
}

func (d *decoder) extractors(n *node, path string) []*Extractor {
	out := []*Extractor{}
	if n.kind == kindNull {
		return out
	}
	items, ok := d.list(n, path, "a list of extractors")
	if !ok {
		return out
	}
	for i, item := range items {
		if e := d.extractor(item, indexPath(path, i)); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) extractor(n *node, path string) *Extractor {
	if n.kind == kindString && slices.Contains(extractorNames, n.text) {
		d.fail(n, path, ErrType, "want an extractor mapping, got the string %q (write `- %s:` with a colon)", n.text, n.text)
		return nil
	}
	key, val, p, ok := d.single(n, path, "extractor", extractorNames)
	if !ok {
		return nil
	}
	e := &Extractor{Loc: loc(n, p)}
	switch key {
	case "Method":
		e.Kind = MethodKey
		if val.kind != kindNull {
			d.fail(val, p, ErrValue, "Method takes no value (write `- Method:`)")
			return nil
		}
	case "Path":
		e.Kind = PathKey
		pattern, ok := d.str(val, p, "a path pattern")
		if !ok {
			return nil
		}
		if _, err := extract.Path(pattern); err != nil {
			d.fail(val, p, ErrValue, "%s", trimPkg(err.Error()))
			return nil
		}
		e.Pattern = pattern
	case "Query", "Header":
		e.Kind = QueryKey
		if key == "Header" {
			e.Kind = HeaderKey
		}
		if !d.selector(e, val, p) {
			return nil
		}
	case "Body":
		e.Kind = BodyKey
		if !d.bodyKey(e, val, p) {
			return nil
		}
	}
	return e
}

// trimPkg removes the package prefixes of an error text from the packages
// this one builds with.
func trimPkg(s string) string {
	for {
		t := strings.TrimPrefix(strings.TrimPrefix(s, "extract: "), "predicate: ")
		if t == s {
			return s
		}
		s = t
	}
}

// selector decodes a Query or Header extractor: a name, or hitbox 0.2's
// selector {name, value, transforms}.
func (d *decoder) selector(e *Extractor, n *node, path string) bool {
	what := strings.ToLower(e.Kind.String())
	if n.kind == kindString {
		e.Name = n.text
		return d.noTag(n, path) && d.keyName(e, n, path)
	}
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
	ok = true
	switch name.val.kind {
	case kindString:
		e.Name = name.val.text
		ok = d.noTag(name.val, name.path) && d.keyName(e, name.val, name.path)
	case kindMap:
		k, v, p, single := d.single(name.val, name.path, "name selector", []string{"eq", "starts"})
		if !single {
			ok = false
			break
		}
		if e.Name, ok = d.str(v, p, "a "+what+" name"); ok {
			e.Prefix = k == "starts"
			ok = d.keyName(e, v, p)
		}
	default:
		d.wrongType(name.val, name.path, "a name, {eq: name} or {starts: prefix}")
		ok = false
	}
	if v, has := fs["value"]; has {
		if e.Value, has = d.str(v.val, v.path, "a regular expression"); has {
			if _, err := regexp.Compile(e.Value); err != nil {
				d.fail(v.val, v.path, ErrValue, "invalid regex %q: %w", e.Value, err)
				ok = false
			}
		} else {
			ok = false
		}
	}
	ts, tsOK := d.transformsField(n, path, fs)
	e.Transforms = ts
	return ok && tsOK
}

func (d *decoder) keyName(e *Extractor, n *node, path string) bool {
	switch {
	case e.Prefix && e.Kind == HeaderKey && e.Name != "" && !isToken(e.Name):
		d.fail(n, path, ErrValue, "invalid header name prefix %q", e.Name)
	case e.Prefix:
		return true
	case e.Name == "":
		d.fail(n, path, ErrValue, "empty %s name", strings.ToLower(e.Kind.String()))
	case e.Kind == HeaderKey && !isToken(e.Name):
		d.fail(n, path, ErrValue, "invalid header name %q", e.Name)
	default:
		return true
	}
	return false
}

// transformsField reads `transforms` or `transform` (not both) of a
// mapping: one transform or a list.
func (d *decoder) transformsField(n *node, path string, fs map[string]entry) ([]Transform, bool) {
	plural, hasPlural := fs["transforms"]
	singular, hasSingular := fs["transform"]
	switch {
	case hasPlural && hasSingular:
		d.fail(singular.key, singular.path, ErrValue, "transform and transforms mean the same: write one of them")
		return nil, false
	case hasSingular:
		plural = singular
	case !hasPlural:
		return nil, true
	}
	return d.transforms(plural.val, plural.path)
}

// transforms reads one transform or a list of them.
func (d *decoder) transforms(n *node, path string) ([]Transform, bool) {
	items := []*node{n}
	if n.kind == kindSeq {
		items = n.items
	} else if n.kind == kindNull {
		return nil, true
	}
	var out []Transform
	ok := true
	for i, item := range items {
		p := path
		if n.kind == kindSeq {
			p = indexPath(path, i)
		}
		t, tOK := d.transform(item, p)
		if tOK {
			out = append(out, t)
		}
		ok = ok && tOK
	}
	return out, ok
}

func (d *decoder) transform(n *node, path string) (Transform, bool) {
	names := []string{"lowercase", "uppercase", "hash", "truncate"}
	switch n.kind {
	case kindString:
		if k, ok := transformNames[n.text]; ok && k != Truncate {
			return Transform{Kind: k}, d.noTag(n, path)
		}
		if k := transformNames[n.text]; k == Truncate {
			d.fail(n, path, ErrValue, "truncate needs a length: write {truncate: N}")
			return Transform{}, false
		}
		d.unknown(n, path, "transform", n.text, names)
		return Transform{}, false
	case kindMap:
		_, val, p, ok := d.single(n, path, "transform", []string{"truncate", "Truncate"})
		if !ok {
			return Transform{}, false
		}
		length, ok := d.integer(val, p, 0, math.MaxInt32)
		return Transform{Kind: Truncate, N: int(length)}, ok
	}
	d.wrongType(n, path, "a transform (lowercase, uppercase, hash or {truncate: N})")
	return Transform{}, false
}

// bodyKey decodes a Body extractor.
func (d *decoder) bodyKey(e *Extractor, n *node, path string) bool {
	if n.kind == kindString {
		e.Form, e.JQ = BodyExpr, n.text
		return d.noTag(n, path) && d.jq(n, path, n.text)
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
		e.Form = BodyJQ
		var ok bool
		if e.JQ, ok = d.str(j.val, j.path, "a jq expression"); !ok {
			return false
		}
		return d.jq(j.val, j.path, e.JQ)
	}
	r, hasRegex := fs["regex"]
	if !hasRegex {
		for _, other := range []string{"key", "global"} {
			if o, has := fs[other]; has {
				d.fail(o.key, o.path, ErrValue, "%s needs regex", other)
				return false
			}
		}
		ts, ok := d.transformsField(n, path, fs)
		if !ok {
			return false
		}
		if len(ts) != 1 || ts[0].Kind != Hash {
			d.fail(n, path, ErrValue, "a Body extractor needs jq, regex, or transforms: [hash] (the hash of the whole body)")
			return false
		}
		e.Form = BodyHash
		return true
	}
	e.Form = BodyRegex
	expr, ok := d.str(r.val, r.path, "a regular expression")
	if !ok {
		return false
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		d.fail(r.val, r.path, ErrValue, "invalid regex %q: %w", expr, err)
		return false
	}
	e.Regex, e.Key = expr, "body"
	ok = true
	if k, has := fs["key"]; has {
		if e.Key, ok = d.str(k.val, k.path, "a part name"); ok && e.Key == "" {
			d.fail(k.val, k.path, ErrValue, "empty part name")
			ok = false
		}
	}
	if g, has := fs["global"]; has {
		var gOK bool
		e.Global, gOK = d.boolean(g.val, g.path)
		ok = ok && gOK
	}
	parts := []string{}
	for _, name := range re.SubexpNames() {
		if name != "" {
			parts = append(parts, name)
		}
	}
	if len(parts) == 0 {
		parts = []string{e.Key}
	}
	t, has := fs["transforms"]
	if !has {
		t, has = fs["transform"]
	}
	if has && t.val.kind == kindMap && t.val.get("truncate") == nil && t.val.get("Truncate") == nil {
		_, hasT := fs["transform"]
		_, hasTs := fs["transforms"]
		if hasT && hasTs {
			d.fail(fs["transform"].key, fs["transform"].path, ErrValue, "transform and transforms mean the same: write one of them")
			return false
		}
		e.PartTransforms = map[string][]Transform{}
		for i, k := range t.val.keys {
			p := joinPath(t.path, k.text)
			if !slices.Contains(parts, k.text) {
				d.fail(k, p, ErrValue, "the regex has no part %q (its parts: %s)", k.text, strings.Join(parts, ", "))
				ok = false
				continue
			}
			ts, tsOK := d.transforms(t.val.vals[i], p)
			e.PartTransforms[k.text] = ts
			ok = ok && tsOK
		}
		return ok
	}
	ts, tsOK := d.transformsField(n, path, fs)
	e.Transforms = ts
	return ok && tsOK
}
