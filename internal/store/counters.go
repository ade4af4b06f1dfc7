package store

import (
	"sync/atomic"

	"github.com/hitbox-go/hitbox/backend"
)

// Counters counts a store's operations since it was created. The hot ones
// (Hits, Misses, Sets) each sit on their own cache line. The zero Counters
// is ready to use; it must not be copied after first use.
type Counters struct {
	Hits   atomic.Uint64
	_      [56]byte
	Misses atomic.Uint64
	_      [56]byte
	Sets   atomic.Uint64
	_      [56]byte

	Deletes      atomic.Uint64
	Evictions    atomic.Uint64
	DecodeErrors atomic.Uint64
	Errors       atomic.Uint64
}

// Stats returns the counters as a [backend.Stats] with the given label,
// Entries and Bytes.
func (c *Counters) Stats(label string, entries, bytes int64) backend.Stats {
	return backend.Stats{
		Label:        label,
		Hits:         c.Hits.Load(),
		Misses:       c.Misses.Load(),
		Sets:         c.Sets.Load(),
		Deletes:      c.Deletes.Load(),
		Evictions:    c.Evictions.Load(),
		DecodeErrors: c.DecodeErrors.Load(),
		Errors:       c.Errors.Load(),
		Entries:      entries,
		Bytes:        bytes,
	}
}
