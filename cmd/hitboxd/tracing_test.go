package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/config"
)

// tracedOrigin is an origin recording the traceparent of every request.
type tracedOrigin struct {
	*httptest.Server
	mu      sync.Mutex
	parents []string
}

func newTracedOrigin(t *testing.T) *tracedOrigin {
	t.Helper()
	o := &tracedOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.parents = append(o.parents, r.Header.Get("Traceparent"))
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"book":1}`)
	}))
	t.Cleanup(o.Close)
	return o
}

// traceparents returns the traceparent headers the origin received.
func (o *tracedOrigin) traceparents() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.parents...)
}

// memTracing returns a provider built as setupTracing builds one from cfg
// (sampler, resource), sending each span to the returned in-memory
// exporter as it ends.
func memTracing(t *testing.T, cfg config.Tracing) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	s, err := resolveTracing(cfg, noEnv)
	if err != nil || s == nil {
		t.Fatalf("resolveTracing(%+v) = %v, %v; want settings", cfg, s, err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp, err := s.provider(context.Background(), sdktrace.WithSyncer(exp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func noEnv(string) string { return "" }

// envOf returns an env function reading m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startTracedProxy starts hitboxd in front of a traced origin, recording
// spans as cfg says into the returned exporter.
func startTracedProxy(t *testing.T, cfg config.Tracing) (*tracedOrigin, *inProcess, *tracetest.InMemoryExporter) {
	t.Helper()
	origin := newTracedOrigin(t)
	tp, exp := memTracing(t, cfg)
	p := startInProcessWith(t, testConfig(origin.URL, "", booksEndpoints), func(o *serveOptions) { o.TracerProvider = tp })
	return origin, p, exp
}

// sendTraced makes a GET with the given traceparent ("" for none).
func sendTraced(t *testing.T, c *http.Client, target, traceparent string) answer {
	t.Helper()
	var hdr map[string]string
	if traceparent != "" {
		hdr = map[string]string{"Traceparent": traceparent}
	}
	return send(t, c, http.MethodGet, target, "", hdr)
}

// spansOfTrace waits for the server span of trace id (the last to end)
// and returns the trace's spans by name.
func spansOfTrace(t *testing.T, exp *tracetest.InMemoryExporter, id trace.TraceID) map[string][]tracetest.SpanStub {
	t.Helper()
	var byName map[string][]tracetest.SpanStub
	deadline := time.Now().Add(30 * time.Second)
	for {
		byName = map[string][]tracetest.SpanStub{}
		server := false
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID() != id {
				continue
			}
			byName[s.Name] = append(byName[s.Name], s)
			server = server || s.SpanKind == trace.SpanKindServer
		}
		if server {
			return byName
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server span in trace %s after 30s; spans %v", id, exp.GetSpans())
		}
		time.Sleep(time.Millisecond)
	}
}

// only returns the one span named name, failing otherwise.
func only(t *testing.T, byName map[string][]tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	if n := len(byName[name]); n != 1 {
		t.Fatalf("%d spans named %q; want 1 (spans: %v)", n, name, names(byName))
	}
	return byName[name][0]
}

func names(byName map[string][]tracetest.SpanStub) map[string]int {
	m := make(map[string]int, len(byName))
	for k, v := range byName {
		m[k] = len(v)
	}
	return m
}

// serverSpan returns the trace's one server span.
func serverSpan(t *testing.T, byName map[string][]tracetest.SpanStub) tracetest.SpanStub {
	t.Helper()
	var out []tracetest.SpanStub
	for _, spans := range byName {
		for _, s := range spans {
			if s.SpanKind == trace.SpanKindServer {
				out = append(out, s)
			}
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d server spans; want 1 (spans: %v)", len(out), names(byName))
	}
	return out[0]
}

// wantParent checks that child's parent is parent.
func wantParent(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.Parent.SpanID() != parent.SpanContext.SpanID() {
		t.Errorf("span %s: parent %s; want %s (%s)", child.Name, child.Parent.SpanID(), parent.Name, parent.SpanContext.SpanID())
	}
}

// attrsOf returns span's attributes as strings.
func attrsOf(span tracetest.SpanStub) map[attribute.Key]string {
	m := make(map[attribute.Key]string, len(span.Attributes))
	for _, kv := range span.Attributes {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// wantSpanAttrs checks span's attributes against want.
func wantSpanAttrs(t *testing.T, span tracetest.SpanStub, want map[attribute.Key]string) {
	t.Helper()
	have := attrsOf(span)
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			t.Errorf("span %s: %s = %q (present %v), want %q", span.Name, k, got, ok, v)
		}
	}
}

const (
	traceA = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceB = "0af7651916cd43dd8448eb211c80319c"
)

// TestTracingProxySpans: through hitboxd's proxy, a MISS then a HIT each
// make one trace under the incoming traceparent: the server span, its
// hitbox.do child with the endpoint, status and forward reason, and
// under that the backend reads and write and the upstream call, whose
// HTTP client span sends the origin a traceparent of the same trace.
func TestTracingProxySpans(t *testing.T) {
	t.Parallel()
	origin, p, exp := startTracedProxy(t, config.Tracing{Exporter: exporterStdout, SampleRatio: 1})
	c := newClient(t)

	miss := sendTraced(t, c, p.proxy+"/books/1", "00-"+traceA+"-00f067aa0ba902b7-01")
	if miss.Code != http.StatusOK || miss.XCache != "MISS" {
		t.Fatalf("first GET: %d %s", miss.Code, miss.XCache)
	}
	id, _ := trace.TraceIDFromHex(traceA)
	spans := spansOfTrace(t, exp, id)
	server := serverSpan(t, spans)
	if got := server.Parent.SpanID().String(); got != "00f067aa0ba902b7" || !server.Parent.IsRemote() {
		t.Errorf("server span's parent %s (remote %v); want the incoming 00f067aa0ba902b7", got, server.Parent.IsRemote())
	}
	if server.Name != http.MethodGet {
		t.Errorf("server span named %q; want GET", server.Name)
	}
	wantSpanAttrs(t, server, map[attribute.Key]string{
		"http.request.method": "GET", "url.path": "/books/1", "url.scheme": "http",
		"http.response.status_code": "200", "server.address": "127.0.0.1",
	})
	do := only(t, spans, hitbox.SpanDo)
	wantParent(t, do, server)
	wantSpanAttrs(t, do, map[attribute.Key]string{
		hitbox.AttrEndpoint: "books", hitbox.AttrStatus: "MISS", hitbox.AttrForward: "miss",
		hitbox.AttrStored: "true", hitbox.AttrCollapsed: "false", hitbox.AttrStaleIfError: "false",
	})
	if n := len(spans[hitbox.SpanBackendGet]); n != 2 {
		t.Errorf("%d backend reads on a miss; want 2 (the lookup and the re-check)", n)
	}
	for _, get := range spans[hitbox.SpanBackendGet] {
		wantParent(t, get, do)
	}
	wantParent(t, only(t, spans, hitbox.SpanBackendSet), do)
	up := only(t, spans, hitbox.SpanUpstream)
	wantParent(t, up, do)
	var client *tracetest.SpanStub
	for _, list := range spans {
		for i := range list {
			if list[i].SpanKind == trace.SpanKindClient && list[i].Parent.SpanID() == up.SpanContext.SpanID() {
				client = &list[i]
			}
		}
	}
	if client == nil {
		t.Fatalf("no HTTP client span under %s; spans %v", hitbox.SpanUpstream, names(spans))
	}
	tps := origin.traceparents()
	if want := "00-" + traceA + "-" + client.SpanContext.SpanID().String() + "-01"; len(tps) != 1 || tps[0] != want {
		t.Errorf("origin got traceparents %q; want [%s] (the client span's)", tps, want)
	}

	hit := sendTraced(t, c, p.proxy+"/books/1", "00-"+traceB+"-b7ad6b7169203331-01")
	if hit.Code != http.StatusOK || hit.XCache != "HIT" {
		t.Fatalf("second GET: %d %s", hit.Code, hit.XCache)
	}
	id, _ = trace.TraceIDFromHex(traceB)
	spans = spansOfTrace(t, exp, id)
	server = serverSpan(t, spans)
	if got := server.Parent.SpanID().String(); got != "b7ad6b7169203331" {
		t.Errorf("server span's parent %s; want the incoming b7ad6b7169203331", got)
	}
	do = only(t, spans, hitbox.SpanDo)
	wantParent(t, do, server)
	wantSpanAttrs(t, do, map[attribute.Key]string{
		hitbox.AttrEndpoint: "books", hitbox.AttrStatus: "HIT", hitbox.AttrForward: "", hitbox.AttrSource: "memory",
	})
	get := only(t, spans, hitbox.SpanBackendGet)
	wantParent(t, get, do)
	wantSpanAttrs(t, get, map[attribute.Key]string{hitbox.AttrFound: "true"})
	if n := len(spans[hitbox.SpanUpstream]) + len(spans[hitbox.SpanBackendSet]); n != 0 {
		t.Errorf("a hit has upstream or write spans: %v", names(spans))
	}
	if n := len(origin.traceparents()); n != 1 {
		t.Errorf("origin called %d times; want once", n)
	}
}

// TestTracingSampleRatioZero: with sample_ratio 0 a request without a
// traceparent, or with an unsampled one, records no span, yet the origin
// still gets the trace context (unsampled); a sampled parent is followed
// (ParentBased).
func TestTracingSampleRatioZero(t *testing.T) {
	t.Parallel()
	origin, p, exp := startTracedProxy(t, config.Tracing{Exporter: exporterOTLP, SampleRatio: 0})
	c := newClient(t)

	if a := sendTraced(t, c, p.proxy+"/books/1", ""); a.XCache != "MISS" {
		t.Fatalf("first GET: %s", a.XCache)
	}
	if a := sendTraced(t, c, p.proxy+"/books/2", "00-"+traceB+"-b7ad6b7169203331-00"); a.XCache != "MISS" {
		t.Fatalf("second GET: %s", a.XCache)
	}
	tps := origin.traceparents()
	if len(tps) != 2 || !strings.HasSuffix(tps[0], "-00") || !strings.HasPrefix(tps[1], "00-"+traceB+"-") || !strings.HasSuffix(tps[1], "-00") {
		t.Errorf("origin got traceparents %q; want two unsampled ones, the second of trace %s", tps, traceB)
	}
	sendTraced(t, c, p.proxy+"/books/1", "00-"+traceA+"-00f067aa0ba902b7-01")
	id, _ := trace.TraceIDFromHex(traceA)
	do := only(t, spansOfTrace(t, exp, id), hitbox.SpanDo)
	wantSpanAttrs(t, do, map[attribute.Key]string{hitbox.AttrStatus: "HIT"})
	// Every request has ended: the sampled one's spans are all there is.
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() != id {
			t.Errorf("span %s of trace %s recorded with sample_ratio 0", s.Name, s.SpanContext.TraceID())
		}
	}
}

// TestTracingOff: without tracing settings the daemon has no provider, the
// upstream transport and the server's handler are the plain ones, and the
// origin gets the client's traceparent as it was sent.
func TestTracingOff(t *testing.T) {
	t.Parallel()
	origin := newTracedOrigin(t)
	p := startInProcess(t, testConfig(origin.URL, "", booksEndpoints))
	if p.d.tracing.tp != nil || p.d.upstream != http.RoundTripper(p.d.transport) {
		t.Errorf("tracing off: provider %v, upstream %T; want none and the plain transport", p.d.tracing.tp, p.d.upstream)
	}
	if h, ok := p.d.tracing.handler(p.d).(*daemon); !ok || h != p.d {
		t.Errorf("tracing off: the server's handler is %T; want the daemon", p.d.tracing.handler(p.d))
	}
	in := "00-" + traceA + "-00f067aa0ba902b7-01"
	sendTraced(t, newClient(t), p.proxy+"/books/1", in)
	if tps := origin.traceparents(); len(tps) != 1 || tps[0] != in {
		t.Errorf("origin got traceparents %q; want the client's [%s]", tps, in)
	}
}

// TestTracedHandlerStatus: the server span carries the response's status
// (200 when the handler only wrote a body), a 5xx marking it an error,
// and the handler still sees a writer that unwraps to the server's.
func TestTracedHandlerStatus(t *testing.T) {
	tp, exp := memTracing(t, config.Tracing{Exporter: exporterStdout, SampleRatio: 1})
	for _, tc := range []struct {
		code  int
		write func(w http.ResponseWriter)
		err   bool
	}{
		{http.StatusOK, func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") }, false},
		{http.StatusNotFound, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, false},
		{http.StatusServiceUnavailable, func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			writeJSONError(w, http.StatusServiceUnavailable, "shutting down")
		}, true},
	} {
		exp.Reset()
		rec := httptest.NewRecorder()
		h := daemonTracing{tp: tp}.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != rec {
				t.Errorf("handler's writer %T does not unwrap to the server's", w)
			}
			tc.write(w)
		}))
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d: %d spans; want 1", tc.code, len(spans))
		}
		wantSpanAttrs(t, spans[0], map[attribute.Key]string{"http.response.status_code": strconv.Itoa(tc.code)})
		if got := spans[0].Status.Code == codes.Error; got != tc.err {
			t.Errorf("%d: span status %v; want an error %v", tc.code, spans[0].Status, tc.err)
		}
	}
}

// TestTracingErrorsLogged: the SDK's errors reach the proxy's log as
// throttled warnings once the logger is set, and are dropped before.
func TestTracingErrorsLogged(t *testing.T) {
	var out syncBuffer
	l := &redisLogger{}
	l.Handle(errors.New("before"))
	l.set(slog.New(slog.NewTextHandler(&out, nil)))
	l.Handle(errors.New("collector refused"))
	if s := out.String(); !strings.Contains(s, "tracing export failed") || !strings.Contains(s, "collector refused") || strings.Contains(s, "before") {
		t.Errorf("log %q; want the one error after set", s)
	}
}
