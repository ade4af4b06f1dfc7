package backend

import (
	"context"
	"time"
)

// Backend stores entries under encoded keys.
//
// Implementations must be safe for concurrent use. A missing key, or one whose
// entry is past its retention deadline (see [Entry.Deadline]), is reported as
// ok == false with a nil error: a miss is never an error. Bytes that a
// backend cannot decode (foreign or corrupted) are a miss too; the backend
// counts them as decode errors.
//
// Ownership: a backend may retain e.Value after Set returns, so the caller
// must not modify it afterwards; the Value returned by Get is shared and must
// be treated as read-only.
//
// An empty key is invalid: every method returns an error wrapping
// [ErrInvalidKey]. A nil context is treated as [context.Background].
type Backend interface {
	// Get returns the entry stored under key.
	Get(ctx context.Context, key string) (e Entry, ok bool, err error)
	// Set stores e under key, replacing any previous entry. An entry whose
	// deadline has already passed is not stored (a documented no-op).
	Set(ctx context.Context, key string, e Entry) error
	// Delete removes the entry under key and reports whether one was there.
	Delete(ctx context.Context, key string) (deleted bool, err error)
}

// KeyInfo describes one stored entry without its value, as a [Lister] walks
// them.
type KeyInfo struct {
	// Key is the encoded key the entry is stored under.
	Key string
	// Written, Stale, Expire and Keep are the entry's metadata (see [Entry]).
	Written, Stale, Expire time.Time
	// Keep is how long the store retains the entry after Expire.
	Keep time.Duration
	// Tags are the entry's tags (see [Entry.Tags]); nil when it has none
	// or the store cannot tell cheaply.
	Tags []string
	// Size is the number of bytes the value occupies in the store (after
	// encoding and compression where the store applies them), or -1 when
	// the store cannot tell cheaply.
	Size int
}

// State returns the entry's state at now, as [Entry.State] does.
func (k KeyInfo) State(now time.Time) State {
	return Entry{Stale: k.Stale, Expire: k.Expire}.State(now)
}

// Lister is an optional interface a [Backend] may implement to walk its keys
// (the admin API's /keys). Without it, listing is unavailable.
type Lister interface {
	// List calls fn for each stored entry whose key starts with prefix (every
	// entry when prefix is empty), in no particular order, until fn returns
	// false. Entries past their deadline are skipped; expired entries within
	// their keep window are included (callers filter with [KeyInfo.State]).
	// Entries written or deleted during the walk may or may not be seen.
	List(ctx context.Context, prefix string, fn func(KeyInfo) bool) error
}

// Purger is an optional interface a [Backend] may implement to delete many
// entries at once. Without it, callers fall back to [Lister] and Delete.
type Purger interface {
	// Purge deletes every entry whose key starts with prefix (all entries
	// when prefix is empty) and returns how many it deleted.
	Purge(ctx context.Context, prefix string) (deleted int, err error)
}

// Locker is an optional interface a [Backend] may implement to guard one
// upstream call per key across instances sharing the backend. The flow falls
// back to its process-local guard when the backend does not implement it.
type Locker interface {
	// Lock tries to take the lock for key for at most ttl. When another
	// holder has it, Lock returns an error wrapping [ErrLocked]. The
	// returned unlock releases the lock only if it is still held by this
	// caller; it is safe to call more than once.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// LabeledGetter is an optional interface a [Backend] that stands for
// several stores (a composition, or a wrapper around one) implements to say
// which of them answered a read, so that the flow's events and statuses
// name it. A wrapper forwards it so that labels survive wrapping.
type LabeledGetter interface {
	// GetLabeled is Get that also returns the label of the store that
	// answered a hit ("l1", "l2.l1", ...); the label is empty on a miss
	// or an error, and may be empty on a hit (the caller then uses the
	// backend's own [Label]).
	GetLabeled(ctx context.Context, key string) (e Entry, ok bool, label string, err error)
}

// LabeledTagger is an optional interface a [Tagger] that stands for
// several stores (a composition, or a wrapper around one) implements to
// check a served entry's tags against the marks that matter for the store
// that served it (the label [LabeledGetter] gave), which may spare a call
// to the stores below it. A wrapper forwards it, as it does
// [LabeledGetter].
type LabeledTagger interface {
	// TagsInvalidatedLabeled is [Tagger.TagsInvalidated] for an entry the
	// store labeled label served; an unknown or empty label means every
	// store's marks.
	TagsInvalidatedLabeled(ctx context.Context, tags []string, label string) (time.Time, error)
}

// GetLabeled reads key from b with the label of the store that answered a
// hit: through [LabeledGetter] when b implements it, else b's Get labelled
// with [Label](b).
func GetLabeled(ctx context.Context, b Backend, key string) (e Entry, ok bool, label string, err error) {
	if lg, is := b.(LabeledGetter); is {
		e, ok, label, err = lg.GetLabeled(ctx, key)
	} else {
		e, ok, err = b.Get(ctx, key)
	}
	if ok && err == nil && label == "" {
		label = Label(b)
	}
	return e, ok, label, err
}

// Tagger is an optional interface a [Backend] may implement to invalidate
// entries by tag ([Entry.Tags]) passively: an invalidation records, per tag,
// the time it happened, and an entry carrying any of those tags that was
// written at or before that time is no longer served (the flow treats it as
// a miss and deletes it). Without it, invalidation by tag is unavailable
// (callers get an error wrapping [errors.ErrUnsupported]).
type Tagger interface {
	// InvalidateTags records at as the invalidation time of each of tags
	// (a later time wins over an earlier one).
	InvalidateTags(ctx context.Context, tags []string, at time.Time) error
	// TagsInvalidated returns the latest invalidation time recorded for
	// any of tags, or the zero time when none of them was invalidated.
	TagsInvalidated(ctx context.Context, tags []string) (time.Time, error)
}

// Labeled is an optional interface a [Backend] may implement to name itself
// in statuses, stats and errors ("memory", "redis", "l1", "l2.l1", ...).
type Labeled interface {
	Label() string
}

// DefaultLabel is the name the flow (as its events' Source), the metrics
// and hitboxd give a backend that has no label of its own.
const DefaultLabel = "backend"

// Label returns b's label when it implements [Labeled], and otherwise the
// empty string.
func Label(b Backend) string {
	if l, ok := b.(Labeled); ok {
		return l.Label()
	}
	return ""
}
