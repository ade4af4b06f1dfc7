package hitbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// tracedCache returns a Cache over a fresh memory backend recording spans
// into the returned in-memory exporter (synchronously: every ended span is
// there when End returns), and the provider, for a root span.
func tracedCache(t *testing.T, opts ...hitbox.Option) (*hitbox.Cache, *tracetest.InMemoryExporter, *sdktrace.TracerProvider) {
	t.Helper()
	exp, tp := newExporter(t)
	c, _ := memCache(t, append(opts, hitbox.WithTracerProvider(tp))...)
	return c, exp, tp
}

// newExporter returns an in-memory exporter and a provider sending every
// span to it as it ends.
func newExporter(t *testing.T) (*tracetest.InMemoryExporter, *sdktrace.TracerProvider) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return exp, tp
}

// memCache returns a Cache made with opts over a fresh memory backend,
// and the backend, both closed when the test ends.
func memCache(t testing.TB, opts ...hitbox.Option) (*hitbox.Cache, *memory.Backend) {
	t.Helper()
	mem, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	c, err := hitbox.New(mem, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, mem
}

// spanNames returns the names of spans, in the order they ended.
func spanNames(spans tracetest.SpanStubs) []string {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name
	}
	return names
}

// oneSpan returns the only span named name, failing otherwise.
func oneSpan(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var got []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d spans named %q in %v; want 1", len(got), name, spanNames(spans))
	}
	return got[0]
}

// wantAttrs checks that span carries every attribute of want.
func wantAttrs(t *testing.T, span tracetest.SpanStub, want ...attribute.KeyValue) {
	t.Helper()
	have := make(map[attribute.Key]attribute.Value, len(span.Attributes))
	for _, kv := range span.Attributes {
		have[kv.Key] = kv.Value
	}
	for _, kv := range want {
		v, ok := have[kv.Key]
		if !ok {
			t.Errorf("span %s: no attribute %s (have %v)", span.Name, kv.Key, span.Attributes)
			continue
		}
		if v != kv.Value {
			t.Errorf("span %s: %s = %v, want %v", span.Name, kv.Key, v.Emit(), kv.Value.Emit())
		}
	}
}

// wantChildren checks that every span but parent is its child, in its
// trace.
func wantChildren(t *testing.T, spans tracetest.SpanStubs, parent tracetest.SpanStub) {
	t.Helper()
	for _, s := range spans {
		if s.SpanContext.SpanID() == parent.SpanContext.SpanID() {
			continue
		}
		if s.Parent.SpanID() != parent.SpanContext.SpanID() || s.SpanContext.TraceID() != parent.SpanContext.TraceID() {
			t.Errorf("span %s: parent %s in trace %s; want %s's span %s in %s", s.Name,
				s.Parent.SpanID(), s.SpanContext.TraceID(), parent.Name, parent.SpanContext.SpanID(), parent.SpanContext.TraceID())
		}
	}
}

func storeFetch(context.Context) (hitbox.Fetched, error) {
	return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
}

// TestTraceMissSpans: a miss records hitbox.do with, as its children, the
// lookup's and the re-check's backend reads, the upstream call and the
// write; the do span joins the trace of the caller's context.
func TestTraceMissSpans(t *testing.T) {
	c, exp, tp := tracedCache(t)
	ctx, root := tp.Tracer("test").Start(context.Background(), "server")
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: hitbox.Enabled(time.Hour, 0)}
	res, err := c.Do(ctx, req, storeFetch)
	root.End()
	if err != nil || res.Status != hitbox.Miss || !res.Stored {
		t.Fatalf("Do = %+v, %v; want a stored miss", res, err)
	}
	spans := exp.GetSpans()
	want := []string{hitbox.SpanBackendGet, hitbox.SpanBackendGet, hitbox.SpanUpstream, hitbox.SpanBackendSet, hitbox.SpanDo, "server"}
	if got := spanNames(spans); len(got) != len(want) {
		t.Fatalf("spans %v; want %v", got, want)
	}
	for i, name := range want {
		if spans[i].Name != name {
			t.Fatalf("spans %v; want %v", spanNames(spans), want)
		}
	}
	server := oneSpan(t, spans, "server")
	do := oneSpan(t, spans, hitbox.SpanDo)
	if do.Parent.SpanID() != server.SpanContext.SpanID() || do.SpanContext.TraceID() != server.SpanContext.TraceID() {
		t.Errorf("do span's parent %s; want the caller's span %s", do.Parent.SpanID(), server.SpanContext.SpanID())
	}
	wantChildren(t, spans[:4], do)
	wantAttrs(t, do,
		hitbox.AttrEndpoint.String("users"),
		hitbox.AttrStatus.String("MISS"),
		hitbox.AttrForward.String("miss"),
		hitbox.AttrSource.String(""),
		hitbox.AttrStored.Bool(true),
		hitbox.AttrCollapsed.Bool(false),
		hitbox.AttrStaleIfError.Bool(false),
	)
	wantAttrs(t, oneSpan(t, spans, hitbox.SpanUpstream), hitbox.AttrEndpoint.String("users"), hitbox.AttrStored.Bool(true))
	wantAttrs(t, spans[0], hitbox.AttrFound.Bool(false))
	wantAttrs(t, oneSpan(t, spans, hitbox.SpanBackendSet), hitbox.AttrEndpoint.String("users"))
	for _, s := range spans {
		if s.Status.Code == codes.Error {
			t.Errorf("span %s has status %v; want no error", s.Name, s.Status)
		}
	}
}

// TestTraceHitSpans: a hit records hitbox.do and one backend read, with
// the status HIT and the source layer on the do span.
func TestTraceHitSpans(t *testing.T) {
	c, exp, _ := tracedCache(t)
	ctx := context.Background()
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: hitbox.Enabled(time.Hour, 0)}
	if _, err := c.Do(ctx, req, storeFetch); err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	res, err := c.Do(ctx, req, storeFetch)
	if err != nil || res.Status != hitbox.Hit || res.Source == "" {
		t.Fatalf("Do = %+v, %v; want a hit with a source", res, err)
	}
	spans := exp.GetSpans()
	if got := spanNames(spans); len(got) != 2 || got[0] != hitbox.SpanBackendGet || got[1] != hitbox.SpanDo {
		t.Fatalf("spans %v; want [%s %s]", got, hitbox.SpanBackendGet, hitbox.SpanDo)
	}
	do := spans[1]
	wantChildren(t, spans, do)
	if do.Parent.IsValid() {
		t.Errorf("do span has parent %s; want a root span", do.Parent.SpanID())
	}
	wantAttrs(t, do,
		hitbox.AttrEndpoint.String("users"),
		hitbox.AttrStatus.String("HIT"),
		hitbox.AttrForward.String(""),
		hitbox.AttrSource.String(res.Source),
		hitbox.AttrStored.Bool(false),
		hitbox.AttrCollapsed.Bool(false),
		hitbox.AttrStaleIfError.Bool(false),
	)
	wantAttrs(t, spans[0], hitbox.AttrSource.String(res.Source), hitbox.AttrFound.Bool(true))
}

// TestTraceUpstreamErrorRecorded: an upstream error is recorded (an
// exception event and the Error status) on the upstream span and on the
// do span; an answer marked Failed is recorded as ErrUpstreamFailed.
func TestTraceUpstreamErrorRecorded(t *testing.T) {
	c, exp, _ := tracedCache(t)
	boom := errors.New("upstream down")
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: hitbox.Enabled(time.Hour, 0)}
	_, err := c.Do(context.Background(), req, func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Do error %v; want %v", err, boom)
	}
	spans := exp.GetSpans()
	for _, name := range []string{hitbox.SpanUpstream, hitbox.SpanDo} {
		s := oneSpan(t, spans, name)
		if s.Status.Code != codes.Error || s.Status.Description != boom.Error() {
			t.Errorf("span %s status %+v; want Error %q", name, s.Status, boom)
		}
		if len(s.Events) == 0 || s.Events[0].Name != "exception" {
			t.Errorf("span %s events %v; want an exception", name, s.Events)
		}
	}
	if n := len(spanNames(spans)); n != 4 {
		t.Errorf("spans %v; want do, two reads, upstream (no write)", spanNames(spans))
	}

	exp.Reset()
	req.Key = "failed"
	res, err := c.Do(context.Background(), req, func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("503"), Failed: true}, nil
	})
	if err != nil || !res.Failed {
		t.Fatalf("Do = %+v, %v; want a failed answer", res, err)
	}
	up := oneSpan(t, exp.GetSpans(), hitbox.SpanUpstream)
	if up.Status.Code != codes.Error || up.Status.Description != hitbox.ErrUpstreamFailed.Error() {
		t.Errorf("upstream span status %+v; want Error %q", up.Status, hitbox.ErrUpstreamFailed)
	}
}

// TestTraceBackgroundStoreParent: a write made in the background
// (StoreInBackground) is still a child of the call's do span.
func TestTraceBackgroundStoreParent(t *testing.T) {
	c, exp, _ := tracedCache(t)
	p := hitbox.Enabled(time.Hour, 0)
	p.StoreInBackground = true
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: p}
	res, err := c.Do(context.Background(), req, storeFetch)
	if err != nil || !res.Stored {
		t.Fatalf("Do = %+v, %v; want a miss stored in the background", res, err)
	}
	// Shutdown waits for the background store.
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	do, set := oneSpan(t, spans, hitbox.SpanDo), oneSpan(t, spans, hitbox.SpanBackendSet)
	if set.Parent.SpanID() != do.SpanContext.SpanID() || set.SpanContext.TraceID() != do.SpanContext.TraceID() {
		t.Errorf("background set span's parent %s; want the do span %s", set.Parent.SpanID(), do.SpanContext.SpanID())
	}
}

// TestTraceNoProviderNoSpans: without WithTracerProvider the Cache
// records no span, even when the caller's context carries one.
func TestTraceNoProviderNoSpans(t *testing.T) {
	exp, tp := newExporter(t)
	c, _ := memCache(t, hitbox.WithTracerProvider(nil))
	ctx, root := tp.Tracer("test").Start(context.Background(), "server")
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: hitbox.Enabled(time.Hour, 0)}
	for range 2 {
		if _, err := c.Do(ctx, req, storeFetch); err != nil {
			t.Fatal(err)
		}
	}
	root.End()
	if got := spanNames(exp.GetSpans()); len(got) != 1 || got[0] != "server" {
		t.Errorf("spans %v; want only the caller's [server]", got)
	}
}
