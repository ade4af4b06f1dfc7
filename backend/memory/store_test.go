package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/hitbox-go/hitbox/backend"
)

// testClock is a driven clock, safe for concurrent use.
type testClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func newBackend(t *testing.T, o Options) *Backend {
	t.Helper()
	b, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       Options
		wantErr bool
	}{
		{name: "zero", o: Options{}},
		{name: "bytes", o: Options{MaxBytes: 1 << 20}},
		{name: "entries", o: Options{MaxEntries: 10}},
		{name: "codec", o: Options{Codec: &backend.Codec{Format: backend.FormatMsgPack, Compression: backend.CompressionGzip, Level: 9}}},
		{name: "negative bytes", o: Options{MaxBytes: -1}, wantErr: true},
		{name: "negative entries", o: Options{MaxEntries: -1}, wantErr: true},
		{name: "both bounds", o: Options{MaxBytes: 1 << 20, MaxEntries: 10}, wantErr: true},
		{name: "bad codec", o: Options{Codec: &backend.Codec{Compression: backend.CompressionZstd, Level: 99}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := New(tt.o)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "memory: ") {
					t.Fatalf("New(%+v) = %v, want a memory: error", tt.o, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%+v) = %v, want nil", tt.o, err)
			}
			if err := b.Close(context.Background()); err != nil {
				t.Fatalf("Close = %v", err)
			}
		})
	}
}

func TestLabel(t *testing.T) {
	t.Parallel()
	if got := newBackend(t, Options{}).Label(); got != "memory" {
		t.Errorf("default Label() = %q, want memory", got)
	}
	b := newBackend(t, Options{Label: "l1"})
	if got := b.Label(); got != "l1" {
		t.Errorf("Label() = %q, want l1", got)
	}
	if got := b.Stats().Label; got != "l1" {
		t.Errorf("Stats().Label = %q, want l1", got)
	}
	_, _, err := b.Get(context.Background(), "")
	if err == nil || !strings.HasPrefix(err.Error(), "l1: get: ") {
		t.Errorf(`Get("") error = %v, want it to start with "l1: get: "`, err)
	}
}

// TestByteBound fills a small budget many times over with values of mixed
// sizes and checks that the weighted bytes stay within it and that the
// evictions are counted.
func TestByteBound(t *testing.T) {
	t.Parallel()
	for _, codec := range []*backend.Codec{nil, {Format: backend.FormatMsgPack, Compression: backend.CompressionZstd}} {
		t.Run(fmt.Sprintf("codec=%v", codec != nil), func(t *testing.T) {
			t.Parallel()
			const budget = 1 << 20
			b := newBackend(t, Options{MaxBytes: budget, Codec: codec})
			ctx := context.Background()
			r := rand.New(rand.NewPCG(1, 2))
			var written int64
			const n = 2000
			for i := range n {
				v := make([]byte, r.IntN(16<<10))
				for j := range v {
					v[j] = byte(r.Uint32())
				}
				key := fmt.Sprintf("key/%d", i)
				if err := b.Set(ctx, key, backend.Entry{Value: v}); err != nil {
					t.Fatalf("Set(%q, %d bytes): %v", key, len(v), err)
				}
				written += int64(len(v))
			}
			s := b.Stats()
			if s.Bytes > budget || s.Bytes <= 0 {
				t.Errorf("Stats().Bytes = %d after writing %d bytes, want within (0, %d]", s.Bytes, written, budget)
			}
			if s.Evictions == 0 || s.Entries >= n || s.Evictions+uint64(s.Entries) < n {
				t.Errorf("Stats() = %d entries, %d evictions after %d sets into %d bytes; want evictions counted", s.Entries, s.Evictions, n, budget)
			}
			// What List sees weighs what Stats says.
			var listed int64
			if err := b.List(ctx, "", func(k backend.KeyInfo) bool {
				listed += int64(len(k.Key)+k.Size) + EntryOverhead
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if listed != s.Bytes {
				t.Errorf("entries listed weigh %d bytes, Stats().Bytes = %d", listed, s.Bytes)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	const budget = 64 << 10
	ctx := context.Background()
	b := newBackend(t, Options{MaxBytes: budget})
	old := backend.Entry{Value: []byte("old")}
	if err := b.Set(ctx, "k", old); err != nil {
		t.Fatal(err)
	}
	big := backend.Entry{Value: make([]byte, budget)}
	err := b.Set(ctx, "k", big)
	if !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Set(%d bytes into %d) = %v, want ErrTooLarge", len(big.Value), budget, err)
	}
	got, ok, err := b.Get(ctx, "k")
	if err != nil || !ok || string(got.Value) != "old" {
		t.Fatalf(`Get("k") after a refused Set = %q, %v, %v; want the previous entry`, got.Value, ok, err)
	}
	if s := b.Stats(); s.Errors != 1 || s.Sets != 1 {
		t.Errorf("Stats() = %d errors, %d sets; want 1, 1", s.Errors, s.Sets)
	}
	// With a codec the weight is the encoded size: zeros compress.
	bc := newBackend(t, Options{MaxBytes: budget, Codec: &backend.Codec{Format: backend.FormatMsgPack, Compression: backend.CompressionZstd}})
	if err := bc.Set(ctx, "k", big); err != nil {
		t.Fatalf("Set(%d zero bytes, compressed) = %v, want nil", len(big.Value), err)
	}
	if got, ok, err := bc.Get(ctx, "k"); err != nil || !ok || !bytes.Equal(got.Value, big.Value) {
		t.Fatalf(`Get("k") = %d bytes, %v, %v; want the %d zero bytes`, len(got.Value), ok, err, len(big.Value))
	}
}

func TestMaxEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBackend(t, Options{MaxEntries: 100})
	for i := range 1000 {
		if err := b.Set(ctx, fmt.Sprintf("k%04d", i), backend.Entry{Value: []byte("0123456789")}); err != nil {
			t.Fatal(err)
		}
	}
	s := b.Stats()
	if s.Entries > 100 || s.Entries == 0 {
		t.Errorf("Stats().Entries = %d, want 1..100", s.Entries)
	}
	if s.Evictions < 900 {
		t.Errorf("Stats().Evictions = %d, want at least 900", s.Evictions)
	}
	if want := s.Entries * (5 + 10 + EntryOverhead); s.Bytes != want {
		t.Errorf("Stats().Bytes = %d for %d entries, want %d", s.Bytes, s.Entries, want)
	}
	// A value far over any byte budget is fine: there is none.
	if err := b.Set(ctx, "big", backend.Entry{Value: make([]byte, DefaultMaxBytes+1)}); err != nil {
		t.Errorf("Set(big) with MaxEntries = %v, want nil", err)
	}
	if n, err := b.Purge(ctx, ""); err != nil || n == 0 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	if s := b.Stats(); s.Bytes != 0 || s.Entries != 0 {
		t.Errorf("after Purge: Stats() = %d entries, %d bytes; want 0, 0", s.Entries, s.Bytes)
	}
}

func TestExpiryDrivenClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newTestClock()
	b := newBackend(t, Options{Now: clk.Now})
	now := clk.Now()
	e := backend.Entry{Value: []byte("v"), Written: now, Stale: now.Add(time.Minute), Expire: now.Add(2 * time.Minute), Keep: 30 * time.Second}
	if err := b.Set(ctx, "k", e); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "forever", backend.Entry{Value: []byte("f")}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at    time.Duration
		ok    bool
		state backend.State
	}{
		{0, true, backend.Fresh},
		{time.Minute, true, backend.Stale},
		{2 * time.Minute, true, backend.Expired},
		{2*time.Minute + 30*time.Second - 1, true, backend.Expired},
		{2*time.Minute + 30*time.Second, false, 0},
	}
	for _, st := range steps {
		clk.mu.Lock()
		clk.now = now.Add(st.at)
		clk.mu.Unlock()
		got, ok, err := b.Get(ctx, "k")
		if err != nil || ok != st.ok {
			t.Fatalf("at +%v: Get = %v, %v; want found = %v", st.at, ok, err, st.ok)
		}
		if ok && got.State(clk.Now()) != st.state {
			t.Fatalf("at +%v: state %v, want %v", st.at, got.State(clk.Now()), st.state)
		}
	}
	if deleted, err := b.Delete(ctx, "k"); err != nil || deleted {
		t.Errorf(`Delete("k") past its deadline = %v, %v; want false, nil`, deleted, err)
	}
	if s := b.Stats(); s.Entries != 1 {
		t.Errorf("Stats().Entries past the deadline = %d, want 1 (the entry that never expires)", s.Entries)
	}
	clk.Advance(100 * 365 * 24 * time.Hour)
	if _, ok, _ := b.Get(ctx, "forever"); !ok {
		t.Error(`Get("forever") a century later: miss, want a hit`)
	}
}

func TestNegativeKeep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newTestClock()
	b := newBackend(t, Options{Now: clk.Now})
	now := clk.Now()
	if err := b.Set(ctx, "k", backend.Entry{Expire: now.Add(time.Minute), Keep: -time.Hour}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Get(ctx, "k")
	if err != nil || !ok || got.Keep != 0 {
		t.Fatalf(`Get("k") = Keep %v, %v, %v; want Keep 0`, got.Keep, ok, err)
	}
	clk.Advance(time.Minute)
	if _, ok, _ := b.Get(ctx, "k"); ok {
		t.Fatal(`Get("k") at Expire with negative Keep: hit, want a miss`)
	}
}

// TestSystemClock runs with the default clock (and so otter's background
// clean-up, which Close must stop for the leak check in TestMain).
func TestSystemClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBackend(t, Options{})
	now := time.Now()
	if err := b.Set(ctx, "live", backend.Entry{Value: []byte("v"), Expire: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "past", backend.Entry{Value: []byte("v"), Expire: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Get(ctx, "live"); !ok {
		t.Error(`Get("live"): miss, want a hit`)
	}
	if _, ok, _ := b.Get(ctx, "past"); ok {
		t.Error(`Get("past"): hit, want a miss`)
	}
}

func TestListPurge(t *testing.T) {
	t.Parallel()
	codec := &backend.Codec{Format: backend.FormatJSON, Compression: backend.CompressionGzip}
	for _, c := range []*backend.Codec{nil, codec} {
		t.Run(fmt.Sprintf("codec=%v", c != nil), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := newTestClock()
			b := newBackend(t, Options{Codec: c, Now: clk.Now})
			now := clk.Now()
			value := []byte(strings.Repeat("abc", 100))
			keys := []string{"a/1", "a/2", "a/3", "b/1", "ab"}
			for _, k := range keys {
				if err := b.Set(ctx, k, backend.Entry{Value: value, Written: now, Expire: now.Add(time.Hour), Keep: time.Minute}); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Set(ctx, "a/short", backend.Entry{Value: value, Expire: now.Add(time.Second)}); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)

			got := map[string]backend.KeyInfo{}
			if err := b.List(ctx, "a/", func(k backend.KeyInfo) bool {
				got[k.Key] = k
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf(`List("a/") = %v, want a/1 a/2 a/3`, got)
			}
			for k, info := range got {
				if !info.Written.Equal(now) || !info.Expire.Equal(now.Add(time.Hour)) || info.Keep != time.Minute {
					t.Errorf("KeyInfo of %q = %+v, want the entry's metadata", k, info)
				}
				switch {
				case c == nil && info.Size != len(value):
					t.Errorf("KeyInfo of %q: Size %d, want %d", k, info.Size, len(value))
				case c != nil && (info.Size <= 0 || info.Size >= len(value)):
					t.Errorf("KeyInfo of %q: Size %d, want the compressed size, under %d", k, info.Size, len(value))
				}
			}

			n, err := b.Purge(ctx, "a")
			if err != nil || n != 4 {
				t.Fatalf(`Purge("a") = %d, %v; want 4 (a/1 a/2 a/3 ab), nil`, n, err)
			}
			for _, k := range keys {
				_, ok, _ := b.Get(ctx, k)
				if want := k == "b/1"; ok != want {
					t.Errorf("after Purge: Get(%q) found = %v, want %v", k, ok, want)
				}
			}
			if s := b.Stats(); s.Deletes != 4 {
				t.Errorf("Stats().Deletes = %d, want 4", s.Deletes)
			}
		})
	}
}

func TestListPurgeCanceled(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{})
	for i := range 2 * ctxCheckEvery {
		if err := b.Set(context.Background(), fmt.Sprint(i), backend.Entry{}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.List(ctx, "", func(backend.KeyInfo) bool { return true })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List(canceled) = %v, want context.Canceled", err)
	}
	n, err := b.Purge(ctx, "")
	if !errors.Is(err, context.Canceled) || n >= 2*ctxCheckEvery {
		t.Errorf("Purge(canceled) = %d, %v; want fewer than %d and context.Canceled", n, err, 2*ctxCheckEvery)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "k", backend.Entry{Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("first Close = %v, want nil", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v, want nil (idempotent)", err)
	}
	if _, _, err := b.Get(ctx, "k"); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if err := b.Set(ctx, "k", backend.Entry{}); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Set after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Delete(ctx, "k"); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Delete after Close = %v, want ErrClosed", err)
	}
	if err := b.List(ctx, "", func(backend.KeyInfo) bool { return true }); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("List after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Purge(ctx, ""); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Purge after Close = %v, want ErrClosed", err)
	}
	if s := b.Stats(); s.Entries != 0 || s.Bytes != 0 || s.Sets != 1 {
		t.Errorf("Stats after Close = %+v, want 0 entries, 0 bytes, 1 set", s)
	}
}

func TestStatsCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBackend(t, Options{Codec: &backend.Codec{}})
	_ = b.Set(ctx, "a", backend.Entry{Value: []byte("1")})
	_ = b.Set(ctx, "b", backend.Entry{Value: []byte("2")})
	_, _, _ = b.Get(ctx, "a")
	_, _, _ = b.Get(ctx, "a")
	_, _, _ = b.Get(ctx, "missing")
	_, _ = b.Delete(ctx, "b")
	_, _ = b.Delete(ctx, "b")
	_, _, _ = b.Get(ctx, "")
	b.WriteRaw("bad", []byte("not an entry"))
	if _, ok, err := b.Get(ctx, "bad"); ok || err != nil {
		t.Fatalf(`Get("bad") = %v, %v; want a miss`, ok, err)
	}
	got := b.Stats()
	want := backend.Stats{Label: "memory", Hits: 2, Misses: 2, Sets: 2, Deletes: 1, DecodeErrors: 1, Errors: 1, Entries: 2}
	got.Bytes = 0
	if got.Label != want.Label || got.Hits != want.Hits || got.Misses != want.Misses || got.Sets != want.Sets ||
		got.Deletes != want.Deletes || got.DecodeErrors != want.DecodeErrors || got.Errors != want.Errors || got.Entries != want.Entries {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

// TestZeroCopy checks the raw mode's contract: Get returns the very bytes
// Set was given, and a hit does not allocate.
func TestZeroCopy(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, Options{})
	v := []byte("shared value")
	if err := b.Set(ctx, "k", backend.Entry{Value: v, Expire: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Get(ctx, "k")
	if err != nil || !ok || unsafe.SliceData(got.Value) != unsafe.SliceData(v) {
		t.Fatalf(`Get("k") = %v, %v; want the bytes given to Set, not a copy`, ok, err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok, _ := b.Get(ctx, "k"); !ok {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Errorf("Get hit: %v allocations, want 0", allocs)
	}
}
