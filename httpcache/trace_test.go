package httpcache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox"
)

// traceStep is one request of a traced sequence and the hitbox.do span
// it must make.
type traceStep struct {
	method, path              string
	advance                   time.Duration // the clock moves this much first
	status, forward, endpoint string
}

// tracedSteps are a miss, a hit, a stale hit, an expired entry fetched
// again (forward stale) and a bypass (a POST, which no endpoint
// accepts), under an endpoint "books" with ttl 60s and stale 30s.
var tracedSteps = []traceStep{
	{http.MethodGet, "/books/1", 0, "MISS", "miss", "books"},
	{http.MethodGet, "/books/1", 10 * time.Second, "HIT", "", "books"},
	{http.MethodGet, "/books/1", 25 * time.Second, "STALE", "", "books"},
	{http.MethodGet, "/books/1", 30 * time.Second, "MISS", "stale", "books"},
	{http.MethodPost, "/books/1", 0, "MISS", "bypass", ""},
}

var tracedEndpoints = []Endpoint{{Name: "books", Policy: hitbox.Enabled(time.Minute, 30*time.Second)}}

// newTracedEnv returns an env whose Cache records spans into the
// returned exporter, and the provider, for the callers' spans.
func newTracedEnv(t *testing.T) (*env, *tracetest.InMemoryExporter, *sdktrace.TracerProvider) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return newEnv(t, hitbox.WithTracerProvider(tp)), exp, tp
}

// checkTraceSteps runs each step through send inside a span named
// "caller" and checks that it made one hitbox.do span under the caller's
// with the step's endpoint, status and forward reason.
func checkTraceSteps(t *testing.T, e *env, exp *tracetest.InMemoryExporter, tp *sdktrace.TracerProvider, send func(ctx context.Context, method, path string) int) {
	t.Helper()
	for _, tc := range tracedSteps {
		e.clock.Advance(tc.advance)
		exp.Reset()
		ctx, caller := tp.Tracer("test").Start(context.Background(), "caller")
		code := send(ctx, tc.method, tc.path)
		caller.End()
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d", tc.method, tc.path, code)
		}
		var do, root *tracetest.SpanStub
		spans := exp.GetSpans()
		for i := range spans {
			switch spans[i].Name {
			case hitbox.SpanDo:
				do = &spans[i]
			case "caller":
				root = &spans[i]
			}
		}
		if do == nil || root == nil {
			t.Fatalf("%s %s (%s): spans %v; want a hitbox.do span under the caller's", tc.method, tc.path, tc.status, spans)
		}
		if do.Parent.SpanID() != root.SpanContext.SpanID() || do.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("%s %s: do span's parent %s; want the caller's span %s", tc.method, tc.path, do.Parent.SpanID(), root.SpanContext.SpanID())
		}
		want := map[attribute.Key]string{
			hitbox.AttrStatus:   tc.status,
			hitbox.AttrForward:  tc.forward,
			hitbox.AttrEndpoint: tc.endpoint,
		}
		for _, kv := range do.Attributes {
			if v, ok := want[kv.Key]; ok {
				if kv.Value.AsString() != v {
					t.Errorf("%s %s (%s): %s = %q, want %q", tc.method, tc.path, tc.status, kv.Key, kv.Value.AsString(), v)
				}
				delete(want, kv.Key)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s %s (%s): do span lacks %v (has %v)", tc.method, tc.path, tc.status, want, do.Attributes)
		}
	}
}

// TestMiddlewareSpansJoinRequestTrace: the middleware hands the request's
// context to the flow, so each request's hitbox.do span is a child of the
// server's span, with the answer's attributes, for every kind of answer.
func TestMiddlewareSpansJoinRequestTrace(t *testing.T) {
	e, exp, tp := newTracedEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("book"))
	})
	h := e.middleware(t, next, tracedEndpoints)
	checkTraceSteps(t, e, exp, tp, func(ctx context.Context, method, path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, nil).WithContext(ctx))
		return w.Code
	})
}

// TestTransportSpansJoinRequestTrace: the Transport's hitbox.do spans are
// children of the span in the outgoing request's context, for every kind
// of answer.
func TestTransportSpansJoinRequestTrace(t *testing.T) {
	e, exp, tp := newTracedEnv(t)
	srv := httptest.NewServer(&upstream{})
	defer srv.Close()
	c := e.client(t, srv, tracedEndpoints)
	checkTraceSteps(t, e, exp, tp, func(ctx context.Context, method, path string) int {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	})
}
