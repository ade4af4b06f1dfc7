package config

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// decoder turns a node tree into a File, collecting every error and
// warning on the way; the YAML layer and the builder report through it.
type decoder struct {
	file  string
	errs  Errors
	warns Warnings
	// record, when set (by a test), is told the names each place accepts:
	// field, predicate or operation names, or enum values (enum true).
	record func(path string, names []string, enum bool)
}

func (d *decoder) accepts(path string, names []string, enum bool) {
	if d.record != nil {
		d.record(path, names, enum)
	}
}

func loc(n *node, path string) Loc { return Loc{Path: path, Line: n.line, Col: n.col} }

// wrongType reports a value of the wrong type.
func (d *decoder) wrongType(n *node, path, want string) {
	got := n.kind.String()
	if text, ok := n.scalarText(); ok && n.kind != kindString {
		got += " (" + text + ")"
	}
	d.fail(n, path, ErrType, "want %s, got %s", want, got)
}

// noTag reports a local tag where none is allowed.
func (d *decoder) noTag(n *node, path string) bool {
	if n.tag == "" {
		return true
	}
	d.fail(n, path, ErrValue, "tag %s is not allowed here (tags name operations on header and query values)", n.tag)
	return false
}

// entry is one key and value of a mapping.
type entry struct {
	key, val *node
	path     string
}

// fields checks that n is a mapping (or null, when nullOK) of known keys,
// reports the others and returns the entries by key; false when n is no
// mapping.
func (d *decoder) fields(n *node, path, what string, nullOK bool, known ...string) (map[string]entry, bool) {
	d.accepts(path, known, false)
	if n.kind == kindNull && nullOK {
		return map[string]entry{}, true
	}
	if n.kind != kindMap {
		d.wrongType(n, path, what)
		return nil, false
	}
	d.noTag(n, path)
	out := make(map[string]entry, len(n.keys))
	for i, k := range n.keys {
		p := joinPath(path, k.text)
		if slices.Contains(known, k.text) {
			out[k.text] = entry{key: k, val: n.vals[i], path: p}
		} else {
			d.unknown(k, p, ErrUnknownField, "field", k.text, known)
		}
	}
	return out, true
}

// unknown reports an unknown name among known ones, with a suggestion.
func (d *decoder) unknown(n *node, path string, kind error, what, name string, known []string) {
	if s := suggest(name, known); s != "" {
		d.fail(n, path, kind, "unknown %s %q (did you mean %q?)", what, name, s)
		return
	}
	d.fail(n, path, kind, "unknown %s %q (want one of %s)", what, name, strings.Join(known, ", "))
}

// suggest returns the known name closest to name when it may be a typo:
// the same but for case, or within an edit distance of a third of its
// length (1 to 3).
func suggest(name string, known []string) string {
	best, bestDist := "", math.MaxInt
	limit := min(max(utf8.RuneCountInString(name)/3, 1), 3)
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		if dist := editDistance(strings.ToLower(name), strings.ToLower(k)); dist <= limit && dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		for j := range d[i] {
			if i == 0 || j == 0 {
				d[i][j] = i + j
				continue
			}
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// enum reads a name among names (exact spelling; "" is no name) and
// returns its index.
func (d *decoder) enum(n *node, path, what string, names []string) (int, bool) {
	known := slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "" })
	d.accepts(path, known, true)
	if n.kind != kindString {
		d.wrongType(n, path, what+" name (one of "+strings.Join(known, ", ")+")")
		return 0, false
	}
	d.noTag(n, path)
	if i := slices.Index(names, n.text); i >= 0 && n.text != "" {
		return i, true
	}
	d.unknown(n, path, ErrValue, what, n.text, known)
	return 0, false
}

// str reads a string.
func (d *decoder) str(n *node, path, what string) (string, bool) {
	if n.kind != kindString {
		want := cmp.Or(what, "a string")
		if _, scalar := n.scalarText(); scalar {
			want += " (quote it to write it as a string)"
		}
		d.wrongType(n, path, want)
		return "", false
	}
	return n.text, d.noTag(n, path)
}

// boolean reads a boolean.
func (d *decoder) boolean(n *node, path string) (bool, bool) {
	if n.kind != kindBool {
		d.wrongType(n, path, "true or false")
		return false, false
	}
	return n.b, d.noTag(n, path)
}

// integer reads an integer in [lo, hi].
func (d *decoder) integer(n *node, path string, lo, hi int64) (int64, bool) {
	switch {
	case n.kind != kindInt:
		d.wrongType(n, path, "an integer")
	case !d.noTag(n, path): // reported
	case n.intOK && lo <= n.i && n.i <= hi:
		return n.i, true
	case hi == math.MaxInt64:
		d.fail(n, path, ErrValue, "%s is out of range (want at least %d)", n.text, lo)
	default:
		d.fail(n, path, ErrValue, "%s is out of range (want %d to %d)", n.text, lo, hi)
	}
	return 0, false
}

// size reads a byte size: a positive integer or a string like "256MiB".
func (d *decoder) size(n *node, path string) (int64, bool) {
	switch n.kind {
	case kindInt:
		return d.integer(n, path, 1, math.MaxInt64)
	case kindString:
		v, err := bytesize.Parse(n.text)
		switch {
		case err != nil:
			d.fail(n, path, ErrValue, "invalid size %q: %w", n.text, err)
		case v < 1:
			d.fail(n, path, ErrValue, "size %q must be at least 1 byte", n.text)
		default:
			return v, d.noTag(n, path)
		}
		return 0, false
	}
	d.wrongType(n, path, `a size (bytes, or a string like "256MiB")`)
	return 0, false
}

// duration reads whole seconds (an integer, or a string of digits) or a
// duration string ("300ms", "10s", "5m", "1h30m").
func (d *decoder) duration(n *node, path string) (time.Duration, bool) {
	const maxSeconds = math.MaxInt64 / int64(time.Second)
	s := strings.TrimSpace(n.text)
	switch {
	case n.kind == kindInt || n.kind == kindString && s != "" && strings.Trim(s, "0123456789") == "":
		secs, ok := n.i, n.intOK
		if n.kind == kindString {
			v, err := strconv.ParseInt(s, 10, 64)
			secs, ok = v, err == nil
		}
		if !ok || secs < 0 || secs > maxSeconds {
			d.fail(n, path, ErrValue, "%s seconds is out of range (want 0 to %d)", s, maxSeconds)
			return 0, false
		}
		return time.Duration(secs) * time.Second, d.noTag(n, path)
	case n.kind == kindString:
		switch v, err := time.ParseDuration(s); {
		case err != nil || s[0] == '+':
			d.fail(n, path, ErrValue, "invalid duration %q (want seconds or a duration like 300ms, 10s, 5m)", n.text)
		case v < 0 || s[0] == '-':
			d.fail(n, path, ErrValue, "negative duration %q", n.text)
		default:
			return v, d.noTag(n, path)
		}
		return 0, false
	case n.kind == kindFloat:
		d.fail(n, path, ErrValue, "%s: want whole seconds or a duration string such as \"1500ms\"", n.text)
		return 0, false
	}
	d.wrongType(n, path, "seconds or a duration string (300ms, 10s, 5m)")
	return 0, false
}

// list reads a list; a scalar is not accepted.
func (d *decoder) list(n *node, path, what string) ([]*node, bool) {
	if n.kind != kindSeq {
		d.wrongType(n, path, what)
		return nil, false
	}
	return n.items, d.noTag(n, path)
}

// single returns the only key and value of a mapping that must hold
// exactly one (a predicate, an extractor, an operation).
func (d *decoder) single(n *node, path, what string, known []string) (key string, val *node, p string, ok bool) {
	d.accepts(path, known, false)
	switch {
	case n.kind != kindMap:
		d.wrongType(n, path, "a "+what+" mapping ("+strings.Join(known, ", ")+")")
	case len(n.keys) == 0:
		d.fail(n, path, ErrValue, "empty mapping: want one of %s", strings.Join(known, ", "))
	case len(n.keys) > 1:
		names := make([]string, len(n.keys))
		for i, k := range n.keys {
			names[i] = k.text
		}
		d.fail(n, path, ErrValue, "one entry holds one %s, found %d (%s): write each as its own list item", what, len(n.keys), strings.Join(names, ", "))
	case !slices.Contains(known, n.keys[0].text):
		k := n.keys[0]
		d.unknown(k, joinPath(path, k.text), ErrUnknownField, what, k.text, known)
	default:
		key = n.keys[0].text
		return key, n.vals[0], joinPath(path, key), d.noTag(n, path)
	}
	return "", nil, "", false
}

// set reads the field name of fs, when present, with read, and stores it
// in *dst when it is valid.
func set[T any](fs map[string]entry, name string, dst *T, read func(*node, string) (T, bool)) {
	if e, ok := fs[name]; ok {
		if v, ok := read(e.val, e.path); ok {
			*dst = v
		}
	}
}

// text reads the string field name of fs, when present, into *dst; a
// non-empty empty is the message for an empty string.
func (d *decoder) text(fs map[string]entry, name string, dst *string, what, empty string, args ...any) {
	if e, ok := fs[name]; ok {
		if s, ok := d.str(e.val, e.path, what); ok && s == "" && empty != "" {
			d.fail(e.val, e.path, ErrValue, empty, args...)
		} else if ok {
			*dst = s
		}
	}
}

// required reports the field name of the mapping n at path missing, with
// why in parentheses, unless fs has it.
func (d *decoder) required(fs map[string]entry, n *node, path, name, why string) {
	if _, ok := fs[name]; !ok {
		d.fail(n, joinPath(path, name), ErrMissing, "missing %s (%s)", name, why)
	}
}
