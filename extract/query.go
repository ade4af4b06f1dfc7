package extract

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox"
)

// Query returns an extractor adding one part called name per value of the
// query parameter name, in the order the values appear, and no part at
// all when the parameter is absent. "?empty=" and "?empty" give a part with
// an empty value. A bracket array counts as the parameter: Query("color")
// takes both values of "color[]=red&color%5B%5D=blue", and so does
// Query("color[]"), whose parts are named "color[]". Names and values
// are percent-decoded ('+' is a space); a selected value whose encoding is
// malformed is an error wrapping [ErrBadQuery], and a pair whose name is
// malformed is skipped (it names no parameter).
func Query(name string) Extractor {
	return &queryExtractor{c: compiled{name: name}, match: strings.TrimSuffix(name, "[]")}
}

// QuerySelector returns the extractor of hitbox 0.2's selector form for
// query parameters. With an exact name it acts like [Query] with the
// part named sel.Name, except that values the value regex does not match
// are dropped. With a prefix (compared case-sensitively, as parameter names
// are) it adds one part per value of every parameter whose name starts
// with it, named by the parameter's decoded name (without "[]"), sorted by
// name; the values of one name keep their order. It returns an error for
// an empty exact name, a bad regex or an invalid transform.
func QuerySelector(sel Selector) (Extractor, error) {
	c, err := sel.compile("query")
	if err != nil {
		return nil, err
	}
	q := &queryExtractor{c: c, match: c.name}
	if !c.prefix {
		q.match = strings.TrimSuffix(c.name, "[]")
	}
	return q, nil
}

type queryExtractor struct {
	c     compiled
	match string // the decoded name (or prefix) without "[]"
}

func (q *queryExtractor) String() string { return q.c.describe("Query") }

func (q *queryExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	if r.URL == nil || r.URL.RawQuery == "" {
		return parts, nil
	}
	if q.c.prefix {
		return q.extractPrefix(r.URL.RawQuery, parts)
	}
	var err error
	eachParam(r.URL.RawQuery, func(name, rawValue string) bool {
		if name != q.match {
			return true
		}
		var v string
		if v, err = decodeValue(name, rawValue); err != nil {
			return false
		}
		if v, ok := q.c.pick(v); ok {
			parts = append(parts, hitbox.Part(q.c.name, v))
		}
		return true
	})
	return parts, err
}

func (q *queryExtractor) extractPrefix(raw string, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	type param struct{ name, raw string }
	var found []param
	eachParam(raw, func(name, rawValue string) bool {
		if strings.HasPrefix(name, q.match) {
			found = append(found, param{name, rawValue})
		}
		return true
	})
	slices.SortStableFunc(found, func(a, b param) int { return strings.Compare(a.name, b.name) })
	for _, p := range found {
		v, err := decodeValue(p.name, p.raw)
		if err != nil {
			return parts, err
		}
		if v, ok := q.c.pick(v); ok {
			parts = append(parts, hitbox.Part(p.name, v))
		}
	}
	return parts, nil
}

// eachParam calls fn with the decoded name (a trailing "[]" removed) and
// the raw value of every parameter of the raw query string, in order,
// until fn returns false. Pairs with a malformed name and empty pairs are
// skipped.
func eachParam(raw string, fn func(name, rawValue string) bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		if needsUnescape(name) {
			var err error
			if name, err = url.QueryUnescape(name); err != nil {
				continue
			}
		}
		name = strings.TrimSuffix(name, "[]")
		if !fn(name, value) {
			return
		}
	}
}

func needsUnescape(s string) bool { return strings.ContainsAny(s, "%+") }

func decodeValue(name, raw string) (string, error) {
	if !needsUnescape(raw) {
		return raw, nil
	}
	v, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrBadQuery, name, err)
	}
	return v, nil
}

var _ Extractor = (*queryExtractor)(nil)
