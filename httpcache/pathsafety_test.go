package httpcache

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

func TestAmbiguousPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path string
		want bool
	}{
		{"/", false},
		{"/static/app.css", false},
		{"/v1/authors/robert%20sheckley/books/1", false},
		{"/a.b/..c/...", false},
		{"/%2ex", false},
		{"/static/..%2Faccount", true},
		{"/static/..%2faccount", true},
		{"/static/x%5Caccount", true},
		{"/static/x\\account", true},
		{"/static/x;/account", true},
		{"/static//account", true},
		{"/static/../account", true},
		{"/static/./app.css", true},
		{"/static/%2e%2e/account", true},
		{"/static/.%2E/account", true},
		{"/static/%2E/app.css", true},
		{"/static/..", true},
	} {
		if got := ambiguousPath(c.path); got != c.want {
			t.Errorf("ambiguousPath(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}

// TestMiddlewareNeverCachesAmbiguousPaths: a request whose path an
// upstream may normalise into another resource (web cache deception:
// /static/..%2Faccount read by a /static/* predicate, served as /account)
// goes to the upstream every time and stores nothing, while a plain path
// under the same endpoint is cached.
func TestMiddlewareNeverCachesAmbiguousPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte("private page for " + r.URL.Path))
	}), []Endpoint{{Name: "static"}})
	for _, target := range []string{"/static/..%2Faccount", "/static/x;/account", "/static//account", "/static/%2e%2e/account"} {
		for i := range 2 {
			a := serve(t, h, http.MethodGet, target, "")
			if a.xcache != "MISS" || a.cacheStatus != "hitbox; fwd=bypass; fwd-status=200" {
				t.Errorf("GET %s (#%d): %s %q, want MISS with fwd=bypass", target, i+1, a.xcache, a.cacheStatus)
			}
		}
	}
	if n := calls.Load(); n != 8 {
		t.Errorf("upstream calls = %d, want 8 (every ambiguous request forwarded)", n)
	}
	if a := serve(t, h, http.MethodGet, "/static/app.css", ""); a.xcache != "MISS" {
		t.Fatalf("first plain GET: %s", a.xcache)
	}
	if a := serve(t, h, http.MethodGet, "/static/app.css", ""); a.xcache != "HIT" {
		t.Errorf("second plain GET: %s, want HIT", a.xcache)
	}
}

// TestMiddlewareNeverCachesAmbiguousQueries: a query with a ";" that an
// upstream may read as a parameter separator (parameter cloaking:
// "?x=1;page=2" keyed without a page, served as page 2) goes to the
// upstream every time and stores nothing, so the plain page's entry is
// never the cloaked answer; an encoded %3B is cached as usual.
func TestMiddlewareNeverCachesAmbiguousQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	books, err := extract.Path("/books")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	h := e.middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		page := "1"
		for _, kv := range strings.FieldsFunc(r.URL.RawQuery, func(c rune) bool { return c == '&' || c == ';' }) {
			if v, ok := strings.CutPrefix(kv, "page="); ok {
				page = v
			}
		}
		_, _ = w.Write([]byte("page " + page))
	}), []Endpoint{{Name: "books", Extractors: []extract.Extractor{extract.Method(), books, extract.Query("page")}}})
	for i := range 2 {
		a := serve(t, h, http.MethodGet, "/books?x=1;page=2", "")
		if a.xcache != "MISS" || a.cacheStatus != "hitbox; fwd=bypass; fwd-status=200" || a.body != "page 2" {
			t.Errorf("GET /books?x=1;page=2 (#%d): %s %q %q, want MISS with fwd=bypass", i+1, a.xcache, a.cacheStatus, a.body)
		}
	}
	if a := serve(t, h, http.MethodGet, "/books", ""); a.xcache != "MISS" || a.body != "page 1" {
		t.Errorf("GET /books after the cloaked one: %s %q, want a MISS of page 1", a.xcache, a.body)
	}
	if a := serve(t, h, http.MethodGet, "/books", ""); a.xcache != "HIT" || a.body != "page 1" {
		t.Errorf("GET /books again: %s %q, want a HIT of page 1", a.xcache, a.body)
	}
	for _, want := range []string{"MISS", "HIT"} {
		if a := serve(t, h, http.MethodGet, "/books?page=a%3Bb", ""); a.xcache != want {
			t.Errorf("GET /books?page=a%%3Bb: %s, want %s", a.xcache, want)
		}
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("upstream calls = %d, want 4", n)
	}
}

// TestMiddlewareNeverCachesUnkeyedGetBody: a GET whose body is in no part
// of its key ("fat GET": an upstream that merges form parameters of the
// body with the query's serves page 2 for "GET /books" with the body
// "page=2") goes to the upstream every time and stores nothing, so the
// plain GET's entry is never that answer; an endpoint whose key reads the
// body caches GETs with bodies, one entry per body.
func TestMiddlewareNeverCachesUnkeyedGetBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q, err := extract.BodyJQ(".q")
	if err != nil {
		t.Fatal(err)
	}
	search, err := predicate.Path("/search")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	h := e.middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		page := "1"
		if v, ok := strings.CutPrefix(string(body), "page="); ok {
			page = v
		}
		_, _ = w.Write([]byte(r.URL.Path + " page " + page + " " + string(body)))
	}), []Endpoint{
		{Name: "search", Request: search, Extractors: []extract.Extractor{extract.Method(), q}},
		{Name: "books"},
	})
	for i := range 2 {
		a := serve(t, h, http.MethodGet, "/books", "page=2")
		if a.xcache != "MISS" || a.cacheStatus != "hitbox; fwd=bypass; fwd-status=200" || a.body != "/books page 2 page=2" {
			t.Errorf("GET /books with the body page=2 (#%d): %s %q %q, want MISS with fwd=bypass", i+1, a.xcache, a.cacheStatus, a.body)
		}
	}
	for _, want := range []string{"MISS", "HIT"} {
		if a := serve(t, h, http.MethodGet, "/books", ""); a.xcache != want || a.body != "/books page 1 " {
			t.Errorf("GET /books: %s %q, want %s of page 1", a.xcache, a.body, want)
		}
	}
	for _, body := range []string{`{"q":"a"}`, `{"q":"b"}`} {
		for _, want := range []string{"MISS", "HIT"} {
			if a := serve(t, h, http.MethodGet, "/search", body); a.xcache != want || !strings.HasSuffix(a.body, body) {
				t.Errorf("GET /search with %s: %s %q, want %s of its own answer", body, a.xcache, a.body, want)
			}
		}
	}
	if n := calls.Load(); n != 5 {
		t.Errorf("upstream calls = %d, want 5", n)
	}
}

func TestNamesHeaders(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		conn []string
		want bool
	}{
		{nil, false},
		{[]string{"close"}, false},
		{[]string{"Keep-Alive"}, false},
		{[]string{"Upgrade, HTTP2-Settings"}, false},
		{[]string{"TE", " , keep-alive "}, false},
		{[]string{"X-Version"}, true},
		{[]string{"keep-alive, Authorization"}, true},
		{[]string{"close", "cookie"}, true},
	} {
		h := http.Header{}
		if c.conn != nil {
			h["Connection"] = c.conn
		}
		if got := namesHeaders(h); got != c.want {
			t.Errorf("namesHeaders(Connection: %q) = %v, want %v", c.conn, got, c.want)
		}
	}
}
