// Package backend is the contract every hitbox store implements: the
// [Backend] interface (Get, Set, Delete), the [Entry] it stores with its
// stale and expire times, the optional capabilities [Lister], [Purger],
// [Locker], [Labeled] and [StatsReporter], the value formats and compression
// a store applies to what it writes ([Codec]), and the sentinel errors.
//
// Implementations live in sub-packages named after their technology
// (backend/memory, backend/redis, ...); backend/backendtest is the
// conformance suite every one of them passes.
package backend
