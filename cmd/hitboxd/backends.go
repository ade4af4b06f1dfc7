package main

import (
	"context"
	"slices"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/metrics"
)

// currentBackend shows the metrics the stats of whichever backend is in
// force, so that a reload that replaces the backend replaces its series.
type currentBackend struct{ d *daemon }

// Stats implements [backend.StatsReporter].
func (c *currentBackend) Stats() backend.Stats {
	s := c.d.cur.Load()
	if s == nil {
		return backend.Stats{Entries: -1, Bytes: -1}
	}
	if r, ok := s.gen.store.Backend.(backend.StatsReporter); ok {
		return r.Stats()
	}
	return backend.Stats{Label: backend.Label(s.gen.store.Backend), Entries: -1, Bytes: -1}
}

var _ backend.StatsReporter = (*currentBackend)(nil)

// remote is a Redis or Tarantool backend, which has a circuit breaker.
type remote interface {
	Label() string
	BreakerState() string
}

// remotes are the Redis and Tarantool backends of store.
func remotes(store *config.Store) []remote {
	out := make([]remote, 0, len(store.Redis)+len(store.Tarantool))
	for _, r := range store.Redis {
		out = append(out, r)
	}
	for _, t := range store.Tarantool {
		out = append(out, t)
	}
	return out
}

// probe pings the Redis backends of a new store and logs, once, each that
// does not answer: hitboxd serves from the upstream meanwhile, and the
// failures of each request are then only counted (see [throttle]). A
// Tarantool backend connects in the background: it is not pinged at
// start, and its first failures are logged as requests meet them.
func (d *daemon) probe(store *config.Store) {
	for _, r := range store.Redis {
		if err := r.Ping(context.Background()); err != nil {
			d.log.Warn("backend unreachable at start: requests go to the upstream until it answers",
				"backend", r.Label(), "err", err)
		}
	}
}

// breakers returns the breaker states of the Redis and Tarantool
// backends in force.
func (d *daemon) breakers() []metrics.BreakerState {
	s := d.cur.Load()
	if s == nil {
		return nil
	}
	rs := remotes(s.gen.store)
	out := make([]metrics.BreakerState, 0, len(rs))
	for _, r := range rs {
		out = append(out, metrics.BreakerState{Backend: r.Label(), State: r.BreakerState()})
	}
	return out
}

// invalidation returns the counters of every L1 invalidation hitboxd ran.
func (d *daemon) invalidation() []metrics.InvalidationStats {
	d.invMu.Lock()
	invs := slices.Clone(d.invalidators)
	d.invMu.Unlock()
	out := make([]metrics.InvalidationStats, len(invs))
	for i, inv := range invs {
		st := inv.Stats()
		out[i] = metrics.InvalidationStats{Backend: inv.Label(), Messages: st.Messages, Own: st.Own,
			Malformed: st.Malformed, Keys: st.Keys, Purges: st.Purges, Reconnects: st.Reconnects}
	}
	return out
}
