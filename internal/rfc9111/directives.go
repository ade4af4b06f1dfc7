package rfc9111

import (
	"net/textproto"
	"strings"
)

// Directives is a parsed Cache-Control field (RFC 9111 §5.2), or a targeted
// field such as CDN-Cache-Control (RFC 9213). The same type serves requests
// and responses: the syntax is one, the meaning of each directive depends on
// where it was received. The zero value holds no directive.
//
// Parsing is tolerant, as browsers and caches are: names are
// case-insensitive, arguments may be tokens or quoted strings, a flag's
// argument is ignored, unknown directives are kept in Extensions. Where
// tolerance would make a response fresher than its sender may have meant,
// the parser picks the restrictive reading: a missing, malformed or
// conflicting delta-seconds argument is [InvalidDelta] (a response with an
// invalid max-age is stale), and a malformed no-cache or private argument
// counts as the unqualified directive.
type Directives struct {
	NoStore         bool // no-store
	NoCache         bool // no-cache without field names: always revalidate
	Private         bool // private without field names
	Public          bool // public
	MustRevalidate  bool // must-revalidate
	ProxyRevalidate bool // proxy-revalidate
	MustUnderstand  bool // must-understand
	NoTransform     bool // no-transform
	OnlyIfCached    bool // only-if-cached (request)
	Immutable       bool // immutable (RFC 8246)
	MaxStaleAny     bool // max-stale without a value (request): any staleness

	// NoCacheFields and PrivateFields are the canonical field names of
	// no-cache="..." and private="...": fields a cache must not store (all
	// caches, shared caches), while the rest of the response may be.
	NoCacheFields []string
	PrivateFields []string

	MaxAge               Delta // max-age
	SMaxAge              Delta // s-maxage (response)
	MaxStale             Delta // max-stale=N (request)
	MinFresh             Delta // min-fresh (request)
	StaleWhileRevalidate Delta // stale-while-revalidate (RFC 5861)
	StaleIfError         Delta // stale-if-error (RFC 5861)

	// Extensions are the directives this package does not know, in the
	// order received, names in lower case. A cache ignores them (§5.2.3);
	// they are kept for callers that know more.
	Extensions []Extension
}

// Extension is a directive [Directives] does not interpret.
type Extension struct {
	Name     string // lower case
	Value    string // unquoted argument
	HasValue bool   // an argument was given (possibly empty)
}

// ParseCacheControl parses the lines of a Cache-Control field (as in
// http.Header["Cache-Control"]) as one list. It never fails: whatever it
// cannot read is skipped or read restrictively, as [Directives] says. It
// allocates only for field-name lists, unknown directives and names or
// arguments that need rewriting (upper case, quoted-pair escapes).
func ParseCacheControl(lines []string) Directives {
	var d Directives
	for _, line := range lines {
		d.parseLine(line)
	}
	return d
}

func (d *Directives) parseLine(s string) {
	for {
		s = trimLeft(s, " \t,")
		if s == "" {
			return
		}
		n := 0
		for n < len(s) && isTchar(s[n]) {
			n++
		}
		if n == 0 { // not a directive: skip the element
			s = skipElement(s)
			continue
		}
		name := s[:n]
		s = s[n:]
		var (
			val       string
			hasVal    bool
			malformed bool
		)
		if s != "" && s[0] == '=' {
			hasVal = true
			s = s[1:]
			if s != "" && s[0] == '"' {
				var ok bool
				val, s, ok = unquote(s)
				malformed = !ok
			} else {
				n = 0
				for n < len(s) && isTchar(s[n]) {
					n++
				}
				val, s = s[:n], s[n:]
			}
		}
		s = trimLeft(s, " \t")
		if s != "" && s[0] != ',' {
			malformed = true
			s = skipElement(s)
		}
		d.set(name, val, hasVal, malformed)
	}
}

// set records one directive.
func (d *Directives) set(name, val string, hasVal, malformed bool) {
	if hasUpper(name) {
		name = strings.ToLower(name)
	}
	delta := func() Delta {
		if !hasVal || malformed {
			return InvalidDelta
		}
		return parseDelta(val)
	}
	switch name {
	case "no-store":
		d.NoStore = true
	case "no-cache":
		setFieldList(&d.NoCache, &d.NoCacheFields, val, hasVal && !malformed)
	case "private":
		setFieldList(&d.Private, &d.PrivateFields, val, hasVal && !malformed)
	case "public":
		d.Public = true
	case "must-revalidate":
		d.MustRevalidate = true
	case "proxy-revalidate":
		d.ProxyRevalidate = true
	case "must-understand":
		d.MustUnderstand = true
	case "no-transform":
		d.NoTransform = true
	case "only-if-cached":
		d.OnlyIfCached = true
	case "immutable":
		d.Immutable = true
	case "max-age":
		d.MaxAge = d.MaxAge.merge(delta())
	case "s-maxage":
		d.SMaxAge = d.SMaxAge.merge(delta())
	case "max-stale":
		if !hasVal {
			d.MaxStaleAny = true
			return
		}
		d.MaxStale = d.MaxStale.merge(delta())
	case "min-fresh":
		d.MinFresh = d.MinFresh.merge(delta())
	case "stale-while-revalidate":
		d.StaleWhileRevalidate = d.StaleWhileRevalidate.merge(delta())
	case "stale-if-error":
		d.StaleIfError = d.StaleIfError.merge(delta())
	default:
		d.Extensions = append(d.Extensions, Extension{Name: name, Value: val, HasValue: hasVal})
	}
}

// setFieldList records no-cache or private: the field names of a
// well-formed list, else the unqualified directive.
func setFieldList(unqualified *bool, fields *[]string, list string, wellFormed bool) {
	if wellFormed {
		if f, ok := appendFields(*fields, list); ok {
			*fields = f
			return
		}
	}
	*unqualified = true
}

// appendFields adds the comma-separated field names of list, canonical;
// ok is false when the list names none.
func appendFields(dst []string, list string) ([]string, bool) {
	n := len(dst)
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ",")
		item = textproto.TrimString(item)
		if item != "" {
			dst = append(dst, textproto.CanonicalMIMEHeaderKey(item))
		}
	}
	return dst, len(dst) > n
}

// unquote reads the quoted-string at the start of s (s[0] == '"'),
// resolving quoted-pairs. ok is false when the closing quote is missing;
// the rest of s is then consumed.
func unquote(s string) (val, rest string, ok bool) {
	var b *strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			if b == nil {
				return s[1:i], s[i+1:], true
			}
			return b.String(), s[i+1:], true
		case '\\':
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(s[1:i])
			}
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			if b != nil {
				b.WriteByte(c)
			}
		}
	}
	if b == nil {
		return s[1:], "", false
	}
	return b.String(), "", false
}

// skipElement drops s up to the next comma outside a quoted string.
func skipElement(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				return s[i:]
			}
		}
	}
	return ""
}

func trimLeft(s, cut string) string {
	i := 0
	for i < len(s) && strings.IndexByte(cut, s[i]) >= 0 {
		i++
	}
	return s[i:]
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// tchar marks the bytes a token may hold (RFC 9110 §5.6.2).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isTchar reports whether c may appear in a token.
func isTchar(c byte) bool { return tchar[c] }

// String writes the directives back in a canonical order: flags, field
// lists, delta-seconds, then extensions as received. Parsing the result
// gives the same Directives.
func (d Directives) String() string {
	var b strings.Builder
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	for _, f := range []struct {
		on   bool
		name string
	}{
		{d.NoStore, "no-store"}, {d.NoCache, "no-cache"}, {d.Private, "private"},
		{d.Public, "public"}, {d.MustRevalidate, "must-revalidate"},
		{d.ProxyRevalidate, "proxy-revalidate"}, {d.MustUnderstand, "must-understand"},
		{d.NoTransform, "no-transform"}, {d.OnlyIfCached, "only-if-cached"},
		{d.Immutable, "immutable"}, {d.MaxStaleAny, "max-stale"},
	} {
		if f.on {
			add(f.name)
		}
	}
	if len(d.NoCacheFields) > 0 {
		add("no-cache=" + quote(strings.Join(d.NoCacheFields, ", ")))
	}
	if len(d.PrivateFields) > 0 {
		add("private=" + quote(strings.Join(d.PrivateFields, ", ")))
	}
	for _, v := range []struct {
		d    Delta
		name string
	}{
		{d.MaxAge, "max-age"}, {d.SMaxAge, "s-maxage"}, {d.MaxStale, "max-stale"},
		{d.MinFresh, "min-fresh"}, {d.StaleWhileRevalidate, "stale-while-revalidate"},
		{d.StaleIfError, "stale-if-error"},
	} {
		if v.d.Present() {
			add(v.name + "=" + v.d.String())
		}
	}
	for _, e := range d.Extensions {
		switch {
		case !e.HasValue:
			add(e.Name)
		case isToken(e.Value):
			add(e.Name + "=" + e.Value)
		default:
			add(e.Name + "=" + quote(e.Value))
		}
	}
	return b.String()
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// quote writes s as a quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
