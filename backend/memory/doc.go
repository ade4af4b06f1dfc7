// Package memory is hitbox's in-process store: a [backend.Backend] bounded by
// bytes (or by entries), built on otter v2 (W-TinyLFU eviction, per-entry
// expiry on a timer wheel).
//
// # Bounds
//
// Each entry weighs its key, its value and [EntryOverhead]; the store keeps
// the total within [Options.MaxBytes] (256 MiB by default), evicting the
// entries least likely to be used again. [Options.MaxEntries] bounds the
// number of entries instead, as hitbox's max_capacity does. An entry heavier
// than the whole budget is refused with [backend.ErrTooLarge].
//
// # Expiry
//
// An entry is dropped at its deadline, [backend.Entry.Deadline] (Expire plus
// Keep), on the clock of [Options.Now]; between Expire and the deadline Get
// still returns it, and the caller sees it Expired. An entry without Expire
// stays until it is evicted or deleted. On the system clock (a nil Now) the
// store reads a cached reading refreshed every [ClockResolution], which
// keeps a hit cheap; a Now it is given is read on every call, so that a
// driven clock is exact at the deadline.
//
// # Values
//
// Without a [backend.Codec] the store keeps entries as they are: Set retains
// the Value it is given and Get returns it, so a hit costs no allocation and
// no copy; both sides must treat values as read-only. With a Codec it keeps
// the encoded (and possibly compressed) bytes, which saves memory for
// compressible values at the price of a decode per hit; bytes it cannot
// decode read as a miss and are counted in [backend.Stats].DecodeErrors.
//
// # Tags
//
// The store implements [backend.Tagger]: tag invalidation marks live in a
// table beside the entries, outside the byte budget, read without a lock
// or an allocation on a hit, and pruned past the longest lifetime of a
// tagged entry the store accepted (see [Options.TagRetention]).
//
// # Lifetime
//
// On the system clock a Backend runs two goroutines, the clock refresh and a
// periodic clean-up of expired entries; [Backend.Close] stops them and drops
// the entries. A Backend is safe for concurrent use.
package memory
