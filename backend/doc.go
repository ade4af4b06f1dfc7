// Package backend is the contract every hitbox store implements: the
// [Backend] interface (Get, Set, Delete), the [Entry] it stores with its
// stale and expire times, the optional capabilities [Lister], [Purger],
// [Locker], [Labeled] and [StatsReporter], the value formats and compression
// a store applies to what it writes ([Codec]), and the sentinel errors.
//
// # Optional capabilities
//
// [Lister], [Purger], [Locker], [Tagger], [LabeledGetter], [LabeledTagger],
// [Labeled] and [StatsReporter] are optional: a backend either does not implement one, or
// implements it and answers every call it cannot serve with an error
// wrapping [ErrUnsupported] (a wrapper or a composition implements them
// all, and answers ErrUnsupported where what it wraps lacks the
// capability). Callers treat both the same way, and may remember a
// negative answer: a backend that answered ErrUnsupported once answers it
// for good. [PurgePrefix] is the fallback of purging for a backend that
// lists but does not purge.
//
// Implementations live in sub-packages named after their technology
// (backend/memory, backend/redis, ...); backend/backendtest is the
// conformance suite every one of them passes.
package backend
