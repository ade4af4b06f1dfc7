package extract

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzQuery(f *testing.F) {
	for _, s := range []string{"page=1", "color[]=a&color%5B%5D=b", "a=%zz", "%zz=1&&;=&==", "a+b=%20&a%20b", "x=" + strings.Repeat("%", 50)} {
		f.Add(s, "page")
		f.Add(s, "color")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, rawQuery, name string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		parts, err := Query(name).Extract(r, nil)
		for _, p := range parts {
			if p.Name != name || !p.HasValue {
				t.Fatalf("Query(%q) on %q gave part %+v", name, rawQuery, p)
			}
		}
		if err == nil && name != "" && !strings.Contains(rawQuery, strings.TrimSuffix(name, "[]")) && !strings.ContainsAny(rawQuery, "%+") && len(parts) > 0 {
			t.Fatalf("Query(%q) on %q found parts the query does not hold: %v", name, rawQuery, parts)
		}
		for _, sel := range []Selector{{Name: name, Value: `^(\d+)`}, {Name: name, Prefix: true, Transforms: Transforms{{Kind: TransformTruncate, N: 3}}}} {
			if e, err := QuerySelector(sel); err == nil {
				_, _ = e.Extract(r, nil)
			}
		}
	})
}

func FuzzHeader(f *testing.F) {
	f.Add("X-Tenant-Id", "t1", "x-")
	f.Add("", "", "")
	f.Add("host", "\x00\xff", "H")
	f.Add("a b\r\n", "v\r\nX: y", "a")
	f.Fuzz(func(t *testing.T, name, value, prefix string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Host: value, Header: http.Header{
			name:                                   {value, value},
			http.CanonicalHeaderKey(name):          {value},
			strings.ToLower(name):                  {},
			"X-" + strings.ToUpper(name) + "-Tail": {value},
		}}
		parts, err := Header(name).Extract(r, nil)
		if err != nil || len(parts) != 1 || parts[0].Name != name {
			t.Fatalf("Header(%q) = %v, %v; want one part named as written", name, parts, err)
		}
		for _, sel := range []Selector{{Name: name, Value: value}, {Name: prefix, Prefix: true, Value: `(\w+)`}, {Name: prefix, Prefix: true}} {
			e, err := HeaderSelector(sel)
			if err != nil {
				continue
			}
			parts, err := e.Extract(r, nil)
			if err != nil {
				t.Fatalf("HeaderSelector(%+v): %v", sel, err)
			}
			for i := 1; sel.Prefix && i < len(parts); i++ {
				if parts[i-1].Name >= parts[i].Name {
					t.Fatalf("HeaderSelector(%+v): names not sorted and unique: %v", sel, parts)
				}
			}
		}
	})
}

func FuzzBody(f *testing.F) {
	for _, s := range []string{`{"a":1,"user":{"email":"x"}}`, `[{"a":1},2,null]`, `"s"`, `12345678901234567890`, `{"a":`, "", "\x00\xff", `{"a":1} x`, `[[[[[]]]]]`, `{"a":1e999}`} {
		f.Add([]byte(s))
	}
	es := []Extractor{
		BodyHash(WithLimit(1 << 10)),
		must(f)(Body(".a", WithLimit(1<<10))),
		must(f)(Body(".. | hash", WithLimit(1<<10))),
		must(f)(BodyJQ("{a, b: .user.email}", WithLimit(1<<10))),
		must(f)(BodyJQ(".", WithLimit(1<<10))),
		must(f)(BodyRegex(`"(?P<k>\w*)":(?P<v>[^,}]*)`, "", true, PartTransforms{All: Transforms{{Kind: TransformTruncate, N: 4}}}, WithLimit(1<<10))),
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &http.Request{Method: "POST", URL: &url.URL{Path: "/"}, Header: http.Header{}, ContentLength: -1,
			Body: io.NopCloser(strings.NewReader(string(body)))}
		for _, e := range es {
			_, _ = e.Extract(r, nil)
		}
		got, err := io.ReadAll(r.Body)
		if err != nil || string(got) != string(body) {
			t.Fatalf("body after extraction = %q, %v; want %q", got, err, body)
		}
	})
}

func FuzzPath(f *testing.F) {
	for _, s := range []string{"/v1/authors/a/books/b", "/v1/authors/robert%20sheckley/books/%2F", "", "//", "/v1/authors/%zz/books/x", "*"} {
		f.Add(s)
	}
	var es []Extractor
	for _, pattern := range []string{"{path}*", "/v1/authors/{author}/books/{book}", "/v1/{id:[0-9]+}/{rest}*", "/v1/*"} {
		es = append(es, must(f)(Path(pattern)))
	}
	f.Fuzz(func(t *testing.T, path string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path, RawPath: path}, Header: http.Header{}}
		for _, e := range es {
			_, _ = e.Extract(r, nil)
		}
	})
}
