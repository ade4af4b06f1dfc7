package metrics

import (
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

// offloadCollector exposes the Stats of the watched runners.
type offloadCollector struct {
	mu   sync.Mutex // guards list
	list []runner

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
	c.mu.Unlock()
	if len(list) == 0 {
		return
	}
	var sum offload.Stats
	var tasks []string
	dropped := make(map[string]uint64)
	for _, r := range list {
		s := r.Stats()
		sum.Running += s.Running
		sum.Started += s.Started
		sum.Completed += s.Completed
		sum.Deduplicated += s.Deduplicated
		sum.Panics += s.Panics
		sum.TimedOut += s.TimedOut
		// Drops without a name (none with an offload.Runner) count
		// under task="".
		named := uint64(0)
		for task, n := range s.DroppedByName {
			named += n
			task = labelValue(task)
			if _, ok := dropped[task]; !ok {
				tasks = append(tasks, task)
			}
			dropped[task] += n
		}
		if s.Dropped > named {
			if _, ok := dropped[""]; !ok {
				tasks = append(tasks, "")
			}
			dropped[""] += s.Dropped - named
		}
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
	for _, task := range tasks {
		ch <- constMetric(c.dropped, prometheus.CounterValue, float64(dropped[task]), task)
	}
}
