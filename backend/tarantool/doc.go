// Package tarantool is hitbox's Tarantool backend: an L2 that a fleet of
// instances shares, on github.com/tarantool/go-tarantool/v3, for Tarantool
// 2.x and later (the tests run Debian's 2.6).
//
//	l2, err := tarantool.New(tarantool.Options{
//		Address:  "cache:3301",
//		User:     "hitbox",
//		Password: os.Getenv("TARANTOOL_PASSWORD"),
//	})
//
// # Storage
//
// The entries live in one memtx space, [Options.Space] ("hitbox"), one
// tuple per entry: {key (string), deadline (integer), value (binary)}.
// Index 0 ("key") is a unique TREE index on the key, index 1 ("deadline") a
// non-unique TREE index on the deadline. The value is the entry encoded by
// [Options.Codec] (value and metadata together, behind a checksummed
// header): a tuple whose value does not decode, or that has another shape,
// reads as a miss and counts as a decode error. The deadline field is the
// entry's deadline (expire plus keep) plus [Options.ExpiryMargin], in Unix
// milliseconds rounded up (the largest int64 for an entry that never
// expires); it serves only the sweep: every read checks the exact deadline
// in the value against [Options.Now]. The key index keeps the keys in
// byte order, so listing a prefix is a range of the index.
//
// # The space, created at first use
//
// Every connection, before it serves a request (at the first connection
// and at each reconnection), evaluates a short Lua script with the space
// name as its argument: it creates the space and its two indexes when they
// are missing (box.schema.space.create and create_index with
// if_not_exists, so that instances starting together do not conflict),
// checks that an existing space has the indexes above (a space of another
// shape is refused with an error that says so), and returns the space's
// ID, which the requests then use (Tarantool before 3.0 does not take
// names in requests). A server that comes back empty gets the space again
// before any request, and a space dropped under a live connection is
// created again after the first request that misses it.
//
// The user of [Options.User] therefore needs, on the server:
//
//	box.schema.user.create('hitbox', {password = '...'})
//	box.schema.user.grant('hitbox', 'read,write,execute,create', 'universe')
//
// execute for the scripts (IPROTO_EVAL: the space check, the sweep and
// Purge), create for the first creation of the space. To give no create
// grant, create the space beforehand in the server's init script, as the
// Backend would (then read, write and execute suffice):
//
//	local s = box.schema.space.create('hitbox', {if_not_exists = true})
//	s:create_index('key', {if_not_exists = true, parts = {{1, 'string'}}})
//	s:create_index('deadline', {if_not_exists = true, unique = false, parts = {{2, 'integer'}}})
//
// Tarantool refuses tuples larger than its memtx_max_tuple_size (1 MiB by
// default): raise it above the largest response you cache (Set wraps
// [backend.ErrTooLarge] otherwise), and size memtx_memory for the cache;
// memtx does not evict, so the sweep and the entries' TTLs bound the
// space.
//
// # Tag invalidation marks
//
// [Backend.InvalidateTags] keeps the marks in a second space, Space +
// [TagsSpaceSuffix] ({tag, at}, a TREE index on the tag), created at the
// first purge in one eval that also raises the marks in one transaction;
// [Backend.TagsInvalidated] reads all of an entry's tags in one call of a
// Lua function the Backend defines on the server (again after a restart).
// With [Options.TagRetention] set, the purge that finds the space grown
// past a threshold (1,024 tuples, then twice what the last prune left)
// prunes the marks older than the retention at [Options.Now], in evaluated
// transactions of a few hundred tuples, each of which deletes a mark only
// if it is still at or before the cutoff (a mark a concurrent purge raised
// stays). Pruning leaves a floor, the tuple of the empty tag (which no tag
// can be), raised to the cutoff before any mark goes and read as a mark of
// every tag (see [backend.TagMarks]). Without TagRetention every mark is
// kept, one tuple per tag ever invalidated.
//
// # The sweep
//
// Each Backend sweeps the tuples past their deadline from the client side,
// every [Options.SweepInterval] (1s): an evaluated script reads the
// deadline index up to the Backend's clock ([Options.Now], in Unix
// milliseconds) and deletes up to [Options.SweepBatch] tuples in one
// transaction, repeated until none is left. Reading and deleting in one
// transaction, it never deletes a tuple that a concurrent write has just
// renewed. Going by the Backend's clock rather than the server's keeps the
// sweep and the reads in agreement, with a driven clock too; the margin
// absorbs the skew between instances, which all sweep (harmlessly) when
// several share the space. Close stops the sweep. The sweep also reads the
// space's size for [Backend.Stats].
//
// # Connections and failures
//
// A Backend keeps [Options.PoolSize] connections (2), used in turn, each
// carrying many requests at once. New returns at once: the connections
// are made in the background and re-made after a failure every
// [Options.ReconnectInterval] (500ms); while none is up, calls fail at
// once with an error wrapping [backend.ErrUnavailable] that says why the
// last attempt failed (refused, bad credentials, a space of another
// shape...). Each request is bounded by [Options.Timeout] (500ms) and the
// caller's context; Set, Delete and Purge, once sent, wait for their
// reply or their timeout even when the caller's context ends, so that a
// write the caller gave up on never lands after a later one. A connection
// silent for four timeouts (at least 2s; go-tarantool pings every third
// of a timeout) is dropped and made again.
//
// Every request goes through a circuit breaker per Backend
// ([BreakerOptions], the one the Redis backend uses): after 5 consecutive
// failures (network errors, timeouts, no connection, a read-only or
// loading server; misses, error replies and calls the caller abandoned
// are no failures) it opens, and calls fail at once with an error
// wrapping [backend.ErrUnavailable] without reaching Tarantool; a probe
// every second closes it again. The request flow reads a failed read as a
// miss and counts a failed write, so users keep getting answers, from the
// upstream, while Tarantool is away.
//
// # Testing
//
// The tests run against real tarantool processes that
// internal/tarantooltest starts on free loopback ports, each with its own
// init script and data directory: the conformance suite of
// backend/backendtest, the suite again over a memory L1 for every
// composition policy, a server killed and restarted under load (alone and
// through the flow), a paused server, bad credentials, a space of another
// shape, a dropped space, foreign tuples, and the sweep and the pruning of
// the tag marks on a driven clock.
// BenchmarkHitRatio compares a hit with a raw go-tarantool select of the
// same tuple and with a go-redis GET of the same bytes.
package tarantool
