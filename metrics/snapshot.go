package metrics

import "github.com/hitbox-go/hitbox"

// Snapshot is the totals of the events a [Metrics] recorded, for a JSON
// status page (the admin API's /stats). It holds the same counts as the
// Prometheus counters, so the two agree.
type Snapshot struct {
	// Total counts the events of every endpoint.
	Total Counts `json:"total"`
	// Endpoints splits Total by endpoint name ("" for events without
	// one; the names past Options.MaxEndpoints under [OtherEndpoints]).
	Endpoints map[string]Counts `json:"endpoints"`
	// Backends counts the backend reads and writes the flow saw, by the
	// label of the backend involved (events without a Source are left
	// out).
	Backends map[string]BackendCounts `json:"backends"`
}

// Counts are the flow's counts for one endpoint or for all of them.
type Counts struct {
	// Requests is Hits + Stale + Misses + Bypass + Collapsed: every
	// request the flow answered.
	Requests uint64 `json:"requests"`
	// Hits, Stale, Misses, Bypass and Collapsed count requests answered
	// from a fresh entry, from a stale entry, after a miss, without the
	// cache (not cacheable), and from another caller's upstream call.
	Hits      uint64 `json:"hits"`
	Stale     uint64 `json:"stale"`
	Misses    uint64 `json:"misses"`
	Bypass    uint64 `json:"bypass"`
	Collapsed uint64 `json:"collapsed"`
	// Upstream counts finished upstream calls, UpstreamErrors those that
	// failed.
	Upstream       uint64 `json:"upstream"`
	UpstreamErrors uint64 `json:"upstream_errors"`
	// StaleIfError counts stale entries served because the upstream
	// failed; such requests are also counted in Misses.
	StaleIfError uint64 `json:"stale_if_error"`
	// Revalidations counts background refreshes started.
	Revalidations uint64 `json:"revalidations"`
}

// BackendCounts are the flow's reads and writes of one backend label.
type BackendCounts struct {
	// Hits, Stale and Misses count reads that gave a fresh entry, a stale
	// entry, and no usable entry.
	Hits   uint64 `json:"hits"`
	Stale  uint64 `json:"stale"`
	Misses uint64 `json:"misses"`
	// Stored counts successful writes.
	Stored uint64 `json:"stored"`
	// ReadErrors and WriteErrors count failed reads (served as misses)
	// and failed writes.
	ReadErrors  uint64 `json:"read_errors"`
	WriteErrors uint64 `json:"write_errors"`
}

// Snapshot returns the totals recorded so far. Its maps are new and owned
// by the caller (never nil). Events recorded during the call may or may not
// be counted. It is safe to call concurrently with Record.
func (m *Metrics) Snapshot() Snapshot {
	snap := Snapshot{Endpoints: map[string]Counts{}, Backends: map[string]BackendCounts{}}
	if m == nil {
		return snap
	}
	m.byKey.Range(func(k, v any) bool {
		key, n := k.(seriesKey), v.(*series).n.Load()
		if n == 0 {
			return true
		}
		snap.Total.add(key, n)
		c := snap.Endpoints[key.endpoint]
		c.add(key, n)
		snap.Endpoints[key.endpoint] = c
		if key.source != "" && isBackendEvent(key.kind) {
			b := snap.Backends[key.source]
			b.add(key.kind, n)
			snap.Backends[key.source] = b
		}
		return true
	})
	return snap
}

func (c *Counts) add(k seriesKey, n uint64) {
	switch k.kind {
	case hitbox.EventHit:
		c.Hits += n
	case hitbox.EventStale:
		c.Stale += n
	case hitbox.EventMiss:
		c.Misses += n
	case hitbox.EventBypass:
		c.Bypass += n
	case hitbox.EventCollapsed:
		c.Collapsed += n
	case hitbox.EventUpstream:
		c.Upstream += n
		if k.failed {
			c.UpstreamErrors += n
		}
	case hitbox.EventStaleIfError:
		c.StaleIfError += n
	case hitbox.EventRevalidate:
		c.Revalidations += n
	default:
		return
	}
	c.Requests = c.Hits + c.Stale + c.Misses + c.Bypass + c.Collapsed
}

func (b *BackendCounts) add(k hitbox.EventKind, n uint64) {
	switch k {
	case hitbox.EventHit:
		b.Hits += n
	case hitbox.EventStale:
		b.Stale += n
	case hitbox.EventMiss:
		b.Misses += n
	case hitbox.EventStored:
		b.Stored += n
	case hitbox.EventReadError:
		b.ReadErrors += n
	case hitbox.EventWriteError:
		b.WriteErrors += n
	}
}
