// Package redis is hitbox's Redis backend: the L2 most deployments share
// between their instances, on go-redis v9 (imported as goredis), for a
// standalone server, a Redis Cluster or a master watched by Sentinel.
//
//	l2, err := redis.New(redis.Options{URL: "redis://cache:6379/0"})
//	l2, err := redis.New(redis.Options{Addrs: []string{"n1:6379", "n2:6379", "n3:6379"}})
//	l2, err := redis.New(redis.Options{MasterName: "cache", SentinelAddrs: []string{"s1:26379"}})
//	l2, err := redis.New(redis.Options{Client: myClient}) // a client you already have
//
// # Storage
//
// Each entry is one string key, [Options.Prefix] ("hitbox:") followed by
// the entry's key, whose value is the entry encoded by [Options.Codec]
// (value and metadata together, behind a checksummed header): bytes that do
// not decode, such as another program's under the same prefix, read as a
// miss and count as decode errors. The key's native TTL is the entry's
// deadline (expire plus keep) minus Now, rounded up to the millisecond,
// plus [Options.ExpiryMargin]; the stale and expire times live in the value,
// and every read checks the deadline against [Options.Now], so the entry is
// gone at its deadline whatever the skew between the clocks. Listing and
// purging walk the keys with SCAN (on every master of a cluster), never
// KEYS, with the prefix's glob characters escaped.
//
// # Failures
//
// Every call to Redis runs under [Options.OpTimeout] (500ms by default)
// and through a circuit breaker per Backend ([BreakerOptions], on
// sony/gobreaker): after 5 consecutive failures (network errors, timeouts,
// a loading or read-only server; misses, error replies and calls the
// caller abandoned are no failures) the breaker opens, and calls fail at
// once with an error wrapping [backend.ErrUnavailable] without reaching
// Redis, so a dead or stalled Redis costs no latency; a probe every second
// closes it again when Redis is back. The request flow reads a failed read
// as a miss and counts a failed write, so users keep getting answers, from
// the upstream, while Redis is away.
//
// # One upstream call per key across instances
//
// [Backend.Lock] implements [backend.Locker], which the flow uses whenever
// the backend offers it (a composition offers its L2's): a lock key per
// key, [Options.LockPrefix] + key ("lock:" + Prefix + the entry's key by
// default), set with SET NX PX to a random token for a short lease (the
// flow's, 5s by default), renewed every lease/3 while the holder's
// upstream call runs and released by a compare-and-delete script, so only
// its holder ever releases it. A lock key without a TTL is not trusted
// and taken over (see [Backend.Lock]). The instances that lose the lock
// poll the backend for the winner's entry (the flow's lock poll, 20ms by
// default) rather than wait for a pub/sub notification: polling needs no
// subscription per waiting key, works the same on every topology, and
// costs one GET per waiter per poll, each within its own deadline. A
// holder that dies stops renewing, so its lock expires within one lease
// and another instance calls the upstream.
//
// # L1 invalidation across instances
//
// When every instance keeps a memory L1 over this Backend (a
// composition), an instance's overwrite or delete must reach the others'
// L1. With [Options.Channel] set, the Backend announces each Set, Delete
// and Purge on that pub/sub channel, pipelined with the write itself, with
// its [Options.InstanceID]; [Backend.Subscribe] starts an [Invalidator]
// that drops from the local L1 the keys the other instances announce. See
// [Backend.Subscribe] for what a reader may see and for how long.
//
// # Tag invalidation
//
// [Backend.InvalidateTags] records a mark per tag in one hash,
// [Options.TagsKey] ("tags:" + Prefix), which every instance on the server
// shares, and [Backend.TagsInvalidated] reads the marks of an entry's tags
// with one HMGET (a round trip per hit of a tagged entry when Redis serves
// it). With [Options.TagRetention], marks older than it are pruned in the
// background, in batches that HSCAN finds, leaving a floor in the hash
// (the field "") that the same HMGET reads: an entry written before it
// reads as invalidated. With [Options.Channel] set, a tag purge is also
// announced, and [Backend.Subscribe] records it in the subscribed L1,
// which a composition then checks instead of Redis for the entries L1
// serves.
//
// # Testing
//
// The tests run against real redis-server processes that
// internal/redistest starts on free loopback ports: the conformance suite
// of backend/backendtest on a standalone server, a 3-master cluster and a
// Sentinel setup, the lock, the invalidation between two instances, the
// breaker with a killed and with a paused server, and the flow of two
// instances answering 500 concurrent requests with one upstream call.
package redis
