package metrics

import (
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hitbox-go/hitbox/backend"
)

// WatchBackend exposes r's own counters at every scrape (a store, a
// composition, or anything that reports a store's [backend.Stats]). It
// does nothing for a nil r, nor for an r already watched.
//
// Each label of r's [backend.Stats] gets its series: the top level under
// its Label ("backend" when empty) and every layer of a composition,
// recursively, under the layer's label ("l1", "l2.l1", ...; the parent's
// label plus ".l1", ".l2" when a layer has none), so they match the Source
// of the flow's events. Entries and bytes are gauges, left out while a
// store reports -1 (unknown); the others are counters. Stats under one
// label from several watched backends are summed. r.Stats is called at
// scrape time, outside any lock of m; it must be safe for concurrent use.
func (m *Metrics) WatchBackend(r backend.StatsReporter) {
	if m == nil || r == nil {
		return
	}
	m.stores.add(r)
}

// storeCollector exposes the Stats of the watched backends.
type storeCollector struct {
	mu   sync.Mutex // guards list
	list []backend.StatsReporter

	entries, bytes                          *prometheus.Desc
	hits, misses, sets, deletes             *prometheus.Desc
	evictions, decodeErrors, errorsReported *prometheus.Desc
}

func newStoreCollector(ns string) *storeCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "backend", name), help, []string{"backend"}, nil)
	}
	return &storeCollector{
		entries:        desc("entries", "Entries a backend holds, as it reports them."),
		bytes:          desc("bytes", "Bytes the entries of a backend weigh, as it reports them."),
		hits:           desc("hits_total", "Reads that found an entry, as the backend counts them."),
		misses:         desc("misses_total", "Reads that found no entry, as the backend counts them."),
		sets:           desc("sets_total", "Successful writes, as the backend counts them."),
		deletes:        desc("deletes_total", "Successful deletions, as the backend counts them."),
		evictions:      desc("evictions_total", "Entries the backend dropped to stay within its bounds."),
		decodeErrors:   desc("decode_errors_total", "Stored values the backend could not decode (served as misses)."),
		errorsReported: desc("errors_total", "Failed backend operations, as the backend counts them."),
	}
}

// add watches r unless it is watched already.
func (c *storeCollector) add(r backend.StatsReporter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if watched(c.list, r) {
		return
	}
	c.list = append(c.list, r)
}

// watched reports whether v is in list. Values of a type that cannot be
// compared (== would panic) and nil are never found.
func watched[T any](list []T, v T) bool {
	if t := reflect.TypeOf(v); t == nil || !t.Comparable() {
		return false
	}
	for _, x := range list {
		if any(x) == any(v) {
			return true
		}
	}
	return false
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.entries, c.bytes, c.hits, c.misses, c.sets, c.deletes,
		c.evictions, c.decodeErrors, c.errorsReported,
	} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	list := slices.Clone(c.list)
	c.mu.Unlock()
	if len(list) == 0 {
		return
	}
	var order []string
	byLabel := make(map[string]*backend.Stats)
	for _, r := range list {
		flatten(r.Stats(), backend.DefaultLabel, byLabel, &order)
	}
	for _, label := range order {
		s := byLabel[label]
		if s.Entries >= 0 {
			ch <- constMetric(c.entries, prometheus.GaugeValue, float64(s.Entries), label)
		}
		if s.Bytes >= 0 {
			ch <- constMetric(c.bytes, prometheus.GaugeValue, float64(s.Bytes), label)
		}
		for _, v := range []struct {
			d *prometheus.Desc
			n uint64
		}{
			{c.hits, s.Hits}, {c.misses, s.Misses}, {c.sets, s.Sets}, {c.deletes, s.Deletes},
			{c.evictions, s.Evictions}, {c.decodeErrors, s.DecodeErrors}, {c.errorsReported, s.Errors},
		} {
			ch <- constMetric(v.d, prometheus.CounterValue, float64(v.n), label)
		}
	}
}

// flatten adds s and its layers, each under its label, to byLabel, and
// appends labels it sees for the first time to order. fallback is the
// label of s when it has none.
func flatten(s backend.Stats, fallback string, byLabel map[string]*backend.Stats, order *[]string) {
	label := labelValue(s.Label)
	if label == "" {
		label = fallback
	}
	if sum, ok := byLabel[label]; ok {
		sum.Hits += s.Hits
		sum.Misses += s.Misses
		sum.Sets += s.Sets
		sum.Deletes += s.Deletes
		sum.Evictions += s.Evictions
		sum.DecodeErrors += s.DecodeErrors
		sum.Errors += s.Errors
		sum.Entries = addKnown(sum.Entries, s.Entries)
		sum.Bytes = addKnown(sum.Bytes, s.Bytes)
	} else {
		own := s
		own.Label, own.Layers = label, nil
		byLabel[label] = &own
		*order = append(*order, label)
	}
	for i, l := range s.Layers {
		flatten(l, label+".l"+strconv.Itoa(i+1), byLabel, order)
	}
}

// addKnown adds two gauges where a negative value means unknown; the sum
// of an unknown is unknown.
func addKnown(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	return a + b
}

// constMetric is prometheus.MustNewConstMetric without the panic: a metric
// that cannot be made is reported to the scraper as invalid.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
