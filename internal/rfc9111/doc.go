// Package rfc9111 is the HTTP caching core that hitbox's Rfc9111 mode
// (issue #12) builds on: the rules of RFC 9111 (HTTP Caching), with the
// conditional requests of RFC 9110 §13, the stale-while-revalidate and
// stale-if-error extensions of RFC 5861 and the targeted fields of RFC 9213,
// as pure functions over header fields and times.
//
// # What it holds
//
//   - Directive parsing: [ParseCacheControl] (requests and responses),
//     [ParseTargeted] (CDN-Cache-Control and configured targeted fields),
//     [ParseRequest] (with Pragma: no-cache) and [Config.ParseResponse]
//     (which picks the field that governs a response in a shared cache).
//   - Storing (§3): [Config.Storable] with a [Reason] when not,
//     [Config.StripForStore] and [IsHopByHop] for the fields never stored.
//   - Freshness (§4.2): [Config.Freshness] gives a [Freshness] (lifetime,
//     its [Source], the age on arrival per §4.2.3, the directives that
//     govern stale use); [Freshness.Fresh], [Freshness.Age],
//     [Freshness.AgeSeconds] (the Age field), [Freshness.Remaining] (the
//     Cache-Status ttl), [Freshness.StaleAt] (the entry's Stale time).
//   - Serving (§4, §5.2.1, RFC 5861): [Decide] turns a request's
//     directives and a stored response's freshness into a [Decision];
//     [StaleIfError] says whether a stale response may hide an origin
//     failure.
//   - Validation (§4.3): [SetConditional] builds a validation request,
//     [NotModified] answers a client's conditional request from a stored
//     response (with [NotModifiedHeader]), [Selects], [SelectsHead] and
//     [Config.Update] refresh a stored response from a 304 or HEAD answer.
//   - Invalidation (§4.4): [Invalidates] lists the URIs an unsafe
//     request's answer invalidates.
//
// A [Config] says what kind of cache asks (shared or private, targeted
// fields, heuristic freshness, a cap on lifetimes); its zero value is a
// shared cache without heuristics.
//
// # What it does not do, and why
//
//   - No I/O, no clock, no storage, no keys: the faces (httpcache,
//     hitboxd) own those and pass what they know (times, header fields),
//     so every rule here is a table test with exact times.
//   - No Vary: httpcache already keys variants (docs/design.md, "Vary"),
//     and the secondary key is the face's business.
//   - No incomplete or partial responses: whether a body arrived whole is
//     the caller's knowledge; 206 and 304 are never storable here, since
//     hitbox stores complete responses only and answers ranges from them.
//   - Only GET and HEAD responses are storable: the RFC allows more (POST
//     with explicit freshness), no face has a use for it.
//   - No Warning fields (obsoleted by RFC 9111) and no Cache-Status
//     formatting: [Reason], [Source] and [Decision] have short String forms
//     for the face to put in its Cache-Status parameters.
//   - If-Match and If-Unmodified-Since are not evaluated: RFC 9111 §4.3.2
//     says they are not for caches; the request goes to the origin.
//
// Where the RFCs leave a choice, the restrictive reading wins, so that a
// sloppy or hostile header can make a response less cached, never more:
// duplicated or invalid freshness makes a response stale; a targeted field
// that is not a valid Structured Fields Dictionary is ignored;
// must-revalidate beats max-stale, stale-while-revalidate and
// stale-if-error.
package rfc9111
