package httpcache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox"
)

// TestMiddlewareSpansJoinRequestTrace: the middleware hands the request's
// context to the flow, so each request's hitbox.do span is a child of the
// server's span, named by the endpoint, with the answer's status and
// forward reason (a POST, which no endpoint accepts, is a bypass).
func TestMiddlewareSpansJoinRequestTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, hitbox.WithTracerProvider(tp))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write([]byte("book"))
	})
	h := e.middleware(t, next, []Endpoint{{Name: "books", Policy: hitbox.Enabled(time.Hour, 0)}})

	for _, tc := range []struct {
		method, path, status, forward, endpoint string
	}{
		{http.MethodGet, "/books/1", "MISS", "miss", "books"},
		{http.MethodGet, "/books/1", "HIT", "", "books"},
		{http.MethodPost, "/books/1", "MISS", "bypass", ""},
	} {
		exp.Reset()
		ctx, server := tp.Tracer("test").Start(context.Background(), "server")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil).WithContext(ctx))
		server.End()
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", tc.path, w.Code)
		}
		var do, root *tracetest.SpanStub
		spans := exp.GetSpans()
		for i := range spans {
			switch spans[i].Name {
			case hitbox.SpanDo:
				do = &spans[i]
			case "server":
				root = &spans[i]
			}
		}
		if do == nil || root == nil {
			t.Fatalf("GET %s: spans %v; want a hitbox.do span under the server's", tc.path, spans)
		}
		if do.Parent.SpanID() != root.SpanContext.SpanID() || do.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("GET %s: do span's parent %s; want the server's span %s", tc.path, do.Parent.SpanID(), root.SpanContext.SpanID())
		}
		want := map[attribute.Key]string{
			hitbox.AttrStatus:   tc.status,
			hitbox.AttrForward:  tc.forward,
			hitbox.AttrEndpoint: tc.endpoint,
		}
		for _, kv := range do.Attributes {
			if v, ok := want[kv.Key]; ok {
				if kv.Value.AsString() != v {
					t.Errorf("GET %s: %s = %q, want %q", tc.path, kv.Key, kv.Value.AsString(), v)
				}
				delete(want, kv.Key)
			}
		}
		if len(want) > 0 {
			t.Errorf("GET %s: do span lacks %v (has %v)", tc.path, want, do.Attributes)
		}
	}
}
