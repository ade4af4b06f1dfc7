package httpcache

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

// Errors returned by [Middleware] and [NewTransport].
var (
	// ErrNilCache: no [hitbox.Cache] was given.
	ErrNilCache = errors.New("httpcache: nil cache")
	// ErrInvalidEndpoint is wrapped by the errors describing a bad
	// [Endpoint] (an invalid policy, a nil extractor).
	ErrInvalidEndpoint = errors.New("httpcache: invalid endpoint")
	// ErrInvalidOption is wrapped by the errors describing a bad [Option].
	ErrInvalidOption = errors.New("httpcache: invalid option")
)

// Endpoint says which requests are cached and how: hitbox's endpoint
// (request predicates, response predicates, key extractors, policy).
//
// Endpoints are tried in order: one whose Policy is Disabled is skipped,
// and the first whose Request predicate holds answers the request. A
// request that no endpoint accepts goes to the upstream, is not stored and
// is answered with X-Cache-Status: MISS and Cache-Status: hitbox;
// fwd=bypass; fwd-status=N.
//
// The predicates are the whole truth: nothing is excluded behind them, so
// a request with Authorization or a response with Set-Cookie is cached
// when they accept it (see the package documentation for how to rule them
// out).
type Endpoint struct {
	// Name names the endpoint in events and metrics.
	Name string
	// ID identifies the endpoint's entries: every key of the endpoint
	// lives under a namespace made of it and the request's scheme and
	// host (see [Scope]), so endpoints never share entries even when
	// their extractors make the same parts. Empty means Name; when both
	// are empty, the endpoint's position in the list ("#0", "#1", ...),
	// which shifts when an endpoint is inserted before it: then its
	// entries are not found again (and those of another endpoint that
	// takes its place are not reused either, they are only wasted). Give
	// such endpoints a Name or an ID when the list may change while a
	// shared backend keeps its entries. Two endpoints with one identity
	// are an error ([ErrInvalidEndpoint]).
	ID string
	// IgnoreHost leaves the request's host out of the key: requests for
	// every host share entries. Set it only for an upstream that answers
	// the same whatever the Host (and X-Forwarded-Host) it is sent; by
	// default each host has its own entries. The scheme stays keyed.
	IgnoreHost bool
	// Request decides whether a request may be cached. Nil means the
	// request's method is GET, as hitbox's default `- Method: GET`; use
	// predicate.And() for "every request".
	Request predicate.Request
	// Response decides whether a response may be stored. Nil means the
	// status is 200, as hitbox's default `- Status: 200`; use
	// predicate.And() for "every response".
	Response predicate.Response
	// Extractors build the cache key, in order. Nil means, for a
	// Middleware, extract.Default() (the method, then the whole path), and
	// for a Transport the whole URL: the parts "method", "path" and
	// "query" (the raw query, "" when none), the scheme and host being in
	// the key's namespace. An empty, non-nil slice means a key with no
	// parts (every accepted request for one scheme and host shares one
	// entry).
	Extractors []extract.Extractor
	// Tags make the tags stored with each of the endpoint's answers (see
	// hitbox.Cache.InvalidateTags), hitbox's `tags: {request: [...]}`:
	// every part the extractors yield with a value becomes the tag
	// "name=value" (extract.Static gives fixed ones). Nil: no request
	// tags (a response's tag header still gives some, see
	// WithTagHeaders).
	Tags []extract.Extractor
	// Policy says how long answers are kept and what stale entries get.
	// The zero Policy is enabled and never expires.
	Policy hitbox.Policy
	// UpstreamTimeout, when positive, bounds the shared upstream call of
	// this endpoint's requests (default: the Cache's upstream timeout).
	UpstreamTimeout time.Duration
	// Semantics, when set, is this endpoint's semantics, whatever
	// [WithSemantics] says; zero means WithSemantics' (SemanticsHitbox
	// by default). An unknown value is an error ([ErrInvalidEndpoint]).
	Semantics Semantics
}

// endpoint is an Endpoint with its defaults applied.
type endpoint struct {
	name    string
	ns      string // the namespace's fields before the scheme: prefix/face/id/
	anyHost bool
	req     predicate.Request
	resp    predicate.Response
	ex      []extract.Extractor
	tags    []extract.Extractor // nil: no request tags
	policy  hitbox.Policy
	timeout time.Duration
	rfc     *rfcEndpoint // nil: SemanticsHitbox
}

// compileEndpoints applies the defaults and each endpoint's semantics;
// client says the endpoints are a Transport's, cfg holds the options
// (the [WithNamespace] prefix, the Rfc9111 mode's knobs).
func compileEndpoints(eps []Endpoint, client bool, cfg *config) ([]endpoint, error) {
	prefix := cfg.namespace
	get, err := predicate.Method(http.MethodGet)
	if err != nil {
		return nil, err
	}
	ok200 := predicate.Status(http.StatusOK)
	out := make([]endpoint, 0, len(eps))
	ids := make(map[string]int, len(eps))
	for i, e := range eps {
		if err := e.Policy.Validate(); err != nil {
			return nil, fmt.Errorf("%w %d (%q): %w", ErrInvalidEndpoint, i, e.Name, err)
		}
		if e.Policy.Disabled {
			continue // skipped: never accepts a request
		}
		id := cmp.Or(e.ID, e.Name, "#"+strconv.Itoa(i))
		if j, dup := ids[id]; dup {
			return nil, fmt.Errorf("%w %d (%q): endpoint %d has the same identity %q: their entries would mix", ErrInvalidEndpoint, i, e.Name, j, id)
		}
		ids[id] = i
		c := endpoint{name: e.Name, req: e.Request, resp: e.Response, ex: e.Extractors, tags: e.Tags, policy: e.Policy, timeout: e.UpstreamTimeout,
			ns: string(appendScopeHead(nil, prefix, client, id)), anyHost: e.IgnoreHost}
		if c.req == nil {
			c.req = get
		}
		if c.resp == nil {
			c.resp = ok200
		}
		if c.ex == nil {
			c.ex = defaultExtractors(client)
		}
		for j, x := range c.ex {
			if x == nil {
				return nil, fmt.Errorf("%w %d (%q): extractor %d is nil", ErrInvalidEndpoint, i, e.Name, j)
			}
		}
		for j, x := range c.tags {
			if x == nil {
				return nil, fmt.Errorf("%w %d (%q): tag extractor %d is nil", ErrInvalidEndpoint, i, e.Name, j)
			}
		}
		switch cmp.Or(e.Semantics, cfg.semantics, SemanticsHitbox) {
		case SemanticsHitbox:
		case SemanticsRfc9111:
			c.rfc = newRFCEndpoint(cfg, client, e.Policy)
		default:
			return nil, fmt.Errorf("%w %d (%q): unknown semantics %d", ErrInvalidEndpoint, i, e.Name, e.Semantics)
		}
		out = append(out, c)
	}
	return out, nil
}

// core is what Middleware and Transport share: endpoint selection, request
// bodies, keys.
type core struct {
	cache     *hitbox.Cache
	clock     hitbox.Clock
	endpoints []endpoint
	cfg       config
	client    bool      // a Transport's: keys say so, and the default key is the whole URL
	scratch   sync.Pool // of *scratch
	// tagsLogged is set once the dropping of tags was logged.
	tagsLogged atomic.Bool
}

// newCore compiles the endpoints of a Middleware (client false) or a
// Transport (client true).
func newCore(c *hitbox.Cache, eps []Endpoint, opts []Option, client bool) (*core, error) {
	if c == nil {
		return nil, ErrNilCache
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.defaults()
	if cfg.keyFormat != hitbox.KeyURLEncoded && cfg.keyFormat != hitbox.KeyBinary {
		return nil, fmt.Errorf("%w: key format %v", ErrInvalidOption, cfg.keyFormat)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	compiled, err := compileEndpoints(eps, client, &cfg)
	if err != nil {
		return nil, err
	}
	clock := c.Clock()
	if clock == nil {
		clock = hitbox.SystemClock{}
	}
	return &core{cache: c, clock: clock, endpoints: compiled, cfg: cfg, client: client}, nil
}

// plan is what the cache will do with one request.
type plan struct {
	r    *http.Request // the request with a replayable body (or r itself)
	body []byte        // the buffered request body; nil when none
	ep   *endpoint     // nil: bypass
	key  string
}

// scratch holds reusable buffers for key building.
type scratch struct {
	parts []hitbox.KeyPart
	ns    []byte
	key   []byte
}

// Bounds on the buffers kept for reuse.
const (
	maxPooledParts = 64
	maxPooledKey   = 4 << 10
)

// prepare buffers the request body, picks the endpoint and builds the key.
// A request it cannot key (body too large or unreadable, no endpoint, an
// extractor error) gets a plan without endpoint: a bypass. clientSide
// says r is a client's request (the Transport), whose body must be closed
// once read and which must not be modified.
func (c *core) prepare(r *http.Request, clientSide bool) plan {
	p := plan{r: r}
	if len(c.endpoints) == 0 {
		return p // nothing can accept it: the body streams to the upstream unread
	}
	if !clientSide && (ambiguousPath(r.URL.EscapedPath()) || ambiguousQuery(r.URL.RawQuery) || namesHeaders(r.Header)) {
		return p // never cached: see ambiguousPath, ambiguousQuery and namesHeaders
	}
	var ok bool
	p.r, p.body, ok = bufferBody(r, c.cfg.maxRequestBody, clientSide, c.cfg.budget)
	if !ok {
		return p
	}
	var ep *endpoint
	for i := range c.endpoints {
		if i > 0 && p.body != nil {
			resetBody(p.r, p.body) // a predicate may have consumed it
		}
		if c.endpoints[i].req.Match(p.r) {
			ep = &c.endpoints[i]
			break
		}
	}
	if ep == nil {
		return p
	}
	if p.body != nil {
		resetBody(p.r, p.body)
	}
	key, ok := c.key(p.r, ep)
	if !ok {
		return p
	}
	if !clientSide && len(p.body) > 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) && c.unkeyedBody(p.r, ep, key) {
		return p // never cached: see unkeyedBody
	}
	p.key, p.ep = key, ep
	return p
}

// unkeyedBody reports whether key, built for r (a GET or HEAD with a
// body), is also the key of r without its body: no part of it comes from
// the body. The Middleware never caches such a request. Content in a GET
// has no defined meaning (RFC 9110, section 9.3.1), yet some upstreams
// read it (form parameters merged with the query's), so a client could
// store, under a plain GET's key, an answer made for its body ("fat GET"
// poisoning). An endpoint whose key reads the body caches as usual.
func (c *core) unkeyedBody(r *http.Request, ep *endpoint, key string) bool {
	bare := *r
	bare.Body, bare.GetBody, bare.ContentLength = http.NoBody, nil, 0
	bareKey, ok := c.key(&bare, ep)
	return ok && bareKey == key
}

// key runs ep's extractors on r and encodes the key; false when an
// extractor failed (the request cannot be keyed).
func (c *core) key(r *http.Request, ep *endpoint) (string, bool) {
	s, _ := c.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	defer c.scratch.Put(s)
	parts, err := extract.Key(r, ep.ex, s.parts[:0])
	if err == nil && ep.rfc != nil && r.URL != nil {
		// RFC 9111's primary key is the whole target URI (the scheme and
		// host are in the namespace), beside the extractors' parts.
		parts = append(parts, hitbox.Part("uri", r.URL.RequestURI()))
	}
	var key string
	if err == nil {
		s.ns = append(s.ns[:0], ep.ns...)
		scheme := requestScheme(r, c.client)
		host := ""
		if !ep.anyHost {
			host = requestHost(r, scheme)
		}
		s.ns = appendScopeHost(s.ns, scheme, host, ep.anyHost)
		// The namespace is copied into the key before s.ns changes.
		k := hitbox.Key{Namespace: unsafe.String(unsafe.SliceData(s.ns), len(s.ns)), Parts: parts}
		if c.cfg.keyFormat == hitbox.KeyBinary {
			s.key = k.AppendBinary(s.key[:0])
		} else {
			s.key = k.AppendURLEncoded(s.key[:0])
		}
		key = string(s.key)
	}
	clear(parts) // drop the strings the pooled slice refers to
	if cap(parts) <= maxPooledParts {
		s.parts = parts[:0]
	}
	if cap(s.key) > maxPooledKey {
		s.key = nil
	}
	if cap(s.ns) > maxPooledKey {
		s.ns = nil
	}
	return key, err == nil
}

// defaultExtractors are the extractors of an endpoint that names none: a
// Transport's key is the whole URL (the scheme and host are in the
// namespace), a Middleware's hitbox's default.
func defaultExtractors(client bool) []extract.Extractor {
	if !client {
		return extract.Default()
	}
	return append(extract.Default(), extract.Func(rawQuery))
}

// rawQuery adds the part "query": the request's query as sent.
func rawQuery(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	q := ""
	if r.URL != nil {
		q = r.URL.RawQuery
	}
	return append(parts, hitbox.Part("query", q)), nil
}
