package backendtest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Factory makes a fresh, empty backend for one subtest. now is the driven
// clock the backend must use for every expiry decision (the suite moves it
// with [Clock.Advance]). The factory registers any cleanup with t.Cleanup and
// fails t when it cannot build the backend.
//
// Run calls the factory from parallel subtests, so it must be safe for
// concurrent use, and backends it returns must not share entries (for a
// shared server, give each backend its own key prefix or database).
type Factory func(t *testing.T, now func() time.Time) backend.Backend

// Options tunes [Run] for a store. The zero Options runs every case the
// store's capabilities allow, except the corrupted-bytes cases.
type Options struct {
	// WriteRaw, when set, stores raw as the bytes kept under key, bypassing
	// the backend's encoding, so the suite can check that foreign,
	// truncated and garbage bytes read as a miss. Nil skips those cases
	// (with t.Skip and a reason).
	WriteRaw func(t *testing.T, b backend.Backend, key string, raw []byte)
	// ReadRaw, when set, returns the raw bytes the store keeps under key
	// (nil when there are none), so the suite can write back truncated and
	// altered copies of a real entry. Nil makes the suite truncate what the
	// default [backend.Codec] encodes instead, and skip the altered case.
	ReadRaw func(t *testing.T, b backend.Backend, key string) []byte
	// MaxValueSize is the largest value the suite stores; zero means
	// 16 MiB. The large-value case also tries 8 MiB when that is smaller.
	MaxValueSize int
}

// DefaultMaxValueSize is the largest value the suite stores when
// [Options.MaxValueSize] is zero.
const DefaultMaxValueSize = 16 << 20

func (o Options) maxValueSize() int {
	if o.MaxValueSize <= 0 {
		return DefaultMaxValueSize
	}
	return o.MaxValueSize
}

// Run runs the conformance suite against the backends f makes: every case is
// a named subtest with a fresh backend, and independent cases run in
// parallel. Cases for the optional capabilities ([backend.Lister],
// [backend.Purger], [backend.StatsReporter]) run when the backend implements
// them and are skipped otherwise.
//
// Beyond the letter of [backend.Backend], the suite holds a store to these
// readings of it: times round-trip to the nanosecond (compared with
// time.Equal, so the location may change) and zero times stay zero; a nil or
// empty value comes back zero-length; a Set of an entry past its deadline
// leaves any entry already under the key as it was; List reports each key at
// most once and Purge counts each key once; altered stored bytes (read with
// [Options.ReadRaw] and changed in one bit) are a miss, as a checksum makes
// them; a call with a canceled context either fails with an error wrapping
// the context's or acts as usual, and leaves the old or the new entry whole.
func Run(t *testing.T, f Factory, o Options) {
	t.Helper()
	s := &suite{f: f, o: o}
	for _, c := range s.cases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t)
		})
	}
}

// start is where every driven clock of the suite begins: a fixed instant
// with nanoseconds, far from the wall clock, so that a backend which reads
// the wall clock instead of the one it was given fails the expiry cases.
var start = time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC)

// watchdog bounds how long the suite waits for a call that must return
// promptly before it reports the call as stuck.
const watchdog = 10 * time.Second

type suite struct {
	f Factory
	o Options
}

type testCase struct {
	name string
	fn   func(t *testing.T)
}

func (s *suite) cases() []testCase {
	return []testCase{
		{"GetSetDelete", s.testGetSetDelete},
		{"Overwrite", s.testOverwrite},
		{"DeleteReportsExisted", s.testDeleteReportsExisted},
		{"InvalidKey", s.testInvalidKey},
		{"Expiry", s.testExpiry},
		{"SetPastDeadline", s.testSetPastDeadline},
		{"Metadata", s.testMetadata},
		{"EmptyValue", s.testEmptyValue},
		{"LargeValue", s.testLargeValue},
		{"BinaryKeys", s.testBinaryKeys},
		{"Concurrent", s.testConcurrent},
		{"ContextCanceled", s.testContextCanceled},
		{"NilContext", s.testNilContext},
		{"BadInputKeepsEntries", s.testBadInputKeepsEntries},
		{"List", s.testList},
		{"Purge", s.testPurge},
		{"CorruptedBytes", s.testCorruptedBytes},
		{"TagsRoundTrip", s.testTagsRoundTrip},
		{"InvalidateTags", s.testInvalidateTags},
	}
}

// env is one subtest's backend, its driven clock and a context.
type env struct {
	t     *testing.T
	b     backend.Backend
	clock *Clock
	ctx   context.Context
}

func (s *suite) open(t *testing.T) *env {
	t.Helper()
	c := NewClock(start)
	b := s.f(t, c.Now)
	if b == nil {
		t.Fatal("backendtest: factory returned a nil backend")
	}
	return &env{t: t, b: b, clock: c, ctx: t.Context()}
}

// subtest runs fn as a parallel subtest of t named name, on a store of its
// own.
func (s *suite) subtest(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, s.open(t))
	})
}

// entry returns an entry written now that turns stale in an hour, expires in
// two and is kept one more hour, with value v.
func (e *env) entry(v string) backend.Entry {
	now := e.clock.Now()
	return backend.Entry{
		Value:   []byte(v),
		Written: now,
		Stale:   now.Add(time.Hour),
		Expire:  now.Add(2 * time.Hour),
		Keep:    time.Hour,
	}
}

func (e *env) set(key string, en backend.Entry) {
	e.t.Helper()
	if err := e.b.Set(e.ctx, key, en); err != nil {
		e.t.Fatalf("Set(%q) = %v, want nil", key, err)
	}
}

func (e *env) get(key string) (backend.Entry, bool) {
	e.t.Helper()
	got, ok, err := e.b.Get(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Get(%q) = %v, want nil error", key, err)
	}
	return got, ok
}

// mustGet fails the test unless key holds an entry equal to want.
func (e *env) mustGet(key string, want backend.Entry) {
	e.t.Helper()
	got, ok := e.get(key)
	if !ok {
		e.t.Fatalf("Get(%q) at %v: miss, want %s", key, e.clock.Now(), describe(want))
	}
	if d := diff(got, want); d != "" {
		e.t.Fatalf("Get(%q): %s", key, d)
	}
}

// mustMiss fails the test unless key is a miss.
func (e *env) mustMiss(key string) {
	e.t.Helper()
	if got, ok := e.get(key); ok {
		e.t.Fatalf("Get(%q) at %v = %s, want a miss", key, e.clock.Now(), describe(got))
	}
}

func (e *env) del(key string) bool {
	e.t.Helper()
	ok, err := e.b.Delete(e.ctx, key)
	if err != nil {
		e.t.Fatalf("Delete(%q) = %v, want nil error", key, err)
	}
	return ok
}

// diff describes how got differs from want, or returns "" when they are
// equal: same value bytes (nil and empty are equal), times equal with
// time.Equal to the nanosecond, and the same Keep (negative counts as zero).
func diff(got, want backend.Entry) string {
	var d []string
	if !bytes.Equal(got.Value, want.Value) {
		d = append(d, fmt.Sprintf("value %s, want %s", short(got.Value), short(want.Value)))
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{
		{"Written", got.Written, want.Written},
		{"Stale", got.Stale, want.Stale},
		{"Expire", got.Expire, want.Expire},
	} {
		if !f.got.Equal(f.want) {
			d = append(d, fmt.Sprintf("%s %v, want %v", f.name, f.got, f.want))
		}
	}
	if max(got.Keep, 0) != max(want.Keep, 0) {
		d = append(d, fmt.Sprintf("Keep %v, want %v", got.Keep, want.Keep))
	}
	if !slices.Equal(got.Tags, want.Tags) {
		d = append(d, fmt.Sprintf("Tags %q, want %q", got.Tags, want.Tags))
	}
	return strings.Join(d, "; ")
}

func describe(e backend.Entry) string {
	return fmt.Sprintf("{Value: %s, Written: %v, Stale: %v, Expire: %v, Keep: %v}",
		short(e.Value), e.Written, e.Stale, e.Expire, e.Keep)
}

// short renders a value for a failure message, eliding the middle of long
// ones.
func short(v []byte) string {
	if len(v) <= 64 {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q...%q (%d bytes)", v[:24], v[len(v)-24:], len(v))
}

// returns runs fn and fails the test when it has not returned within the
// watchdog, or when it panics.
func returns(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		fn()
	}()
	timer := time.NewTimer(watchdog)
	defer timer.Stop()
	select {
	case p := <-done:
		if p != nil {
			t.Fatalf("%s panicked: %v", what, p)
		}
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, watchdog)
	}
}
