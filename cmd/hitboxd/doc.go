// Command hitboxd is hitbox's caching reverse proxy. It reads a YAML file
// in hitbox's endpoint language (docs/config.md; examples/hitboxd.yaml is
// a full commented one) and caches the upstream's responses as the file
// says, with an admin API and Prometheus metrics.
//
// Usage:
//
//	hitboxd -config FILE          run the proxy (and the admin API when admin.listen is set)
//	hitboxd check -config FILE    validate only: FILE:LINE:COL: path: what is wrong; exit 1 on any error
//	hitboxd demo                  a built-in upstream behind the proxy, no file needed
//	hitboxd version               the version and the Go version
//
// `--config` works as well as `-config`. The proxy also takes
// -shutdown-timeout (default 30s) and -log-level (debug, info, warn,
// error; logs go to stderr). A bad command line exits 2.
//
// # The proxy
//
// Requests go through hitbox's HTTP middleware to a reverse proxy to the
// upstream: endpoints are tried in order, first match wins; a request no
// endpoint accepts goes to the upstream and is not stored. Every response
// carries X-Cache-Status and Cache-Status; an accepted response is stored
// before it is sent. The upstream gets X-Forwarded-For (the client's
// address appended to the chain it sent), X-Forwarded-Host and
// X-Forwarded-Proto, and the upstream's own Host; a client's Forwarded,
// X-Forwarded-Scheme, -Port, -Prefix, -Server, -Ssl, Front-End-Https,
// X-Host and X-Original-Host are dropped, and a request carrying a method
// or path override (X-HTTP-Method-Override, X-HTTP-Method,
// X-Method-Override, X-Original-URL, X-Rewrite-URL) is never cached: none
// of them is in the key. An upstream that cannot be reached gives 502 with {"error": "..."}, a client body that cannot
// be read (or that stalls) gives 400; neither is ever stored, whatever the
// response predicates say.
//
// # Timeouts
//
// An upstream that does not answer within upstream_timeout (the
// endpoint's, else the file's; default 60s) gives 504 {"error": "upstream
// timed out"}, logged as a warning. For a cacheable request the flow
// bounds the shared call (a response that streams through uncached only
// until it starts streaming); for a request no endpoint accepts, the
// wait for the response headers is bounded. No timeout bounds a whole
// transfer: a client's request head must arrive within
// timeouts.request_header (10s), and then every body may pause at most
// timeouts.body_idle (60s) between two reads or writes: the client's
// upload (cut: 400), the response to the client (the connection is
// closed) and the upstream's response body (the client's response is
// aborted, never passed off as complete). An idle client connection is
// closed after timeouts.keep_alive (2m).
//
// # Tracing
//
// With the file's tracing section (exporter otlp or stdout, endpoint,
// sample_ratio) or the standard OTEL_* variables (OTEL_TRACES_EXPORTER,
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_SDK_DISABLED, ...; the file wins), hitboxd records OpenTelemetry
// spans: a server span per request under the incoming W3C traceparent,
// the cache flow's hitbox.do with its backend and upstream children, and
// an HTTP client span whose traceparent the upstream receives. Spans are
// flushed at a graceful stop. Without either, tracing is off and nothing
// is wrapped (docs/config.md, "Tracing").
//
// # Signals
//
// SIGINT and SIGTERM stop hitboxd gracefully: it stops accepting, lets the
// requests in flight finish, waits for background work (refreshes, stores,
// race losers), closes the backends and exits 0; /healthz answers 503
// meanwhile. Past -shutdown-timeout the rest is cut short and hitboxd exits
// 1. A second signal kills it at once.
//
// SIGHUP reloads the file. A file that does not load is reported in the
// log, one line per error, and the running configuration stays. When the
// backend section did not change, the backend and its entries are kept and
// only the endpoints and the upstream change; otherwise a new backend
// takes the new requests and the old one is closed once the requests using
// it are done. listen and admin.listen take effect only at the next start
// (a reload that changes them logs a warning); admin.token changes at once.
//
// # The admin API
//
// On admin.listen, as docs/config.md says:
//
//	GET    /         the dashboard (web/: a page, its script and style sheet, embedded)
//	GET    /keys     {"count": N, "truncated": false, "keys": [{"key", "parts", "stale", "expire", "written", "state", "size", "tags"}], "next": "<key>"}
//	                 ?prefix= (of the encoded key), ?limit= (default 1000, at most 100000), ?after=<key>, ?expired=true
//	DELETE /keys     ?key=<encoded>: {"deleted": true|false}
//	POST   /purge    {"prefix": "..."}, {"tags": ["..."]}, or {} for everything (an empty body is 400): {"deleted": N}
//	GET    /stats    the flow's counts in total, per endpoint and per backend label, with entries and bytes,
//	                 upstream time, breaker states and the background runner's counts
//	POST   /login    {"token": "..."}: sets the dashboard's session cookie
//	POST   /logout   drops it
//	GET    /metrics  Prometheus text format
//	GET    /healthz  200 {"status": "ok"} while serving, 503 once stopping
//
// count is the number of entries that match (listed or not, on every
// page); the keys are sorted by key, the limit smallest after the cursor
// ?after= (held in a heap of limit keys while the backend lists, so a page
// costs bounded memory whatever the backend's size); truncated says more
// keys follow, and next is then the cursor of the next page. Only entries that have not expired are listed unless
// ?expired=true. Times are RFC 3339 in UTC; stale and expire are null for
// an entry that never goes stale or never expires. A part without a value
// is {"name": "X-Tenant-Id", "value": null}; a key with no parts has
// "parts": []; a key that is not a hitbox key (a foreign entry in a shared
// store) has "parts": null. With the Binary key format, keys and prefixes
// are written in unpadded base64url. "tags" is listed for an entry that has
// some. A purge by tags invalidates them (an entry carrying one and stored
// before is a miss from then on) and deletes the entries listed with one:
// deleted counts those.
//
// When admin.token is set every call but /healthz, the dashboard's files,
// /login and /logout needs "Authorization: Bearer <token>" or the session
// cookie /login sets (HttpOnly, SameSite=Strict, an expiry and an HMAC of
// the token under a key of the process, never the token), compared in
// constant time. A client (its source address, an IPv6 one by its /64;
// X-Forwarded-For is never read) may send 10 wrong tokens in a row, then
// one per second: past that, every call that takes the token (POST /login
// too), right or wrong, is 429 with Retry-After (whole seconds) until the
// budget refills, logged once per client as a warning. A wrong bearer
// token or login and a session cookie not of ours count; no token and an
// expired session do not. At most 10,000 clients are remembered, the one
// that failed least recently forgotten first. Requests that change
// something are refused (403) when a browser sent them from another site,
// and a POST authorized by the cookie needs a JSON body (415 otherwise). Errors are {"error": "..."}
// with 400 (bad parameters, unknown parameters, bad JSON or unknown JSON
// fields), 401, 403, 404, 405 (with Allow), 413 (a body over 64 KiB), 415,
// 429, 501 (the backend cannot list or purge, or invalidate by tag) or 503.
package main
