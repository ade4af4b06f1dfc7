package predicate_test

import (
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

// FuzzPath matches hostile paths against patterns and checks the result
// against a regular-expression model of the pattern language.
func FuzzPath(f *testing.F) {
	seeds := [][2]string{
		{"/v1/authors/{author}/books/{book}", "/v1/authors/robert%20sheckley/books/1"},
		{"/v1/authors/{author}", "/v1/authors/a%2Fb"},
		{"/u/{id:[0-9]{2,3}}", "/u/123"},
		{"/static/{rest}*", "/static/a/b/"},
		{"{path}*", "/"},
		{"/files/*", "/files/%zz"},
		{"/caf%C3%A9/{x}", "/caf%c3%a9/%"},
		{"/robert sheckley", "/robert%20sheckley"},
		{"/a/{x}/", "/a//"},
		{"/{a}/{b}/{c}", "/%/%2/%zz"},
		{"/", ""},
		{"/é{x", "/\xff\x00"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := predicate.Path(pattern)
		if err != nil {
			if p != nil {
				t.Fatalf("Path(%q) returned a pattern and an error", pattern)
			}
			return
		}
		got := p.MatchPath(path)
		caps, ok := p.Captures(path)
		if ok != got {
			t.Fatalf("Path(%q): MatchPath(%q) = %v but Captures ok = %v", pattern, path, got, ok)
		}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path, RawPath: path}}
		p.Match(r) // must not panic; the URL may be inconsistent

		model, groups := pathModel(t, pattern)
		m := model.FindStringSubmatch(path)
		want := m != nil
		var wantCaps []predicate.Capture
		if want {
			wantCaps = []predicate.Capture{}
			for i, g := range groups {
				v := m[i+1]
				if g.re != nil && !g.re.MatchString(v) {
					want = false
				}
				if g.name != "" {
					wantCaps = append(wantCaps, predicate.Capture{Name: g.name, Value: v})
				}
			}
		}
		if got != want {
			t.Fatalf("Path(%q).MatchPath(%q) = %v, model (%s) says %v", pattern, path, got, model, want)
		}
		if want && !reflect.DeepEqual(caps, wantCaps) {
			t.Fatalf("Path(%q).Captures(%q) = %q, model says %q", pattern, path, caps, wantCaps)
		}
	})
}

// modelGroup is one capture group of a pathModel: a parameter (name set,
// re its own regex or nil) or a bare * (no name).
type modelGroup struct {
	name string
	re   *regexp.Regexp
}

// pathModel translates a valid pattern into an anchored regular expression
// with one group per parameter or *, described in order by groups.
func pathModel(t *testing.T, pattern string) (model *regexp.Regexp, groups []modelGroup) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; {
		case c == '{':
			end, depth := i+1, 0
		scan:
			for ; end < len(pattern); end++ {
				switch pattern[end] {
				case '\\':
					end++
				case '{':
					depth++
				case '}':
					if depth == 0 {
						break scan
					}
					depth--
				}
			}
			name, expr, _ := strings.Cut(pattern[i+1:end], ":")
			if end+1 < len(pattern) && pattern[end+1] == '*' {
				b.WriteString(`(.*)`)
				groups = append(groups, modelGroup{name: name})
				i = end + 2
				continue
			}
			b.WriteString(`([^/]+)`)
			g := modelGroup{name: name}
			if expr != "" {
				g.re = regexp.MustCompile(`^(?:` + expr + `)$`)
			}
			groups = append(groups, g)
			i = end + 1
		case c == '*':
			b.WriteString(`(.*)`)
			groups = append(groups, modelGroup{})
			i++
		case c == '%':
			b.WriteString("%" + hexClass(pattern[i+1]) + hexClass(pattern[i+2]))
			i += 3
		case isPlainPathByte(c):
			b.WriteString(regexp.QuoteMeta(string(c)))
			i++
		default:
			const hex = "0123456789ABCDEF"
			b.WriteString("%" + hexClass(hex[c>>4]) + hexClass(hex[c&15]))
			i++
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String()), groups
}

func hexClass(c byte) string {
	if 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
		return "[" + strings.ToLower(string(c)) + strings.ToUpper(string(c)) + "]"
	}
	return string(c)
}

func isPlainPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~!$&'()*+,;=:@[]/", c) >= 0
}

// FuzzHeaderQuery evaluates header and query predicates on hostile names,
// values and query strings, and checks Query against url.Query().
func FuzzHeaderQuery(f *testing.F) {
	f.Add("x-api-key", "secret", "secret", "page=1&page=2", "page")
	f.Add("Accept", "a, b", "a", "color[]=red&color%5B%5D=blue", "color")
	f.Add("x-k", "", "", "empty=&empty", "empty")
	f.Add("x k", "\x00\xff", "^v[0-9]+$", "a=%zz;b=%&c=+%2B", "c")
	f.Add("", " v ", "(", "&&=&", "")
	f.Fuzz(func(t *testing.T, name, value, want, rawQuery, param string) {
		ops := []predicate.Op{predicate.Eq(want), predicate.In(want, value), predicate.Contains(want), predicate.Exist()}
		if re, err := predicate.Regex(want); err == nil {
			ops = append(ops, re)
		}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		r.Header[http.CanonicalHeaderKey(name)] = []string{value, want}
		resp := &http.Response{StatusCode: 200, Header: r.Header}
		for _, op := range ops {
			if p, err := predicate.Header(name, op); err == nil {
				p.Match(r)
			} else if p != nil {
				t.Fatalf("Header(%q, %v) returned a predicate and an error", name, op)
			}
			if p, err := predicate.ResponseHeader(name, op); err == nil {
				p.Match(resp)
			}
			p, err := predicate.Query(param, op)
			if err != nil {
				continue
			}
			got := p.Match(r)
			q := r.URL.Query()
			values := append(q[param], q[param+"[]"]...)
			if param+"[]" == param {
				values = q[param]
			}
			modelWant := false
			for _, v := range values {
				modelWant = modelWant || opModel(op, want, value, strings.TrimSpace(want), strings.TrimSpace(value), v)
			}
			if got != modelWant {
				t.Fatalf("Query(%q, %v).Match(?%s) = %v, url.Query() gives %q", param, op, rawQuery, got, values)
			}
		}
	})
}

// opModel evaluates the operations built in FuzzHeaderQuery on one value,
// with the configured values trimmed.
func opModel(op predicate.Op, want, value, tWant, tValue, v string) bool {
	switch s := op.String(); {
	case strings.HasPrefix(s, "eq "):
		return v == tWant
	case strings.HasPrefix(s, "in "):
		return v == tWant || v == tValue
	case strings.HasPrefix(s, "contains "):
		return strings.Contains(v, tWant)
	case s == "exist":
		return true
	default: // regex, kept as written
		return regexp.MustCompile(want).MatchString(v)
	}
}

// FuzzBodyJQ evaluates body predicates on hostile bodies: no panic, and
// the body reaches the upstream unchanged.
func FuzzBodyJQ(f *testing.F) {
	for _, s := range []string{
		`{"user":{"role":"admin"}}`, `[]`, `null`, `1e999`, `-0`, `"\ud800"`, `{"a":`, `{} {}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		"\xff\xfe", `{"items":[1,2,3],"status":"published","n":123456789012345678901234567890}`, ``,
	} {
		f.Add([]byte(s), int64(-1))
		f.Add([]byte(s), int64(len(s)))
	}
	matchers := []predicate.BodyMatcher{
		must(predicate.JQ(`.user.role == "admin"`)),
		must(predicate.JQ(`.items | length > 0`)),
		must(predicate.JQ(`.. | numbers | . * 2 > 3`)),
		must(predicate.JQ(`tostring | hash | length == 64`)),
		must(predicate.JQ(`[paths] | length < 1000`)),
		must(predicate.JQEq(`.status`, "published")),
		must(predicate.JQIn(`.n`, 1, "x", nil)),
		must(predicate.JQExist(`.a.b.c`)),
		must(predicate.Raw(predicate.Contains(`"admin"`))),
		must(predicate.Raw(mustRegex(`^\s*[\[{]`))),
		must(predicate.Limit(16)),
	}
	f.Fuzz(func(t *testing.T, body []byte, length int64) {
		if length != -1 && length != int64(len(body)) {
			length = -1
		}
		for _, m := range matchers {
			r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}, Header: http.Header{},
				Body: io.NopCloser(strings.NewReader(string(body))), ContentLength: length}
			predicate.Body(m, predicate.BodyOptions{MaxBytes: 256}).Match(r)
			back, err := io.ReadAll(r.Body)
			if err != nil || string(back) != string(body) {
				t.Fatalf("Body(%v): body after Match = %q, %v; want %q", m, back, err, body)
			}
			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(body))), ContentLength: length}
			predicate.ResponseBody(m, predicate.BodyOptions{MaxBytes: 256}).Match(resp)
			back, err = io.ReadAll(resp.Body)
			if err != nil || string(back) != string(body) {
				t.Fatalf("ResponseBody(%v): body after Match = %q, %v; want %q", m, back, err, body)
			}
		}
	})
}
