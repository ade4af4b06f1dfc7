package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox/config"
)

// BenchmarkProxyHitTracing measures a HIT through hitboxd's proxy handler
// (the server's, otelhttp's when tracing is on, with no incoming
// traceparent): tracing off, on with sample_ratio 0 (spans made, none
// recorded) and on with sample_ratio 1 (every span recorded and batched
// to an exporter that drops them).
func BenchmarkProxyHitTracing(b *testing.B) {
	for _, tc := range []struct {
		name  string
		ratio float64
		on    bool
	}{{"off", 0, false}, {"ratio0", 0, true}, {"ratio1", 1, true}} {
		b.Run(tc.name, func(b *testing.B) {
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"id":1,"title":"a book"}`))
			}))
			b.Cleanup(origin.Close)
			o := serveOptions{
				Load: func() (*config.File, config.Warnings, error) {
					return config.Parse("bench.yaml", []byte(testConfig(origin.URL, "", booksEndpoints)))
				},
				Env: noEnv,
			}
			if tc.on {
				s, err := resolveTracing(config.Tracing{Exporter: exporterOTLP, SampleRatio: tc.ratio}, noEnv)
				if err != nil {
					b.Fatal(err)
				}
				tp, err := s.provider(context.Background(), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				o.TracerProvider = tp
			}
			d, err := start(o)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				_ = d.proxyLn.Close()
				_ = d.adminLn.Close()
				_ = d.cur.Load().gen.close(context.Background())
				d.transport.CloseIdleConnections()
			})
			h := d.tracing.handler(d)
			r := httptest.NewRequest(http.MethodGet, "/books/1", nil)
			w := &writeCounter{h: http.Header{}}
			h.ServeHTTP(w, r) // the miss that stores the entry
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.body.Reset()
				h.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK || w.h.Get("X-Cache-Status") != "HIT" {
				b.Fatalf("last answer: %d %s", w.status, w.h.Get("X-Cache-Status"))
			}
		})
	}
}
