package metrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/hitbox-go/hitbox/metrics"
)

func TestWatchBreakers(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	var state atomic.Value
	state.Store("closed")
	m.WatchBreakers(func() []metrics.BreakerState {
		return []metrics.BreakerState{
			{Backend: "redis", State: state.Load().(string)},
			{Backend: "redis", State: "open"}, // a second one under the label: ignored
			{Backend: "cold", State: "disabled"},
		}
	})
	compare(t, reg, `
# HELP hitbox_backend_breaker_state Circuit breaker state of a backend: 1 for the current state (closed, half-open, open), 0 for the others.
# TYPE hitbox_backend_breaker_state gauge
hitbox_backend_breaker_state{backend="cold",state="closed"} 0
hitbox_backend_breaker_state{backend="cold",state="half-open"} 0
hitbox_backend_breaker_state{backend="cold",state="open"} 0
hitbox_backend_breaker_state{backend="redis",state="closed"} 1
hitbox_backend_breaker_state{backend="redis",state="half-open"} 0
hitbox_backend_breaker_state{backend="redis",state="open"} 0
`, "hitbox_backend_breaker_state")
	state.Store("open")
	if v := counterValue(t, reg, "hitbox_backend_breaker_state", map[string]string{"backend": "redis", "state": "open"}); v != 1 {
		t.Errorf("open after the breaker opened: %v, want 1", v)
	}
	m.WatchBreakers(nil)
	compare(t, reg, "", "hitbox_backend_breaker_state")
}

func TestWatchInvalidation(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	m.WatchInvalidation(func() []metrics.InvalidationStats {
		return []metrics.InvalidationStats{
			{Backend: "l2", Messages: 5, Own: 2, Keys: 3, Reconnects: 1},
			{Backend: "l2", Messages: 1, Purges: 1}, // a retired one: summed
		}
	})
	compare(t, reg, `
# HELP hitbox_invalidation_messages_total L1 invalidation messages received.
# TYPE hitbox_invalidation_messages_total counter
hitbox_invalidation_messages_total{backend="l2"} 6
# HELP hitbox_invalidation_purges_total Purges of L1 another instance announced.
# TYPE hitbox_invalidation_purges_total counter
hitbox_invalidation_purges_total{backend="l2"} 1
# HELP hitbox_invalidation_reconnects_total Invalidation subscriptions made again after a loss (each purges L1).
# TYPE hitbox_invalidation_reconnects_total counter
hitbox_invalidation_reconnects_total{backend="l2"} 1
`, "hitbox_invalidation_messages_total", "hitbox_invalidation_purges_total", "hitbox_invalidation_reconnects_total")
}
