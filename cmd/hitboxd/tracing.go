package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hitbox-go/hitbox/config"
)

// defaultServiceName is the service.name of hitboxd's spans unless
// OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says
// otherwise.
const defaultServiceName = "hitboxd"

// Exporter names.
const (
	exporterOTLP   = "otlp"
	exporterStdout = "stdout"
	exporterNone   = "none"
)

// errTracing marks a tracing setting that cannot be used.
var errTracing = errors.New("tracing")

// setupTracing returns the tracer provider cfg and env (os.Getenv, or a
// stand-in) describe, and the function that flushes and stops it. Tracing
// off returns a nil provider and a no-op stop: no exporter, no goroutine.
// Settings in cfg win over the environment's; OTEL_SDK_DISABLED=true
// turns tracing off whatever cfg says. The stdout exporter writes to
// os.Stdout.
func setupTracing(ctx context.Context, cfg config.Tracing, env func(string) string) (trace.TracerProvider, func(context.Context) error, error) {
	return newTracing(ctx, cfg, env, os.Stdout)
}

// newTracing is setupTracing with the stdout exporter writing to stdout.
func newTracing(ctx context.Context, cfg config.Tracing, env func(string) string, stdout io.Writer) (trace.TracerProvider, func(context.Context) error, error) {
	s, err := resolveTracing(cfg, env)
	if err != nil || s == nil {
		return nil, noStop, err
	}
	var exps []sdktrace.SpanExporter
	for _, name := range s.exporters {
		exp, err := s.exporter(ctx, name, stdout)
		if err != nil {
			for _, e := range exps {
				_ = e.Shutdown(ctx)
			}
			return nil, noStop, err
		}
		exps = append(exps, exp)
	}
	opts := make([]sdktrace.TracerProviderOption, 0, len(exps))
	for _, e := range exps {
		opts = append(opts, sdktrace.WithBatcher(e))
	}
	tp, err := s.provider(ctx, opts...)
	if err != nil {
		for _, e := range exps {
			_ = e.Shutdown(ctx)
		}
		return nil, noStop, err
	}
	return tp, tp.Shutdown, nil
}

func noStop(context.Context) error { return nil }

// tracingSettings is what a config.Tracing and the environment resolve
// to.
type tracingSettings struct {
	exporters []string // exporterOTLP, exporterStdout; at least one
	endpoint  string   // the OTLP URL; "": the exporter's default
	protocol  string   // grpc, http/protobuf or http/json
	sampler   sdktrace.Sampler
	attrs     []attribute.KeyValue // the resource's, service.name included
}

// resolveTracing applies env under cfg; nil settings mean tracing off.
func resolveTracing(cfg config.Tracing, env func(string) string) (*tracingSettings, error) {
	if env == nil {
		env = os.Getenv
	}
	if strings.EqualFold(strings.TrimSpace(env("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	exps, err := tracingExporters(cfg, env)
	if err != nil || len(exps) == 0 {
		return nil, err
	}
	s := &tracingSettings{exporters: exps}
	if s.protocol, err = otlpProtocol(env); err != nil {
		return nil, err
	}
	if s.endpoint, err = otlpEndpoint(cfg.Endpoint, s.protocol, env); err != nil {
		return nil, err
	}
	if s.sampler, err = tracingSampler(cfg, env); err != nil {
		return nil, err
	}
	s.attrs = resourceAttrs(env)
	return s, nil
}

// tracingExporters returns the exporters cfg or the environment name;
// none when tracing is off.
func tracingExporters(cfg config.Tracing, env func(string) string) ([]string, error) {
	switch cfg.Exporter { // "", otlp, stdout or none: config has checked it
	case exporterNone:
		return nil, nil
	case exporterOTLP, exporterStdout:
		return []string{cfg.Exporter}, nil
	}
	list := strings.TrimSpace(env("OTEL_TRACES_EXPORTER"))
	if list == "" {
		// The spec's default exporter is otlp: an OTLP endpoint in the
		// environment asks for it; nothing at all leaves tracing off.
		if env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || env("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
			return []string{exporterOTLP}, nil
		}
		return nil, nil
	}
	var out []string
	for part := range strings.SplitSeq(list, ",") {
		switch name := strings.ToLower(strings.TrimSpace(part)); name {
		case exporterNone:
			return nil, nil
		case exporterOTLP:
			out = appendNew(out, exporterOTLP)
		case exporterStdout, "console":
			out = appendNew(out, exporterStdout)
		default:
			return nil, fmt.Errorf("%w: OTEL_TRACES_EXPORTER %q: unknown exporter %q: want otlp, console (stdout) or none", errTracing, list, part)
		}
	}
	return out, nil
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// otlpProtocol returns OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, or
// OTEL_EXPORTER_OTLP_PROTOCOL, or http/protobuf.
func otlpProtocol(env func(string) string) (string, error) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch v := strings.TrimSpace(env(k)); v {
		case "":
			continue
		case "grpc", "http/protobuf", "http/json":
			return v, nil
		default:
			return "", fmt.Errorf("%w: %s %q: want grpc, http/protobuf or http/json", errTracing, k, v)
		}
	}
	return "http/protobuf", nil
}

// otlpEndpoint returns the collector's URL: the file's (with /v1/traces
// for HTTP when it has no path), else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// as it is, else OTEL_EXPORTER_OTLP_ENDPOINT (with /v1/traces appended
// for HTTP), else "" (the exporter's default, localhost).
func otlpEndpoint(file, protocol string, env func(string) string) (string, error) {
	raw, what := strings.TrimSpace(file), "endpoint"
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if raw == "" {
			raw, what = strings.TrimSpace(env(k)), k
		}
	}
	if raw == "" {
		return "", nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %s %q: want the collector's http:// or https:// URL", errTracing, what, raw)
	}
	if protocol != "grpc" {
		switch {
		case what == "OTEL_EXPORTER_OTLP_ENDPOINT", what == "endpoint" && strings.Trim(u.Path, "/") == "":
			u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		}
	}
	return u.String(), nil
}

// tracingSampler returns ParentBased(TraceIDRatioBased(cfg.SampleRatio))
// when cfg sets the ratio (see [config.Tracing.SampleRatio]), else the
// sampler of OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, else
// ParentBased(AlwaysSample).
func tracingSampler(cfg config.Tracing, env func(string) string) (sdktrace.Sampler, error) {
	if cfg.Exporter != "" || cfg.SampleRatio != 0 {
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio)), nil // from 0 to 1: config has checked it
	}
	name := strings.ToLower(strings.TrimSpace(env("OTEL_TRACES_SAMPLER")))
	ratio := func() (float64, error) {
		arg := strings.TrimSpace(env("OTEL_TRACES_SAMPLER_ARG"))
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return 0, fmt.Errorf("%w: OTEL_TRACES_SAMPLER_ARG %q: want a ratio from 0 to 1", errTracing, arg)
		}
		return r, nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if name == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("%w: OTEL_TRACES_SAMPLER %q: want always_on, always_off, traceidratio or their parentbased_ forms", errTracing, name)
}

// resourceAttrs returns the attributes of OTEL_RESOURCE_ATTRIBUTES
// (key=value pairs, comma-separated, values percent-encoded; malformed
// pairs skipped), then service.name (OTEL_SERVICE_NAME, else the one of
// OTEL_RESOURCE_ATTRIBUTES, else hitboxd) and hitboxd's version.
func resourceAttrs(env func(string) string) []attribute.KeyValue {
	var attrs []attribute.KeyValue
	name := defaultServiceName
	for pair := range strings.SplitSeq(env("OTEL_RESOURCE_ATTRIBUTES"), ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		if attribute.Key(k) == semconv.ServiceNameKey {
			name = v
			continue
		}
		attrs = append(attrs, attribute.String(k, v))
	}
	if n := strings.TrimSpace(env("OTEL_SERVICE_NAME")); n != "" {
		name = n
	}
	return append(attrs, semconv.ServiceName(name), semconv.ServiceVersion(versionString()))
}

// exporter returns the span exporter called name.
func (s *tracingSettings) exporter(ctx context.Context, name string, stdout io.Writer) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch {
	case name == exporterStdout:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(stdout))
	case s.protocol == "grpc":
		var opts []otlptracegrpc.Option
		if s.endpoint != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(s.endpoint))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	default:
		var opts []otlptracehttp.Option
		if s.endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpointURL(s.endpoint))
		}
		if s.protocol == "http/json" {
			opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s exporter: %w", errTracing, name, err)
	}
	return exp, nil
}

// provider returns the SDK's tracer provider with s's sampler and
// resource, and opts (the span processors).
func (s *tracingSettings) provider(ctx context.Context, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithSchemaURL(semconv.SchemaURL), resource.WithAttributes(s.attrs...))
	if err != nil {
		return nil, fmt.Errorf("%w: resource: %w", errTracing, err)
	}
	return sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSampler(s.sampler), sdktrace.WithResource(res)}, opts...)...), nil
}

// daemonTracing is a running hitboxd's tracing; the zero value is off.
type daemonTracing struct {
	tp   trace.TracerProvider        // nil: off
	stop func(context.Context) error // flushes and stops tp; nil: not ours to stop
	cfg  config.Tracing              // as started: a reload does not change tracing
}

// startTracing returns the tracing of o and f: o.TracerProvider when set
// (the caller's, not stopped here), else what f and o.Env describe.
func startTracing(ctx context.Context, o serveOptions, f *config.File) (daemonTracing, error) {
	cfg := f.Tracing
	if o.TracerProvider != nil {
		return daemonTracing{tp: o.TracerProvider, cfg: cfg}, nil
	}
	tp, stop, err := setupTracing(ctx, cfg, o.Env)
	if err != nil {
		return daemonTracing{}, err
	}
	return daemonTracing{tp: tp, stop: stop, cfg: cfg}, nil
}

// propagator is the trace context hitboxd reads from requests and
// writes to the upstream: W3C traceparent and tracestate, and baggage.
func propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// tracerName is the instrumentation scope of hitboxd's server spans.
const tracerName = "github.com/hitbox-go/hitbox/cmd/hitboxd"

// handler returns h with a server span per request, a child of the
// request's incoming trace context; h itself when tracing is off.
func (t daemonTracing) handler(h http.Handler) http.Handler {
	if t.tp == nil {
		return h
	}
	return &tracedHandler{next: h, tracer: t.tp.Tracer(tracerName), prop: propagator(),
		opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}}
}

// tracedHandler starts a server span per request (named by the method,
// with HTTP semantic-convention attributes and the response's status)
// under the trace context the request carries. It is otelhttp's handler
// made lean: a request whose span is not recorded (not sampled) costs
// the extraction and the span's context only, and the ResponseWriter is
// wrapped only for recorded spans.
type tracedHandler struct {
	next   http.Handler
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	opts   []trace.SpanStartOption
}

func (h *tracedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := h.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := h.tracer.Start(ctx, r.Method, h.opts...)
	defer span.End()
	r = r.WithContext(ctx)
	if !span.IsRecording() {
		h.next.ServeHTTP(w, r)
		return
	}
	span.SetAttributes(requestAttrs(r)...)
	sw := &statusWriter{ResponseWriter: w}
	h.next.ServeHTTP(sw, r)
	code := sw.code
	if code == 0 {
		code = http.StatusOK
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(code))
	if code >= 500 {
		span.SetStatus(codes.Error, http.StatusText(code))
	}
}

// requestAttrs are the server span's attributes of r.
func requestAttrs(r *http.Request) []attribute.KeyValue {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLScheme(scheme),
		semconv.URLPath(r.URL.Path),
		semconv.NetworkProtocolVersion(fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor)),
	}
	if host, port, err := net.SplitHostPort(r.Host); err == nil {
		attrs = append(attrs, semconv.ServerAddress(host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, semconv.ServerPort(p))
		}
	} else if r.Host != "" {
		attrs = append(attrs, semconv.ServerAddress(r.Host))
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		attrs = append(attrs, semconv.ClientAddress(host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	return attrs
}

// statusWriter keeps the status of the response written through it.
type statusWriter struct {
	http.ResponseWriter
	code int // 0: none yet
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// transport returns rt with a client span per upstream call and the
// trace context injected into its headers; rt itself when tracing is
// off. Only misses and bypasses reach it: otelhttp's transport does.
func (t daemonTracing) transport(rt http.RoundTripper) http.RoundTripper {
	if t.tp == nil {
		return rt
	}
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithPropagators(propagator()),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()), // hitboxd's metrics are Prometheus's
	)
}

// shutdown flushes the spans still buffered and stops the exporters.
func (t daemonTracing) shutdown(ctx context.Context) error {
	if t.stop == nil {
		return nil
	}
	if err := t.stop(ctx); err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	return nil
}

// Handle implements otel.ErrorHandler: main makes the SDK report its
// errors (spans a collector did not take) through the logger go-redis's
// lines go to, as warnings throttled like a backend's.
func (l *redisLogger) Handle(err error) {
	l.mu.Lock()
	log := l.log
	l.mu.Unlock()
	if log != nil {
		log.Warn("tracing export failed", "backend", "tracing", "err", err)
	}
}
