package hitbox

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hitbox-go/hitbox/backend"
)

// TracerName is the instrumentation scope of the spans a Cache records.
const TracerName = "github.com/hitbox-go/hitbox"

// Span names and attribute keys of the spans a Cache records (see
// [WithTracerProvider]).
const (
	SpanDo         = "hitbox.do"
	SpanBackendGet = "hitbox.backend.get"
	SpanBackendSet = "hitbox.backend.set"
	SpanUpstream   = "hitbox.upstream"

	AttrEndpoint     = attribute.Key("hitbox.endpoint")
	AttrStatus       = attribute.Key("hitbox.status")
	AttrForward      = attribute.Key("hitbox.forward")
	AttrSource       = attribute.Key("hitbox.source")
	AttrStored       = attribute.Key("hitbox.stored")
	AttrCollapsed    = attribute.Key("hitbox.collapsed")
	AttrStaleIfError = attribute.Key("hitbox.stale_if_error")
	AttrFound        = attribute.Key("hitbox.found")
)

// WithTracerProvider makes the Cache record OpenTelemetry spans through
// tp: one span per [Cache.Do] ([SpanDo], with the request's endpoint and
// the answer's status, forward reason, source layer, stored, collapsed and
// stale_if_error as attributes), and children of it for each backend read
// ([SpanBackendGet]), write ([SpanBackendSet]) and upstream call
// ([SpanUpstream]); errors are recorded on the span that met them. Without
// this option (or with a nil tp) the Cache records no spans at all and
// costs nothing for tracing. Spans join the trace of the context passed
// to Do; work done for the call after Do returned (a background store or
// refresh) still names the call's span as its parent.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *config) {
		if tp != nil {
			o.tracer = tp.Tracer(TracerName)
			o.spanInternal = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}
			o.spanClient = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
		}
	}
}

// startSpan starts a child span of ctx named name for a call of
// endpoint, a client span (a backend's, the upstream's) or an internal
// one, or returns ctx and a nil span when the Cache records no spans.
// Attributes are set only on spans that record: a span the sampler
// dropped costs no allocation for them.
func (c *Cache) startSpan(ctx context.Context, name string, client bool, endpoint string) (context.Context, trace.Span) {
	if c.cfg.tracer == nil {
		return ctx, nil
	}
	opts := c.cfg.spanInternal
	if client {
		opts = c.cfg.spanClient
	}
	ctx, span := c.cfg.tracer.Start(ctx, name, opts...)
	if span.IsRecording() {
		span.SetAttributes(AttrEndpoint.String(endpoint))
	}
	return ctx, span
}

// endSpan records err (if any) on span and ends it; a nil span is a no-op.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// endDo ends the span of a Do call with the answer's attributes.
func endDo(span trace.Span, res Result, err error) {
	if span.IsRecording() {
		span.SetAttributes(
			AttrForward.String(res.Forward.String()),
			AttrSource.String(res.Source),
			AttrStored.Bool(res.Stored),
			AttrCollapsed.Bool(res.Collapsed),
			AttrStaleIfError.Bool(res.StaleIfError),
		)
		if res.Status != 0 {
			span.SetAttributes(AttrStatus.String(res.Status.String()))
		}
	}
	endSpan(span, err)
}

// endRead ends the span of a backend read with where it looked and
// whether it found the key.
func endRead(span trace.Span, err error, src string, found bool) {
	if span.IsRecording() {
		span.SetAttributes(AttrSource.String(src), AttrFound.Bool(found))
	}
	endSpan(span, err)
}

// set writes e under req's key, inside a [SpanBackendSet] span when the
// Cache records spans.
func (c *Cache) set(ctx context.Context, req Request, e backend.Entry) error {
	if c.cfg.tracer == nil {
		return c.b.Set(ctx, req.Key, e)
	}
	ctx, span := c.startSpan(ctx, SpanBackendSet, true, req.Endpoint)
	if span.IsRecording() {
		span.SetAttributes(AttrSource.String(c.source))
	}
	err := c.b.Set(ctx, req.Key, e)
	endSpan(span, err)
	return err
}

// fetch calls the upstream, inside a [SpanUpstream] span when the Cache
// records spans; an answer marked Failed is recorded as
// [ErrUpstreamFailed].
func (c *Cache) fetch(ctx context.Context, req Request, fetch Fetch) (Fetched, error) {
	if c.cfg.tracer == nil {
		return fetch(ctx)
	}
	ctx, span := c.startSpan(ctx, SpanUpstream, true, req.Endpoint)
	f, err := fetch(ctx)
	rerr := err
	if err == nil && f.Failed && !f.Store {
		rerr = ErrUpstreamFailed
	}
	if span.IsRecording() {
		span.SetAttributes(AttrStored.Bool(f.Store))
	}
	endSpan(span, rerr)
	return f, err
}

// withSpanOf returns ctx carrying the span of from, so that background
// work for a call is traced under the call's span; ctx itself when the
// Cache records no spans.
func (c *Cache) withSpanOf(ctx, from context.Context) context.Context {
	if c.cfg.tracer == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, trace.SpanFromContext(from))
}
