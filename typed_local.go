package hitbox

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/hitbox-go/hitbox/backend"
)

// DefaultLocalMaxBytes bounds a [Typed]'s in-process layer when
// [Local.MaxBytes] is zero: 32 MiB of weighed values.
const DefaultLocalMaxBytes = 32 << 20

// localOverhead is what one value of the in-process layer is weighed at
// beyond its key and its size: the otter node, the entry and its times.
const localOverhead = 128

// Local configures the in-process layer of a [Typed]: a bounded otter
// cache of decoded values of T, keyed by id, in front of the byte flow. It
// answers the hits on values that are still fresh with no backend read, no
// key building and no decoding; everything else (stale, expired, missing
// values) goes through the flow, which fills the layer again.
//
// The zero Local is the default: the layer is on, bounded by
// [DefaultLocalMaxBytes], values weighed by their encoded size.
type Local[T any] struct {
	// Off turns the layer off: every call goes through the flow and
	// decodes the stored bytes into a copy of its own.
	Off bool
	// MaxBytes bounds the weight of the values the layer holds
	// (0: [DefaultLocalMaxBytes]; negative is an error). The least useful
	// values are evicted past it (otter's W-TinyLFU).
	MaxBytes int64
	// Size weighs a value in bytes (nil: the length of its encoded
	// bytes, as the codec made them for the backend). The layer adds the
	// id's length and a fixed overhead per value.
	Size func(v T) int
	// Clone, when set, is applied to every value the layer hands out (or
	// keeps from a fetch), so that callers get values of their own. Without
	// it, callers share the layer's value: see [Typed.GetOrFetch].
	Clone func(v T) T
}

// local is the in-process layer of a Typed.
type local[T any] struct {
	c     *otter.Cache[string, *localEntry[T]]
	size  func(T) int
	clone func(T) T
	base  time.Time // the origin of the layer's deadlines
	// coarse, with the system clock, is the Cache's coarse clock and
	// coarseBase its reading at base; nil with another Clock.
	coarse     *otter.CoarseClock
	coarseBase int64
	clock      Clock
	marks      *layerMarks // the tag purges the layer heard of
}

// localEntry is one value of the layer with the times of the entry it came
// from.
type localEntry[T any] struct {
	v               T
	fresh           int64 // the layer's deadline (see local.now) until which v is fresh
	written, expire time.Time
	src             string
	weight          uint32
	// tags are the value's tags; since (Unix nanoseconds) is when it was
	// known current: its entry's write time, or the start of the fetch
	// that made it. A mark of one of tags at or after since hides it.
	tags  []string
	since int64
}

// nopClock is otter's clock for the layer, which has no expiry of its own:
// the layer compares its deadlines itself.
type nopClock struct{}

func (nopClock) NowNano() int64                      { return 0 }
func (nopClock) Tick(time.Duration) <-chan time.Time { return nil }

// coarseResolution is how often the coarse clock of Typed's layers reads
// the time: a value may be taken as fresh up to about that long past its
// stale (or expire) time.
const coarseResolution = time.Millisecond

// coarseClock returns the Cache's coarse clock, starting it on first use;
// Close stops it (it then reads the precise time).
func (c *Cache) coarseClock() *otter.CoarseClock {
	c.coarseMu.Lock()
	defer c.coarseMu.Unlock()
	if c.coarse == nil {
		c.coarse = otter.NewCoarseClock(coarseResolution)
	}
	return c.coarse
}

// stopCoarse stops the coarse clock's goroutine, if it runs.
func (c *Cache) stopCoarse() {
	c.coarseMu.Lock()
	defer c.coarseMu.Unlock()
	if c.coarse != nil {
		c.coarse.Stop()
	}
}

func newLocal[T any](c *Cache, o Local[T], p Policy) (*local[T], error) {
	if o.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: Local.MaxBytes %d is negative", ErrInvalidOption, o.MaxBytes)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultLocalMaxBytes
	}
	oc, err := otter.New(&otter.Options[string, *localEntry[T]]{
		MaximumWeight: uint64(o.MaxBytes),
		Weigher:       func(_ string, e *localEntry[T]) uint32 { return e.weight },
		Clock:         nopClock{},
	})
	if err != nil {
		return nil, fmt.Errorf("hitbox: in-process layer: %w", err)
	}
	l := &local[T]{c: oc, size: o.Size, clone: o.Clone, clock: c.cfg.clock, marks: c.addLayer(p)}
	if _, sys := c.cfg.clock.(SystemClock); sys {
		l.coarse = c.coarseClock()
		l.coarseBase = l.coarse.NowNano()
	}
	l.base = c.cfg.clock.Now()
	return l, nil
}

// now returns the layer's time: nanoseconds since base. With the system
// clock it reads the coarse clock (an atomic load).
func (l *local[T]) now() int64 {
	if l.coarse != nil {
		return l.coarse.NowNano() - l.coarseBase
	}
	return int64(l.clock.Now().Sub(l.base))
}

// out is what the layer hands a caller for v.
func (l *local[T]) out(v T) T {
	if l.clone != nil {
		return l.clone(v)
	}
	return v
}

// put keeps v, read from or written to the backend as an entry with e's
// times and tags, unless the layer holds a value of a newer entry. A
// tagged value is refused (and drops an older value of id) when a tag purge
// the layer heard of came at or after since, when v was known current. A
// value that is no longer fresh is kept too: [local.match] finds it for
// the flow's stale answers.
func (l *local[T]) put(id string, v T, e backend.Entry, src string, since time.Time) {
	until := e.Stale
	if until.IsZero() {
		until = e.Expire
	}
	fresh := int64(math.MaxInt64)
	if !until.IsZero() {
		fresh = int64(until.Sub(l.base))
	}
	var sinceNano int64
	if len(e.Tags) > 0 {
		sinceNano = backend.MarkNano(since)
		if !l.marks.saw(e.Tags, sinceNano, until) {
			l.drop(id, e.Written)
			return
		}
	}
	size := len(e.Value)
	if l.size != nil {
		size = l.size(v)
	}
	w := int64(len(id)) + int64(max(size, 0)) + localOverhead
	if l.clone != nil {
		v = l.clone(v)
	}
	ne := &localEntry[T]{
		v: v, fresh: fresh, written: e.Written, expire: e.Expire, src: src, weight: uint32(min(w, math.MaxUint32)),
		tags: e.Tags, since: sinceNano,
	}
	l.c.Compute(id, func(old *localEntry[T], found bool) (*localEntry[T], otter.ComputeOp) {
		if found && old.written.After(ne.written) {
			return old, otter.CancelOp
		}
		return ne, otter.WriteOp
	})
}

// drop removes the value of id unless it is of an entry newer than
// written: put refused a value that replaces it.
func (l *local[T]) drop(id string, written time.Time) {
	l.c.Compute(id, func(old *localEntry[T], found bool) (*localEntry[T], otter.ComputeOp) {
		if found && old.written.After(written) {
			return old, otter.CancelOp
		}
		return nil, otter.InvalidateOp
	})
}

// match returns the value of the entry written at written, if the layer
// holds it (fresh or not): a result of the flow then needs no decoding.
func (l *local[T]) match(id string, written time.Time) (T, bool) {
	e, ok := l.c.GetIfPresent(id)
	if !ok || written.IsZero() || !e.written.Equal(written) {
		var zero T
		return zero, false
	}
	return e.v, true
}

// invalidateKeys drops the values of the encoded keys that are this
// Typed's (keys under prefix); others are ignored.
func (l *local[T]) invalidateKeys(prefix []byte, keys []string) {
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, string(prefix))
		if !ok {
			continue
		}
		if id, err := unescape(rest); err == nil {
			l.c.Invalidate(id)
		}
	}
}

// invalidatePrefix drops the values whose encoded key starts with p.
func (l *local[T]) invalidatePrefix(prefix []byte, p string) {
	if strings.HasPrefix(string(prefix), p) {
		l.c.InvalidateAll()
		return
	}
	if !strings.HasPrefix(p, string(prefix)) {
		return
	}
	var buf []byte
	for id := range l.c.Keys() {
		buf = appendEscaped(append(buf[:0], prefix...), id)
		if strings.HasPrefix(string(buf), p) {
			l.c.Invalidate(id)
		}
	}
}
