// Package hitbox is a caching framework: cache keys built from named parts,
// entries that go fresh → stale → expired, cache policies, a driven clock
// for tests, and the request flow that ties them together (lookup, stale
// handling, one upstream call per key, store).
//
// The flow knows nothing of HTTP: package httpcache puts it in front of
// net/http handlers and clients, and cmd/hitboxd runs it as a caching
// reverse proxy. Stores implement package backend.
//
// With [WithTracerProvider] the flow records OpenTelemetry spans through
// the OTel API (one per [Cache.Do], children for backend reads, writes
// and the upstream call); without it, it records none.
package hitbox
