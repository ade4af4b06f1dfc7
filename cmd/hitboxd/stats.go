package main

import (
	"cmp"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/metrics"
	"github.com/hitbox-go/hitbox/offload"
)

// statsAnswer is GET /stats: the flow's totals at the top level (requests,
// hits, stale, misses, bypass, collapsed, upstream, upstream_errors,
// stale_if_error, revalidations), the same per endpoint, and per backend
// label the flow's reads and writes with the store's own counters.
type statsAnswer struct {
	metrics.Counts
	// Entries and Bytes are the backend's, null when it cannot tell (a
	// composition: see its layers under backends).
	Entries   *int64                    `json:"entries"`
	Bytes     *int64                    `json:"bytes"`
	Endpoints map[string]metrics.Counts `json:"endpoints"`
	Backends  map[string]*backendStats  `json:"backends"`

	// Time is when the counts were read: a client computes rates (requests
	// per second, latency) from two answers.
	Time timestamp `json:"time"`
	// UpstreamTime sums the upstream calls' durations, in total and by
	// endpoint (the histogram hitbox_upstream_duration_seconds).
	UpstreamTime           durationSum            `json:"upstream_time"`
	UpstreamTimeByEndpoint map[string]durationSum `json:"upstream_time_by_endpoint"`
	// Breakers is the circuit breaker state of each Redis and Tarantool
	// backend by label: closed, half-open or open.
	Breakers map[string]string `json:"breakers"`
	// Background is the background runner's counts (refreshes of stale
	// entries and writes behind): running now, started, completed,
	// dropped, deduplicated.
	Background *offload.Stats `json:"background"`
}

// durationSum is a count of calls and their total duration in seconds.
type durationSum struct {
	Count   uint64  `json:"count"`
	Seconds float64 `json:"seconds"`
}

// backendStats is one backend label of /stats: what the flow saw of it
// (hits, stale, misses, stored, read_errors, write_errors) and, under
// "store", the store's own counters (errors, evictions, entries, bytes).
type backendStats struct {
	metrics.BackendCounts
	Store *backend.Stats `json:"store,omitempty"`
}

// stats is GET /stats.
func (a *adminAPI) stats(w http.ResponseWriter, r *http.Request) {
	if _, err := params(r); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	snap := a.snapshot()
	ans := statsAnswer{Counts: snap.Total, Endpoints: snap.Endpoints, Backends: map[string]*backendStats{},
		Time: timestamp(a.clock()), Breakers: map[string]string{}}
	for label, c := range snap.Backends {
		ans.Backends[label] = &backendStats{BackendCounts: c}
	}
	ans.UpstreamTime, ans.UpstreamTimeByEndpoint = upstreamTime(a.gather)
	if a.breakers != nil {
		for _, b := range a.breakers() {
			ans.Breakers[b.Backend] = b.State
		}
	}
	if a.background != nil {
		bg := a.background()
		ans.Background = &bg
	}
	a.withStore(w, func(b backend.Backend, _ hitbox.KeyFormat) {
		if sr, ok := b.(backend.StatsReporter); ok {
			st := sr.Stats()
			if st.Entries >= 0 {
				ans.Entries = &st.Entries
			}
			if st.Bytes >= 0 {
				ans.Bytes = &st.Bytes
			}
			addStoreStats(ans.Backends, st, backend.DefaultLabel)
		}
		writeJSON(w, http.StatusOK, ans)
	})
}

// addStoreStats files st and its layers under their labels.
func addStoreStats(out map[string]*backendStats, st backend.Stats, fallback string) {
	label := cmp.Or(st.Label, fallback)
	layers := st.Layers
	st.Layers = nil
	bs, ok := out[label]
	if !ok {
		bs = &backendStats{}
		out[label] = bs
	}
	bs.Store = &st
	for i, l := range layers {
		addStoreStats(out, l, label+".l"+strconv.Itoa(i+1))
	}
}

// upstreamHistogram is the metric upstreamTime reads.
const upstreamHistogram = metrics.DefaultNamespace + "_upstream_duration_seconds"

// upstreamTime reads the upstream calls' count and total duration from
// the histogram the metrics keep, in total and by endpoint.
func upstreamTime(g prometheus.Gatherer) (durationSum, map[string]durationSum) {
	byEndpoint := map[string]durationSum{}
	var total durationSum
	if g == nil {
		return total, byEndpoint
	}
	families, _ := g.Gather() // a failing collector elsewhere leaves the others
	for _, f := range families {
		if f.GetName() != upstreamHistogram {
			continue
		}
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			d := durationSum{Count: h.GetSampleCount(), Seconds: h.GetSampleSum()}
			endpoint := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" {
					endpoint = l.GetValue()
				}
			}
			e := byEndpoint[endpoint]
			e.Count += d.Count
			e.Seconds += d.Seconds
			byEndpoint[endpoint] = e
			total.Count += d.Count
			total.Seconds += d.Seconds
		}
	}
	return total, byEndpoint
}
