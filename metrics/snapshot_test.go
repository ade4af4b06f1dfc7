package metrics_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/metrics"
)

func TestSnapshot(t *testing.T) {
	t.Parallel()
	m, _ := newMetrics(t, metrics.Options{})
	if got := m.Snapshot(); got.Total != (metrics.Counts{}) || len(got.Endpoints) != 0 || len(got.Backends) != 0 {
		t.Errorf("Snapshot() before any event = %+v, want all zero", got)
	}
	for _, e := range []hitbox.Event{
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "l1"},
		{Kind: hitbox.EventHit, Endpoint: "users", Source: "l2"},
		{Kind: hitbox.EventStale, Endpoint: "users", Source: "l1"},
		{Kind: hitbox.EventMiss, Endpoint: "users", Source: "l1"},
		{Kind: hitbox.EventUpstream, Endpoint: "users"},
		{Kind: hitbox.EventStored, Endpoint: "users", Source: "backend"},
		{Kind: hitbox.EventCollapsed, Endpoint: "users", Source: "backend"},
		{Kind: hitbox.EventRevalidate, Endpoint: "users", Source: "backend"},
		{Kind: hitbox.EventReadError, Endpoint: "items", Source: "l2", Err: errUpstream},
		{Kind: hitbox.EventMiss, Endpoint: "items", Source: "l2"},
		{Kind: hitbox.EventUpstream, Endpoint: "items", Err: errUpstream},
		{Kind: hitbox.EventStaleIfError, Endpoint: "items", Source: "backend", Err: errUpstream},
		{Kind: hitbox.EventWriteError, Endpoint: "items", Source: "backend", Err: errUpstream},
		{Kind: hitbox.EventBypass},
		{Kind: 99, Endpoint: "ignored"},
	} {
		m.Record(e)
	}
	want := metrics.Snapshot{
		Total: metrics.Counts{
			Requests: 7, Hits: 2, Stale: 1, Misses: 2, Bypass: 1, Collapsed: 1,
			Upstream: 2, UpstreamErrors: 1, StaleIfError: 1, Revalidations: 1,
		},
		Endpoints: map[string]metrics.Counts{
			"users": {Requests: 5, Hits: 2, Stale: 1, Misses: 1, Collapsed: 1, Upstream: 1, Revalidations: 1},
			"items": {Requests: 1, Misses: 1, Upstream: 1, UpstreamErrors: 1, StaleIfError: 1},
			"":      {Requests: 1, Bypass: 1},
		},
		Backends: map[string]metrics.BackendCounts{
			"l1":      {Hits: 1, Stale: 1, Misses: 1},
			"l2":      {Hits: 1, Misses: 1, ReadErrors: 1},
			"backend": {Stored: 1, WriteErrors: 1},
		},
	}
	got := m.Snapshot()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
	}

	// The maps belong to the caller.
	got.Endpoints["users"] = metrics.Counts{}
	if again := m.Snapshot(); again.Endpoints["users"].Hits != 2 {
		t.Errorf("Snapshot() after the caller changed an earlier one: users hits = %d, want 2", again.Endpoints["users"].Hits)
	}
}

func TestSnapshotJSON(t *testing.T) {
	t.Parallel()
	m, _ := newMetrics(t, metrics.Options{})
	m.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "users", Source: "memory"})
	m.Record(hitbox.Event{Kind: hitbox.EventReadError, Endpoint: "users", Source: "memory", Err: errUpstream})
	b, err := json.Marshal(m.Snapshot())
	if err != nil {
		t.Fatalf("json.Marshal(Snapshot()) = %v", err)
	}
	const want = `{"total":{"requests":1,"hits":1,"stale":0,"misses":0,"bypass":0,"collapsed":0,"upstream":0,"upstream_errors":0,"stale_if_error":0,"revalidations":0},` +
		`"endpoints":{"users":{"requests":1,"hits":1,"stale":0,"misses":0,"bypass":0,"collapsed":0,"upstream":0,"upstream_errors":0,"stale_if_error":0,"revalidations":0}},` +
		`"backends":{"memory":{"hits":1,"stale":0,"misses":0,"stored":0,"read_errors":1,"write_errors":0}}}`
	if string(b) != want {
		t.Errorf("json.Marshal(Snapshot()) =\n%s\nwant\n%s", b, want)
	}
}
