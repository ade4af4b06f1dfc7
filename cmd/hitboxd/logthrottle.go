package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultLogInterval is how often a repeated warning is written: once per
// backend (or message) per interval, then a count of what was suppressed.
const DefaultLogInterval = 10 * time.Second

// throttle is a slog.Handler that passes the warnings and errors of
// requests (records with a "backend", "key" or "path" attribute: what an
// outage repeats once per request) on at most once per interval per
// source: the record's "backend" attribute when it has one, its message
// otherwise. The records of the same source that follow within the
// interval are counted, not written; when the interval ends a summary says
// how many of each message were suppressed, and a new interval begins (an
// outage that lasts writes one line per interval). Other records (below
// WARN, or about the daemon itself: reloads, listeners) pass untouched.
// Close writes the pending summaries and stops the timers.
type throttle struct {
	next  slog.Handler
	state *throttleState // shared by the handlers WithAttrs and WithGroup derive
}

type throttleState struct {
	next     slog.Handler // the root handler, for summaries
	interval time.Duration

	mu      sync.Mutex // guards sources and closed
	sources map[string]*window
	closed  bool
}

// window is one source's current interval.
type window struct {
	backend    string // the source's backend; "" for a message
	level      slog.Level
	suppressed map[string]int // by message
	timer      *time.Timer
}

// newThrottle wraps next; interval <= 0 means [DefaultLogInterval].
func newThrottle(next slog.Handler, interval time.Duration) *throttle {
	if interval <= 0 {
		interval = DefaultLogInterval
	}
	return &throttle{next: next, state: &throttleState{next: next, interval: interval, sources: map[string]*window{}}}
}

func (t *throttle) Enabled(ctx context.Context, l slog.Level) bool { return t.next.Enabled(ctx, l) }

func (t *throttle) WithAttrs(as []slog.Attr) slog.Handler {
	return &throttle{next: t.next.WithAttrs(as), state: t.state}
}

func (t *throttle) WithGroup(name string) slog.Handler {
	return &throttle{next: t.next.WithGroup(name), state: t.state}
}

func (t *throttle) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn || !t.state.admit(r) {
		return t.next.Handle(ctx, r)
	}
	return nil
}

// admit counts r and reports whether it is suppressed.
func (s *throttleState) admit(r slog.Record) bool {
	source, backend, request := r.Message, "", false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "backend":
			backend = a.Value.String()
			source, request = "backend="+backend, true
			return false
		case "key", "path":
			request = true
		}
		return true
	})
	if !request {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if w, ok := s.sources[source]; ok {
		w.suppressed[r.Message]++
		w.level = max(w.level, r.Level)
		return true
	}
	w := &window{backend: backend, level: r.Level, suppressed: map[string]int{}}
	w.timer = time.AfterFunc(s.interval, func() { s.end(source, w) })
	s.sources[source] = w
	return false
}

// end closes source's interval: with nothing suppressed the source is free
// again; otherwise the summary is written and a new interval begins.
func (s *throttleState) end(source string, w *window) {
	s.mu.Lock()
	if s.closed || s.sources[source] != w {
		s.mu.Unlock()
		return
	}
	counts := w.suppressed
	if len(counts) == 0 {
		delete(s.sources, source)
		s.mu.Unlock()
		return
	}
	level := w.level
	w.suppressed, w.level = map[string]int{}, slog.LevelWarn
	w.timer.Reset(s.interval)
	s.mu.Unlock()
	s.summary(w.backend, level, counts)
}

// summary writes how many records of a source (backend, or a message when
// "") were suppressed.
func (s *throttleState) summary(backend string, level slog.Level, counts map[string]int) {
	total := 0
	attrs := make([]any, 0, len(counts))
	for _, msg := range slices.Sorted(maps.Keys(counts)) {
		total += counts[msg]
		attrs = append(attrs, slog.Int(msg, counts[msg]))
	}
	r := slog.NewRecord(time.Now(), level, "repeated log lines suppressed", 0)
	if backend != "" {
		r.AddAttrs(slog.String("backend", backend))
	}
	r.AddAttrs(slog.Int("suppressed", total), slog.String("interval", s.interval.String()), slog.Group("by_message", attrs...))
	_ = s.next.Handle(context.Background(), r)
}

// Close writes the summaries of the intervals in progress and stops the
// timers; records handled afterwards pass untouched.
func (t *throttle) Close() {
	s := t.state
	s.mu.Lock()
	s.closed = true
	sources := s.sources
	s.sources = nil
	s.mu.Unlock()
	for _, source := range slices.Sorted(maps.Keys(sources)) {
		w := sources[source]
		w.timer.Stop()
		if len(w.suppressed) > 0 {
			s.summary(w.backend, w.level, w.suppressed)
		}
	}
}

// redisLogger routes go-redis's own log lines (connection pool, sentinel,
// cluster) to a slog.Logger as warnings. go-redis holds one logger per
// process (redis.SetLogger): main installs this one once and the proxy
// points it at its logger when it starts; until then, and after, lines are
// dropped.
type redisLogger struct {
	mu  sync.Mutex // guards log
	log *slog.Logger
}

// installRedisLogger makes go-redis log through the returned logger.
func installRedisLogger() *redisLogger {
	l := &redisLogger{}
	goredis.SetLogger(l)
	return l
}

// set points the lines at log (nil: drop them).
func (l *redisLogger) set(log *slog.Logger) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.log = log
	l.mu.Unlock()
}

// Printf implements go-redis's internal.Logging.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.mu.Lock()
	log := l.log
	l.mu.Unlock()
	if log != nil {
		log.WarnContext(ctx, "redis client", "backend", "redis", "detail", fmt.Sprintf(format, v...))
	}
}
