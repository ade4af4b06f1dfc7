// Package metrics exposes the cache as Prometheus metrics: what the flow
// did ([hitbox.Recorder]), what the backends hold and count
// ([backend.StatsReporter]), and how the background runner copes
// ([offload.Runner]).
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg, metrics.Options{})
//	...
//	cache, err := hitbox.New(b, hitbox.WithRecorder(m), hitbox.WithOffload(runner))
//	m.WatchBackend(b)
//	m.WatchOffload(runner)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// [New] registers on the Registerer it is given, never on the global one.
// [Metrics.Record] is the hot path: it resolves the label children once per
// kind, endpoint and source and then only adds to atomic counters, without
// locks or allocations. The backend and offload metrics are read from their
// Stats methods at scrape time. [Metrics.Snapshot] returns the event totals
// for a JSON status page.
//
// # Metrics
//
// Names below use the default namespace, "hitbox" (see Options.Namespace).
// From the flow's events (see Labels for the endpoint label):
//
//   - hitbox_requests_total{endpoint,status}: requests by status: hit,
//     stale, miss, bypass (not cacheable) or collapsed (answered from
//     another caller's upstream call). A stale entry served because the
//     upstream failed counts as a miss here, and in
//     hitbox_stale_if_error_total.
//   - hitbox_backend_events_total{backend,event}: backend reads and writes
//     as the flow saw them: hit, stale, miss, stored, read_error,
//     write_error. A read error is also a miss.
//   - hitbox_upstream_requests_total{endpoint,outcome}: finished upstream
//     calls, outcome ok or error.
//   - hitbox_upstream_duration_seconds{endpoint}: histogram of upstream
//     call durations (Options.Buckets).
//   - hitbox_stale_if_error_total{endpoint}: stale entries served because
//     the upstream failed, counted apart so a stale hit never hides an
//     outage.
//   - hitbox_revalidations_total{endpoint}: background refreshes started.
//
// From the purges by tag ([Metrics.TagPurge]), both at 0 from the start:
//
//   - hitbox_tag_purges_total: purges by tag.
//   - hitbox_tags_purged_total: the tags they named.
//
// From the watched backends ([Metrics.WatchBackend]), one series per label,
// composition layers included ("l1", "l2.l1", ...). These are the stores'
// own counts, so a composition and its layers each have theirs: don't sum
// across labels.
//
//   - hitbox_backend_entries{backend}, hitbox_backend_bytes{backend}:
//     gauges, absent while the store cannot tell.
//   - hitbox_backend_hits_total, hitbox_backend_misses_total,
//     hitbox_backend_sets_total, hitbox_backend_deletes_total,
//     hitbox_backend_evictions_total, hitbox_backend_decode_errors_total,
//     hitbox_backend_errors_total, all {backend}.
//
// From the watched offload runners ([Metrics.WatchOffload]), summed with
// the final counters of those unwatched ([Metrics.UnwatchOffload]):
//
//   - hitbox_offload_running: tasks running now (a gauge).
//   - hitbox_offload_started_total, hitbox_offload_completed_total,
//     hitbox_offload_deduplicated_total, hitbox_offload_panics_total,
//     hitbox_offload_timed_out_total.
//   - hitbox_offload_dropped_total{task}: tasks refused because the runner
//     was full or shut down, by task name.
//
// From the watched breakers and invalidations ([Metrics.WatchBreakers],
// [Metrics.WatchInvalidation]):
//
//   - hitbox_backend_breaker_state{backend,state}: 1 for the breaker's
//     current state (closed, half-open, open), 0 for the others.
//   - hitbox_invalidation_messages_total, hitbox_invalidation_own_total,
//     hitbox_invalidation_malformed_total, hitbox_invalidation_keys_total,
//     hitbox_invalidation_purges_total,
//     hitbox_invalidation_reconnects_total, all {backend}: what the L1
//     invalidations received.
//
// # Labels
//
// The endpoint label is bounded: it is the event's endpoint name for the
// first Options.MaxEndpoints distinct names seen ([DefaultMaxEndpoints],
// 256), "other" ([OtherEndpoints]) for any later name, and "none"
// ([NoEndpoint]) for events without a name. Give it the fixed names a
// configuration defines, never request data: hitboxd's are its endpoints'
// names. An endpoint named "other" or "none" shares those series.
// Backend labels become label values as they are (invalid UTF-8
// replaced, like in endpoint names), so keep them to the fixed set a
// configuration defines: every distinct value is a series kept for the
// life of the process.
package metrics
