package config

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/httpcache"
)

// proxyFor returns a handler caching echo (which answers the path) over c
// as the file src says.
func proxyFor(t *testing.T, c *hitbox.Cache, src string) http.Handler {
	t.Helper()
	mw, err := httpcache.Middleware(c, mustBuild(t, src))
	if err != nil {
		t.Fatalf("Middleware: %v", err)
	}
	return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.URL.Path + " " + r.Header.Get("X-Call")))
	}))
}

func newTestCache(t *testing.T) *hitbox.Cache {
	t.Helper()
	m, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := hitbox.New(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		_ = m.Close(context.Background())
	})
	return c
}

// fetch asks h for target, marking the request with call, and returns
// X-Cache-Status and the body.
func fetch(t *testing.T, h http.Handler, target, call string) (string, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("X-Call", call)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Header().Get("X-Cache-Status"), w.Body.String()
}

func TestEndpointsWithTheSameKeyPartsNeverShare(t *testing.T) {
	t.Parallel()
	for _, names := range [][2]string{{"name: products\n    ", "name: orders\n    "}, {"", ""}} {
		src := `endpoints:
  - ` + names[0] + `request: [{Method: GET}, {Path: /api/products}]
    extractors: [{Method: }, {Query: page}]
    policy: {Enabled: {ttl: 60}}
  - ` + names[1] + `request: [{Method: GET}, {Path: /api/orders}]
    extractors: [{Method: }, {Query: page}]
    policy: {Enabled: {ttl: 60}}
`
		h := proxyFor(t, newTestCache(t), src)
		for _, step := range []struct{ target, call, status, body string }{
			{"/api/products?page=1", "1", "MISS", "/api/products 1"},
			{"/api/orders?page=1", "2", "MISS", "/api/orders 2"},
			{"/api/products?page=1", "3", "HIT", "/api/products 1"},
			{"/api/orders?page=1", "4", "HIT", "/api/orders 2"},
		} {
			if status, body := fetch(t, h, step.target, step.call); status != step.status || body != step.body {
				t.Errorf("GET %s = %s %q, want %s %q", step.target, status, body, step.status, step.body)
			}
		}
	}
}

func TestUnnamedEndpointSurvivesReorderedReload(t *testing.T) {
	t.Parallel()
	c := newTestCache(t)
	before := proxyFor(t, c, `endpoints:
  - request: [{Path: /a}]
    policy: {Enabled: {ttl: 60}}
`)
	if status, body := fetch(t, before, "/a", "1"); status != "MISS" || body != "/a 1" {
		t.Fatalf("first GET /a = %s %q", status, body)
	}
	// Another endpoint inserted before it, its policy edited: its entries
	// are still found.
	after := proxyFor(t, c, `endpoints:
  - request: [{Path: /b}]
  - request: [{Path: /a}]
    policy: {Enabled: {ttl: 120}}
`)
	if status, body := fetch(t, after, "/a", "2"); status != "HIT" || body != "/a 1" {
		t.Errorf("GET /a after the reload = %s %q, want HIT %q", status, body, "/a 1")
	}
	if status, body := fetch(t, after, "/b", "3"); status != "MISS" || body != "/b 3" {
		t.Errorf("GET /b after the reload = %s %q, want MISS %q", status, body, "/b 3")
	}
}

func TestEndpointIDs(t *testing.T) {
	t.Parallel()
	f, _, err := Parse("t.yaml", []byte(`upstream: http://127.0.0.1:1
endpoints:
  - name: books
  - request: [{Path: /a}]
  - {request: [{Path: /a}], policy: Disabled}
  - request: [{Path: /b}]
    key_host: false
`))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(f.Endpoints))
	for i, ep := range f.Endpoints {
		ids[i] = ep.ID
	}
	if ids[0] != "books" || !strings.HasPrefix(ids[1], "def-") || len(ids[1]) != len("def-")+definitionDigestLen ||
		ids[2] != ids[1]+"-2" || ids[3] == ids[1] || !strings.HasPrefix(ids[3], "def-") {
		t.Errorf("IDs = %q; want books, def-<digest>, the same digest with -2, another digest", ids)
	}
	if f.Endpoints[0].Name != "books" || f.Endpoints[1].Name != "endpoints[1]" {
		t.Errorf("names = %q, %q; want the name or the position", f.Endpoints[0].Name, f.Endpoints[1].Name)
	}
	if f.Endpoints[0].IgnoreHost || !f.Endpoints[3].IgnoreHost {
		t.Errorf("IgnoreHost = %v, %v; want false by default, true when key_host: false", f.Endpoints[0].IgnoreHost, f.Endpoints[3].IgnoreHost)
	}
	eps, err := f.BuildEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	if eps[1].ID != ids[1] || eps[3].IgnoreHost != true || eps[0].IgnoreHost {
		t.Errorf("built ID %q, IgnoreHost %v, %v", eps[1].ID, eps[0].IgnoreHost, eps[3].IgnoreHost)
	}
}
