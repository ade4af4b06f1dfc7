package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/config"
)

// collector is an OTLP/HTTP trace receiver keeping the span names and
// service names it was sent.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []string
	services []string
	paths    []string
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.paths = append(c.paths, r.URL.Path)
		for _, rs := range req.GetResourceSpans() {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					c.services = append(c.services, kv.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					c.spans = append(c.spans, s.GetName())
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(c.Close)
	return c
}

// got returns the span names, service names and URL paths received.
func (c *collector) got() (spans, services, paths []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.spans...), append([]string(nil), c.services...), append([]string(nil), c.paths...)
}

// TestTracingEnvSelectsStdout: with no file settings, OTEL_TRACES_EXPORTER
// picks the stdout exporter (console is its standard name) and
// OTEL_SERVICE_NAME the service; stopping the provider writes the spans.
func TestTracingEnvSelectsStdout(t *testing.T) {
	for _, name := range []string{"console", "stdout"} {
		var out bytes.Buffer
		env := envOf(map[string]string{"OTEL_TRACES_EXPORTER": name, "OTEL_SERVICE_NAME": "books-cache"})
		tp, stop, err := newTracing(context.Background(), config.Tracing{}, env, &out)
		if err != nil || tp == nil {
			t.Fatalf("%s: newTracing = %v, %v; want a provider", name, tp, err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "probe-span")
		span.End()
		if err := stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := out.String(); !strings.Contains(s, `"Name":"probe-span"`) || !strings.Contains(s, `"books-cache"`) {
			t.Errorf("%s: stdout exporter wrote %q; want the span and the service name", name, s)
		}
	}
}

// TestTracingOffSettings: tracing is off (no provider, a no-op stop)
// without settings, with exporter none (in the file or the environment)
// and under OTEL_SDK_DISABLED=true, even when the file asks for it.
func TestTracingOffSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config.Tracing
		env  map[string]string
	}{
		{"nothing", config.Tracing{}, nil},
		{"file none", config.Tracing{Exporter: "none"}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}},
		{"env none", config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}},
		{"sdk disabled", config.Tracing{Exporter: "stdout"}, map[string]string{"OTEL_SDK_DISABLED": "TRUE"}},
	} {
		tp, stop, err := setupTracing(context.Background(), tc.cfg, envOf(tc.env))
		if err != nil || tp != nil || stop == nil || stop(context.Background()) != nil {
			t.Errorf("%s: setupTracing = %v, %v; want tracing off", tc.name, tp, err)
		}
	}
}

// TestTracingSettings: how the file's settings and the environment
// resolve (the file winning), exporter by exporter.
func TestTracingSettings(t *testing.T) {
	for _, tc := range []struct {
		name                string
		cfg                 config.Tracing
		env                 map[string]string
		exporters, endpoint string
		protocol, sampler   string
	}{
		{"otlp endpoint in env implies otlp", config.Tracing{}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
			"otlp", "http://c:4318/v1/traces", "http/protobuf", "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"traces endpoint as it is", config.Tracing{}, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c/x", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other"},
			"otlp", "https://c/x", "http/protobuf", ""},
		{"file wins", config.Tracing{Exporter: "otlp", Endpoint: "collector:4318", SampleRatio: 0.25},
			map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other", "OTEL_TRACES_SAMPLER": "always_off"},
			"otlp", "http://collector:4318/v1/traces", "http/protobuf", "ParentBased{root:TraceIDRatioBased{0.25}"},
		{"file path kept", config.Tracing{Exporter: "otlp", Endpoint: "https://c/otlp/traces", SampleRatio: 1}, nil,
			"otlp", "https://c/otlp/traces", "http/protobuf", ""},
		{"grpc", config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"},
			"otlp", "http://c:4317", "grpc", ""},
		{"env sampler", config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"},
			"otlp,stdout", "", "http/protobuf", "TraceIDRatioBased{0.5}"},
		{"file ratio without exporter", config.Tracing{SampleRatio: 0.1}, map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_TRACES_SAMPLER": "always_on"},
			"stdout", "", "http/protobuf", "ParentBased{root:TraceIDRatioBased{0.1}"},
	} {
		s, err := resolveTracing(tc.cfg, envOf(tc.env))
		if err != nil || s == nil {
			t.Errorf("%s: resolveTracing = %v, %v", tc.name, s, err)
			continue
		}
		if got := strings.Join(s.exporters, ","); got != tc.exporters || s.endpoint != tc.endpoint || s.protocol != tc.protocol {
			t.Errorf("%s: exporters %s, endpoint %q, protocol %s; want %s, %q, %s", tc.name, got, s.endpoint, s.protocol, tc.exporters, tc.endpoint, tc.protocol)
		}
		if d := s.sampler.Description(); !strings.HasPrefix(d, tc.sampler) {
			t.Errorf("%s: sampler %s; want %s...", tc.name, d, tc.sampler)
		}
	}
}

// TestTracingInvalidSettings: an unknown exporter in the environment and
// other unusable values are clear errors naming the setting, and hitboxd
// does not start with them. (The file's exporter and sample_ratio are
// config's to check: TestTracingFromFile.)
func TestTracingInvalidSettings(t *testing.T) {
	for _, tc := range []struct {
		cfg  config.Tracing
		env  map[string]string
		want string
	}{
		{config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp,jaeger"}, `OTEL_TRACES_EXPORTER "otlp,jaeger": unknown exporter "jaeger"`},
		{config.Tracing{Exporter: "otlp", Endpoint: "ftp://c", SampleRatio: 1}, nil, `endpoint "ftp://c"`},
		{config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, `OTEL_EXPORTER_OTLP_PROTOCOL "thrift"`},
		{config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"}, `OTEL_TRACES_SAMPLER "sometimes"`},
		{config.Tracing{}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, `OTEL_TRACES_SAMPLER_ARG "half"`},
	} {
		tp, _, err := setupTracing(context.Background(), tc.cfg, envOf(tc.env))
		if tp != nil || !errors.Is(err, errTracing) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("setupTracing(%+v, %v) = %v, %v; want an error with %q", tc.cfg, tc.env, tp, err, tc.want)
		}
	}
	_, err := start(serveOptions{
		Load: func() (*config.File, config.Warnings, error) {
			return config.Parse("test.yaml", []byte(testConfig("http://127.0.0.1:1", "", booksEndpoints)))
		},
		Env: envOf(map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"}),
	})
	if !errors.Is(err, errTracing) {
		t.Errorf("start with OTEL_TRACES_EXPORTER=jaeger: %v; want a tracing error", err)
	}
}

// TestTracingFlushedAtShutdown: hitboxd exporting over OTLP/HTTP to the
// collector the environment names sends the spans of its requests by the
// end of its graceful stop, under OTEL_SERVICE_NAME.
func TestTracingFlushedAtShutdown(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	origin := newTracedOrigin(t)
	env := envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL, "OTEL_SERVICE_NAME": "hitboxd-test"})
	p := startInProcessWith(t, testConfig(origin.URL, "", booksEndpoints), func(o *serveOptions) { o.Env = env })
	if p.d.tracing.tp == nil {
		t.Fatal("OTEL_EXPORTER_OTLP_ENDPOINT set: tracing is off")
	}
	if a := sendTraced(t, newClient(t), p.proxy+"/books/1", ""); a.XCache != "MISS" {
		t.Fatalf("GET: %s", a.XCache)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	spans, services, paths := col.got()
	if !slices.Contains(spans, hitbox.SpanDo) || !slices.Contains(spans, hitbox.SpanUpstream) {
		t.Errorf("collector got spans %q; want the request's", spans)
	}
	if len(services) == 0 || services[0] != "hitboxd-test" || len(paths) == 0 || paths[0] != "/v1/traces" {
		t.Errorf("collector got service names %q at %q; want hitboxd-test at /v1/traces", services, paths)
	}
}
