package metrics_test

import (
	"context"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/metrics"
)

// nopStore is a backend that stores nothing.
type nopStore struct{}

func (nopStore) Get(context.Context, string) (backend.Entry, bool, error) {
	return backend.Entry{}, false, nil
}
func (nopStore) Set(context.Context, string, backend.Entry) error { return nil }
func (nopStore) Delete(context.Context, string) (bool, error)     { return false, nil }

// fakeStore reports the Stats it is given.
type fakeStore struct {
	nopStore
	mu    sync.Mutex // guards stats
	stats backend.Stats
}

func (f *fakeStore) Stats() backend.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

func (f *fakeStore) set(s backend.Stats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = s
}

// valueStore is a StatsReporter of a type that cannot be compared.
type valueStore struct {
	nopStore
	_ []int
}

func (valueStore) Stats() backend.Stats {
	return backend.Stats{Label: "value", Hits: 1, Entries: -1, Bytes: -1}
}

// composed is the Stats of a labeled composition whose L2 is itself a
// composition, as composition.Composition reports them.
var composed = backend.Stats{
	Label: "", Hits: 10, Misses: 2, Sets: 3, Errors: 1, Entries: -1, Bytes: 3072,
	Layers: []backend.Stats{
		{Label: "l1", Hits: 7, Misses: 5, Sets: 3, Evictions: 4, Entries: 20, Bytes: 1024},
		{
			Label: "l2", Hits: 3, Misses: 2, Sets: 3, DecodeErrors: 1, Errors: 1, Entries: -1, Bytes: 2048,
			Layers: []backend.Stats{
				{Label: "l2.l1", Hits: 2, Misses: 1, Entries: 5, Bytes: 2048},
				// No label: named after its parent.
				{Hits: 1, Misses: 1, Deletes: 6, Entries: -1, Bytes: -1},
			},
		},
	},
}

func TestWatchBackend(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	store := &fakeStore{stats: composed}
	m.WatchBackend(store)
	m.WatchBackend(store)                                                                           // watched once only
	m.WatchBackend(nil)                                                                             // ignored
	m.WatchBackend(valueStore{})                                                                    // not comparable: watched, no panic
	m.WatchBackend(&fakeStore{stats: backend.Stats{Label: "l1", Hits: 100, Entries: 1, Bytes: -1}}) // summed into l1

	compare(t, reg, `
# HELP hitbox_backend_entries Entries a backend holds, as it reports them.
# TYPE hitbox_backend_entries gauge
hitbox_backend_entries{backend="l1"} 21
hitbox_backend_entries{backend="l2.l1"} 5
# HELP hitbox_backend_bytes Bytes the entries of a backend weigh, as it reports them.
# TYPE hitbox_backend_bytes gauge
hitbox_backend_bytes{backend="backend"} 3072
hitbox_backend_bytes{backend="l2"} 2048
hitbox_backend_bytes{backend="l2.l1"} 2048
# HELP hitbox_backend_hits_total Reads that found an entry, as the backend counts them.
# TYPE hitbox_backend_hits_total counter
hitbox_backend_hits_total{backend="backend"} 10
hitbox_backend_hits_total{backend="l1"} 107
hitbox_backend_hits_total{backend="l2"} 3
hitbox_backend_hits_total{backend="l2.l1"} 2
hitbox_backend_hits_total{backend="l2.l2"} 1
hitbox_backend_hits_total{backend="value"} 1
# HELP hitbox_backend_evictions_total Entries the backend dropped to stay within its bounds.
# TYPE hitbox_backend_evictions_total counter
hitbox_backend_evictions_total{backend="backend"} 0
hitbox_backend_evictions_total{backend="l1"} 4
hitbox_backend_evictions_total{backend="l2"} 0
hitbox_backend_evictions_total{backend="l2.l1"} 0
hitbox_backend_evictions_total{backend="l2.l2"} 0
hitbox_backend_evictions_total{backend="value"} 0
# HELP hitbox_backend_decode_errors_total Stored values the backend could not decode (served as misses).
# TYPE hitbox_backend_decode_errors_total counter
hitbox_backend_decode_errors_total{backend="backend"} 0
hitbox_backend_decode_errors_total{backend="l1"} 0
hitbox_backend_decode_errors_total{backend="l2"} 1
hitbox_backend_decode_errors_total{backend="l2.l1"} 0
hitbox_backend_decode_errors_total{backend="l2.l2"} 0
hitbox_backend_decode_errors_total{backend="value"} 0
# HELP hitbox_backend_deletes_total Successful deletions, as the backend counts them.
# TYPE hitbox_backend_deletes_total counter
hitbox_backend_deletes_total{backend="backend"} 0
hitbox_backend_deletes_total{backend="l1"} 0
hitbox_backend_deletes_total{backend="l2"} 0
hitbox_backend_deletes_total{backend="l2.l1"} 0
hitbox_backend_deletes_total{backend="l2.l2"} 6
hitbox_backend_deletes_total{backend="value"} 0
`, "hitbox_backend_entries", "hitbox_backend_bytes", "hitbox_backend_hits_total",
		"hitbox_backend_evictions_total", "hitbox_backend_decode_errors_total", "hitbox_backend_deletes_total")

	// 6 labels × 7 counters, plus the gauges above.
	for name, want := range map[string]int{
		"hitbox_backend_misses_total": 6, "hitbox_backend_sets_total": 6, "hitbox_backend_errors_total": 6,
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("GatherAndCount(%q) = %d, %v; want %d, nil", name, n, err, want)
		}
	}

	// Read at scrape time: a change shows at the next scrape.
	next := composed
	next.Hits = 11
	store.set(next)
	if got := counterValue(t, reg, "hitbox_backend_hits_total", map[string]string{"backend": "backend"}); got != 11 {
		t.Errorf("hitbox_backend_hits_total{backend=backend} after the store's Hits became 11 = %v, want 11", got)
	}
}

func TestWatchBackendLint(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	m.WatchBackend(&fakeStore{stats: composed})
	m.WatchBackend(&fakeStore{stats: backend.Stats{Label: "bad\xff", Entries: -1, Bytes: -1}})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatalf("GatherAndLint = %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(reg, "hitbox_backend_hits_total"); err != nil || n != 6 {
		t.Errorf("GatherAndCount(hitbox_backend_hits_total) = %d, %v; want 6 (5 labels + the sanitized one)", n, err)
	}
}

func TestWatchWhileScraping(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	const n = 20
	var wg sync.WaitGroup
	wg.Go(func() {
		for range n {
			m.WatchBackend(&fakeStore{stats: backend.Stats{Label: "memory", Hits: 1, Entries: 1, Bytes: 1}})
			m.WatchOffload(&fixedRunner{Started: 1})
		}
	})
	for range n {
		if _, err := reg.Gather(); err != nil {
			t.Errorf("Gather() while watching = %v", err)
		}
	}
	wg.Wait()
	if got := counterValue(t, reg, "hitbox_backend_hits_total", map[string]string{"backend": "memory"}); got != n {
		t.Errorf("hitbox_backend_hits_total{backend=memory} = %v, want %d (one per watched store)", got, n)
	}
	if got := counterValue(t, reg, "hitbox_offload_started_total", nil); got != n {
		t.Errorf("hitbox_offload_started_total = %v, want %d (one per watched runner)", got, n)
	}
}
