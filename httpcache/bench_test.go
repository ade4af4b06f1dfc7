package httpcache

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
)

// discardWriter is a reusable ResponseWriter that keeps nothing.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func BenchmarkMiddlewareHit(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}} {
		b.Run(size.name, func(b *testing.B) {
			e := newEnv(b)
			body := pattern(size.n)
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Cache-Control", "max-age=60")
				w.Header().Set("Etag", `"v1"`)
				_, _ = w.Write(body)
			})
			h := e.middleware(b, next, []Endpoint{{Policy: hitbox.Enabled(time.Hour, 0)}})
			r := httptest.NewRequest(http.MethodGet, "/books/1?page=2", nil)
			w := &discardWriter{h: make(http.Header)}
			h.ServeHTTP(w, r) // the miss that stores it
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				clear(w.h)
				w.n = 0
				h.ServeHTTP(w, r)
			}
			b.StopTimer()
			if w.status != http.StatusOK || w.n != size.n || w.h.Get("X-Cache-Status") != "HIT" {
				b.Fatalf("last answer: %d, %d bytes, %q", w.status, w.n, w.h.Get("X-Cache-Status"))
			}
		})
	}
}

// BenchmarkMiddlewareBypass is a request no endpoint accepts (a Disabled
// policy): the middleware's cost around a handler that answers at once.
func BenchmarkMiddlewareBypass(b *testing.B) {
	e := newEnv(b)
	body := pattern(1 << 10)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	h := e.middleware(b, next, []Endpoint{{Policy: hitbox.Disabled()}})
	r := httptest.NewRequest(http.MethodGet, "/books/1", nil)
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK || w.h.Get("Cache-Status") != "hitbox; fwd=bypass; fwd-status=200" {
		b.Fatalf("last answer: %d, %q", w.status, w.h.Get("Cache-Status"))
	}
}
