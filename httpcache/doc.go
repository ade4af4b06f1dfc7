// Package httpcache puts hitbox's request flow in front of net/http:
// [Middleware] caches a server's handler, [Transport] caches a client's
// round trips. Both speak hitbox's endpoint language (request predicates,
// response predicates, key extractors and a policy, see [Endpoint]) and
// share one [hitbox.Cache], so keys, policies, statuses, stampede
// protection and backends are the same as everywhere else in hitbox.
//
// # The request flow
//
// A request is first read: its body, up to a limit ([WithMaxRequestBody],
// 1 MiB by default), is kept in memory for predicates and extractors and
// replayed to the upstream unchanged (a larger body bypasses the cache and
// streams to the upstream untouched). The first endpoint whose request
// predicate holds (endpoints with a Disabled policy are skipped) builds the
// key from its extractors; the cache then answers with a fresh or stale
// entry, or calls the upstream once per key (other callers for the key
// wait and are answered from that call when it was stored). The upstream's
// response is buffered up to a limit ([WithMaxBody], 8 MiB by default);
// when the endpoint's response predicate holds it is stored, in the
// cached form below, before it is sent. A response the handler flushes
// (a chunked answer through httputil.ReverseProxy) goes to its client as
// it is written while it is buffered, and is stored when it completes
// within the limit. A larger response streams through to its client
// uncached ([Stats].TooLarge). A body cut short (the handler panics with
// http.ErrAbortHandler, as ReverseProxy does when the upstream closes
// mid-body, or writes less than its Content-Length) is never stored and
// its client's connection is aborted ([Stats].CutShort).
//
// A Middleware never caches a request the key may misread (it goes to the
// handler as it is, fwd=bypass, nothing stored): a path an upstream may
// normalise into another resource (an encoded slash, a ";", "//", a
// dot-segment: web cache deception), a query holding a raw ";" (which some
// upstreams read as a separator: parameter cloaking), a Connection header
// naming a field (which a proxy before the upstream drops while the key
// reads it), and a GET or HEAD whose body is in no part of the key (which
// some upstreams read: "fat GET").
//
// Everything buffered in flight (request bodies, responses being
// recorded) shares one budget ([WithInflightBudget], 64 MiB): when it is
// spent, requests and responses stream through uncached
// ([Stats].OverBudget).
//
// # Failures, HEAD and Range
//
// An answer that is not stored and whose status is a failure one
// ([WithFailureStatuses]: 500, 502, 503 and 504 by default), like a
// Transport error or a handler panic, is an upstream failure: the callers
// waiting for the same upstream call get it too, and a policy's
// StaleIfError may serve a kept entry instead (STALE, see below).
//
// A HEAD request whose key a GET would share (the key does not include the
// method) never stores its answer; it may be answered from a stored GET
// entry, headers only. A partial response (206) is never stored; a GET
// with one byte range is answered from a whole 200 with 206 or 416, and
// several ranges get the whole 200.
//
// # Keys
//
// A key's parts are what the endpoint's extractors make; its namespace
// ([hitbox.Key.Namespace]) is a [Scope]: the [WithNamespace] prefix, the
// face (Middleware or Transport), the endpoint's identity ([Endpoint.ID],
// else its Name, else its position), the request's scheme and, unless
// [Endpoint.IgnoreHost], its host ([NormalizeHost]). So two endpoints never
// share entries even when their extractors make the same parts,
// "Host: evil.example" never reads another host's entries, and a
// Middleware and a Transport may share one Cache. A Transport endpoint
// without extractors keys the whole URL (method, path and query, beside
// the scheme and host).
//
// # Vary
//
// Vary is honoured as a secondary key: a response that varies is stored
// per variant (a digest of the request's normalised values of the headers
// Vary names), under the primary key's Scope with a Variant, and the
// primary key holds a marker naming those headers. A request whose variant
// is not stored is a miss. Vary: * is never stored. Whatever Vary says, an
// entry whose Content-Encoding the request does not accept (a request
// without Accept-Encoding accepts only the identity) is not served: the
// request is forwarded as a miss and nothing is stored.
//
// Origin is varied on even when Vary does not name it: a response to a
// request with an Origin (unless it grants "*" in
// Access-Control-Allow-Origin), or one granting a single origin, is stored
// per Origin, and an entry stored for a request without Origin is not
// served to one with an Origin unless it grants "*". Many upstreams grant
// origins without "Vary: Origin"; one site's grant or refusal is then
// never served to another site's browsers.
//
// # Tags
//
// A stored answer carries tags (hitbox.Fetched.Tags), which
// hitbox.Cache.InvalidateTags invalidates: "name=value" for each part with
// a value that the endpoint's Tags extractors give, then the tokens of the
// response's tag headers (Surrogate-Key unless [WithTagHeaders] says
// otherwise), in order, without duplicates, at most [MaxTags] of at most
// [MaxTagLen] bytes (the rest dropped and counted in [Stats]). The tag
// headers are taken out of the upstream's response before anything else
// sees it: they are never stored, never sent to a client (whatever the
// answer), and response predicates do not see them. Request headers never
// become tags unless a Tags extractor names one, and then the tag is the
// client's to choose. An answer whose Tags extractor fails is served but
// not stored. In the Rfc9111 mode an entry invalidated by tag is not
// revalidated (a 304 could otherwise bring it back), and a 304 that
// refreshes an entry keeps its tags.
//
// # Statuses on every response
//
// Every response carries X-Cache-Status (HIT, STALE or MISS) and RFC 9211
// Cache-Status, exactly:
//
//	miss, stored                                hitbox; fwd=miss; fwd-status=200; stored
//	miss, not stored (response predicates)      hitbox; fwd=miss; fwd-status=404
//	expired entry, or stale under Revalidate    hitbox; fwd=stale; fwd-status=200; stored
//	not cacheable (see below)                   hitbox; fwd=bypass; fwd-status=N
//	hit, fresh or stale                         hitbox; hit; ttl=N    (no ttl: never expires)
//	stale, the upstream failed (STALE)          hitbox; hit; ttl=N; detail=stale-if-error
//	waited for another caller's upstream call   hitbox; hit; collapsed
//
// A request is not cacheable when no endpoint accepts it (request
// predicates, a Disabled policy), when its body is larger than the limit
// or unreadable, or when an extractor cannot key it. ttl is the whole
// seconds until the entry expires (negative once past).
// Answers from the cache carry Age, the whole seconds since the entry was
// written; every other response has its Age removed, the upstream's own
// included, so that Age always means "served from this cache". Times come
// from the Cache's clock ([hitbox.WithClock]).
//
// # The cached form
//
// A stored response is its status, its headers minus the hop-by-hop ones
// (Connection and the headers it names, Keep-Alive, Proxy-Authenticate,
// Proxy-Authorization, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade), trailers, X-Cache-Status, Cache-Status and Age, its body, and
// the time it was stored, in a compact versioned binary encoding. The
// middleware also stores the Content-Type net/http would sniff and the
// Content-Length. Bytes that do not decode are a miss: the entry is
// replaced by the upstream's answer.
//
// # The Rfc9111 mode
//
// Everything above is [SemanticsHitbox], the default: the predicates and
// the policy are the whole truth. Under [SemanticsRfc9111] ([WithSemantics],
// or [Endpoint.Semantics], which wins) the predicates still decide what is
// eligible and the extractors still build the key (to which the mode adds
// the whole target URI, path and query, as the part "uri": RFC 9111's
// primary key), and RFC 9111 decides within them. A Middleware is a shared cache, a Transport a private one
// (it stores private answers and ignores s-maxage and targeted fields).
//
//   - Only GET and HEAD go through the cache; a HEAD is keyed as its GET
//     and answered from the stored GET, its own answer never stored. Any
//     other method goes to the upstream, and a non-error answer to it
//     deletes the stored entries of its target URI and of a same-origin
//     Location or Content-Location (§4.4), every Vary variant included,
//     keyed as a GET of that URI
//     (with the request's other fields) by the endpoint that accepts such
//     a GET, when it is in this mode.
//   - A response is stored when RFC 9111 §3 allows it: no no-store
//     (request or response), no private, no Authorization without public,
//     s-maxage or must-revalidate, a status cacheable by default or
//     explicit freshness, must-understand honoured. Hop-by-hop fields,
//     those Connection names, and no-cache="f" / private="f" fields are not
//     stored. A response with Set-Cookie is not stored, or
//     ([WithStoreSetCookie]) stored without it: only its own client gets
//     the cookie. An upstream failure never replaces a stored response.
//   - Each entry is fresh for its own lifetime (§4.2): s-maxage (shared),
//     else max-age, else Expires − Date, else, when configured
//     ([WithHeuristicFreshness]), a fraction of the time since
//     Last-Modified; less its age on arrival (Age, Date and the response
//     delay); never more than the policy's TTL. A response without
//     freshness is stored stale (it is revalidated before each use, kept
//     for the policy's Keep). Answers from the cache carry Age per §4.2.3.
//   - Request directives (§5.2.1): no-cache and Pragma: no-cache, max-age
//     and min-fresh ask the upstream (fwd=request, or fwd=stale for an
//     entry that has expired anyway); max-stale serves a
//     stale entry (STALE, detail=max-stale); only-if-cached answers 504
//     when nothing stored fits; no-store stores nothing.
//   - Validation (§4.3): a stale entry is revalidated with If-None-Match
//     and If-Modified-Since from its ETag and Last-Modified; a 304 that
//     selects it refreshes its header and freshness, as does a 200 to a
//     HEAD whose validators and length match it. A client's own
//     If-None-Match or If-Modified-Since is answered 304 from a 200, stored
//     or just fetched (the upstream is asked without them).
//   - Stale content (RFC 5861): within its stale-while-revalidate window a
//     stale entry is served (STALE, detail=stale-while-revalidate) while
//     one background revalidation runs; the policy's stale window
//     (TTL − Stale) bounds the window, and a policy with StaleRevalidate
//     turns it off. The policy's StaleIfError lets a stale entry hide an
//     upstream failure, bounded by the response's and the request's
//     stale-if-error when they say one (the smaller wins), never under
//     no-cache, must-revalidate, proxy-revalidate or s-maxage: then the
//     failure itself is the answer.
//   - Targeted fields (RFC 9213): in the Middleware, the configured
//     fields ([WithTargetedFields]) then CDN-Cache-Control replace
//     Cache-Control and Expires; they are removed from answers when so
//     configured.
//   - Vary, Range and Content-Encoding work as in the default mode.
//
// Cache-Status (RFC 9211) then says what happened, with X-Cache-Status as
// in the default mode:
//
//	stored miss                 hitbox; fwd=uri-miss; fwd-status=200; stored
//	another variant was stored  hitbox; fwd=vary-miss; fwd-status=200; stored
//	not stored, and why         hitbox; fwd=uri-miss; fwd-status=200; detail=no-store
//	revalidated                 hitbox; fwd=stale; fwd-status=304; stored
//	the request's directives    hitbox; fwd=request; fwd-status=200; stored
//	other methods, bypass       hitbox; fwd=bypass; fwd-status=200
//	hit (ttl: freshness left)   hitbox; hit; ttl=N
//	stale hit                   hitbox; hit; ttl=-N; detail=stale-while-revalidate
//	                            (or max-stale, stale-if-error)
//	waited for another's call   hitbox; fwd=uri-miss; fwd-status=200; collapsed
//	only-if-cached, nothing     hitbox; detail=only-if-cached (504)
//
// The details of an answer not stored are RFC 9111's reasons (no-store,
// private, authorization, not-cacheable, request-no-store, status,
// method) and ours: set-cookie, predicate, head, partial, failure.
//
// # The predicates are the whole truth
//
// In the default mode nothing is excluded behind the endpoint's back: a request with
// Authorization, or a response with Set-Cookie, is cached when the
// predicates accept it, and served to every client whose request maps to
// the same key. Rule them out explicitly when they may occur:
//
//	get, _ := predicate.Method(http.MethodGet)
//	auth, _ := predicate.Header("Authorization", predicate.Exist())
//	cookie, _ := predicate.ResponseHeader("Set-Cookie", predicate.Exist())
//	books := httpcache.Endpoint{
//		Name:     "books",
//		Request:  predicate.And(get, predicate.Not(auth)),
//		Response: predicate.And(predicate.Status(http.StatusOK), predicate.Not(cookie)),
//		Policy:   hitbox.Enabled(time.Minute, 0),
//	}
//
// which is, in hitbox's YAML:
//
//	request:
//	  - Method: GET
//	  - Not: {Header: {authorization: {exist: true}}}
//	response:
//	  - Status: 200
//	  - Not: {Header: {set-cookie: {exist: true}}}
//
// Likewise, keep out requests that must reach the handler itself, such as
// WebSocket upgrades (Not Header upgrade exist): on a miss the handler
// writes into a recorder, which cannot be hijacked.
package httpcache
