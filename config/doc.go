// Package config loads hitboxd's YAML file as docs/config.md describes it:
// hitbox's endpoint language (request and response predicates, key
// extractors, policy) wrapped in hitboxd's listen, upstream, admin and
// backend sections.
//
// [Parse] (or [Load]) decodes a file into a [File]: plain structs with
// every default of docs/config.md filled in and every value validated,
// each carrying where it was written ([Loc]). [File.Build] turns a File
// into running values: []httpcache.Endpoint built from packages predicate
// and extract, and the backend tree ([Store]) built from backend/memory,
// backend/redis and composition. [SameBackend] tells whether a reload may
// keep the running store (and its entries). [File.Dump] writes a stable
// description of a File; the golden tests in testdata/ compare it.
//
// # Errors and warnings
//
// Parse reports every problem of a file at once, as an [Errors] sorted by
// position; each [*Error] reads
//
//	hitboxd.yaml:12:7: endpoints[0].request[1].Header.x-k.regex: invalid regex "(": ...
//
// and wraps one kind ([ErrSyntax], [ErrUnknownField], [ErrType],
// [ErrMissing], [ErrValue], [ErrSchema]) and, where there is one, the
// underlying cause. Unknown names come with a suggestion ("did you mean
// ...?") when one is close. Parse never panics, on any input.
//
// [Warnings] are legal but probably unwanted settings, returned apart:
// an endpoint whose request predicates do not rule out requests with a
// Cookie header, or, under semantics Hitbox, an Authorization header
// (unless its key has a part from that header), or whose response
// predicates do not rule out responses with Set-Cookie under semantics
// Hitbox (cached by mistake, they leak one client's data to another; the
// Rfc9111 mode keeps Authorization requests and Set-Cookie responses out
// itself);
// an endpoint whose key has no part from the path or the query (unless its
// request predicates accept only one exact path), or none from the query;
// a Path predicate whose pattern holds %2F, %2e, %5C, ;, // or a
// dot-segment (requests with such paths are never cached: web cache
// deception) unless the response predicates pin Content-Type; a Path
// extractor without a
// leading '/' (it adds no part); an endpoint that an
// earlier catch-all endpoint hides; a method in lower case (methods are
// case-sensitive); `exist: false`; a stale time not below the ttl; a file
// without endpoints.
//
// # The JSON Schema
//
// config/schema.json ([Schema]) describes the file for editors. Put
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/hitbox-go/hitbox/main/config/schema.json
//
// (or a path to a local copy) on the first line of the file, and, for the
// operation tags, set yaml.customTags to ["!eq scalar", "!in sequence",
// "!contains scalar", "!regex scalar", "!exist scalar", "!exists scalar"].
// Parse validates every document against it too, but reports a schema
// violation ([ErrSchema]) only where its own, more precise checks said
// nothing; those checks also cover what a schema cannot say (regex and jq
// compilation, path patterns, method tokens, sizes, durations).
//
// # Choices where docs/config.md is silent
//
// The file:
//   - Field, predicate, extractor, backend, format and policy names are
//     case-sensitive, as in hitbox; a near miss is an error with a
//     suggestion. Transform names are accepted in lower case and
//     capitalised (hash, Hash), as hitbox files write both.
//   - Top-level keys starting with "x-" are ignored: a place for YAML
//     anchors. Anchors, aliases and merge keys (<<) work everywhere;
//     standard tags (!!str) are honoured. A file holds one YAML document,
//     at most 4 MiB, nested at most 200 flow levels deep, expanding to at
//     most 2^20 values through aliases. Duplicate keys are errors.
//   - upstream is required: an http:// or https:// URL with a host.
//     listen and admin.listen are host:port with a numeric port; they must
//     differ, unless the port is 0 (each gets a free port of its own). A
//     token without admin.listen is an error (the admin API would be off).
//   - backend absent or null is Memory with 256MiB, and so is a Memory
//     backend without max_bytes or max_capacity; a backend without type is
//     a Memory backend. max_bytes takes bytes or a size ("256MiB", "64MB",
//     "1.5GiB"; see internal/bytesize); max_bytes and max_capacity exclude
//     each other. A value section makes the Memory store encode entries
//     with that codec; without one it keeps them as they are.
//     compression is a name (Zstd) or {type, level}; levels are 1-9 for
//     Gzip and 1-22 for Zstd, and Disabled takes none.
//   - All backends of a tree share one key format (a composition hands
//     both layers the same key): any backend, a composition included, may
//     write key: {format}, and those written must agree.
//   - Redis (backend/redis) takes exactly one of url (redis://, rediss://
//     or unix://; no query option but db), cluster {addresses} and
//     sentinel {master, addresses, password}; addresses are host:port,
//     at least one, distinct. username and password go to the Redis
//     servers (into the URL, which must not carry its own). prefix
//     defaults to "hitbox:" and may not be empty nor a start of
//     "lock:" + itself; pool_size is 1 to 10000 (default go-redis's);
//     timeouts {dial, read, write, operation} are positive (default
//     go-redis's 5s, 5s, read, and 500ms); breaker is {failures, open,
//     probes} (default 5, 1s, 1) or Disabled; timeouts: null and
//     breaker: null are the defaults. Building a Redis backend contacts
//     nobody: the first call does. Dump hides passwords; [SameBackend]
//     compares them.
//   - Disk (backend/disk; hitbox's FeOxDb) takes path (required: the
//     store's file) and max_bytes (default 1GiB); its values default to
//     MsgPack. Two Disk stores of a tree may not share a file. Building
//     it opens the file and holds its lock until [Store.Close]; a build
//     with [BuildOptions.Check] opens nothing (nor connects Tarantool).
//   - Tarantool (backend/tarantool) takes address (required, host:port),
//     user, password, space (default "hitbox") and timeout (positive,
//     default 500ms); building it connects in the background. Both
//     stores' options go through their own Validate, whose errors are
//     placed on the backend. A reload's build ([BuildOptions.Reuse])
//     takes over the Disk and Tarantool stores whose settings did not
//     change.
//   - A composition needs l1 and l2; its policy defaults to Sequential,
//     OptimisticParallel, Never; race losers are offloaded.
//   - A composition's invalidation {channel} needs a Memory l1 over a
//     Redis l2; channel defaults to the l2's prefix + "invalidate". The
//     build makes the l2 announce its writes there and subscribes the l1
//     ([Store.Invalidators]); [Store.Close] closes the invalidator, then
//     the composition, then the layers.
//
// Endpoints:
//   - name is optional ("endpoints[N]" by default) and unique. An
//     endpoint's entries live under its name, or for an unnamed one under
//     "def-" and a digest of its request predicates and extractors
//     ([Endpoint.ID]), never its position; key_host (default true) keys
//     them by the request's host.
//   - request and response take a list (an And), one predicate mapping
//     (a tree), or null. A list item holds exactly one predicate. And and
//     Or take a list or null (empty, neutral); Not takes one predicate or a
//     list (their And); Not: null is an error. Method takes a method or a
//     list; Method: null is an error.
//   - Header and Query values: a scalar (eq; numbers and booleans as
//     written), a list (in), a mapping with exactly one operation, or a
//     tagged value. Both take eq, in, contains, regex, exist and exists
//     (exist and exists are the same). A null value is an error (write
//     {exist: ~}); so is a mapping without names. Tags are !eq, !in,
//     !contains, !regex, !exist and !exists, on those values only.
//     Header names must be HTTP tokens.
//   - Body takes exactly one of jq, eq, contains, starts, ends, regex and
//     limit; {jq: {expression}} without an operation must yield true; the
//     eq and in values of {jq: {...}} are compared as JSON values, as jq
//     compares them (1 equals 1.0, "1" does not); limit takes bytes or a
//     size.
//   - Status codes are integers from 100 to 999 (a quoted code is read as
//     a class name, and rejected); a range is [low, high] with low <= high.
//   - Extractors: Method takes no value (`- Method:`). Body takes a jq
//     string, {jq} alone, {regex, key, global, transforms} or
//     {transforms: [hash]} alone; a transforms map of the regex form must
//     name the regex's parts. transform and transforms are the same key
//     (one of them), taking one transform or a list; {truncate: N} needs
//     N >= 0. A selector's name may be {starts: ""} (every name).
//   - policy absent or null is Enabled {ttl: 5}; Enabled and Disabled may
//     be written as bare names; Disabled takes no settings. ttl, stale and
//     keep take whole seconds (an integer or a string of digits) or a Go
//     duration string (300ms, 10s, 5m, 1h30m); fractional seconds are
//     errors. ttl: 0 is an error (omit ttl for entries that never expire);
//     stale: 0 makes entries stale as soon as written; keep: 0 keeps
//     nothing after expiry. concurrency is at least 1.
//   - semantics (file level and per endpoint, the endpoint's wins) is
//     Hitbox (the default) or Rfc9111; [Endpoint.Semantics] holds the
//     resolved mode. The file-level rfc9111 section ([Rfc9111Options])
//     holds the mode's knobs: targeted_fields (HTTP field names, not
//     Cache-Control nor CDN-Cache-Control), strip_targeted,
//     heuristic {fraction from 0 to 1, max a positive duration, default
//     24h} and store_set_cookie; [File.MiddlewareOptions] turns them into
//     httpcache options.
package config
