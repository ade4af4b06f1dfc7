// Package store holds what the stores in backend/ share beyond the
// backend contract: the operation counters of the stores that keep plain
// atomic counters (disk, Redis, Tarantool; the memory store keeps striped
// counters on its hot paths instead), turned into a [backend.Stats], and
// the checks the network stores (Redis, Tarantool) make before an
// operation, how they mark themselves closed, and how they read their
// duration options; and when a table of tag invalidation marks is pruned
// ([PruneSchedule], [AgedMarks]), for every store and Typed's in-process
// layer.
package store
