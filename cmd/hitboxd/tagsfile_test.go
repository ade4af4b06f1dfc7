package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hitbox-go/hitbox/config"
)

// TestE2ETagsFromFile: an endpoint's `tags:` (Static and a key extractor)
// tag its entries, `tag_headers: []` makes Surrogate-Key an ordinary
// header (passed on, no tags), and a purge by one of the file's tags
// reaches exactly the entries carrying it.
func TestE2ETagsFromFile(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	const endpoints = `tag_headers: []
endpoints:
  - name: books
    request: [{Method: GET}, {Path: "/books/{id}"}]
    extractors: [{Method: }, {Path: "/books/{id}"}]
    tags:
      request:
        - Static: {tier: gold}
        - Path: "/books/{id}"
    policy: {Enabled: {ttl: 60}}
`
	p := startInProcess(t, testConfig(up.URL, "", endpoints))
	c := newClient(t)
	first := send(t, c, "GET", p.proxy+"/books/1?skey=s1", "", nil)
	if first.XCache != "MISS" || first.Header.Get("Surrogate-Key") != "s1" {
		t.Fatalf("first: %s, Surrogate-Key %q (not a tag header here: passed on)", first.XCache, first.Header.Get("Surrogate-Key"))
	}
	send(t, c, "GET", p.proxy+"/books/2", "", nil)
	keys := listKeys(t, c, p.admin, entryKey("books", p.proxy, ""))
	got := map[string][]string{}
	for _, k := range keys.Keys {
		got[partsOf(k)] = k.Tags
	}
	want := map[string][]string{"method=GET, id=1": {"tier=gold", "id=1"}, "method=GET, id=2": {"tier=gold", "id=2"}}
	if !cmp.Equal(got, want) {
		t.Fatalf("tags listed %q, want %q", got, want)
	}
	if a := send(t, c, "POST", p.admin+"/purge", `{"tags": ["id=1"]}`, nil); a.Code != 200 {
		t.Fatalf("purge: %d %s", a.Code, a.Body)
	}
	if a := send(t, c, "GET", p.proxy+"/books/1", "", nil); a.XCache != "MISS" {
		t.Errorf("/books/1 after the purge of id=1: %s", a.XCache)
	}
	if a := send(t, c, "GET", p.proxy+"/books/2", "", nil); a.XCache != "HIT" {
		t.Errorf("/books/2 after the purge of id=1: %s", a.XCache)
	}
}

// TestTracingFromFile: the file's tracing section reaches hitboxd's
// tracing setup as written, no section leaves it to OTEL_*, and a bad
// exporter or sample_ratio is config's error at its line.
func TestTracingFromFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, section string
		want          config.Tracing
	}{
		{"absent", "", config.Tracing{}},
		{"stdout", "tracing: {exporter: stdout, sample_ratio: 0.25}\n", config.Tracing{Exporter: "stdout", SampleRatio: 0.25}},
		{"otlp defaults", "tracing: {endpoint: \"http://127.0.0.1:4318\"}\n", config.Tracing{Exporter: "otlp", Endpoint: "http://127.0.0.1:4318", SampleRatio: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "upstream: http://127.0.0.1:9\n" + tc.section
			f, _, err := config.Parse("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Tracing; got != tc.want {
				t.Errorf("File.Tracing = %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"{exporter: zipkin}", "{sample_ratio: 1.5}"} {
		if _, _, err := config.Parse("t.yaml", []byte("upstream: http://127.0.0.1:9\ntracing: "+bad+"\n")); err == nil || !strings.Contains(err.Error(), "t.yaml:2:") {
			t.Errorf("tracing: %s: %v, want an error at line 2", bad, err)
		}
	}
}
