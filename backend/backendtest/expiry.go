package backendtest

import (
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// step is one reading of an entry at start+at: a miss, or an entry in state.
type step struct {
	at    time.Duration
	ok    bool
	state backend.State
}

const century = 100 * 365 * 24 * time.Hour

func (s *suite) testExpiry(t *testing.T) {
	const (
		h  = time.Hour
		ns = time.Nanosecond
	)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	fresh := func(d time.Duration) step { return step{d, true, backend.Fresh} }
	stale := func(d time.Duration) step { return step{d, true, backend.Stale} }
	expired := func(d time.Duration) step { return step{d, true, backend.Expired} }
	gone := func(d time.Duration) step { return step{at: d} }
	tests := []struct {
		name  string
		entry backend.Entry
		steps []step
	}{
		{
			name:  "stale then expired then kept",
			entry: backend.Entry{Stale: at(h), Expire: at(2 * h), Keep: 30 * time.Minute},
			steps: []step{
				fresh(0), fresh(h - ns), stale(h), stale(2*h - ns), expired(2 * h),
				expired(2*h + 30*time.Minute - ns), gone(2*h + 30*time.Minute), gone(century),
			},
		},
		{
			name:  "no keep",
			entry: backend.Entry{Stale: at(h), Expire: at(2 * h)},
			steps: []step{fresh(h - ns), stale(h), stale(2*h - ns), gone(2 * h)},
		},
		{
			name:  "negative keep counts as zero",
			entry: backend.Entry{Stale: at(h), Expire: at(2 * h), Keep: -h},
			steps: []step{stale(2*h - ns), gone(2 * h)},
		},
		{
			name:  "never stale",
			entry: backend.Entry{Expire: at(2 * h), Keep: h},
			steps: []step{fresh(2*h - ns), expired(2 * h), expired(3*h - ns), gone(3 * h)},
		},
		{
			name:  "stale after expire",
			entry: backend.Entry{Stale: at(3 * h), Expire: at(2 * h), Keep: h},
			steps: []step{fresh(2*h - ns), expired(2 * h), expired(3*h - ns), gone(3 * h)},
		},
		{
			name:  "never expires",
			entry: backend.Entry{Stale: at(h), Keep: h},
			steps: []step{fresh(h - ns), stale(h), stale(century)},
		},
		{
			name:  "never stale nor expires",
			entry: backend.Entry{},
			steps: []step{fresh(0), fresh(century)},
		},
	}
	for _, tt := range tests {
		s.subtest(t, tt.name, func(t *testing.T, e *env) {
			tt.entry.Value = []byte("v")
			tt.entry.Written = start
			e.set("k", tt.entry)
			for _, st := range tt.steps {
				now := start.Add(st.at)
				e.clock.Set(now)
				got, ok := e.get("k")
				switch {
				case ok != st.ok:
					t.Fatalf("at start+%v: Get found = %v, want %v", st.at, ok, st.ok)
				case !ok:
					continue
				}
				if d := diff(got, tt.entry); d != "" {
					t.Fatalf("at start+%v: Get: %s", st.at, d)
				}
				if s := got.State(now); s != st.state {
					t.Fatalf("at start+%v: state %v, want %v", st.at, s, st.state)
				}
			}
		})
	}
}

// testSetPastDeadline checks that an entry already past its deadline is not
// stored, and that Set of it is a no-op that leaves any entry already under
// the key as it was; an entry expired but still within its keep window is
// stored.
func (s *suite) testSetPastDeadline(t *testing.T) {
	const h = time.Hour
	now := start.Add(10 * h)
	tests := []struct {
		name   string
		entry  backend.Entry
		stored bool
	}{
		{"deadline now", backend.Entry{Expire: now.Add(-h), Keep: h}, false},
		{"deadline just passed", backend.Entry{Expire: now.Add(-h), Keep: h - 1}, false},
		{"expire now without keep", backend.Entry{Expire: now}, false},
		{"expire long ago", backend.Entry{Stale: now.Add(-3 * h), Expire: now.Add(-2 * h)}, false},
		{"deadline just ahead", backend.Entry{Expire: now.Add(-h), Keep: h + 1}, true},
		{"expired but kept", backend.Entry{Stale: now.Add(-2 * h), Expire: now.Add(-h), Keep: 2 * h}, true},
	}
	for _, tt := range tests {
		s.subtest(t, tt.name, func(t *testing.T, e *env) {
			e.clock.Set(now)
			tt.entry.Value = []byte("late")
			tt.entry.Written = now.Add(-4 * h)
			if err := e.b.Set(e.ctx, "new", tt.entry); err != nil {
				t.Fatalf(`Set("new") = %v, want nil`, err)
			}
			old := e.entry("earlier")
			e.set("old", old)
			if err := e.b.Set(e.ctx, "old", tt.entry); err != nil {
				t.Fatalf(`Set("old") = %v, want nil`, err)
			}
			if !tt.stored {
				e.mustMiss("new")
				// The contract makes this Set a no-op: the entry
				// already there stays.
				e.mustGet("old", old)
				return
			}
			e.mustGet("new", tt.entry)
			e.mustGet("old", tt.entry)
		})
	}
}

func (s *suite) testMetadata(t *testing.T) {
	odd := start.Add(37*time.Minute + 123*time.Nanosecond)
	local := time.FixedZone("UTC+5:30", 5*3600+1800)
	tests := []struct {
		name  string
		entry backend.Entry
	}{
		{"all set", backend.Entry{Written: odd, Stale: odd.Add(time.Hour + 1), Expire: odd.Add(2*time.Hour + 2), Keep: time.Hour + 3}},
		{"zero written", backend.Entry{Stale: odd.Add(time.Hour), Expire: odd.Add(2 * time.Hour), Keep: 1}},
		{"zero stale", backend.Entry{Written: odd, Expire: odd.Add(time.Hour + 999), Keep: 5 * time.Second}},
		{"zero expire", backend.Entry{Written: odd, Stale: odd.Add(time.Nanosecond)}},
		{"zero keep", backend.Entry{Written: odd, Stale: odd.Add(time.Hour), Expire: odd.Add(time.Hour)}},
		{"all zero", backend.Entry{}},
		{"other zone", backend.Entry{Written: odd.In(local), Stale: odd.Add(time.Hour).In(local), Expire: odd.Add(2 * time.Hour).In(local), Keep: time.Minute}},
		{"far future", backend.Entry{Written: odd, Expire: time.Date(2200, 12, 31, 23, 59, 59, 999999999, time.UTC), Keep: 24 * time.Hour}},
		{"written before 1970", backend.Entry{Written: time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC), Expire: odd.Add(time.Hour)}},
	}
	for _, tt := range tests {
		s.subtest(t, tt.name, func(t *testing.T, e *env) {
			e.clock.Set(odd)
			tt.entry.Value = []byte("metadata")
			e.set("k", tt.entry)
			e.mustGet("k", tt.entry)
		})
	}
}
