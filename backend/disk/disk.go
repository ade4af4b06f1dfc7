package disk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/lifecycle"
	"github.com/hitbox-go/hitbox/internal/store"
)

// Backend is an on-disk [backend.Backend]: one bbolt file, bounded by the
// bytes of its live data. See the package doc for the layout, the bounds,
// expiry and crash safety.
//
// Get copies the value out of the file (bbolt's memory is valid only inside
// its transaction): the returned Value belongs to the caller. Set encodes
// the entry before it returns and does not keep e.Value.
//
// A Backend is safe for concurrent use: reads run in parallel read-only
// transactions, writes are grouped into shared transactions (one fsync per
// group). It implements [backend.Lister], [backend.Purger],
// [backend.Tagger] (the marks in a bucket of the file, read through a copy
// in memory), [backend.StatsReporter] and [backend.Labeled]. Close it to stop its sweep
// and release the file; afterwards every method returns an error wrapping
// [backend.ErrClosed].
type Backend struct {
	db       *bolt.DB
	codec    backend.Codec
	now      func() time.Time   // Options.Now, when set
	coarse   *otter.CoarseClock // the system clock's cached reading; nil with Options.Now
	label    string
	path     string
	maxBytes int64
	closed   atomic.Bool

	// marks is the tags bucket in memory, read without a transaction.
	marks     backend.TagMarks
	retention int64               // Options.TagRetention in nanoseconds (0: none)
	prune     store.PruneSchedule // when InvalidateTags prunes

	ops store.Counters
	// entries and bytes mirror the live totals of the last commit.
	entries, bytes atomic.Int64
	// commits counts the write transactions committed.
	commits atomic.Uint64

	// The group commit (see write).
	mu      sync.Mutex // guards queue and leading
	queue   []*op      // writes waiting for the next transaction
	leading bool       // a writer is committing; the next one waits for its turn

	stopSweep context.CancelFunc
	sweeping  lifecycle.Group // the sweep goroutine
}

// New opens (creating when missing) the file at o.Path and returns a Backend
// over it, or an error: for invalid Options, and for a file it cannot use,
// with the file's path and what to do (wrapping [ErrFileLocked],
// [ErrCorrupt] or [ErrFormat] for those cases). A file holding more than
// MaxBytes (written under a larger budget) is brought within it at once.
// Unless SweepInterval is negative, New starts the sweep goroutine, which
// drops at once what expired while the file was closed.
func New(o Options) (*Backend, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	db, err := openDB(&o)
	if err != nil {
		return nil, err
	}
	b := &Backend{
		db:        db,
		codec:     o.Codec,
		now:       o.Now,
		label:     o.Label,
		path:      o.Path,
		maxBytes:  o.MaxBytes,
		retention: int64(o.TagRetention),
	}
	if b.now == nil {
		b.coarse = otter.NewCoarseClock(ClockResolution)
	}
	err = db.View(func(tx *bolt.Tx) error {
		count, size := readTotals(tx.Bucket(metaBucket))
		b.entries.Store(count)
		b.bytes.Store(size)
		return b.loadMarks(tx)
	})
	if err == nil && b.bytes.Load() > b.maxBytes {
		// Opened with a smaller budget than the file was written
		// under: evict down to it now (update evicts on every commit).
		err = b.update(func(*writer) error { return nil })
	}
	if err != nil {
		if b.coarse != nil {
			b.coarse.Stop()
		}
		_ = db.Close()
		return nil, fmt.Errorf("disk: %s: %w", o.Path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopSweep = cancel
	if o.SweepInterval > 0 {
		b.sweeping.Add()
		go b.sweepEvery(ctx, o.SweepInterval)
	}
	return b, nil
}

// nowNano reads the Backend's clock, in Unix nanoseconds.
func (b *Backend) nowNano() int64 {
	if b.coarse != nil {
		return b.coarse.NowNano()
	}
	return b.now().UnixNano()
}

func (b *Backend) fail(op string, err error) error {
	b.ops.Errors.Add(1)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		err = backend.ErrClosed
	}
	return fmt.Errorf("%s: %s: %w", b.label, op, err)
}

// checkKey rejects the keys the file cannot hold.
func checkKey(key string) error {
	switch {
	case key == "":
		return backend.ErrInvalidKey
	case len(key) > maxKeySize:
		return fmt.Errorf("key of %d bytes, at most %d: %w", len(key), maxKeySize, backend.ErrInvalidKey)
	}
	return nil
}

// keyBytes returns key's bytes without a copy, for bbolt lookups that only
// read them.
func keyBytes(key string) []byte { return unsafe.Slice(unsafe.StringData(key), len(key)) }

// Get returns the entry under key. An entry past its deadline (on
// Options.Now), or a record the Codec cannot decode (torn, flipped: counted
// in Stats.DecodeErrors), is a miss. The Value is a copy the caller owns.
// ctx is not used (nil is fine): a read never waits for writers.
func (b *Backend) Get(_ context.Context, key string) (backend.Entry, bool, error) {
	if err := checkKey(key); err != nil {
		return backend.Entry{}, false, b.fail("get", err)
	}
	if b.closed.Load() {
		return backend.Entry{}, false, b.fail("get", backend.ErrClosed)
	}
	e, found, err := b.get(key)
	switch {
	case err != nil:
		return backend.Entry{}, false, b.fail("get", err)
	case !found:
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	}
	b.ops.Hits.Add(1)
	return e, true, nil
}

func (b *Backend) get(key string) (e backend.Entry, found bool, err error) {
	tx, err := b.db.Begin(false)
	if err != nil {
		return backend.Entry{}, false, err
	}
	defer recoverCorrupt(&err)
	defer func() { _ = tx.Rollback() }()
	entries := tx.Bucket(entriesBucket)
	if entries == nil {
		return backend.Entry{}, false, fmt.Errorf("no entries bucket: %w", ErrCorrupt)
	}
	v := entries.Get(keyBytes(key))
	if v == nil {
		return backend.Entry{}, false, nil
	}
	r, ok := parseRecord(v)
	if ok && r.deadline <= b.nowNano() {
		return backend.Entry{}, false, nil
	}
	if ok {
		// Decode copies the value out of bbolt's memory.
		e, err = b.codec.Decode(v[recordHeader:])
	}
	if !ok || err != nil || e.DeadlineNano() != r.deadline {
		b.ops.DecodeErrors.Add(1)
		return backend.Entry{}, false, nil
	}
	return e, true, nil
}

// recoverCorrupt turns a panic of bbolt over a damaged page into an error.
func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: %v", ErrCorrupt, p)
	}
}

// Set stores e under key, replacing any previous entry, and returns once
// the write is committed to the file (fsync'ed, grouped with the writes of
// other goroutines). A negative Keep counts as zero. An entry already past
// its deadline is not stored and the previous entry stays (a no-op). An
// entry heavier than MaxBytes gives an error wrapping [backend.ErrTooLarge]
// and leaves the previous entry. Storing may evict other entries (see
// [Options.MaxBytes]). ctx is not used (nil is fine): the write is local
// and ends with its group's commit. Like memory's, a write is not cut short
// by a done context, so that the layers of a composition stay alike.
func (b *Backend) Set(_ context.Context, key string, e backend.Entry) error {
	if err := checkKey(key); err != nil {
		return b.fail("set", err)
	}
	if b.closed.Load() {
		return b.fail("set", backend.ErrClosed)
	}
	if e.Keep < 0 {
		e.Keep = 0
	}
	deadline := e.DeadlineNano()
	if deadline <= b.nowNano() {
		return nil // past its deadline: e.Gone(now)
	}
	rec := make([]byte, recordHeader, recordHeader+len(e.Value)+128)
	binary.BigEndian.PutUint64(rec, sortable(deadline))
	rec, err := b.codec.Encode(rec, e)
	if err != nil {
		return b.fail("set", err)
	}
	if w := weight(len(key), len(rec)); w > b.maxBytes || len(rec) > bolt.MaxValueSize {
		return b.fail("set", fmt.Errorf("entry of %d bytes over the %d-byte budget: %w", w, b.maxBytes, backend.ErrTooLarge))
	}
	k := []byte(key)
	if err := b.write(func(w *writer) error { return w.put(k, rec) }); err != nil {
		return b.fail("set", err)
	}
	b.ops.Sets.Add(1)
	return nil
}

// Delete removes the entry under key and reports whether a live one (not
// past its deadline) was there. ctx is not used, as for Set.
func (b *Backend) Delete(_ context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, b.fail("delete", err)
	}
	if b.closed.Load() {
		return false, b.fail("delete", backend.ErrClosed)
	}
	k := []byte(key)
	var deleted bool
	err := b.write(func(w *writer) error {
		r, found, err := w.remove(k)
		deleted = found && r.deadline > w.now
		return err
	})
	if err != nil {
		return false, b.fail("delete", err)
	}
	if deleted {
		b.ops.Deletes.Add(1)
	}
	return deleted, nil
}

func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

// Stats returns the Backend's counters. Entries and Bytes are the live
// totals of the last commit (see [Options.MaxBytes] for what an entry
// weighs); they include entries past their deadline that no sweep has
// dropped yet.
func (b *Backend) Stats() backend.Stats {
	return b.ops.Stats(b.label, max(b.entries.Load(), 0), max(b.bytes.Load(), 0))
}

// Label returns the Backend's label ("disk" unless Options.Label says
// otherwise).
func (b *Backend) Label() string { return b.label }

// Path returns the file the Backend keeps its entries in.
func (b *Backend) Path() string { return b.path }

// Close stops the sweep, waits for the calls in flight and closes the file;
// the entries stay in it for the next New. When ctx ends first, Close
// returns ctx's error and the file is closed as soon as those calls finish.
// The first call returns nil (or the file's close error); Close is
// idempotent: later calls return nil. Every other method afterwards
// returns an error wrapping [backend.ErrClosed]; Stats, Label and Path
// still work.
func (b *Backend) Close(ctx context.Context) error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	b.stopSweep()
	return lifecycle.CloseWith(ctx, b.label, &b.sweeping, func() error {
		if b.coarse != nil {
			b.coarse.Stop()
		}
		if err := b.db.Close(); err != nil {
			return fmt.Errorf("%s: %w", b.path, err)
		}
		return nil
	})
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.Lister        = (*Backend)(nil)
	_ backend.Purger        = (*Backend)(nil)
	_ backend.StatsReporter = (*Backend)(nil)
	_ backend.Labeled       = (*Backend)(nil)
	_ backend.Tagger        = (*Backend)(nil)
)
