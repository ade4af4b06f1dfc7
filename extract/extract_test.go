package extract

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hitbox-go/hitbox"
)

// request builds a test request; body "" means no body.
func request(t testing.TB, method, target, body string, header ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if len(header)%2 != 0 {
		t.Fatalf("request: odd header list %q", header)
	}
	for i := 0; i < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// extract runs e on r, failing the test on an error.
func extract(t *testing.T, e Extractor, r *http.Request) []hitbox.KeyPart {
	t.Helper()
	parts, err := e.Extract(r, nil)
	if err != nil {
		t.Fatalf("Extract(%s %s): %v", r.Method, r.URL, err)
	}
	return parts
}

func checkParts(t *testing.T, call string, got, want []hitbox.KeyPart) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: parts (-want +got):\n%s", call, diff)
	}
}

// must returns a function failing the test on a constructor's error:
// must(t)(Path("/a/{b}")).
func must(t testing.TB) func(Extractor, error) Extractor {
	t.Helper()
	return func(e Extractor, err error) Extractor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
}

func TestMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		want   string
	}{
		{"get", http.MethodGet, "GET"},
		{"post", http.MethodPost, "POST"},
		{"extension method kept as sent", "PURGE", "PURGE"},
		{"empty means GET", "", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, http.MethodGet, "/", "")
			r.Method = tt.method
			checkParts(t, "Method()", extract(t, Method(), r), []hitbox.KeyPart{hitbox.Part("method", tt.want)})
		})
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, target string
		want                 []hitbox.KeyPart
	}{
		{"query not in key", "GET", "/v1/books?page=2", []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/v1/books")}},
		{"encoded segment kept", "HEAD", "/a/robert%20sheckley/x%2Fy", []hitbox.KeyPart{hitbox.Part("method", "HEAD"), hitbox.Part("path", "/a/robert%20sheckley/x%2Fy")}},
		{"trailing slash counts", "GET", "/v1/books/", []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/v1/books/")}},
		{"root", "GET", "/", []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parts, err := Key(request(t, tt.method, tt.target, ""), Default(), nil)
			if err != nil {
				t.Fatalf("Key(%s %s, Default()): %v", tt.method, tt.target, err)
			}
			checkParts(t, "Key(Default())", parts, tt.want)
		})
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	page := Query("page")
	failing := Func(func(*http.Request, []hitbox.KeyPart) ([]hitbox.KeyPart, error) { return nil, boom })
	r := request(t, "GET", "/b?page=3", "")

	prefix := []hitbox.KeyPart{hitbox.Part("tenant", "t1")}
	parts, err := Key(r, []Extractor{Method(), page}, prefix)
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	checkParts(t, "Key(Method, Query page) after a prefix", parts, []hitbox.KeyPart{
		hitbox.Part("tenant", "t1"), hitbox.Part("method", "GET"), hitbox.Part("page", "3"),
	})

	parts, err = Key(r, []Extractor{Method(), failing, page}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("Key with a failing extractor: err = %v, want %v", err, boom)
	}
	checkParts(t, "Key stops at the error", parts, []hitbox.KeyPart{hitbox.Part("method", "GET")})

	parts, err = Key(r, nil, nil)
	if err != nil || len(parts) != 0 {
		t.Fatalf("Key(no extractors) = %v, %v; want no parts", parts, err)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, target string
		want                  []hitbox.KeyPart
		mismatch              bool
	}{
		{"two names", "/v1/authors/{author}/books/{book}", "/v1/authors/42/books/7?x=1",
			[]hitbox.KeyPart{hitbox.Part("author", "42"), hitbox.Part("book", "7")}, false},
		{"encoded segments as sent", "/v1/authors/{author}/books/{book}", "/v1/authors/robert%20sheckley/books/a%2Fb",
			[]hitbox.KeyPart{hitbox.Part("author", "robert%20sheckley"), hitbox.Part("book", "a%2Fb")}, false},
		{"regex segment", "/v1/items/{id:[0-9]+}", "/v1/items/123",
			[]hitbox.KeyPart{hitbox.Part("id", "123")}, false},
		{"regex segment mismatch", "/v1/items/{id:[0-9]+}", "/v1/items/abc", nil, true},
		{"tail capture", "/static/{rest}*", "/static/css/site.css",
			[]hitbox.KeyPart{hitbox.Part("rest", "css/site.css")}, false},
		{"whole path", "{path}*", "/a/b%20c?q=1",
			[]hitbox.KeyPart{hitbox.Part("path", "/a/b%20c")}, false},
		{"whole path other name", "{p}*", "/a", []hitbox.KeyPart{hitbox.Part("p", "/a")}, false},
		{"no names adds nothing", "/v1/books", "/v1/books", nil, false},
		{"star adds nothing", "/v1/*", "/v1/anything/here", nil, false},
		{"mismatch is an error", "/v1/authors/{author}", "/v2/authors/1", nil, true},
		{"trailing slash counts", "/v1/authors/{author}", "/v1/authors/1/", nil, true},
		{"case-sensitive", "/V1/{x}", "/v1/a", nil, true},
		// hitbox accepts patterns without a leading '/': they match no
		// request path and add no part, and they are no error.
		{"no leading slash adds nothing", "v1/authors/robert-sheckley/books/victim-prime",
			"/v1/authors/robert-sheckley/books/victim-prime", nil, false},
		{"no leading slash with names adds nothing", "v1/authors/{author}", "/v1/authors/1", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := must(t)(Path(tt.pattern))
			parts, err := e.Extract(request(t, "GET", tt.target, ""), nil)
			if tt.mismatch {
				if !errors.Is(err, ErrPathMismatch) {
					t.Fatalf("Path(%q) on %q: err = %v, want ErrPathMismatch", tt.pattern, tt.target, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Path(%q) on %q: %v", tt.pattern, tt.target, err)
			}
			checkParts(t, "Path("+tt.pattern+")", parts, tt.want)
		})
	}
}

func TestPathBadPattern(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "v1/{x", "v1/{a}/{a}", "/{x", "/{x:(}", "/{a}/{a}", "/a*b"} {
		if _, err := Path(p); err == nil {
			t.Errorf("Path(%q): no error", p)
		}
	}
}
