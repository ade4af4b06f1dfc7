package tarantool

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// pruningBackend starts a server and returns it with a Backend on it
// whose driven clock starts in 2001, with retention as its TagRetention and
// no sweep, made to prune once its tags space holds at least minAt tuples,
// walking batch tuples per transaction.
func pruningBackend(t *testing.T, retention time.Duration, minAt int64, batch int) (*tarantooltest.Server, *Backend, *backendtest.Clock) {
	t.Helper()
	s := tarantooltest.Start(t)
	clock := backendtest.NewClock(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	b := newBackend(t, s, Options{Now: clock.Now, SweepInterval: -1, TagRetention: retention})
	b.prune.schedule.Min, b.prune.batch = minAt, batch
	return s, b, clock
}

// rawMarks returns every tuple of b's tags space, the floor (tag "")
// included, read on the server.
func rawMarks(t testing.TB, b *Backend) map[string]int64 {
	t.Helper()
	c, _, err := b.pick()
	if err != nil {
		t.Fatal(err)
	}
	const lua = `
local s = box.space[...]
local m = setmetatable({}, {__serialize = 'map'})
if s ~= nil then for _, t in s:pairs() do m[t[1]] = t[2] end end
return m
`
	var res []map[string]int64
	if err := c.Do(evalRequest(lua).Args([]any{b.space + TagsSpaceSuffix})).GetTyped(&res); err != nil {
		t.Fatalf("raw marks: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("raw marks: %d values, want 1", len(res))
	}
	return res[0]
}

// tagNames returns prefix0, prefix1... prefix(n-1).
func tagNames(prefix string, n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprint(prefix, i)
	}
	return tags
}

// wantMarks fails t unless b's tags space holds exactly want.
func wantMarks(t *testing.T, b *Backend, what string, want map[string]int64) {
	t.Helper()
	if got := rawMarks(t, b); !maps.Equal(got, want) {
		t.Fatalf("%s: the tags space holds %v, want %v", what, got, want)
	}
}

// invalidated reports whether b reads the entry under key as invalidated
// by a tag purge, as the flow decides it: a mark at or after its Written.
func invalidated(t *testing.T, b *Backend, key string) bool {
	t.Helper()
	e, ok, err := b.Get(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("Get(%q) = %v, %v; want a hit", key, ok, err)
	}
	at, err := b.TagsInvalidated(t.Context(), e.Tags)
	if err != nil {
		t.Fatalf("TagsInvalidated(%q): %v", e.Tags, err)
	}
	return !at.IsZero() && !at.Before(e.Written)
}

// TestTagMarksPruned checks TagRetention: once the tags space reaches the
// threshold, the marks older than the retention at the Backend's clock go
// and the fresh ones stay; the floor left in the space makes a tagged
// entry written before the cutoff read as invalidated (also after a
// server restart) and is never pruned itself; the threshold doubles.
func TestTagMarksPruned(t *testing.T) {
	t.Parallel()
	s, b, clock := pruningBackend(t, time.Hour, 6, 2)
	ctx, t0 := t.Context(), clock.Now()
	old := tagNames("old", 5)
	if err := b.InvalidateTags(ctx, old, t0); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, tag := range old {
		want[tag] = t0.UnixNano()
	}
	wantMarks(t, b, "under the threshold", want)

	for key, written := range map[string]time.Time{"before": t0.Add(30 * time.Minute), "after": t0.Add(90 * time.Minute)} {
		e := backend.Entry{Value: []byte(key), Written: written, Tags: []string{"other"}}
		if err := b.Set(ctx, key, e); err != nil {
			t.Fatal(err)
		}
	}
	now := clock.Advance(2 * time.Hour)
	cutoff := now.Add(-time.Hour)
	if err := b.InvalidateTags(ctx, []string{"new"}, now); err != nil {
		t.Fatal(err)
	}
	wantMarks(t, b, "after the prune", map[string]int64{"": cutoff.UnixNano(), "new": now.UnixNano()})
	if at := b.prune.schedule.Next(); at != 6 {
		t.Errorf("threshold after the prune = %d, want the minimum 6 (2 tuples left)", at)
	}
	check := func(what string) {
		t.Helper()
		for _, tt := range []struct {
			tags []string
			want time.Time
		}{
			{[]string{"old0"}, cutoff},
			{[]string{"other"}, cutoff},
			{[]string{"new"}, now},
			{[]string{"old1", "new"}, now},
			{nil, time.Time{}},
		} {
			if got, err := b.TagsInvalidated(ctx, tt.tags); err != nil || !got.Equal(tt.want) {
				t.Errorf("%s: TagsInvalidated(%q) = %v, %v; want %v", what, tt.tags, got, err, tt.want)
			}
		}
		if !invalidated(t, b, "before") {
			t.Errorf("%s: an entry written before the cutoff, its tag never purged, reads as valid; want invalidated by the floor", what)
		}
		if invalidated(t, b, "after") {
			t.Errorf("%s: an entry written after the cutoff, its tag never purged, reads as invalidated", what)
		}
	}
	check("after the prune")
	s.Restart()
	eventually(t, "the backend reconnects", func() bool { return b.Ping(ctx) == nil })
	check("after the server restarted")

	// A later prune raises the floor and keeps it; the marks it spares
	// stay as they were.
	if err := b.InvalidateTags(ctx, tagNames("more", 3), now); err != nil {
		t.Fatal(err)
	}
	later := clock.Advance(90 * time.Minute)
	if err := b.InvalidateTags(ctx, []string{"last"}, later); err != nil {
		t.Fatal(err)
	}
	wantMarks(t, b, "after the second prune", map[string]int64{"": later.Add(-time.Hour).UnixNano(), "last": later.UnixNano()})
}

// TestTagPruneKeepsRaisedMark checks that a mark raised past the cutoff
// while a prune runs, before the batch that reaches it, survives that
// batch, and that one raised again after its batch pruned it comes back.
func TestTagPruneKeepsRaisedMark(t *testing.T) {
	t.Parallel()
	s, b, clock := pruningBackend(t, time.Hour, 7, 2)
	ctx, t0 := t.Context(), clock.Now()
	other := newBackend(t, s, Options{Space: b.space, SweepInterval: -1})
	if err := b.InvalidateTags(ctx, tagNames("a", 6), t0); err != nil {
		t.Fatal(err)
	}
	now := clock.Advance(2 * time.Hour)
	var afters []string
	b.prune.beforeBatch = func(after string) {
		afters = append(afters, after)
		if after == "a1" { // a0 and a1 are pruned, a4 not reached yet
			if err := other.InvalidateTags(ctx, []string{"a4", "a0"}, now); err != nil {
				t.Errorf("InvalidateTags during the prune: %v", err)
			}
		}
	}
	if err := b.InvalidateTags(ctx, []string{"b"}, now); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(afters, ","); got != ",a1,a3,a5" {
		t.Errorf("the batches started after %q, want \",a1,a3,a5\" (two tuples each)", got)
	}
	n := now.UnixNano()
	wantMarks(t, b, "after the prune", map[string]int64{"": now.Add(-time.Hour).UnixNano(), "a0": n, "a4": n, "b": n})
}

// TestTagRetentionZeroKeepsMarks checks that without TagRetention no mark
// is ever pruned and no floor appears, however many there are.
func TestTagRetentionZeroKeepsMarks(t *testing.T) {
	t.Parallel()
	_, b, clock := pruningBackend(t, 0, 2, 2)
	ctx := t.Context()
	want := map[string]int64{}
	for i, tag := range tagNames("t", 5) {
		at := clock.Advance(time.Duration(i) * 24 * time.Hour)
		if err := b.InvalidateTags(ctx, []string{tag}, at); err != nil {
			t.Fatal(err)
		}
		want[tag] = at.UnixNano()
	}
	wantMarks(t, b, "without TagRetention", want)
	if got, err := b.TagsInvalidated(ctx, []string{"none"}); err != nil || !got.IsZero() {
		t.Errorf("an unknown tag = %v, %v; want the zero time (no floor)", got, err)
	}
}

// TestNegativeTagRetention checks that a negative TagRetention is refused,
// as an OptionError naming the field.
func TestNegativeTagRetention(t *testing.T) {
	t.Parallel()
	o := Options{Address: "127.0.0.1:1", TagRetention: -time.Second}
	var oe *backend.OptionError
	if err := o.Validate(); !errors.As(err, &oe) || oe.Field != "TagRetention" || !strings.Contains(err.Error(), "negative TagRetention") {
		t.Errorf("Validate = %v, want an OptionError for TagRetention", err)
	}
	if b, err := New(o); err == nil {
		b.Close(t.Context())
		t.Error("New with a negative TagRetention = nil error")
	}
}

// TestTagPruneFailureRetried checks that a prune failing halfway (a tuple
// whose mark is no integer makes the server refuse its batch) does not fail
// the purge that ran it, whose mark is recorded, is counted in
// Stats.Errors, and is tried again by the next purge, the threshold left
// as it was.
func TestTagPruneFailureRetried(t *testing.T) {
	t.Parallel()
	_, b, clock := pruningBackend(t, time.Hour, 7, 2)
	ctx, t0 := t.Context(), clock.Now()
	if err := b.InvalidateTags(ctx, tagNames("a", 6), t0); err != nil {
		t.Fatal(err)
	}
	now := clock.Advance(2 * time.Hour)
	setMark := func(tag string, at any) {
		c, _, err := b.pick()
		if err != nil {
			t.Fatal(err)
		}
		lua := `local name, tag, at = ... box.space[name]:replace({tag, at})`
		if _, err := c.Do(evalRequest(lua).Args([]any{b.space + TagsSpaceSuffix, tag, at})).Get(); err != nil {
			t.Fatalf("raw replace of %q: %v", tag, err)
		}
	}
	b.prune.beforeBatch = func(after string) {
		if after == "a1" {
			setMark("a3", "not a time")
		}
	}
	errs := b.Stats().Errors // the pings before the connection count
	if err := b.InvalidateTags(ctx, []string{"b"}, now); err != nil {
		t.Fatalf("InvalidateTags whose prune failed = %v, want nil", err)
	}
	if got := b.Stats().Errors - errs; got != 1 {
		t.Errorf("Stats.Errors after a failed prune grew by %d, want 1", got)
	}
	if at := b.prune.schedule.Next(); at != 7 {
		t.Errorf("threshold after a failed prune = %d, want 7 as it was", at)
	}
	if got, err := b.TagsInvalidated(ctx, []string{"b"}); err != nil || !got.Equal(now) {
		t.Errorf("the mark of the purge whose prune failed = %v, %v; want %v", got, err, now)
	}
	b.prune.beforeBatch = nil
	setMark("a3", t0.UnixNano())
	if err := b.InvalidateTags(ctx, []string{"c"}, now); err != nil {
		t.Fatal(err)
	}
	n := now.UnixNano()
	wantMarks(t, b, "after the prune tried again", map[string]int64{"": now.Add(-time.Hour).UnixNano(), "b": n, "c": n})
}
