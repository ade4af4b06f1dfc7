package extract

import (
	"net/http/httptest"
	"testing"

	"github.com/hitbox-go/hitbox"
)

// BenchmarkDefault measures the default key (Method, then Path "{path}*")
// with a reused parts slice. A plain path costs no allocation; a path that
// needs escapes costs the one of url.URL.EscapedPath re-escaping it.
func BenchmarkDefault(b *testing.B) {
	for _, bc := range []struct{ name, target string }{
		{"plain", "/v1/authors/42/books/7?page=2"},
		{"escaped", "/v1/authors/robert%20sheckley/books/42?page=2"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.target, nil)
			ex := Default()
			parts := make([]hitbox.KeyPart, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if parts, err = Key(r, ex, parts[:0]); err != nil || len(parts) != 2 {
					b.Fatalf("Key = %v, %v", parts, err)
				}
			}
		})
	}
}

// BenchmarkPathPattern measures a path pattern with two captures.
func BenchmarkPathPattern(b *testing.B) {
	r := httptest.NewRequest("GET", "/v1/authors/robert%20sheckley/books/42?page=2", nil)
	p, err := Path("/v1/authors/{author}/books/{book}")
	if err != nil {
		b.Fatal(err)
	}
	ex := []Extractor{Method(), p, Query("page")}
	parts := make([]hitbox.KeyPart, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		if parts, err = Key(r, ex, parts[:0]); err != nil || len(parts) != 4 {
			b.Fatalf("Key = %v, %v", parts, err)
		}
	}
}
