package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hitbox-go/hitbox"
)

// DefaultNamespace prefixes every metric name when Options.Namespace is
// empty.
const DefaultNamespace = "hitbox"

// ErrInvalidOptions is returned (wrapped, with the offending field) by [New]
// for options it cannot use.
var ErrInvalidOptions = errors.New("metrics: invalid options")

// ErrNilRegisterer is returned by [New] when it is given no Registerer.
var ErrNilRegisterer = errors.New("metrics: nil Registerer")

// DefaultMaxEndpoints is the number of endpoint names that get series of
// their own when Options.MaxEndpoints is 0.
const DefaultMaxEndpoints = 256

// The endpoint label values that are not endpoint names.
const (
	// NoEndpoint is the endpoint label of events without an endpoint name
	// (requests that no endpoint accepted).
	NoEndpoint = "none"
	// OtherEndpoints is the endpoint label of the events of every endpoint
	// name past the first Options.MaxEndpoints.
	OtherEndpoints = "other"
)

// Options configures [Metrics]. The zero value is valid: metric names start
// with "hitbox_", the upstream histogram has [prometheus.DefBuckets] and
// [DefaultMaxEndpoints] endpoint names get series of their own.
type Options struct {
	// Namespace is the first part of every metric name (Namespace_name).
	// It must match [a-zA-Z_][a-zA-Z0-9_]*. "" means [DefaultNamespace].
	Namespace string
	// Buckets are the upper bounds, in seconds, of the upstream duration
	// histogram; they must be strictly increasing and not NaN (+Inf is
	// implied and may be left out). nil or empty means
	// [prometheus.DefBuckets] (5ms to 10s). New copies the slice.
	Buckets []float64
	// MaxEndpoints bounds the endpoint label: the first MaxEndpoints
	// distinct endpoint names seen get series of their own, the events
	// of any later name count under [OtherEndpoints], so that a caller
	// that puts request data in Endpoint cannot make series without end.
	// Events without a name count under [NoEndpoint], which takes no
	// place. 0 means [DefaultMaxEndpoints]; negative values are invalid.
	MaxEndpoints int
}

// withDefaults validates o and returns it with its zero fields replaced by
// their defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if !validName(o.Namespace) {
		return o, fmt.Errorf("%w: Namespace %q must match [a-zA-Z_][a-zA-Z0-9_]*", ErrInvalidOptions, o.Namespace)
	}
	if len(o.Buckets) == 0 {
		o.Buckets = prometheus.DefBuckets
	}
	for i, b := range o.Buckets {
		if math.IsNaN(b) {
			return o, fmt.Errorf("%w: Buckets[%d] is NaN", ErrInvalidOptions, i)
		}
		if i > 0 && b <= o.Buckets[i-1] {
			return o, fmt.Errorf("%w: Buckets[%d] = %g is not above Buckets[%d] = %g",
				ErrInvalidOptions, i, b, i-1, o.Buckets[i-1])
		}
	}
	o.Buckets = append([]float64(nil), o.Buckets...)
	switch {
	case o.MaxEndpoints < 0:
		return o, fmt.Errorf("%w: MaxEndpoints %d is negative", ErrInvalidOptions, o.MaxEndpoints)
	case o.MaxEndpoints == 0:
		o.MaxEndpoints = DefaultMaxEndpoints
	}
	return o, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Metrics records the flow's events as Prometheus metrics and exposes the
// stats of the backends and offload runners it watches. It implements
// [hitbox.Recorder]; pass it to the flow with hitbox.WithRecorder.
//
// Make one with [New]; the zero value is not usable. A Metrics is safe for
// concurrent use. Methods on a nil *Metrics do nothing (Snapshot returns an
// empty Snapshot).
type Metrics struct {
	requests      *prometheus.CounterVec   // endpoint, status
	backendEvents *prometheus.CounterVec   // backend, event
	upstream      *prometheus.CounterVec   // endpoint, outcome
	upstreamTime  *prometheus.HistogramVec // endpoint
	staleIfError  *prometheus.CounterVec   // endpoint
	revalidations *prometheus.CounterVec   // endpoint

	tagPurges  prometheus.Counter
	tagsPurged prometheus.Counter

	stores  *storeCollector
	runners *offloadCollector
	ops     *opsCollector

	// endpoints are the endpoint names that have series of their own.
	endpoints *endpointSet

	// byKey maps a seriesKey to its *series: the label children resolved
	// once per (kind, outcome, endpoint, source), so that Record is one
	// lock-free lookup and a few atomic adds.
	byKey sync.Map
}

// seriesKey is what Record looks its pre-resolved children up by.
type seriesKey struct {
	kind     hitbox.EventKind
	failed   bool // EventUpstream with a non-nil Err
	endpoint string
	source   string
}

// series holds the children an event of one seriesKey updates, and how many
// such events there were (for Snapshot).
type series struct {
	n     atomic.Uint64
	count prometheus.Counter  // the per-endpoint counter, or nil
	event prometheus.Counter  // the per-backend counter, or nil
	time  prometheus.Observer // the upstream histogram, or nil
}

// New returns Metrics whose collectors are registered, all at once, on reg
// (never on the global registry), or an error: [ErrNilRegisterer], one
// wrapping [ErrInvalidOptions], or the Registerer's own error wrapped (for
// instance a [prometheus.AlreadyRegisteredError] when reg already holds
// metrics of the same names).
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	if reg == nil {
		return nil, ErrNilRegisterer
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	ns := o.Namespace
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		requests: counter("requests_total",
			"Requests through the cache flow by endpoint and status (hit, stale, miss, bypass, collapsed).",
			"endpoint", "status"),
		backendEvents: counter("backend_events_total",
			"Backend reads and writes as the flow saw them, by backend label and event (hit, stale, miss, stored, read_error, write_error).",
			"backend", "event"),
		upstream: counter("upstream_requests_total",
			"Finished upstream calls by endpoint and outcome (ok, error).",
			"endpoint", "outcome"),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "upstream_duration_seconds",
			Help:    "Duration of upstream calls by endpoint.",
			Buckets: o.Buckets,
		}, []string{"endpoint"}),
		staleIfError: counter("stale_if_error_total",
			"Stale entries served because the upstream failed, by endpoint.",
			"endpoint"),
		revalidations: counter("revalidations_total",
			"Background refreshes of stale entries started, by endpoint.",
			"endpoint"),
		tagPurges: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "tag_purges_total",
			Help: "Purges by tag (each naming one or more tags)."}),
		tagsPurged: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "tags_purged_total",
			Help: "Tags named by the purges by tag."}),
		stores:    newStoreCollector(ns),
		runners:   newOffloadCollector(ns),
		ops:       newOpsCollector(ns),
		endpoints: newEndpointSet(o.MaxEndpoints),
	}
	if err := reg.Register(collectors{
		m.requests, m.backendEvents, m.upstream, m.upstreamTime,
		m.staleIfError, m.revalidations, m.tagPurges, m.tagsPurged,
		m.stores, m.runners, m.ops,
	}); err != nil {
		return nil, fmt.Errorf("metrics: register: %w", err)
	}
	return m, nil
}

// Record counts e. It implements [hitbox.Recorder]: it never blocks, and
// after the first event of a given kind, outcome, endpoint and source it
// makes no allocation. Events of an unknown kind are ignored.
//
// The endpoint label is e.Endpoint, [NoEndpoint] when it is empty, or
// [OtherEndpoints] once Options.MaxEndpoints other names were seen.
//
// Hit, stale, miss, bypass and collapsed events count in
// requests_total; hit, stale, miss, stored, read_error and write_error
// events with a Source count in backend_events_total; upstream events
// count in upstream_requests_total (outcome "error" when Err is not nil) and
// observe Duration (negative durations as 0) in upstream_duration_seconds;
// revalidate and stale_if_error events have counters of their own.
func (m *Metrics) Record(e hitbox.Event) {
	if m == nil || !known(e.Kind) {
		return
	}
	k := seriesKey{
		kind:     e.Kind,
		failed:   e.Kind == hitbox.EventUpstream && e.Err != nil,
		endpoint: e.Endpoint,
		source:   e.Source,
	}
	var s *series
	if v, ok := m.byKey.Load(k); ok {
		s = v.(*series)
	} else {
		s = m.resolve(k)
	}
	s.n.Add(1)
	if s.count != nil {
		s.count.Inc()
	}
	if s.event != nil {
		s.event.Inc()
	}
	if s.time != nil {
		s.time.Observe(max(e.Duration, 0).Seconds())
	}
}

// known reports whether Record handles events of kind k.
func known(k hitbox.EventKind) bool {
	return k >= hitbox.EventHit && k <= hitbox.EventStaleIfError
}

// isBackendEvent reports whether events of kind k are a backend's read or
// write, counted by backend label.
func isBackendEvent(k hitbox.EventKind) bool {
	switch k {
	case hitbox.EventHit, hitbox.EventStale, hitbox.EventMiss,
		hitbox.EventStored, hitbox.EventReadError, hitbox.EventWriteError:
		return true
	}
	return false
}

// resolve returns the series of k, making it on first use. Two callers may
// race to make it; both get the one stored first, and the children they
// resolved are the same ones (the vectors hand out one child per label
// set). The events of an endpoint name past the cap are filed under
// [OtherEndpoints], so that their raw names are never kept.
func (m *Metrics) resolve(k seriesKey) *series {
	if !m.endpoints.admit(k.endpoint) {
		k.endpoint = OtherEndpoints
		if v, ok := m.byKey.Load(k); ok {
			return v.(*series)
		}
	}
	ep, src := endpointLabel(k.endpoint), labelValue(k.source)
	s := &series{}
	if k.source != "" && isBackendEvent(k.kind) {
		s.event = m.backendEvents.WithLabelValues(src, k.kind.String())
	}
	switch k.kind {
	case hitbox.EventHit, hitbox.EventStale, hitbox.EventMiss, hitbox.EventBypass, hitbox.EventCollapsed:
		s.count = m.requests.WithLabelValues(ep, k.kind.String())
	case hitbox.EventUpstream:
		outcome := "ok"
		if k.failed {
			outcome = "error"
		}
		s.count = m.upstream.WithLabelValues(ep, outcome)
		s.time = m.upstreamTime.WithLabelValues(ep)
	case hitbox.EventRevalidate:
		s.count = m.revalidations.WithLabelValues(ep)
	case hitbox.EventStaleIfError:
		s.count = m.staleIfError.WithLabelValues(ep)
	}
	v, _ := m.byKey.LoadOrStore(k, s)
	return v.(*series)
}

// endpointLabel is the endpoint label of an admitted endpoint name.
func endpointLabel(name string) string {
	if name == "" {
		return NoEndpoint
	}
	return labelValue(name)
}

// labelValue makes s a valid label value: Prometheus requires UTF-8 (and
// its vectors panic otherwise).
func labelValue(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// collectors registers several collectors as one, so that New registers
// all of them or none.
type collectors []prometheus.Collector

func (cs collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

func (cs collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}

var _ hitbox.Recorder = (*Metrics)(nil)
