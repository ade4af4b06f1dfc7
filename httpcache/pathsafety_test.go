package httpcache

import (
	"net/http"
	"sync/atomic"
	"testing"
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
