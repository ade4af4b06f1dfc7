package metrics_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/metrics"
	"github.com/hitbox-go/hitbox/offload"
)

func TestWatchOffload(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m, reg := newMetrics(t, metrics.Options{})
		r, err := offload.New(offload.Options{Concurrency: 2, Timeout: time.Second})
		if err != nil {
			t.Fatalf("offload.New = %v", err)
		}
		m.WatchOffload(r)
		m.WatchOffload(r)                      // watched once only
		m.WatchOffload(nil)                    // ignored
		m.WatchOffload((*offload.Runner)(nil)) // zero Stats: adds nothing

		// Fill the runner; three more are dropped.
		release := make(chan struct{})
		for range 2 {
			if !r.TryGo("revalidate", func(context.Context) { <-release }) {
				t.Fatal("TryGo on an idle runner = false, want true")
			}
		}
		r.TryGo("refill", func(context.Context) {})
		r.TryGo("refill", func(context.Context) {})
		r.TryGo("revalidate", func(context.Context) {})
		synctest.Wait()
		compare(t, reg, `
# HELP hitbox_offload_running Background tasks running now.
# TYPE hitbox_offload_running gauge
hitbox_offload_running 2
# HELP hitbox_offload_started_total Background tasks accepted and started.
# TYPE hitbox_offload_started_total counter
hitbox_offload_started_total 2
# HELP hitbox_offload_completed_total Started background tasks that returned (also by panic).
# TYPE hitbox_offload_completed_total counter
hitbox_offload_completed_total 0
# HELP hitbox_offload_dropped_total Background tasks refused because the runner was full or shut down, by task name.
# TYPE hitbox_offload_dropped_total counter
hitbox_offload_dropped_total{task="refill"} 2
hitbox_offload_dropped_total{task="revalidate"} 1
`, "hitbox_offload_running", "hitbox_offload_started_total", "hitbox_offload_completed_total", "hitbox_offload_dropped_total")
		close(release)
		synctest.Wait()

		// A panic, a task past its deadline, a deduplicated key.
		r.TryGo("boom", func(context.Context) { panic("boom") })
		synctest.Wait() // the panic frees its slot
		r.TryGo("slow", func(ctx context.Context) { <-ctx.Done() })
		time.Sleep(2 * time.Second) // the bubble's clock: the slow task's deadline passes
		hold := make(chan struct{})
		r.TryGoKey("revalidate", "/users/7", func(context.Context) { <-hold })
		r.TryGoKey("revalidate", "/users/7", func(context.Context) {})
		close(hold)
		if err := r.Close(context.Background()); err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
		r.TryGo("revalidate", func(context.Context) {}) // dropped: shut down

		compare(t, reg, `
# HELP hitbox_offload_running Background tasks running now.
# TYPE hitbox_offload_running gauge
hitbox_offload_running 0
# HELP hitbox_offload_started_total Background tasks accepted and started.
# TYPE hitbox_offload_started_total counter
hitbox_offload_started_total 5
# HELP hitbox_offload_completed_total Started background tasks that returned (also by panic).
# TYPE hitbox_offload_completed_total counter
hitbox_offload_completed_total 5
# HELP hitbox_offload_deduplicated_total Keyed background tasks refused because one with the same key was in flight.
# TYPE hitbox_offload_deduplicated_total counter
hitbox_offload_deduplicated_total 1
# HELP hitbox_offload_panics_total Background tasks that panicked.
# TYPE hitbox_offload_panics_total counter
hitbox_offload_panics_total 1
# HELP hitbox_offload_timed_out_total Background tasks that returned after their deadline.
# TYPE hitbox_offload_timed_out_total counter
hitbox_offload_timed_out_total 1
# HELP hitbox_offload_dropped_total Background tasks refused because the runner was full or shut down, by task name.
# TYPE hitbox_offload_dropped_total counter
hitbox_offload_dropped_total{task="refill"} 2
hitbox_offload_dropped_total{task="revalidate"} 2
`+noTagPurges)
	})
}

// fixedRunner reports fixed Stats.
type fixedRunner offload.Stats

func (f *fixedRunner) Stats() offload.Stats { return offload.Stats(*f) }

func TestWatchOffloadSums(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	m.WatchOffload(&fixedRunner{Running: 1, Started: 4, Dropped: 3, DroppedByName: map[string]uint64{"refill": 1}})
	m.WatchOffload(&fixedRunner{Running: 2, Started: 6, Dropped: 1, DroppedByName: map[string]uint64{"refill": 1}})
	compare(t, reg, `
# HELP hitbox_offload_running Background tasks running now.
# TYPE hitbox_offload_running gauge
hitbox_offload_running 3
# HELP hitbox_offload_started_total Background tasks accepted and started.
# TYPE hitbox_offload_started_total counter
hitbox_offload_started_total 10
# HELP hitbox_offload_dropped_total Background tasks refused because the runner was full or shut down, by task name.
# TYPE hitbox_offload_dropped_total counter
hitbox_offload_dropped_total{task=""} 2
hitbox_offload_dropped_total{task="refill"} 2
`, "hitbox_offload_running", "hitbox_offload_started_total", "hitbox_offload_dropped_total")
}

// TestUnwatchOffload checks that an unwatched runner is no longer read (its
// later counts and its running tasks are not exposed) while its final
// counters stay in the totals, so that counters never go back.
func TestUnwatchOffload(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, metrics.Options{})
	old := &fixedRunner{Running: 1, Started: 4, Dropped: 1, DroppedByName: map[string]uint64{"refill": 1}}
	cur := &fixedRunner{Running: 2, Started: 6}
	m.WatchOffload(old)
	m.WatchOffload(cur)
	m.UnwatchOffload(old)
	m.UnwatchOffload(old)                      // not watched any more: ignored
	m.UnwatchOffload(&fixedRunner{Started: 9}) // never watched: ignored
	m.UnwatchOffload(nil)
	old.Started, old.Running = 100, 5 // not read any more
	compare(t, reg, `
# HELP hitbox_offload_running Background tasks running now.
# TYPE hitbox_offload_running gauge
hitbox_offload_running 2
# HELP hitbox_offload_started_total Background tasks accepted and started.
# TYPE hitbox_offload_started_total counter
hitbox_offload_started_total 10
# HELP hitbox_offload_dropped_total Background tasks refused because the runner was full or shut down, by task name.
# TYPE hitbox_offload_dropped_total counter
hitbox_offload_dropped_total{task="refill"} 1
`, "hitbox_offload_running", "hitbox_offload_started_total", "hitbox_offload_dropped_total")

	// With every runner unwatched, the totals stay.
	m.UnwatchOffload(cur)
	compare(t, reg, `
# HELP hitbox_offload_running Background tasks running now.
# TYPE hitbox_offload_running gauge
hitbox_offload_running 0
# HELP hitbox_offload_started_total Background tasks accepted and started.
# TYPE hitbox_offload_started_total counter
hitbox_offload_started_total 10
`, "hitbox_offload_running", "hitbox_offload_started_total")
}
