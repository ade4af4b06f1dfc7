package config

import "net/url"

// Tracing is the `tracing` section (docs/config.md, "Tracing"); its zero
// value (no section) leaves tracing to the OTEL_* environment variables.
type Tracing struct {
	// Exporter is where spans go: "otlp" (the default of a present
	// section), "stdout" or "none" (tracing off); "" (no section) takes
	// OTEL_TRACES_EXPORTER and the other OTEL_* variables, where tracing
	// is off unless they ask for it.
	Exporter string
	// Endpoint is the OTLP collector's URL; "": the exporter's default
	// (OTEL_EXPORTER_OTLP_*ENDPOINT). Over HTTP a URL without a path
	// sends to /v1/traces.
	Endpoint string
	// SampleRatio is the share of new traces recorded, 0 to 1 (default 1),
	// with ParentBased(TraceIDRatioBased): a request whose incoming
	// traceparent is sampled is always recorded. It applies whenever
	// Exporter is set (0 then records only sampled parents); with
	// Exporter "", 0 means unset: OTEL_TRACES_SAMPLER(_ARG), else every
	// trace.
	SampleRatio float64
}

var tracingExporters = []string{"", "otlp", "stdout", "none"}

func (d *decoder) tracing(n *node, path string) (Tracing, bool) {
	t := Tracing{Exporter: "otlp", SampleRatio: 1}
	fs, _ := d.fields(n, path, "a mapping (exporter, endpoint, sample_ratio)", true, "exporter", "endpoint", "sample_ratio")
	set(fs, "exporter", &t.Exporter, func(n *node, path string) (string, bool) {
		i, ok := d.enum(n, path, "exporter", tracingExporters)
		return tracingExporters[i], ok
	})
	set(fs, "sample_ratio", &t.SampleRatio, d.fraction)
	if e, ok := fs["endpoint"]; ok {
		if s, ok := d.str(e.val, e.path, "a URL"); ok {
			u, err := url.Parse(s)
			switch {
			case t.Exporter != "otlp":
				d.fail(e.val, e.path, ErrValue, "an endpoint goes with exporter otlp, not %s", t.Exporter)
			case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
				d.fail(e.val, e.path, ErrValue, "invalid endpoint %q: want the collector's http:// or https:// URL (e.g. http://127.0.0.1:4318)", s)
			default:
				t.Endpoint = s
			}
		}
	}
	return t, true
}
