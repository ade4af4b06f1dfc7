package metrics_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/metrics"
)

// endpointLabels returns the endpoint label values of the series of name.
func endpointLabels(t *testing.T, g prometheus.Gatherer, name string) map[string]bool {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "endpoint" {
					out[lp.GetValue()] = true
				}
			}
		}
	}
	return out
}

func TestEndpointCap(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{MaxEndpoints: 2, Buckets: []float64{1}})
	for _, e := range []hitbox.Event{
		{Kind: hitbox.EventHit, Endpoint: "users"},
		{Kind: hitbox.EventMiss, Endpoint: "items"},
		{Kind: hitbox.EventBypass}, // no endpoint: takes no place
		{Kind: hitbox.EventHit, Endpoint: "/users/1?token=x"},
		{Kind: hitbox.EventHit, Endpoint: "/users/2?token=y"},
		{Kind: hitbox.EventUpstream, Endpoint: "/users/3", Duration: time.Second, Err: errUpstream},
		{Kind: hitbox.EventStaleIfError, Endpoint: "/users/3"},
		{Kind: hitbox.EventHit, Endpoint: "users"}, // admitted before the cap: still its own
		{Kind: hitbox.EventUpstream, Endpoint: "items", Duration: time.Second},
		{Kind: hitbox.EventHit, Endpoint: "other"}, // the fold's own label
	} {
		m.Record(e)
	}
	compare(t, reg, `
# HELP hitbox_requests_total Requests through the cache flow by endpoint and status (hit, stale, miss, bypass, collapsed).
# TYPE hitbox_requests_total counter
hitbox_requests_total{endpoint="items",status="miss"} 1
hitbox_requests_total{endpoint="none",status="bypass"} 1
hitbox_requests_total{endpoint="other",status="hit"} 3
hitbox_requests_total{endpoint="users",status="hit"} 2
# HELP hitbox_upstream_requests_total Finished upstream calls by endpoint and outcome (ok, error).
# TYPE hitbox_upstream_requests_total counter
hitbox_upstream_requests_total{endpoint="items",outcome="ok"} 1
hitbox_upstream_requests_total{endpoint="other",outcome="error"} 1
# HELP hitbox_upstream_duration_seconds Duration of upstream calls by endpoint.
# TYPE hitbox_upstream_duration_seconds histogram
hitbox_upstream_duration_seconds_bucket{endpoint="items",le="1"} 1
hitbox_upstream_duration_seconds_bucket{endpoint="items",le="+Inf"} 1
hitbox_upstream_duration_seconds_sum{endpoint="items"} 1
hitbox_upstream_duration_seconds_count{endpoint="items"} 1
hitbox_upstream_duration_seconds_bucket{endpoint="other",le="1"} 1
hitbox_upstream_duration_seconds_bucket{endpoint="other",le="+Inf"} 1
hitbox_upstream_duration_seconds_sum{endpoint="other"} 1
hitbox_upstream_duration_seconds_count{endpoint="other"} 1
# HELP hitbox_stale_if_error_total Stale entries served because the upstream failed, by endpoint.
# TYPE hitbox_stale_if_error_total counter
hitbox_stale_if_error_total{endpoint="other"} 1
`, "hitbox_requests_total", "hitbox_upstream_requests_total", "hitbox_upstream_duration_seconds", "hitbox_stale_if_error_total")

	// The status page folds alike (and keeps "" for no endpoint).
	snap := m.Snapshot()
	if len(snap.Endpoints) != 4 || snap.Endpoints["other"].Hits != 3 || snap.Endpoints["other"].UpstreamErrors != 1 ||
		snap.Endpoints[""].Bypass != 1 || snap.Endpoints["users"].Hits != 2 {
		t.Errorf("Snapshot().Endpoints = %+v, want users, items, \"\" and other (3 hits, 1 upstream error)", snap.Endpoints)
	}
}

// TestEndpointCapDefault: names from request data, one per request, make
// no more than DefaultMaxEndpoints series, and every event is counted.
func TestEndpointCapDefault(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	const workers, perWorker = 4, 300
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				m.Record(hitbox.Event{Kind: hitbox.EventMiss, Endpoint: fmt.Sprintf("/path/%d/%d", w, i)})
				m.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: fmt.Sprintf("/path/%d/%d", w, i)})
			}
		})
	}
	wg.Wait()
	for _, name := range []string{"hitbox_requests_total", "hitbox_upstream_requests_total", "hitbox_upstream_duration_seconds"} {
		labels := endpointLabels(t, reg, name)
		if len(labels) != metrics.DefaultMaxEndpoints+1 || !labels[metrics.OtherEndpoints] {
			t.Errorf("%s has %d endpoint labels (other: %v), want %d names and %q",
				name, len(labels), labels[metrics.OtherEndpoints], metrics.DefaultMaxEndpoints, metrics.OtherEndpoints)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "hitbox_requests_total"); err != nil || n != metrics.DefaultMaxEndpoints+1 {
		t.Errorf("GatherAndCount(hitbox_requests_total) = %d, %v; want %d", n, err, metrics.DefaultMaxEndpoints+1)
	}
	const total = workers * perWorker
	s := m.Snapshot()
	if s.Total.Misses != total || s.Total.Upstream != total || len(s.Endpoints) != metrics.DefaultMaxEndpoints+1 {
		t.Errorf("Snapshot() = %d misses, %d upstream calls, %d endpoints; want %d, %d, %d",
			s.Total.Misses, s.Total.Upstream, len(s.Endpoints), total, total, metrics.DefaultMaxEndpoints+1)
	}
	if got := s.Endpoints[metrics.OtherEndpoints].Misses; got != total-metrics.DefaultMaxEndpoints {
		t.Errorf("misses under %q = %d, want %d", metrics.OtherEndpoints, got, total-metrics.DefaultMaxEndpoints)
	}
}

func TestEndpointCapAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m, _ := newMetrics(t, metrics.Options{MaxEndpoints: 1})
	m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "users"})
	e := hitbox.Event{Kind: hitbox.EventHit, Endpoint: "/users/1"}
	m.Record(e) // the first folded event makes the "other" series
	if n := testing.AllocsPerRun(100, func() { m.Record(e) }); n != 0 {
		t.Errorf("Record of a folded endpoint allocates %v times per call, want 0", n)
	}
}

func TestTagPurge(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{Namespace: "edge"})
	m.TagPurge(3)
	m.TagPurge(1)
	m.TagPurge(-2) // counts as a purge of no tag
	compare(t, reg, `
# HELP edge_tag_purges_total Purges by tag (each naming one or more tags).
# TYPE edge_tag_purges_total counter
edge_tag_purges_total 3
# HELP edge_tags_purged_total Tags named by the purges by tag.
# TYPE edge_tags_purged_total counter
edge_tags_purged_total 4
`, "edge_tag_purges_total", "edge_tags_purged_total")
	var nilM *metrics.Metrics
	nilM.TagPurge(1) // must not panic
}

// BenchmarkRecordFolded is Record for an endpoint name past the cap.
func BenchmarkRecordFolded(b *testing.B) {
	m, _ := newMetrics(b, metrics.Options{MaxEndpoints: 1})
	m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "users"})
	e := hitbox.Event{Kind: hitbox.EventHit, Endpoint: "/users/1", Source: "memory"}
	m.Record(e)
	b.ReportAllocs()
	for b.Loop() {
		m.Record(e)
	}
}
