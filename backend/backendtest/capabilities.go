package backendtest

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// skipUnsupported skips the test when err says the capability is missing
// (as a [Fault] around a backend without it reports).
func skipUnsupported(t *testing.T, call string, err error) {
	t.Helper()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("%s: %v", call, err)
	}
}

func (s *suite) testList(t *testing.T) {
	e := s.open(t)
	l, ok := e.b.(backend.Lister)
	if !ok {
		t.Skipf("%T does not implement backend.Lister", e.b)
	}
	long := e.entry("long")
	long.Expire = start.Add(10 * time.Hour)
	never := e.entry("never")
	never.Stale, never.Expire = time.Time{}, time.Time{}
	kept := e.entry("kept")
	kept.Stale, kept.Expire, kept.Keep = start.Add(30*time.Minute), start.Add(time.Hour), 2*time.Hour
	gone := e.entry("gone")
	gone.Expire, gone.Keep = start.Add(time.Hour), 0
	live := map[string]backend.Entry{
		"p/a": long, "p/b": never, "p/kept": kept, "q/c": long,
		"glob*x": long, "globAx": long, "glob?": long, "glob[": long, "p": long,
	}
	for k, en := range live {
		e.set(k, en)
	}
	e.set("p/gone", gone)
	e.set("p/deleted", long)
	e.del("p/deleted")
	now := e.clock.Advance(90 * time.Minute)

	list := func(prefix string) map[string]backend.KeyInfo {
		t.Helper()
		got := map[string]backend.KeyInfo{}
		err := l.List(e.ctx, prefix, func(k backend.KeyInfo) bool {
			if _, dup := got[k.Key]; dup {
				t.Errorf("List(%q) listed %q twice", prefix, k.Key)
			}
			got[k.Key] = k
			return true
		})
		skipUnsupported(t, "List", err)
		if err != nil {
			t.Fatalf("List(%q) = %v, want nil", prefix, err)
		}
		return got
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"p/", []string{"p/a", "p/b", "p/kept"}},
		{"p", []string{"p", "p/a", "p/b", "p/kept"}},
		{"", slices.Collect(maps.Keys(live))},
		{"glob*", []string{"glob*x"}},
		{"glob?", []string{"glob?"}},
		{"glob[", []string{"glob["}},
		{"p/kept", []string{"p/kept"}},
		{"p/gone", nil},
		{"nomatch/", nil},
	}
	for _, tt := range tests {
		got := list(tt.prefix)
		keys := slices.Sorted(maps.Keys(got))
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(keys, want) {
			t.Errorf("List(%q) at start+90m listed %q, want %q", tt.prefix, keys, want)
			continue
		}
		for k, info := range got {
			en := live[k]
			if d := diff(backend.Entry{Written: info.Written, Stale: info.Stale, Expire: info.Expire, Keep: info.Keep}, backend.Entry{Written: en.Written, Stale: en.Stale, Expire: en.Expire, Keep: en.Keep}); d != "" {
				t.Errorf("List(%q): KeyInfo of %q: %s", tt.prefix, k, d)
			}
			if info.Size < -1 {
				t.Errorf("List(%q): KeyInfo of %q has Size %d, want -1 or more", tt.prefix, k, info.Size)
			}
		}
	}
	if st := list("p/kept")["p/kept"].State(now); st != backend.Expired {
		t.Errorf(`List("p/kept"): state at start+90m = %v, want expired`, st)
	}

	calls := 0
	err := l.List(e.ctx, "", func(backend.KeyInfo) bool { calls++; return false })
	if err != nil {
		t.Errorf(`List("") with fn returning false = %v, want nil`, err)
	}
	if calls != 1 {
		t.Errorf(`List("") called fn %d times after it returned false, want 1`, calls)
	}
}

func (s *suite) testPurge(t *testing.T) {
	e := s.open(t)
	p, ok := e.b.(backend.Purger)
	if !ok {
		t.Skipf("%T does not implement backend.Purger", e.b)
	}
	keys := []string{"p/1", "p/2", "p/3", "p", "q/1", "glob*x", "globAx", "glob?"}
	for _, k := range keys {
		e.set(k, e.entry("value of "+k))
	}
	purge := func(prefix string, want int) {
		t.Helper()
		n, err := p.Purge(e.ctx, prefix)
		skipUnsupported(t, "Purge", err)
		if err != nil || n != want {
			t.Fatalf("Purge(%q) = %d, %v; want %d, nil", prefix, n, err, want)
		}
	}
	check := func(after string, present ...string) {
		t.Helper()
		for _, k := range keys {
			_, ok := e.get(k)
			if want := slices.Contains(present, k); ok != want {
				t.Fatalf("after %s: Get(%q) found = %v, want %v", after, k, ok, want)
			}
		}
	}
	purge("nomatch/", 0)
	purge("p/", 3)
	check(`Purge("p/")`, "p", "q/1", "glob*x", "globAx", "glob?")
	purge("glob*", 1)
	check(`Purge("glob*")`, "p", "q/1", "globAx", "glob?")
	purge("", 4)
	check(`Purge("")`)
	purge("", 0)
	e.set("p/1", e.entry("again"))
	e.mustGet("p/1", e.entry("again"))
}

func (s *suite) testCorruptedBytes(t *testing.T) {
	if s.o.WriteRaw == nil {
		t.Skip("Options.WriteRaw is nil: the store cannot be given raw bytes")
	}
	garbage := make([]byte, 512)
	fill(garbage, 42)
	tests := []struct {
		name string
		raw  func(e *env) [][]byte
	}{
		{"foreign", func(*env) [][]byte { return [][]byte{[]byte("hello, world")} }},
		{"empty", func(*env) [][]byte { return [][]byte{{}} }},
		{"garbage", func(*env) [][]byte { return [][]byte{garbage} }},
		{"json", func(*env) [][]byte { return [][]byte{[]byte(`{"value":"dg==","expire":1}`)} }},
		{"truncated", func(e *env) [][]byte {
			raw := s.realRaw(e, string(garbage[:100]))
			return [][]byte{raw[:len(raw)-1], raw[:len(raw)/2], raw[:1]}
		}},
		{"flipped", func(e *env) [][]byte {
			if s.o.ReadRaw == nil {
				e.t.Skip("Options.ReadRaw is nil: cannot alter a real entry")
			}
			raw := bytes.Clone(s.realRaw(e, string(garbage[:100])))
			raw[len(raw)/2] ^= 0x10
			return [][]byte{raw}
		}},
	}
	for _, tt := range tests {
		s.subtest(t, tt.name, func(t *testing.T, e *env) {
			neighbour := e.entry("neighbour")
			e.set("neighbour", neighbour)
			stats, _ := e.b.(backend.StatsReporter)
			for _, raw := range tt.raw(e) {
				var before uint64
				if stats != nil {
					before = stats.Stats().DecodeErrors
				}
				s.o.WriteRaw(t, e.b, "k", raw)
				got, ok, err := e.b.Get(e.ctx, "k")
				if err != nil || ok {
					t.Fatalf(`Get("k") over %d corrupted bytes %s = %s, %v, %v; want a miss with no error`,
						len(raw), short(raw), describe(got), ok, err)
				}
				if stats != nil {
					if after := stats.Stats().DecodeErrors; after <= before {
						t.Errorf("Stats().DecodeErrors = %d after a corrupted read, want more than %d", after, before)
					}
				}
			}
			want := e.entry("fresh")
			e.set("k", want)
			e.mustGet("k", want)
			e.mustGet("neighbour", neighbour)
		})
	}
}

// realRaw returns the stored form of an entry with value v: what the store
// keeps under "k" after a Set when [Options.ReadRaw] is set, and otherwise
// what the default [backend.Codec] makes of it.
func (s *suite) realRaw(e *env, v string) []byte {
	e.t.Helper()
	en := e.entry(v)
	if s.o.ReadRaw == nil {
		raw, err := backend.Codec{}.Encode(nil, en)
		if err != nil {
			e.t.Fatalf("Codec.Encode = %v", err)
		}
		return raw
	}
	e.set("k", en)
	raw := s.o.ReadRaw(e.t, e.b, "k")
	if len(raw) < 2 {
		e.t.Fatalf(`ReadRaw("k") after Set returned %d bytes, want at least 2`, len(raw))
	}
	return raw
}
