package predicate_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

// hotPath is what the middleware evaluates on every request of a typical
// endpoint.
func hotPath() (predicate.Request, *http.Request) {
	p := predicate.And(
		must(predicate.Method(http.MethodGet, http.MethodHead)),
		must(predicate.Path("/v1/authors/{author}/books/{book:[0-9]+}")),
	)
	r := httptest.NewRequest(http.MethodGet, "/v1/authors/lem/books/42?page=2", nil)
	return p, r
}

func BenchmarkMethodPath(b *testing.B) {
	p, r := hotPath()
	plain := predicate.And(
		must(predicate.Method(http.MethodGet, http.MethodHead)),
		must(predicate.Path("/v1/authors/{author}/books/{book}")),
	)
	for _, bb := range []struct {
		name string
		p    predicate.Request
	}{{"plain", plain}, {"regex", p}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bb.p.Match(r) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkHeaderQuery(b *testing.B) {
	p := predicate.And(
		must(predicate.Header("x-tenant", predicate.In("acme", "globex"))),
		must(predicate.Query("page", predicate.Exist())),
	)
	r := httptest.NewRequest(http.MethodGet, "/v1/books?lang=en&page=2", nil)
	r.Header.Set("X-Tenant", "globex")
	b.ReportAllocs()
	for b.Loop() {
		if !p.Match(r) {
			b.Fatal("no match")
		}
	}
}

// TestMatchAllocs pins the allocation-free matching of the predicates the
// middleware evaluates on every request.
func TestMatchAllocs(t *testing.T) {
	p, r := hotPath()
	tests := []struct {
		name string
		p    predicate.Request
		r    *http.Request
	}{
		{"Method and Path", p, r},
		{"Path miss", must(predicate.Path("/v2/{x}")), r},
		{"Header", must(predicate.Header("x-k", must(predicate.Regex("^v[0-9]+$")))), func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Add("X-K", "a")
			r.Header.Add("X-K", "v12")
			return r
		}()},
		{"Query", must(predicate.Query("page", predicate.In("1", "2"))), r},
		{"Or of Not", predicate.Or(predicate.Not(p), p), r},
	}
	for _, tt := range tests {
		if !tt.p.Match(tt.r) && tt.name != "Path miss" {
			t.Fatalf("%s: no match", tt.name)
		}
		if n := testing.AllocsPerRun(100, func() { tt.p.Match(tt.r) }); n != 0 {
			t.Errorf("%s: Match allocates %v times per call, want 0", tt.name, n)
		}
	}
}
