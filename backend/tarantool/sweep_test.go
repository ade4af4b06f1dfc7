package tarantool

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// TestSweep checks that Sweep deletes exactly the tuples past their
// deadline plus the margin at the backend's clock, and reports the space's
// size in Stats.
func TestSweep(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	clock := backendtest.NewClock(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	b := newBackend(t, s, Options{Now: clock.Now, SweepInterval: -1, ExpiryMargin: time.Second, SweepBatch: 2})
	now := clock.Now()
	for key, expire := range map[string]time.Duration{"a": time.Minute, "b": time.Minute, "c": time.Minute, "later": time.Hour} {
		if err := b.Set(t.Context(), key, backend.Entry{Value: []byte(key), Written: now, Expire: now.Add(expire), Keep: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(t.Context(), "never", backend.Entry{Value: []byte("never"), Written: now}); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.Entries != -1 || st.Bytes != -1 {
		t.Errorf("Stats before a sweep: Entries %d, Bytes %d; want -1, -1", st.Entries, st.Bytes)
	}
	// Past the deadline (expire + keep), within the margin: kept.
	clock.Advance(2*time.Minute + 500*time.Millisecond)
	if n, err := b.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("Sweep within the margin = %d, %v; want 0", n, err)
	}
	if _, ok, _ := b.Get(t.Context(), "a"); ok {
		t.Error(`Get("a") past its deadline: hit, want a miss`)
	}
	clock.Advance(time.Second)
	if n, err := b.Sweep(t.Context()); err != nil || n != 3 {
		t.Fatalf("Sweep past the margin = %d, %v; want 3 (in batches of 2)", n, err)
	}
	for _, key := range []string{"a", "b", "c"} {
		if raw := readRaw(t, b, key); raw != nil {
			t.Errorf("tuple %q still there after the sweep", key)
		}
	}
	for _, key := range []string{"later", "never"} {
		if raw := readRaw(t, b, key); raw == nil {
			t.Errorf("tuple %q swept before its deadline", key)
		}
	}
	if st := b.Stats(); st.Entries != 2 || st.Bytes <= 0 {
		t.Errorf("Stats after the sweep: Entries %d, Bytes %d; want 2 and some bytes", st.Entries, st.Bytes)
	}
}

// TestSweepRunsByItself checks the background sweep: the clock moves, and
// the expired tuple goes without a call to Sweep.
func TestSweepRunsByItself(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	clock := backendtest.NewClock(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	b := newBackend(t, s, Options{Now: clock.Now, SweepInterval: 5 * time.Millisecond, ExpiryMargin: -1})
	now := clock.Now()
	if err := b.Set(t.Context(), "k", backend.Entry{Value: []byte("v"), Written: now, Expire: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	eventually(t, "the sweep drops the expired tuple", func() bool { return readRaw(t, b, "k") == nil })
}

// TestForeignTuples checks that tuples of another shape in the space (a
// value that is no binary, a missing value) read as counted misses, are
// skipped by List and deleted by Purge.
func TestForeignTuples(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, Options{})
	writeRaw(t, b, "int", 42)
	writeRaw(t, b, "map", map[string]any{"value": "v"})
	c, space, err := b.pick()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(evalRequest(`box.space[` + strconv.FormatUint(uint64(space), 10) + `]:replace{'short', 1}`)).Get(); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(t.Context(), "real", entry("v")); err != nil {
		t.Fatal(err)
	}
	before := b.Stats()
	for i, key := range []string{"int", "map", "short"} {
		e, ok, err := b.Get(t.Context(), key)
		if ok || err != nil {
			t.Fatalf("Get(%q) of a foreign tuple = %q, %v, %v; want a miss", key, e.Value, ok, err)
		}
		if st := b.Stats(); st.DecodeErrors != uint64(i+1) || st.Errors != before.Errors {
			t.Fatalf("after %d foreign reads: DecodeErrors %d, Errors %d; want %d, %d", i+1, st.DecodeErrors, st.Errors, i+1, before.Errors)
		}
	}
	var keys []string
	if err := b.List(t.Context(), "", func(k backend.KeyInfo) bool { keys = append(keys, k.Key); return true }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "real" {
		t.Errorf("List = %q, want only the real entry", keys)
	}
	if n, err := b.Purge(t.Context(), ""); err != nil || n != 4 {
		t.Errorf("Purge = %d, %v; want 4", n, err)
	}
}

// TestListManyBatches lists more entries than a round trip reads.
func TestListManyBatches(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, Options{})
	const n = 3*listBatch + 5
	for i := range n {
		if err := b.Set(t.Context(), "p/"+strconv.Itoa(i), entry("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(t.Context(), "q", entry("v")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := b.List(t.Context(), "p/", func(k backend.KeyInfo) bool {
		if seen[k.Key] {
			t.Errorf("List reported %q twice", k.Key)
		}
		seen[k.Key] = true
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("List(p/) saw %d keys, want %d", len(seen), n)
	}
}

func TestDeadlineField(t *testing.T) {
	t.Parallel()
	base := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		d      time.Time
		margin time.Duration
		want   int64
	}{
		{"never", time.Time{}, time.Second, never},
		{"whole ms", base, 0, base.UnixMilli()},
		{"rounded up", base.Add(time.Microsecond), 0, base.UnixMilli() + 1},
		{"margin", base, time.Second, base.UnixMilli() + 1000},
		{"before 1970", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 0, 0},
		{"far future", time.Date(math.MaxInt32, 1, 1, 0, 0, 0, 0, time.UTC), 0, never},
	} {
		if got := deadlineField(tt.d, tt.margin); got != tt.want {
			t.Errorf("%s: deadlineField(%v, %v) = %d, want %d", tt.name, tt.d, tt.margin, got, tt.want)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		o           Options
		want, field string
	}{
		{Options{}, "no Address", "Address"},
		{Options{Address: "x:1", Space: strings.Repeat("s", MaxSpaceName+1)}, "longer than", "Space"},
		{Options{Address: "x:1", PoolSize: -1}, "negative PoolSize", "PoolSize"},
		{Options{Address: "x:1", PoolSize: MaxPoolSize + 1}, "at most", "PoolSize"},
		{Options{Address: "x:1", ReconnectInterval: -time.Second}, "negative ReconnectInterval", "ReconnectInterval"},
		{Options{Address: "x:1", SweepBatch: -1}, "negative SweepBatch", "SweepBatch"},
		{Options{Address: "x:1", SweepBatch: MaxSweepBatch + 1}, "at most", "SweepBatch"},
		{Options{Address: "x:1", Breaker: BreakerOptions{OpenTimeout: -1}}, "negative Breaker.OpenTimeout", "Breaker"},
		{Options{Address: "x:1", Codec: backend.Codec{Format: 99}}, "unknown format", "Codec"},
	} {
		b, err := New(tt.o)
		if err == nil {
			b.Close(context.Background())
			t.Errorf("New(%+v) = nil error, want one containing %q", tt.o, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.o, err, tt.want)
		}
		if oe := (*backend.OptionError)(nil); !errors.As(tt.o.Validate(), &oe) || oe.Field != tt.field {
			t.Errorf("Validate(%+v) = %v, want an OptionError for %s", tt.o, tt.o.Validate(), tt.field)
		}
	}
}

// TestClosed checks that every method fails with ErrClosed after Close.
func TestClosed(t *testing.T) {
	t.Parallel()
	b, err := New(Options{Address: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v, want nil (idempotent)", err)
	}
	ctx := t.Context()
	_, _, errGet := b.Get(ctx, "k")
	_, errDel := b.Delete(ctx, "k")
	_, errPurge := b.Purge(ctx, "")
	_, errSweep := b.Sweep(ctx)
	for name, err := range map[string]error{
		"Get": errGet, "Set": b.Set(ctx, "k", entry("v")), "Delete": errDel, "Ping": b.Ping(ctx),
		"List": b.List(ctx, "", func(backend.KeyInfo) bool { return true }), "Purge": errPurge, "Sweep": errSweep,
	} {
		if !errors.Is(err, backend.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
