package memory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/store"
)

// DefaultMaxBytes is the budget of a Backend whose Options set neither
// MaxBytes nor MaxEntries: 256 MiB.
const DefaultMaxBytes = 256 << 20

// EntryOverhead is the fixed number of bytes every entry weighs besides its
// key and value: an estimate of the cache's node, its table slot and the
// entry's metadata.
const EntryOverhead = 256

// ClockResolution is how often a Backend on the system clock refreshes its
// reading of it: such a Backend may serve an entry up to this long past its
// deadline, and stores an entry whose deadline passed less than this long
// ago (it expires at the next refresh).
const ClockResolution = time.Millisecond

// maxWeight is the largest weight the cache can record for one entry.
const maxWeight = math.MaxUint32

// Options configures a [Backend]. The zero Options is a 256 MiB store of
// entries kept as they are, on the system clock.
type Options struct {
	// MaxBytes bounds the total weight of the entries: key + value +
	// [EntryOverhead] each, the value counted after encoding when a Codec
	// is set. 0 means [DefaultMaxBytes] unless MaxEntries is set; negative
	// is an error. A single entry heavier than MaxBytes (or than 4 GiB) is
	// refused with an error wrapping [backend.ErrTooLarge].
	MaxBytes int64
	// MaxEntries bounds the number of entries instead (hitbox's
	// max_capacity). It excludes MaxBytes: setting both is an error, and
	// with MaxEntries alone the store has no byte budget (bytes are still
	// counted in [Backend.Stats]). 0 means unset; negative is an error.
	MaxEntries int
	// Codec, when set, stores each entry encoded (and compressed) by it:
	// less memory for compressible values, at the price of a decode on
	// every hit. Nil stores entries as they are, sharing the caller's
	// Value with no copy (see [Backend]).
	Codec *backend.Codec
	// Now is the clock every expiry decision reads, on every call; tests
	// pass a clock they drive. With a custom clock, expired entries are
	// cleaned up during later reads and writes rather than by a background
	// tick. Nil means the system clock, read through a cached reading that
	// a background goroutine refreshes every millisecond (see
	// [ClockResolution]): reading the system clock on every Get would cost
	// more than the rest of the hit.
	Now func() time.Time
	// Label names the store in stats and errors; empty means "memory".
	Label string
	// TagRetention bounds how long the store keeps a tag's invalidation
	// mark ([Backend.InvalidateTags]). Marks are pruned once older than
	// the longest lifetime (Written to deadline) of any tagged entry the
	// store has accepted, since no entry they could invalidate can still
	// be there; a tagged entry that never expires keeps every mark. A
	// positive TagRetention prunes marks older than it as well. Pruning
	// leaves a floor (see [backend.TagMarks]): a tagged entry written
	// before the pruned horizon reads as invalidated, so an entry living
	// longer than TagRetention is dropped early rather than served past a
	// purge. 0 means no such bound; negative is an error.
	TagRetention time.Duration
}

func (o *Options) validate() error {
	if o.MaxBytes < 0 {
		return fmt.Errorf("memory: negative MaxBytes %d", o.MaxBytes)
	}
	if o.MaxEntries < 0 {
		return fmt.Errorf("memory: negative MaxEntries %d", o.MaxEntries)
	}
	if o.TagRetention < 0 {
		return fmt.Errorf("memory: negative TagRetention %v", o.TagRetention)
	}
	if o.MaxBytes > 0 && o.MaxEntries > 0 {
		return errors.New("memory: set MaxBytes or MaxEntries, not both")
	}
	if o.Codec != nil {
		if err := o.Codec.Validate(); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}
	return nil
}

// setDefaults fills the zero fields of a validated Options.
func (o *Options) setDefaults() {
	if o.MaxBytes == 0 && o.MaxEntries == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Label == "" {
		o.Label = "memory"
	}
}

// item is what the cache holds for one key.
type item struct {
	// entry is the entry as Set got it (Keep not negative). With a codec,
	// its Value is the encoded entry; the rest stays for List.
	entry backend.Entry
	// deadline is entry.Deadline() in Unix nanoseconds (see backend.Entry.DeadlineNano).
	deadline int64
}

// weight is what the entry under key weighs against the budget.
func weight(key string, it *item) int64 {
	w := int64(len(key)) + int64(len(it.entry.Value)) + EntryOverhead
	for _, t := range it.entry.Tags {
		w += int64(len(t)) + 16 // the string header
	}
	return w
}

// Backend is an in-memory [backend.Backend] bounded by bytes (or by entries),
// built on otter: a concurrent hash table with W-TinyLFU eviction and a
// timer wheel that drops each entry at its deadline ([backend.Entry.Deadline]).
//
// Without a Codec, Set keeps e.Value itself and Get returns it, shared: the
// caller must not modify a Value after Set, nor the Value Get returns. This
// is what makes a hit allocation-free.
//
// A Backend is safe for concurrent use. It implements [backend.Lister],
// [backend.Purger], [backend.Tagger], [backend.StatsReporter] and
// [backend.Labeled]. Close it
// to stop its goroutines; afterwards every method returns an error wrapping
// [backend.ErrClosed].
type Backend struct {
	cache    *otter.Cache[string, *item]
	codec    *backend.Codec     // nil: entries kept as they are
	coarse   *otter.CoarseClock // the system clock's cached reading; nil with Options.Now
	now      func() time.Time   // Options.Now, when set
	label    string
	maxBytes int64 // 0 with MaxEntries
	closed   atomic.Bool

	// tags are the tag invalidation marks, kept apart from the entries
	// (the byte budget never evicts them), pruned past the longest
	// lifetime of a tagged entry the store accepted and TagRetention.
	tags store.AgedMarks

	// The striped counters of the hot paths; their stripes live apart.
	hits, misses, sets counter

	// The counters below change on rarer events; the padding keeps their
	// writes off the cache line of the fields above, which every call reads.
	_            [64]byte
	deletes      atomic.Uint64
	evictions    atomic.Uint64
	decodeErrors atomic.Uint64
	errors       atomic.Uint64
	// bytes is the total weight, kept only with MaxEntries (otter weighs
	// entries itself under MaxBytes).
	bytes atomic.Int64
}

// New returns a Backend configured by o, or an error for invalid Options.
func New(o Options) (*Backend, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	b := &Backend{
		label:    o.Label,
		maxBytes: o.MaxBytes,
		hits:     newCounter(),
		misses:   newCounter(),
		sets:     newCounter(),
	}
	b.tags.Retention = int64(o.TagRetention)
	if o.Codec != nil {
		c := *o.Codec
		b.codec = &c
	}
	oo := &otter.Options[string, *item]{
		ExpiryCalculator: otter.ExpiryWritingFunc(expiresAfter),
		OnAtomicDeletion: b.onDeletion,
	}
	if o.Now != nil {
		b.now = o.Now
		oo.Clock = clock{now: o.Now}
	} else {
		b.coarse = otter.NewCoarseClock(ClockResolution)
		oo.Clock = b.coarse
	}
	if o.MaxBytes > 0 {
		oo.MaximumWeight = uint64(o.MaxBytes)
		oo.Weigher = weigh
	} else {
		oo.MaximumSize = o.MaxEntries
	}
	c, err := otter.New(oo)
	if err != nil {
		if b.coarse != nil {
			b.coarse.Stop()
		}
		return nil, fmt.Errorf("memory: %w", err)
	}
	b.cache = c
	return b, nil
}

// expiresAfter tells otter when to drop an entry: at its deadline exactly,
// since the write's clock reading is the entry's snapshot time. An entry
// already past it (the clock moved since Set checked) expires at once.
func expiresAfter(e otter.Entry[string, *item]) time.Duration {
	deadline, now := e.Value.deadline, e.SnapshotAtNano
	if deadline == math.MaxInt64 || (now < 0 && deadline > math.MaxInt64+now) {
		return math.MaxInt64 // never, or beyond what an int64 can say
	}
	if deadline <= now {
		return 1
	}
	return time.Duration(deadline - now)
}

func weigh(key string, it *item) uint32 { return uint32(min(weight(key, it), maxWeight)) }

// onDeletion runs for every removal and replacement, under the key's lock.
func (b *Backend) onDeletion(e otter.DeletionEvent[string, *item]) {
	if e.Cause == otter.CauseOverflow {
		b.evictions.Add(1)
	}
	if b.maxBytes == 0 {
		b.bytes.Add(-weight(e.Key, e.Value))
	}
}

// clock adapts Options.Now to otter. It has no ticks: with a driven clock,
// expired entries go during later reads and writes.
type clock struct{ now func() time.Time }

func (c clock) NowNano() int64                      { return c.now().UnixNano() }
func (c clock) Tick(time.Duration) <-chan time.Time { return nil }

// nowNano reads the clock otter reads too, in Unix nanoseconds.
func (b *Backend) nowNano() int64 {
	if b.coarse != nil {
		return b.coarse.NowNano()
	}
	return b.now().UnixNano()
}

func (b *Backend) fail(op string, err error) error {
	b.errors.Add(1)
	return fmt.Errorf("%s: %s: %w", b.label, op, err)
}

// Get returns the entry under key. An entry past its deadline, or stored
// bytes the Codec cannot decode (counted in Stats.DecodeErrors), is a miss.
// Without a Codec the returned Value is shared and read-only; a hit does not
// allocate. ctx is not used (nil is fine): Get never blocks.
func (b *Backend) Get(_ context.Context, key string) (backend.Entry, bool, error) {
	if key == "" {
		return backend.Entry{}, false, b.fail("get", backend.ErrInvalidKey)
	}
	if b.closed.Load() {
		return backend.Entry{}, false, b.fail("get", backend.ErrClosed)
	}
	it, ok := b.cache.GetIfPresent(key)
	// otter hides the entries past their deadline at the time it read its
	// clock. A clock given in Options.Now may have moved since (a driven
	// one): reading it again keeps the deadline exact. The system clock's
	// cached reading has not moved by more than ClockResolution.
	if !ok || (b.now != nil && it.deadline <= b.now().UnixNano()) {
		b.misses.add()
		return backend.Entry{}, false, nil
	}
	if b.codec == nil {
		b.hits.add()
		return it.entry, true, nil
	}
	e, err := b.codec.Decode(it.entry.Value)
	if err != nil {
		b.decodeErrors.Add(1)
		b.misses.add()
		return backend.Entry{}, false, nil
	}
	if e.Gone(time.Unix(0, b.nowNano())) {
		b.misses.add()
		return backend.Entry{}, false, nil
	}
	b.hits.add()
	return e, true, nil
}

// Set stores e under key, replacing any previous entry. Without a Codec it
// keeps e.Value itself: the caller must not modify it afterwards. A
// negative Keep counts as zero. An entry already past its deadline is not
// stored, and the previous entry stays (a no-op returning nil). An entry
// heavier than the budget gives an error wrapping [backend.ErrTooLarge], and
// the previous entry under key stays as it was. ctx is not used.
func (b *Backend) Set(_ context.Context, key string, e backend.Entry) error {
	if key == "" {
		return b.fail("set", backend.ErrInvalidKey)
	}
	if b.closed.Load() {
		return b.fail("set", backend.ErrClosed)
	}
	if e.Keep < 0 {
		e.Keep = 0
	}
	it := &item{entry: e, deadline: e.DeadlineNano()}
	if it.deadline <= b.nowNano() {
		return nil // past its deadline: e.Gone(now)
	}
	if len(e.Tags) > 0 {
		if err := backend.CheckTags(e.Tags); err != nil {
			return b.fail("set", err)
		}
		b.tags.SawLife(lifetime(e.Written, it.deadline))
	}
	if b.codec != nil {
		raw, err := b.codec.Encode(nil, e)
		if err != nil {
			return b.fail("set", err)
		}
		it.entry.Value = raw
	}
	w := weight(key, it)
	if b.maxBytes > 0 && (w > b.maxBytes || w > maxWeight) {
		return b.fail("set", fmt.Errorf("entry of %d bytes over the %d-byte budget: %w", w, min(b.maxBytes, maxWeight), backend.ErrTooLarge))
	}
	if b.maxBytes == 0 {
		// Before the write, so that a removal never sees the total
		// without it.
		b.bytes.Add(w)
	}
	b.cache.Set(key, it)
	b.sets.add()
	return nil
}

// Delete removes the entry under key and reports whether a live one was
// there. ctx is not used.
func (b *Backend) Delete(_ context.Context, key string) (bool, error) {
	if key == "" {
		return false, b.fail("delete", backend.ErrInvalidKey)
	}
	if b.closed.Load() {
		return false, b.fail("delete", backend.ErrClosed)
	}
	it, ok := b.cache.Invalidate(key)
	if !ok || it.deadline <= b.nowNano() {
		return false, nil
	}
	b.deletes.Add(1)
	return true, nil
}

// ctxCheckEvery is how many entries List and Purge walk between two looks at
// their context.
const ctxCheckEvery = 256

// List calls fn for each live entry whose key starts with prefix, as
// [backend.Lister] says; Size is the bytes the value takes in the store
// (encoded with a Codec). fn may call the Backend. List stops with ctx's
// error when ctx ends (nil ctx: never).
func (b *Backend) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	if b.closed.Load() {
		return b.fail("list", backend.ErrClosed)
	}
	now := b.nowNano()
	n := 0
	for key, it := range b.cache.All() {
		if n++; ctx != nil && n%ctxCheckEvery == 0 && ctx.Err() != nil {
			return fmt.Errorf("%s: list: %w", b.label, ctx.Err())
		}
		if !strings.HasPrefix(key, prefix) || it.deadline <= now {
			continue
		}
		if !fn(backend.KeyInfo{
			Key:     key,
			Written: it.entry.Written,
			Stale:   it.entry.Stale,
			Expire:  it.entry.Expire,
			Keep:    it.entry.Keep,
			Tags:    it.entry.Tags,
			Size:    len(it.entry.Value),
		}) {
			return nil
		}
	}
	return nil
}

// Purge deletes every live entry whose key starts with prefix (all entries
// when prefix is empty) and returns how many it deleted. It stops with ctx's
// error when ctx ends (nil ctx: never), having deleted some.
func (b *Backend) Purge(ctx context.Context, prefix string) (int, error) {
	if b.closed.Load() {
		return 0, b.fail("purge", backend.ErrClosed)
	}
	now := b.nowNano()
	deleted, n := 0, 0
	for key := range b.cache.Keys() {
		if n++; ctx != nil && n%ctxCheckEvery == 0 && ctx.Err() != nil {
			b.deletes.Add(uint64(deleted))
			return deleted, fmt.Errorf("%s: purge: %w", b.label, ctx.Err())
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		if it, ok := b.cache.Invalidate(key); ok && it.deadline > now {
			deleted++
		}
	}
	b.deletes.Add(uint64(deleted))
	return deleted, nil
}

// Stats returns the Backend's counters. Bytes is the total weight of the
// entries (see [Options.MaxBytes]). Stats runs the cache's pending
// maintenance first, so that Entries and Bytes leave out expired entries.
func (b *Backend) Stats() backend.Stats {
	b.cache.CleanUp()
	s := backend.Stats{
		Label:        b.label,
		Hits:         b.hits.load(),
		Misses:       b.misses.load(),
		Sets:         b.sets.load(),
		Deletes:      b.deletes.Load(),
		Evictions:    b.evictions.Load(),
		DecodeErrors: b.decodeErrors.Load(),
		Errors:       b.errors.Load(),
		Entries:      int64(b.cache.EstimatedSize()),
	}
	if b.maxBytes > 0 {
		s.Bytes = int64(b.cache.WeightedSize())
	} else {
		s.Bytes = max(b.bytes.Load(), 0)
	}
	return s
}

// Label returns the Backend's label ("memory" unless Options.Label says
// otherwise).
func (b *Backend) Label() string { return b.label }

// Close drops every entry and stops the cache's background clean-up; it
// does not block, so ctx is unused. It is idempotent: every call returns
// nil. Every other method afterwards returns an error wrapping
// [backend.ErrClosed]; Stats and Label still work.
func (b *Backend) Close(context.Context) error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	b.cache.StopAllGoroutines()
	if b.coarse != nil {
		b.coarse.Stop()
	}
	b.cache.InvalidateAll()
	return nil
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.Lister        = (*Backend)(nil)
	_ backend.Purger        = (*Backend)(nil)
	_ backend.StatsReporter = (*Backend)(nil)
	_ backend.Labeled       = (*Backend)(nil)
	_ backend.Tagger        = (*Backend)(nil)
)
