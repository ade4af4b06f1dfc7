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
		}
	}
}

// startSpan starts a child span of ctx named name, or returns ctx and a
// nil span when the Cache records no spans.
func (c *Cache) startSpan(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if c.cfg.tracer == nil {
		return ctx, nil
	}
	return c.cfg.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endSpan records err (if any) on span and ends it; a nil span is a no-op.
func endSpan(span trace.Span, err error, attrs ...attribute.KeyValue) {
	if span == nil {
		return
	}
	if len(attrs) > 0 {
		span.SetAttributes(attrs...)
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// endDo ends the span of a Do call with the answer's attributes.
func endDo(span trace.Span, res Result, err error) {
	attrs := []attribute.KeyValue{
		AttrForward.String(res.Forward.String()),
		AttrSource.String(res.Source),
		AttrStored.Bool(res.Stored),
		AttrCollapsed.Bool(res.Collapsed),
		AttrStaleIfError.Bool(res.StaleIfError),
	}
	if res.Status != 0 {
		attrs = append(attrs, AttrStatus.String(res.Status.String()))
	}
	endSpan(span, err, attrs...)
}

// set writes e under req's key, inside a [SpanBackendSet] span when the
// Cache records spans.
func (c *Cache) set(ctx context.Context, req Request, e backend.Entry) error {
	if c.cfg.tracer == nil {
		return c.b.Set(ctx, req.Key, e)
	}
	ctx, span := c.startSpan(ctx, SpanBackendSet, trace.SpanKindClient, AttrEndpoint.String(req.Endpoint), AttrSource.String(c.source))
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
	ctx, span := c.startSpan(ctx, SpanUpstream, trace.SpanKindClient, AttrEndpoint.String(req.Endpoint))
	f, err := fetch(ctx)
	rerr := err
	if err == nil && f.Failed && !f.Store {
		rerr = ErrUpstreamFailed
	}
	endSpan(span, rerr, AttrStored.Bool(f.Store))
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
