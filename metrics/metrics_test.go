package metrics_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/metrics"
)

// newMetrics returns Metrics registered on a fresh registry.
func newMetrics(t testing.TB, o metrics.Options) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, o)
	if err != nil {
		t.Fatalf("New(reg, %+v) = %v", o, err)
	}
	return m, reg
}

// compare checks the exposition of the named metrics against want.
func compare(t *testing.T, reg prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

var errUpstream = errors.New("upstream down")

// noTagPurges is the exposition of the tag purge counters before any purge
// (they are there from New on).
const noTagPurges = `# HELP hitbox_tag_purges_total Purges by tag (each naming one or more tags).
# TYPE hitbox_tag_purges_total counter
hitbox_tag_purges_total 0
# HELP hitbox_tags_purged_total Tags named by the purges by tag.
# TYPE hitbox_tags_purged_total counter
hitbox_tags_purged_total 0
`

func TestRecordExposition(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{Buckets: []float64{0.1, 1}})
	for _, e := range []hitbox.Event{
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventStale, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventMiss, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventUpstream, Endpoint: "users", Duration: 250 * time.Millisecond},
		{Kind: hitbox.EventUpstream, Endpoint: "users", Duration: 2 * time.Second, Err: errUpstream},
		{Kind: hitbox.EventUpstream, Endpoint: "users", Duration: -time.Second}, // observed as 0
		{Kind: hitbox.EventStored, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventStored, Endpoint: "users"}, // no Source: no backend series
		{Kind: hitbox.EventCollapsed, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventRevalidate, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventReadError, Endpoint: "items", Source: "redis", Err: errUpstream},
		{Kind: hitbox.EventMiss, Endpoint: "items", Source: "redis"},
		{Kind: hitbox.EventWriteError, Endpoint: "items", Source: "redis", Err: errUpstream},
		{Kind: hitbox.EventStaleIfError, Endpoint: "items", Source: "redis", Err: errUpstream},
		{Kind: hitbox.EventBypass, Endpoint: "admin"},
		{Kind: 0, Endpoint: "ignored", Source: "ignored"},
		{Kind: 42, Endpoint: "ignored", Source: "ignored"},
	} {
		m.Record(e)
	}

	compare(t, reg, `
# HELP hitbox_requests_total Requests through the cache flow by endpoint and status (hit, stale, miss, bypass, collapsed).
# TYPE hitbox_requests_total counter
hitbox_requests_total{endpoint="admin",status="bypass"} 1
hitbox_requests_total{endpoint="items",status="miss"} 1
hitbox_requests_total{endpoint="users",status="collapsed"} 1
hitbox_requests_total{endpoint="users",status="hit"} 2
hitbox_requests_total{endpoint="users",status="miss"} 1
hitbox_requests_total{endpoint="users",status="stale"} 1
# HELP hitbox_backend_events_total Backend reads and writes as the flow saw them, by backend label and event (hit, stale, miss, stored, read_error, write_error).
# TYPE hitbox_backend_events_total counter
hitbox_backend_events_total{backend="memory",event="hit"} 2
hitbox_backend_events_total{backend="memory",event="miss"} 1
hitbox_backend_events_total{backend="memory",event="stale"} 1
hitbox_backend_events_total{backend="memory",event="stored"} 1
hitbox_backend_events_total{backend="redis",event="miss"} 1
hitbox_backend_events_total{backend="redis",event="read_error"} 1
hitbox_backend_events_total{backend="redis",event="write_error"} 1
# HELP hitbox_upstream_requests_total Finished upstream calls by endpoint and outcome (ok, error).
# TYPE hitbox_upstream_requests_total counter
hitbox_upstream_requests_total{endpoint="users",outcome="error"} 1
hitbox_upstream_requests_total{endpoint="users",outcome="ok"} 2
# HELP hitbox_upstream_duration_seconds Duration of upstream calls by endpoint.
# TYPE hitbox_upstream_duration_seconds histogram
hitbox_upstream_duration_seconds_bucket{endpoint="users",le="0.1"} 1
hitbox_upstream_duration_seconds_bucket{endpoint="users",le="1"} 2
hitbox_upstream_duration_seconds_bucket{endpoint="users",le="+Inf"} 3
hitbox_upstream_duration_seconds_sum{endpoint="users"} 2.25
hitbox_upstream_duration_seconds_count{endpoint="users"} 3
# HELP hitbox_stale_if_error_total Stale entries served because the upstream failed, by endpoint.
# TYPE hitbox_stale_if_error_total counter
hitbox_stale_if_error_total{endpoint="items"} 1
# HELP hitbox_revalidations_total Background refreshes of stale entries started, by endpoint.
# TYPE hitbox_revalidations_total counter
hitbox_revalidations_total{endpoint="users"} 1
`+noTagPurges)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatalf("GatherAndLint = %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}

	// Nothing else: no backend or offload series without a watch, and
	// the unknown kinds left no trace.
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 20 {
		t.Errorf("GatherAndCount = %d, %v; want 20 series, nil", n, err)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     metrics.Options
		wantErr  error
		wantName string // a metric name expected after one hit
	}{
		{name: "zero value", wantName: "hitbox_requests_total"},
		{name: "namespace", opts: metrics.Options{Namespace: "edge_cache"}, wantName: "edge_cache_requests_total"},
		{name: "buckets", opts: metrics.Options{Buckets: []float64{0.01, 0.1, math.Inf(1)}}, wantName: "hitbox_requests_total"},
		{name: "namespace with a dash", opts: metrics.Options{Namespace: "edge-cache"}, wantErr: metrics.ErrInvalidOptions},
		{name: "namespace with a colon", opts: metrics.Options{Namespace: "a:b"}, wantErr: metrics.ErrInvalidOptions},
		{name: "namespace starting with a digit", opts: metrics.Options{Namespace: "1cache"}, wantErr: metrics.ErrInvalidOptions},
		{name: "namespace not ASCII", opts: metrics.Options{Namespace: "caché"}, wantErr: metrics.ErrInvalidOptions},
		{name: "decreasing buckets", opts: metrics.Options{Buckets: []float64{1, 0.5}}, wantErr: metrics.ErrInvalidOptions},
		{name: "repeated bucket", opts: metrics.Options{Buckets: []float64{0.5, 0.5}}, wantErr: metrics.ErrInvalidOptions},
		{name: "NaN bucket", opts: metrics.Options{Buckets: []float64{math.NaN()}}, wantErr: metrics.ErrInvalidOptions},
		{name: "endpoint cap", opts: metrics.Options{MaxEndpoints: 1}, wantName: "hitbox_requests_total"},
		{name: "negative endpoint cap", opts: metrics.Options{MaxEndpoints: -1}, wantErr: metrics.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New(reg, %+v) error = %v, want %v", tt.opts, err, tt.wantErr)
			}
			if err != nil {
				if m != nil {
					t.Errorf("New(reg, %+v) = %v, %v; want a nil *Metrics with the error", tt.opts, m, err)
				}
				if n, gerr := testutil.GatherAndCount(reg); gerr != nil || n != 0 {
					t.Errorf("after a failed New, the registry has %d series (%v), want none", n, gerr)
				}
				return
			}
			m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "e", Source: "s"})
			if n, err := testutil.GatherAndCount(reg, tt.wantName); err != nil || n != 1 {
				t.Errorf("GatherAndCount(%q) = %d, %v; want 1, nil", tt.wantName, n, err)
			}
		})
	}
}

func TestNewNilRegisterer(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(nil, metrics.Options{})
	if !errors.Is(err, metrics.ErrNilRegisterer) || m != nil {
		t.Errorf("New(nil, {}) = %v, %v; want nil, ErrNilRegisterer", m, err)
	}
}

func TestNewRegistersAllOrNothing(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	// Something else already owns one of the names.
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "hitbox_revalidations_total", Help: "taken"}))
	if _, err := metrics.New(reg, metrics.Options{}); err == nil {
		t.Fatal("New on a registry holding hitbox_revalidations_total = nil error, want one")
	}
	// None of ours stayed registered: the same vector registers fine.
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hitbox_requests_total",
		Help: "Requests through the cache flow by endpoint and status (hit, stale, miss, bypass, collapsed).",
	}, []string{"endpoint", "status"})
	if err := reg.Register(requests); err != nil {
		t.Errorf("registering hitbox_requests_total after a failed New = %v, want nil (a failed New must register nothing)", err)
	}
}

func TestNewTwiceOnOneRegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatalf("New = %v", err)
	}
	_, err := metrics.New(reg, metrics.Options{})
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		t.Errorf("second New on one registry = %v, want a wrapped AlreadyRegisteredError", err)
	}
	// Another namespace on the same registry is fine.
	if _, err := metrics.New(reg, metrics.Options{Namespace: "other"}); err != nil {
		t.Errorf("New with another namespace = %v, want nil", err)
	}
}

func TestRecordBadInput(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "bad\xffname", Source: "mem\xfe"})
	m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "bad\xfename", Source: "mem\xff"})
	compare(t, reg, `
# HELP hitbox_requests_total Requests through the cache flow by endpoint and status (hit, stale, miss, bypass, collapsed).
# TYPE hitbox_requests_total counter
hitbox_requests_total{endpoint="bad�name",status="hit"} 2
# HELP hitbox_backend_events_total Backend reads and writes as the flow saw them, by backend label and event (hit, stale, miss, stored, read_error, write_error).
# TYPE hitbox_backend_events_total counter
hitbox_backend_events_total{backend="mem�",event="hit"} 2
`, "hitbox_requests_total", "hitbox_backend_events_total")

	var nilM *metrics.Metrics
	nilM.Record(hitbox.Event{Kind: hitbox.EventHit}) // must not panic
	nilM.WatchBackend(nil)
	nilM.WatchOffload(nil)
	if s := nilM.Snapshot(); s.Total != (metrics.Counts{}) || s.Endpoints == nil || s.Backends == nil {
		t.Errorf("(*Metrics)(nil).Snapshot() = %+v, want zero totals and empty non-nil maps", s)
	}
}

func TestRecordConcurrent(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	const workers, perWorker = 8, 500
	endpoints := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				ep := endpoints[(w+i)%len(endpoints)]
				m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: ep, Source: "memory"})
				m.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: ep, Duration: time.Millisecond})
				if i%50 == 0 {
					_ = m.Snapshot()
					_, _ = reg.Gather()
				}
			}
		})
	}
	wg.Wait()

	const total = workers * perWorker
	var hits float64
	for _, ep := range endpoints {
		hits += counterValue(t, reg, "hitbox_requests_total", map[string]string{"endpoint": ep, "status": "hit"})
	}
	if hits != total {
		t.Errorf("sum of hitbox_requests_total{status=hit} = %v, want %d", hits, total)
	}
	if got := counterValue(t, reg, "hitbox_backend_events_total", map[string]string{"backend": "memory", "event": "hit"}); got != total {
		t.Errorf("hitbox_backend_events_total{backend=memory,event=hit} = %v, want %d", got, total)
	}
	s := m.Snapshot()
	if s.Total.Hits != total || s.Total.Upstream != total || s.Backends["memory"].Hits != total {
		t.Errorf("Snapshot() = %+v, want %d hits, upstream calls and memory hits", s, total)
	}
}

// counterValue returns the value of the series of name with exactly labels.
func counterValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metric
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func TestRecordAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m, _ := newMetrics(t, metrics.Options{})
	for _, e := range []hitbox.Event{
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventUpstream, Endpoint: "users", Duration: time.Millisecond, Err: errUpstream},
		{Kind: hitbox.EventStored, Endpoint: "users", Source: "memory"},
	} {
		m.Record(e) // first event of its series: may allocate
		if n := testing.AllocsPerRun(100, func() { m.Record(e) }); n != 0 {
			t.Errorf("Record(%v event) allocates %v times per call, want 0", e.Kind, n)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, e := range []hitbox.Event{
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "memory"},
		{Kind: hitbox.EventUpstream, Endpoint: "users", Duration: 30 * time.Millisecond},
	} {
		b.Run(e.Kind.String(), func(b *testing.B) {
			m, _ := newMetrics(b, metrics.Options{})
			m.Record(e)
			b.ReportAllocs()
			for b.Loop() {
				m.Record(e)
			}
		})
		b.Run(e.Kind.String()+"/parallel", func(b *testing.B) {
			m, _ := newMetrics(b, metrics.Options{})
			endpoints := make([]string, 16)
			for i := range endpoints {
				endpoints[i] = fmt.Sprintf("endpoint-%d", i)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				e, i := e, 0
				for pb.Next() {
					e.Endpoint = endpoints[i%len(endpoints)]
					m.Record(e)
					i++
				}
			})
		})
	}
}
