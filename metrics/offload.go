package metrics

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hitbox-go/hitbox/offload"
)

// runner is what WatchOffload reads; *offload.Runner satisfies it.
type runner = interface{ Stats() offload.Stats }

// WatchOffload exposes the counters of s (an *[offload.Runner]) at every
// scrape: the tasks running now (a gauge) and the tasks started, completed,
// deduplicated, panicked, timed out and dropped (counters; drops by task
// name). A nil s, or one already watched, is ignored. The stats of several
// watched runners are summed. s.Stats is called at scrape time, outside any
// lock of m; it must be safe for concurrent use.
func (m *Metrics) WatchOffload(s interface{ Stats() offload.Stats }) {
	if m == nil || s == nil {
		return
	}
	m.runners.add(s)
}

// UnwatchOffload stops watching s (a runner that was shut down: hitboxd's
// reloads retire theirs) and keeps its final counters in the totals, so
// that they never go back while the list of watched runners stays as long
// as the runners in use. Counts s makes after UnwatchOffload are not
// exposed. A nil s, or one not watched, is ignored.
func (m *Metrics) UnwatchOffload(s interface{ Stats() offload.Stats }) {
	if m == nil || s == nil {
		return
	}
	m.runners.remove(s)
}

// offloadCollector exposes the Stats of the watched runners.
type offloadCollector struct {
	mu        sync.Mutex // guards list, retired and unwatched
	list      []runner
	retired   offload.Stats // the final counters of the runners unwatched (Running unused)
	unwatched bool          // a runner was unwatched: the totals stay exposed

	running                                        *prometheus.Desc
	started, completed, deduplicated, panics, late *prometheus.Desc
	dropped                                        *prometheus.Desc // by task
}

func newOffloadCollector(ns string) *offloadCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "offload", name), help, labels, nil)
	}
	return &offloadCollector{
		running:      desc("running", "Background tasks running now."),
		started:      desc("started_total", "Background tasks accepted and started."),
		completed:    desc("completed_total", "Started background tasks that returned (also by panic)."),
		deduplicated: desc("deduplicated_total", "Keyed background tasks refused because one with the same key was in flight."),
		panics:       desc("panics_total", "Background tasks that panicked."),
		late:         desc("timed_out_total", "Background tasks that returned after their deadline."),
		dropped:      desc("dropped_total", "Background tasks refused because the runner was full or shut down, by task name.", "task"),
	}
}

// add watches s unless it is watched already.
func (c *offloadCollector) add(s runner) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if watched(c.list, s) {
		return
	}
	c.list = append(c.list, s)
}

// remove stops watching s, adding its counters to the retired totals.
func (c *offloadCollector) remove(s runner) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !watched(c.list, s) {
		return
	}
	c.list = slices.DeleteFunc(c.list, func(r runner) bool { return any(r) == any(s) })
	final := s.Stats()
	final.Running = 0
	addStats(&c.retired, final)
	c.unwatched = true
}

// addStats adds the counters of s to sum.
func addStats(sum *offload.Stats, s offload.Stats) {
	sum.Running += s.Running
	sum.Started += s.Started
	sum.Completed += s.Completed
	sum.Deduplicated += s.Deduplicated
	sum.Panics += s.Panics
	sum.TimedOut += s.TimedOut
	sum.Dropped += s.Dropped
	for task, n := range s.DroppedByName {
		if sum.DroppedByName == nil {
			sum.DroppedByName = make(map[string]uint64)
		}
		sum.DroppedByName[task] += n
	}
}

func (c *offloadCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.running, c.started, c.completed, c.deduplicated, c.panics, c.late, c.dropped,
	} {
		ch <- d
	}
}

func (c *offloadCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	list := slices.Clone(c.list)
	var sum offload.Stats
	addStats(&sum, c.retired) // a copy: the map is not shared
	seen := len(list) > 0 || c.unwatched
	c.mu.Unlock()
	if !seen {
		return
	}
	for _, r := range list {
		addStats(&sum, r.Stats())
	}
	// Drops without a name (none with an offload.Runner) count under
	// task="".
	dropped := make(map[string]uint64, len(sum.DroppedByName)+1)
	named := uint64(0)
	for task, n := range sum.DroppedByName {
		named += n
		dropped[labelValue(task)] += n
	}
	if sum.Dropped > named {
		dropped[""] += sum.Dropped - named
	}
	ch <- constMetric(c.running, prometheus.GaugeValue, float64(sum.Running))
	for _, v := range []struct {
		d *prometheus.Desc
		n uint64
	}{
		{c.started, sum.Started}, {c.completed, sum.Completed}, {c.deduplicated, sum.Deduplicated},
		{c.panics, sum.Panics}, {c.late, sum.TimedOut},
	} {
		ch <- constMetric(v.d, prometheus.CounterValue, float64(v.n))
	}
	for _, task := range slices.Sorted(maps.Keys(dropped)) {
		ch <- constMetric(c.dropped, prometheus.CounterValue, float64(dropped[task]), task)
	}
}
