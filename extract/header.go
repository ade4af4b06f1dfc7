package extract

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox"
)

// Header returns an extractor adding one part named name exactly as
// written (case kept) whose value is the request header name (compared
// case-insensitively), or a part with no value when the request has no
// such header. A header sent several times gives one part whose value is
// its values joined by ", ", as HTTP folds them. "Host" is read from
// r.Host, where net/http moves it.
func Header(name string) Extractor {
	return &headerExtractor{c: compiled{name: name}}
}

// HeaderSelector returns the extractor of hitbox 0.2's selector form for
// headers. With an exact name it acts like [Header] with the part named
// sel.Name, except that a value the value regex does not match gives the
// part with no value. With a prefix (compared case-insensitively) it adds
// one part per header whose name starts with it, named by the header's
// name lowercased, sorted by name, and none when no header matches; a
// value the regex does not match gives the part with no value. Values are
// joined as for [Header] before the regex and the transforms apply. It
// returns an error for an empty exact name, a bad regex or an invalid
// transform.
func HeaderSelector(sel Selector) (Extractor, error) {
	c, err := sel.compile("header")
	if err != nil {
		return nil, err
	}
	return &headerExtractor{c: c, lower: strings.ToLower(c.name)}, nil
}

type headerExtractor struct {
	c     compiled
	lower string // a prefix, lowercased
}

func (h *headerExtractor) String() string { return h.c.describe("Header") }

func (h *headerExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	if h.c.prefix {
		return h.extractPrefix(r, parts), nil
	}
	v, ok := headerValue(r, h.c.name)
	if ok {
		v, ok = h.c.pick(v)
	}
	if !ok {
		return append(parts, hitbox.AbsentPart(h.c.name)), nil
	}
	return append(parts, hitbox.Part(h.c.name, v)), nil
}

// headerValue returns the values of the header name joined by ", ", and
// false when r has none.
func headerValue(r *http.Request, name string) (string, bool) {
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		// Headers set by hand may not be in canonical form.
		for k, kvs := range r.Header {
			if len(kvs) > 0 && strings.EqualFold(k, name) {
				vs = append(vs, kvs...)
			}
		}
		if len(vs) == 0 {
			if r.Host != "" && strings.EqualFold(name, "Host") {
				return r.Host, true
			}
			return "", false
		}
	}
	if len(vs) == 1 {
		return vs[0], true
	}
	return strings.Join(vs, ", "), true
}

func (h *headerExtractor) extractPrefix(r *http.Request, parts []hitbox.KeyPart) []hitbox.KeyPart {
	type header struct {
		lower, name string // name as in r.Header
	}
	var found []header
	for k, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		if lower := strings.ToLower(k); strings.HasPrefix(lower, h.lower) {
			found = append(found, header{lower, k})
		}
	}
	if r.Host != "" && strings.HasPrefix("host", h.lower) && !slices.ContainsFunc(found, func(x header) bool { return x.lower == "host" }) {
		found = append(found, header{"host", ""})
	}
	// Sort by lowercased name, then by name, so that names differing only
	// in case (set by hand) merge in a fixed order.
	slices.SortFunc(found, func(a, b header) int {
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for i := 0; i < len(found); {
		lower := found[i].lower
		var vs []string
		for ; i < len(found) && found[i].lower == lower; i++ {
			if found[i].name == "" {
				vs = append(vs, r.Host)
			} else {
				vs = append(vs, r.Header[found[i].name]...)
			}
		}
		if v, ok := h.c.pick(strings.Join(vs, ", ")); ok {
			parts = append(parts, hitbox.Part(lower, v))
		} else {
			parts = append(parts, hitbox.AbsentPart(lower))
		}
	}
	return parts
}

var _ Extractor = (*headerExtractor)(nil)
