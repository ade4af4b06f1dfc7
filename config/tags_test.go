package config

import (
	"slices"
	"testing"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
)

// TestBuiltTags: an endpoint's tags reach httpcache as extractors whose
// parts are the tags: Static pairs in the order written, then the parts
// of any key extractor; an endpoint without tags has none.
func TestBuiltTags(t *testing.T) {
	eps := mustBuild(t, `endpoints:
  - request: [{Path: "/v1/authors/{author_id}/books/{book_id}"}]
    tags:
      request:
        - Static: {tier: premium, region: eu, version: 2}
        - Path: "/v1/authors/{author_id}/books/{book_id}"
        - Query: page
  - request: [{Path: /plain}]
`)
	parts, err := extract.Key(req("GET", "/v1/authors/sheckley/books/42?page=3", ""), eps[0].Tags, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []hitbox.KeyPart{hitbox.Part("tier", "premium"), hitbox.Part("region", "eu"), hitbox.Part("version", "2"),
		hitbox.Part("author_id", "sheckley"), hitbox.Part("book_id", "42"), hitbox.Part("page", "3")}
	if !slices.Equal(parts, want) {
		t.Errorf("tag parts = %v, want %v", parts, want)
	}
	if eps[1].Tags != nil {
		t.Errorf("an endpoint without tags has %d tag sources, want none", len(eps[1].Tags))
	}
}

// TestTagHeadersAndTracing: tag_headers defaults to Surrogate-Key and []
// turns it off; tracing is the zero value without a section (the OTEL_*
// variables decide) and samples everything in a section that says
// nothing else.
func TestTagHeadersAndTracing(t *testing.T) {
	for _, tt := range []struct {
		src     string
		headers []string
		tracing Tracing
	}{
		{"", []string{"Surrogate-Key"}, Tracing{}},
		{"tag_headers: []\ntracing: {exporter: stdout}\n", []string{}, Tracing{Exporter: "stdout", SampleRatio: 1}},
		{"tag_headers: [X-Tags]\ntracing: {endpoint: \"https://otel.example:4318\", sample_ratio: 0}\n", []string{"X-Tags"},
			Tracing{Exporter: "otlp", Endpoint: "https://otel.example:4318", SampleRatio: 0}},
	} {
		f, _, err := Parse("x.yaml", []byte("upstream: http://127.0.0.1:3000\n"+tt.src))
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		if !slices.Equal(f.TagHeaders, tt.headers) || f.Tracing != tt.tracing {
			t.Errorf("%q: tag headers %q, tracing %+v; want %q, %+v", tt.src, f.TagHeaders, f.Tracing, tt.headers, tt.tracing)
		}
	}
}
