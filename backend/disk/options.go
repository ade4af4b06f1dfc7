package disk

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Defaults applied to the zero fields of [Options].
const (
	// DefaultMaxBytes is the budget of live data when Options.MaxBytes is
	// zero: 1 GiB.
	DefaultMaxBytes = 1 << 30
	// DefaultLockTimeout is how long New waits for another process to
	// release the file's lock when Options.LockTimeout is zero.
	DefaultLockTimeout = time.Second
	// DefaultSweepInterval is how often the background sweep drops the
	// entries past their deadline when Options.SweepInterval is zero.
	DefaultSweepInterval = time.Minute
)

// ClockResolution is how often a Backend on the system clock (a nil
// Options.Now) refreshes its reading of it.
const ClockResolution = time.Millisecond

// EntryOverhead is the fixed number of bytes every entry weighs against the
// budget besides its key (counted three times: the entry and its two index
// entries) and its stored record: an estimate of bbolt's per-element
// headers and of the index entries' own fields.
const EntryOverhead = 96

// maxKeySize is the longest key a Backend stores: bbolt's limit less the
// 8 bytes of deadline in front of the key in the expiry index.
const maxKeySize = 32768 - 8

// Errors New returns (wrapped, with the file's path and what to do) for a
// file it cannot open.
var (
	// ErrFileLocked means another process (or another Backend in this
	// one) holds the file's lock for longer than Options.LockTimeout.
	ErrFileLocked = errors.New("disk: file locked by another process")
	// ErrCorrupt means the file is not a readable bbolt file: damaged,
	// truncated or not a database at all.
	ErrCorrupt = errors.New("disk: file corrupt or not a bbolt database")
	// ErrFormat means the file is a bbolt database this build does not
	// read: written by another version of hitbox (another format
	// version), or by another program.
	ErrFormat = errors.New("disk: unsupported file format")
)

// Options configures a [Backend]. Only Path is required; the other fields
// have working zero values. The fields are plain values, so that a
// configuration decoder can fill them (hitboxd's `type: Disk` with `path`
// and `max_bytes`).
type Options struct {
	// Path is the bbolt file the Backend keeps its entries in, created
	// (with its directory) when missing. Required. One process at a time
	// can open it (see LockTimeout).
	Path string
	// MaxBytes bounds the live data: the sum of every entry's weight
	// (key × 3 + stored record + [EntryOverhead]). When a write takes
	// the total over it (or New finds a file written under a larger
	// budget), entries past their deadline go first, then the least
	// recently written. 0 means [DefaultMaxBytes] (1 GiB); negative
	// is an error. An entry heavier than MaxBytes is refused with an
	// error wrapping [backend.ErrTooLarge]. The file itself is larger
	// than the live data (page slack and free pages) and never shrinks:
	// bbolt reuses the pages that evictions free (see the package doc).
	MaxBytes int64
	// Codec encodes the stored values. A zero Format means MessagePack
	// here (unlike the other stores' JSON): nobody reads the file by hand,
	// and MessagePack decodes several times faster than JSON on every hit.
	// Bytes it cannot decode (torn, flipped, foreign) read as a miss and
	// count as decode errors.
	Codec backend.Codec
	// Now is the clock every expiry decision reads, on every call; tests
	// pass a clock they drive. Nil means the system clock, read through a
	// reading a background goroutine refreshes every [ClockResolution]
	// (as the memory store does): a hit then costs no clock read, and an
	// entry may be served up to that long past its deadline. The deadline
	// of each entry is stored with it, so entries expire on time across
	// restarts.
	Now func() time.Time
	// LockTimeout bounds how long New waits for the file's lock, which
	// another process holding the file keeps; 0 means
	// [DefaultLockTimeout] (1s); negative is an error.
	LockTimeout time.Duration
	// SweepInterval is how often a background goroutine deletes the
	// entries past their deadline (they read as misses before that); 0
	// means [DefaultSweepInterval] (1m), negative turns the background
	// sweep off ([Backend.Sweep] still works). Eviction drops entries
	// past their deadline first whatever this says.
	SweepInterval time.Duration
	// Label names the store in stats and errors; empty means "disk".
	Label string
	// TagRetention bounds how long the file keeps a tag's invalidation
	// mark ([Backend.InvalidateTags]): marks older than it are pruned
	// (once there are enough of them to be worth it), leaving a floor
	// kept in the file (see [backend.TagMarks]): a tagged entry written
	// before the pruned horizon then reads as invalidated, dropped early
	// rather than served past a purge. 0 keeps every mark (one small
	// record per tag ever invalidated); negative is an error.
	TagRetention time.Duration
}

// Validate reports Options that New would refuse: no Path, a negative
// MaxBytes or LockTimeout, or an invalid Codec. The error is a
// [*backend.OptionError] naming the field.
func (o Options) Validate() error {
	field, err := "", error(nil)
	switch {
	case o.Path == "":
		field, err = "Path", errors.New("disk: Path is required")
	case o.MaxBytes < 0:
		field, err = "MaxBytes", fmt.Errorf("disk: negative MaxBytes %d", o.MaxBytes)
	case o.LockTimeout < 0:
		field, err = "LockTimeout", fmt.Errorf("disk: negative LockTimeout %v", o.LockTimeout)
	case o.TagRetention < 0:
		field, err = "TagRetention", fmt.Errorf("disk: negative TagRetention %v", o.TagRetention)
	default:
		if cerr := o.Codec.Validate(); cerr != nil {
			field, err = "Codec", fmt.Errorf("disk: %w", cerr)
		}
	}
	if err != nil {
		return &backend.OptionError{Field: field, Err: err}
	}
	return nil
}

// setDefaults fills the zero fields of validated Options.
func (o *Options) setDefaults() {
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Codec.Format == 0 {
		o.Codec.Format = backend.FormatMsgPack
	}
	if o.Label == "" {
		o.Label = "disk"
	}
}

// mmapSize is the initial size of the file's memory map: twice the budget
// (page slack), at least 32 MiB and at most 64 GiB. Readers never wait for
// a remap while the file stays within it.
func (o *Options) mmapSize() int {
	const lo, hi int64 = 32 << 20, 64 << 30
	n := max(2*min(o.MaxBytes, hi/2), lo)
	if n > math.MaxInt {
		n = math.MaxInt
	}
	return int(n)
}

// allocSize is how much the file grows by when it must: an eighth of the
// budget, from 1 MiB to bbolt's default of 16 MiB, so that a small store's
// file does not grow by far more than its budget.
func (o *Options) allocSize() int {
	const lo, hi = 1 << 20, 16 << 20
	return int(min(max(o.MaxBytes/8, lo), hi))
}
