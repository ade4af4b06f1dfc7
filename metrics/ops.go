package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// BreakerState is the state of one backend's circuit breaker.
type BreakerState struct {
	// Backend is the backend's label.
	Backend string
	// State is "closed", "half-open" or "open" (any other value, such as
	// "disabled", is exposed as no state at all).
	State string
}

// breakerStates are the states a breaker series is exposed for.
var breakerStates = []string{"closed", "half-open", "open"}

// InvalidationStats are the counters of one L1 invalidation (a Redis
// subscription that drops from a memory L1 what other instances wrote).
type InvalidationStats struct {
	// Backend is the label of the Redis backend it listens through.
	Backend string
	// Messages counts the messages received, Own those this instance
	// sent (ignored), Malformed those it could not read.
	Messages, Own, Malformed uint64
	// Keys counts the keys dropped from L1, Purges the purges applied.
	Keys, Purges uint64
	// Reconnects counts the subscriptions made again after a loss (each
	// purges the L1).
	Reconnects uint64
}

// WatchBreakers exposes, at every scrape, the breaker states fn returns:
// hitbox_backend_breaker_state{backend,state} is 1 for the current state
// and 0 for the others, so that an alert can fire on
// hitbox_backend_breaker_state{state="open"} == 1. A later call replaces
// fn; nil stops. fn is called at scrape time, outside any lock of m; it
// must be safe for concurrent use.
func (m *Metrics) WatchBreakers(fn func() []BreakerState) {
	if m == nil {
		return
	}
	m.ops.mu.Lock()
	m.ops.breakers = fn
	m.ops.mu.Unlock()
}

// WatchInvalidation exposes, at every scrape, the counters fn returns, as
// hitbox_invalidation_messages_total, _own_total, _malformed_total,
// _keys_total, _purges_total and _reconnects_total, all {backend}
// (summed when several share a label). A later call replaces fn; nil
// stops. fn is called at scrape time, outside any lock of m; it must be
// safe for concurrent use.
func (m *Metrics) WatchInvalidation(fn func() []InvalidationStats) {
	if m == nil {
		return
	}
	m.ops.mu.Lock()
	m.ops.invalidation = fn
	m.ops.mu.Unlock()
}

// opsCollector exposes the breakers and invalidations being watched.
type opsCollector struct {
	mu           sync.Mutex // guards breakers and invalidation
	breakers     func() []BreakerState
	invalidation func() []InvalidationStats

	breaker                                            *prometheus.Desc
	messages, own, malformed, keys, purges, reconnects *prometheus.Desc
}

func newOpsCollector(ns string) *opsCollector {
	inv := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "invalidation", name), help, []string{"backend"}, nil)
	}
	return &opsCollector{
		breaker: prometheus.NewDesc(prometheus.BuildFQName(ns, "backend", "breaker_state"),
			"Circuit breaker state of a backend: 1 for the current state (closed, half-open, open), 0 for the others.",
			[]string{"backend", "state"}, nil),
		messages:   inv("messages_total", "L1 invalidation messages received."),
		own:        inv("own_total", "L1 invalidation messages this instance sent itself (ignored)."),
		malformed:  inv("malformed_total", "L1 invalidation messages that could not be read (ignored)."),
		keys:       inv("keys_total", "Keys dropped from L1 because another instance wrote them."),
		purges:     inv("purges_total", "Purges of L1 another instance announced."),
		reconnects: inv("reconnects_total", "Invalidation subscriptions made again after a loss (each purges L1)."),
	}
}

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.breaker, c.messages, c.own, c.malformed, c.keys, c.purges, c.reconnects} {
		ch <- d
	}
}

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	breakers, invalidation := c.breakers, c.invalidation
	c.mu.Unlock()
	if breakers != nil {
		seen := map[string]bool{}
		for _, b := range breakers() {
			label := labelValue(b.Backend)
			if seen[label] {
				continue // one breaker per label: the first wins
			}
			seen[label] = true
			for _, s := range breakerStates {
				v := 0.0
				if s == b.State {
					v = 1
				}
				ch <- constMetric(c.breaker, prometheus.GaugeValue, v, label, s)
			}
		}
	}
	if invalidation == nil {
		return
	}
	var order []string
	sums := map[string]*InvalidationStats{}
	for _, s := range invalidation() {
		label := labelValue(s.Backend)
		sum, ok := sums[label]
		if !ok {
			sum = &InvalidationStats{}
			sums[label] = sum
			order = append(order, label)
		}
		sum.Messages += s.Messages
		sum.Own += s.Own
		sum.Malformed += s.Malformed
		sum.Keys += s.Keys
		sum.Purges += s.Purges
		sum.Reconnects += s.Reconnects
	}
	for _, label := range order {
		s := sums[label]
		for _, v := range []struct {
			d *prometheus.Desc
			n uint64
		}{
			{c.messages, s.Messages}, {c.own, s.Own}, {c.malformed, s.Malformed},
			{c.keys, s.Keys}, {c.purges, s.Purges}, {c.reconnects, s.Reconnects},
		} {
			ch <- constMetric(v.d, prometheus.CounterValue, float64(v.n), label)
		}
	}
}

// TagPurge counts one purge by tag that named tags tags:
// hitbox_tag_purges_total grows by one and hitbox_tags_purged_total by
// tags (a negative count as 0). Both are exposed from [New] on, at 0
// before the first purge.
func (m *Metrics) TagPurge(tags int) {
	if m == nil {
		return
	}
	m.tagPurges.Inc()
	m.tagsPurged.Add(float64(max(tags, 0)))
}
