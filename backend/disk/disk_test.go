package disk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
)

var start = time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustSet(t *testing.T, b *Backend, key string, e backend.Entry) {
	t.Helper()
	if err := b.Set(t.Context(), key, e); err != nil {
		t.Fatalf("Set(%q) = %v", key, err)
	}
}

// present reports whether key is a hit.
func present(t *testing.T, b *Backend, key string) bool {
	t.Helper()
	_, ok, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q) = %v", key, err)
	}
	return ok
}

// TestEvictionExpiredFirstThenOldestWritten fills a small budget, lets some
// entries pass their deadline, and checks what goes when new writes need
// room: the entries past their deadline first (not counted as evictions),
// then the least recently written.
func TestEvictionExpiredFirstThenOldestWritten(t *testing.T) {
	t.Parallel()
	clock := backendtest.NewClock(start)
	value := make([]byte, 1000)
	entry := func(expire time.Duration) backend.Entry {
		return backend.Entry{Value: value, Written: start, Expire: start.Add(expire)}
	}
	// One entry's weight, from a store of its own.
	probe := newBackend(t, Options{Now: clock.Now, SweepInterval: -1})
	mustSet(t, probe, "e0", entry(time.Minute))
	w := probe.Stats().Bytes
	budget := 10*w + w/2

	b := newBackend(t, Options{Now: clock.Now, MaxBytes: budget, SweepInterval: -1})
	for i := range 4 {
		mustSet(t, b, fmt.Sprintf("e%d", i), entry(time.Minute)) // past their deadline soon
	}
	for i := range 6 {
		mustSet(t, b, fmt.Sprintf("l%d", i), entry(time.Hour))
	}
	if st := b.Stats(); st.Entries != 10 || st.Bytes != 10*w {
		t.Fatalf("after 10 writes: Stats() entries %d, bytes %d; want 10, %d", st.Entries, st.Bytes, 10*w)
	}
	clock.Advance(2 * time.Minute)
	for i := range 4 {
		mustSet(t, b, fmt.Sprintf("n%d", i), entry(time.Hour))
	}
	for i := range 6 {
		if !present(t, b, fmt.Sprintf("l%d", i)) {
			t.Fatalf("l%d was evicted while entries past their deadline remained", i)
		}
	}
	if st := b.Stats(); st.Evictions != 0 || st.Entries != 10 {
		t.Fatalf("after dropping the 4 entries past their deadline: Stats() evictions %d, entries %d; want 0, 10", st.Evictions, st.Entries)
	}
	mustSet(t, b, "n4", entry(time.Hour))
	mustSet(t, b, "n5", entry(time.Hour))
	for _, k := range []string{"l0", "l1"} {
		if present(t, b, k) {
			t.Errorf("%s, the least recently written, is still there", k)
		}
	}
	for _, k := range []string{"l2", "l3", "l4", "l5", "n0", "n1", "n2", "n3", "n4", "n5"} {
		if !present(t, b, k) {
			t.Errorf("%s was evicted, want the least recently written to go first", k)
		}
	}
	st := b.Stats()
	if st.Evictions != 2 || st.Entries != 10 || st.Bytes > budget {
		t.Errorf("Stats() evictions %d, entries %d, bytes %d; want 2, 10, at most %d", st.Evictions, st.Entries, st.Bytes, budget)
	}
	// Rewriting refreshes an entry's place in the write order.
	mustSet(t, b, "l2", entry(time.Hour))
	mustSet(t, b, "n6", entry(time.Hour))
	if !present(t, b, "l2") || present(t, b, "l3") {
		t.Errorf("after rewriting l2: l2 present %v, l3 present %v; want l3 evicted in its place", present(t, b, "l2"), present(t, b, "l3"))
	}
}

func TestSetTooLargeKeepsOldEntry(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{MaxBytes: 4096})
	old := backend.Entry{Value: []byte("old")}
	mustSet(t, b, "k", old)
	err := b.Set(t.Context(), "k", backend.Entry{Value: make([]byte, 8192)})
	if !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Set of 8 KiB over a 4 KiB budget = %v, want an error wrapping backend.ErrTooLarge", err)
	}
	if e, ok, err := b.Get(t.Context(), "k"); err != nil || !ok || string(e.Value) != "old" {
		t.Fatalf("Get after a refused Set = %q, %v, %v; want the old entry", e.Value, ok, err)
	}
	long := string(make([]byte, maxKeySize+1))
	if err := b.Set(t.Context(), long, old); !errors.Is(err, backend.ErrInvalidKey) {
		t.Fatalf("Set of a %d-byte key = %v, want an error wrapping backend.ErrInvalidKey", len(long), err)
	}
}

// TestRestartKeepsEntriesAndDeadlines closes a store and opens its file
// again an hour later: live entries come back with their metadata, entries
// past their deadline are misses and go at the next sweep, and the totals
// survive.
func TestRestartKeepsEntriesAndDeadlines(t *testing.T) {
	t.Parallel()
	clock := backendtest.NewClock(start)
	path := filepath.Join(t.TempDir(), "restart.db")
	entries := map[string]backend.Entry{
		"live":  {Value: []byte("live"), Written: start, Stale: start.Add(time.Hour), Expire: start.Add(2 * time.Hour), Keep: time.Hour},
		"kept":  {Value: []byte("kept"), Written: start, Expire: start.Add(30 * time.Minute), Keep: 2 * time.Hour},
		"short": {Value: []byte("short"), Written: start, Expire: start.Add(10 * time.Minute)},
		"never": {Value: []byte("never"), Written: start},
	}
	first := newBackend(t, Options{Path: path, Now: clock.Now})
	for k, e := range entries {
		mustSet(t, first, k, e)
	}
	before := first.Stats()
	if err := first.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	now := clock.Advance(time.Hour)
	b := newBackend(t, Options{Path: path, Now: clock.Now, SweepInterval: -1})
	if st := b.Stats(); st.Entries != before.Entries || st.Bytes != before.Bytes {
		t.Fatalf("after reopening: Stats() entries %d, bytes %d; want %d, %d as before", st.Entries, st.Bytes, before.Entries, before.Bytes)
	}
	for k, want := range map[string]backend.State{"live": backend.Stale, "kept": backend.Expired, "never": backend.Fresh} {
		got, ok, err := b.Get(t.Context(), k)
		if err != nil || !ok {
			t.Fatalf("Get(%q) after reopening = %v, %v; want a hit", k, ok, err)
		}
		e := entries[k]
		if string(got.Value) != string(e.Value) || !got.Written.Equal(e.Written) || !got.Stale.Equal(e.Stale) || !got.Expire.Equal(e.Expire) || got.Keep != e.Keep {
			t.Errorf("Get(%q) after reopening = %+v, want %+v", k, got, e)
		}
		if s := got.State(now); s != want {
			t.Errorf("Get(%q) after reopening: state %v, want %v", k, s, want)
		}
	}
	if present(t, b, "short") {
		t.Error(`"short" is served after its deadline passed while the file was closed`)
	}
	if n, err := b.Sweep(t.Context()); n != 1 || err != nil {
		t.Errorf("Sweep = %d, %v; want 1, nil", n, err)
	}
	clock.Advance(2 * time.Hour) // start+3h: live's and kept's deadlines have passed
	for _, k := range []string{"live", "kept"} {
		if present(t, b, k) {
			t.Errorf("%q is served past its deadline", k)
		}
	}
	if n, err := b.Sweep(t.Context()); n != 2 || err != nil {
		t.Errorf("Sweep at start+3h = %d, %v; want 2, nil", n, err)
	}
	if st := b.Stats(); st.Entries != 1 {
		t.Errorf("Stats().Entries = %d after the sweeps, want 1 (never)", st.Entries)
	}
}

// TestBackgroundSweep checks that the sweep goroutine deletes the entries
// past their deadline, index included, and that Close stops it (TestMain's
// leak check).
func TestBackgroundSweep(t *testing.T) {
	t.Parallel()
	clock := backendtest.NewClock(start)
	b := newBackend(t, Options{Now: clock.Now, SweepInterval: time.Millisecond})
	for i := range 50 {
		mustSet(t, b, fmt.Sprintf("short/%d", i), backend.Entry{Value: []byte("v"), Expire: start.Add(time.Minute)})
	}
	mustSet(t, b, "stay", backend.Entry{Value: []byte("v"), Expire: start.Add(time.Hour)})
	clock.Advance(2 * time.Minute)
	waitFor(t, "the sweep drops the 50 entries past their deadline", func() bool { return b.Stats().Entries == 1 })
	err := b.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(expiryBucket).Stats().KeyN; n != 1 {
			return fmt.Errorf("expiry index holds %d keys, want 1", n)
		}
		if n := tx.Bucket(orderBucket).Stats().KeyN; n != 1 {
			return fmt.Errorf("write order holds %d keys, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !present(t, b, "stay") {
		t.Fatal(`the sweep dropped "stay", whose deadline is ahead`)
	}
}

// inGroup runs the writes as one group: it holds the lead as a committing
// writer does, starts every write, waits until all are queued, hands the
// lead to the first and waits for all to return. It returns each write's
// error and the number of commits they took.
func inGroup(t *testing.T, b *Backend, writes ...func() error) ([]error, uint64) {
	t.Helper()
	b.mu.Lock()
	b.leading = true
	b.mu.Unlock()
	before := b.commits.Load()
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { errs[i] = w() })
	}
	waitFor(t, fmt.Sprintf("%d writes queued", len(writes)), func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.queue) == len(writes)
	})
	b.mu.Lock()
	b.queue[0].done <- result{lead: true}
	b.mu.Unlock()
	wg.Wait()
	return errs, b.commits.Load() - before
}

// TestGroupCommitOneTransaction checks that writes queued while another
// commits go together in one transaction, and that an op failing inside a
// group fails alone.
func TestGroupCommitOneTransaction(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{SweepInterval: -1})
	const n = 16
	sets := func(prefix string) []func() error {
		var ws []func() error
		for i := range n {
			ws = append(ws, func() error {
				return b.Set(t.Context(), fmt.Sprintf("%s%d", prefix, i), backend.Entry{Value: []byte("v")})
			})
		}
		return ws
	}
	check := func(prefix string, errs []error) {
		t.Helper()
		for i, err := range errs[:n] {
			if err != nil {
				t.Errorf("Set(%s%d) = %v, want nil", prefix, i, err)
			}
			if !present(t, b, fmt.Sprintf("%s%d", prefix, i)) {
				t.Errorf("%s%d missing after its Set returned", prefix, i)
			}
		}
	}

	errs, commits := inGroup(t, b, sets("g")...)
	check("g", errs)
	if commits != 1 {
		t.Errorf("%d queued writes took %d commits, want 1", n, commits)
	}

	boom := errors.New("boom")
	errs, commits = inGroup(t, b, append(sets("k"), func() error { return b.write(func(*writer) error { return boom }) })...)
	check("k", errs)
	if !errors.Is(errs[n], boom) {
		t.Errorf("the failing op returned %v, want boom", errs[n])
	}
	// The group rolled back, then each op ran alone: the 16 Sets commit.
	if commits != n {
		t.Errorf("a group with a failing op took %d commits, want %d (one per other op)", commits, n)
	}
}

// TestListAndPurgeAcrossChunks lists more entries than one read
// transaction holds while fn deletes each (fn may call the Backend), and
// purges more than one write transaction deletes.
func TestListAndPurgeAcrossChunks(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{SweepInterval: -1})
	const n = 2*purgeChunk + 100
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				mustSet(t, b, fmt.Sprintf("p/%05d", i), backend.Entry{Value: []byte("v")})
			}
		})
	}
	wg.Wait()
	mustSet(t, b, "q", backend.Entry{Value: []byte("v")})
	listed := 0
	err := b.List(t.Context(), "p/", func(k backend.KeyInfo) bool {
		if want := fmt.Sprintf("p/%05d", listed); k.Key != want {
			t.Fatalf("List: entry %d is %q, want %q", listed, k.Key, want)
		}
		if listed < listChunk+10 {
			if ok, err := b.Delete(t.Context(), k.Key); !ok || err != nil {
				t.Fatalf("Delete(%q) inside List = %v, %v", k.Key, ok, err)
			}
		}
		listed++
		return true
	})
	if err != nil || listed != n {
		t.Fatalf("List = %v after %d entries, want nil after %d", err, listed, n)
	}
	got, err := b.Purge(t.Context(), "p/")
	if want := n - listChunk - 10; got != want || err != nil {
		t.Fatalf("Purge(p/) = %d, %v; want %d, nil", got, err, want)
	}
	if st := b.Stats(); st.Entries != 1 || !present(t, b, "q") {
		t.Fatalf("after Purge(p/): %d entries, q present %v; want q alone", st.Entries, present(t, b, "q"))
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{})
	mustSet(t, b, "k", backend.Entry{Value: []byte("v")})
	if err := b.Close(t.Context()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := b.Close(t.Context()); err != nil {
		t.Errorf("second Close = %v, want nil (idempotent)", err)
	}
	ctx := t.Context()
	_, _, getErr := b.Get(ctx, "k")
	_, delErr := b.Delete(ctx, "k")
	_, purgeErr := b.Purge(ctx, "")
	_, sweepErr := b.Sweep(ctx)
	for name, err := range map[string]error{
		"Get": getErr, "Set": b.Set(ctx, "k", backend.Entry{}), "Delete": delErr,
		"List":  b.List(ctx, "", func(backend.KeyInfo) bool { return true }),
		"Purge": purgeErr, "Sweep": sweepErr,
	} {
		if !errors.Is(err, backend.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping backend.ErrClosed", name, err)
		}
	}
	if st := b.Stats(); st.Sets != 1 || b.Label() != "disk" {
		t.Errorf("after Close: Stats().Sets = %d, Label %q; want 1, disk", st.Sets, b.Label())
	}
}

// TestFileSizeAfterFourTimesBudget writes four times the budget in distinct
// keys and checks that the file stays near the budget: evictions free
// pages that later writes reuse.
func TestFileSizeAfterFourTimesBudget(t *testing.T) {
	t.Parallel()
	const budget = 4 << 20
	b := newBackend(t, Options{MaxBytes: budget, SweepInterval: -1})
	size := writeBudgetTimes(t, b, budget, 4)
	st := b.Stats()
	used := highWater(b)
	t.Logf("budget %d: live %d bytes in %d entries, %d evictions; file %d bytes (%.2f× the budget), %d in use (%.2f×)",
		budget, st.Bytes, st.Entries, st.Evictions, size, float64(size)/budget, used, float64(used)/budget)
	if st.Bytes > budget {
		t.Errorf("live bytes %d over the budget %d", st.Bytes, budget)
	}
	if size > 2*budget {
		t.Errorf("file of %d bytes after writing 4× a %d-byte budget, want at most 2× the budget (freed pages reused)", size, budget)
	}
}

// writeBudgetTimes writes times × budget bytes of 4 KiB values under
// distinct keys from 8 goroutines and returns the file's size.
func writeBudgetTimes(t testing.TB, b *Backend, budget, times int) int64 {
	t.Helper()
	const valueSize = 4 << 10
	n := times * budget / valueSize
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			v := make([]byte, valueSize)
			for i := w; i < n; i += 8 {
				copy(v, fmt.Sprintf("%08d", i))
				if err := b.Set(context.Background(), fmt.Sprintf("fill/%08d", i), backend.Entry{Value: v}); err != nil {
					t.Errorf("Set = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	fi, err := os.Stat(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// highWater returns the size of the file's used pages.
func highWater(b *Backend) int64 {
	var used int64
	_ = b.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	return used
}

// TestDefaultCodecMsgPack checks that a zero Codec stores MessagePack, and
// that a file written under one codec reads under another (the header
// says the format).
func TestDefaultCodecMsgPack(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "codec.db")
	b := newBackend(t, Options{Path: path})
	mustSet(t, b, "k", backend.Entry{Value: []byte("v")})
	if raw := readRaw(t, b, "k"); len(raw) < 4 || raw[3] != byte(backend.FormatMsgPack) {
		t.Fatalf("stored header %q, want the MessagePack format byte %d", raw[:min(len(raw), 9)], backend.FormatMsgPack)
	}
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	j := newBackend(t, Options{Path: path, Codec: backend.Codec{Format: backend.FormatJSON}})
	if e, ok, err := j.Get(t.Context(), "k"); err != nil || !ok || string(e.Value) != "v" {
		t.Fatalf("Get under a JSON codec of a MessagePack entry = %q, %v, %v; want v", e.Value, ok, err)
	}
}

// TestSystemClockDeadline checks the store on the system clock (its cached
// reading): an entry is served before its deadline and not after.
func TestSystemClockDeadline(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{})
	const life = time.Second
	now := time.Now()
	mustSet(t, b, "k", backend.Entry{Value: []byte("v"), Expire: now.Add(life)})
	// On a loaded machine the write itself may outlast the deadline: the
	// entry must be there only if the deadline has not passed yet.
	if !present(t, b, "k") && time.Since(now) < life {
		t.Fatal("entry missing before its deadline")
	}
	waitFor(t, "the entry is a miss after its deadline", func() bool { return !present(t, b, "k") })
	if d := time.Since(now); d < life {
		t.Fatalf("the entry went after %v, before its %v deadline", d, life)
	}
}

// TestReopenWithSmallerBudget opens a file with a budget smaller than what
// it holds: New evicts down to it, least recently written first.
func TestReopenWithSmallerBudget(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shrink.db")
	big := newBackend(t, Options{Path: path})
	for i := range 20 {
		mustSet(t, big, fmt.Sprintf("k%02d", i), backend.Entry{Value: make([]byte, 1000)})
	}
	w := big.Stats().Bytes / 20
	if err := big.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	budget := 5*w + w/2
	b := newBackend(t, Options{Path: path, MaxBytes: budget})
	if st := b.Stats(); st.Bytes > budget || st.Entries != 5 || st.Evictions != 15 {
		t.Fatalf("after reopening under a %d-byte budget: Stats() bytes %d, entries %d, evictions %d; want at most %d, 5, 15", budget, st.Bytes, st.Entries, st.Evictions, budget)
	}
	if !present(t, b, "k19") || present(t, b, "k14") {
		t.Fatalf("after reopening: k19 present %v, k14 present %v; want the 5 most recently written kept", present(t, b, "k19"), present(t, b, "k14"))
	}
}

// TestDamagedIndexesKeepLiveEntries plants index entries that do not match
// the entries (as a damaged file could hold): the sweep and eviction drop
// them without touching the live entries they name.
func TestDamagedIndexesKeepLiveEntries(t *testing.T) {
	t.Parallel()
	clock := backendtest.NewClock(start)
	b := newBackend(t, Options{Now: clock.Now, SweepInterval: -1})
	mustSet(t, b, "live", backend.Entry{Value: []byte("v"), Expire: start.Add(time.Hour)})
	err := b.db.Update(func(tx *bolt.Tx) error {
		// An expiry entry for "live" with a deadline already past, and
		// a write-order entry older than its real one.
		if err := tx.Bucket(expiryBucket).Put(expiryKey(start.Add(-time.Hour).UnixNano(), []byte("live")), nil); err != nil {
			return err
		}
		return tx.Bucket(orderBucket).Put(u64(0), []byte("live"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.Sweep(t.Context()); n != 0 || err != nil {
		t.Fatalf("Sweep over a stale index entry = %d, %v; want 0, nil", n, err)
	}
	if !present(t, b, "live") {
		t.Fatal("the sweep dropped a live entry a stale index entry named")
	}
	// Evicting one entry to make room must skip the stale order entry
	// and drop the real least recently written: "live" itself.
	w := b.Stats().Bytes
	b.maxBytes = w + w/2
	mustSet(t, b, "next", backend.Entry{Value: []byte("v"), Expire: start.Add(time.Hour)})
	if present(t, b, "live") || !present(t, b, "next") {
		t.Fatalf("after an eviction: live present %v, next present %v; want live evicted, next kept", present(t, b, "live"), present(t, b, "next"))
	}
	if st := b.Stats(); st.Entries != 1 || st.Evictions != 1 {
		t.Fatalf("Stats() entries %d, evictions %d; want 1, 1", st.Entries, st.Evictions)
	}
}
