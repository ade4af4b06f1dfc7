package config

import (
	"cmp"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/predicate"
)

// Defaults of docs/config.md.
const (
	defaultListen = "127.0.0.1:8080"
	defaultTTL    = 5 * time.Second
)

// Loc is where a value was written: its YAML path and 1-based line and
// column. A default has Line 0 and the path it would have had.
type Loc struct {
	Path      string
	Line, Col int
}

// File is a decoded and validated hitboxd file, every default filled in.
type File struct {
	// Name is the file name errors and warnings carry.
	Name string
	// Listen is where clients connect (host:port).
	Listen string
	// Upstream is the origin's URL (http or https).
	Upstream string
	// Admin is the admin API; its Listen is empty when it is off.
	Admin Admin
	// Backend is the store tree; never nil.
	Backend *Backend
	// Endpoints are tried in order.
	Endpoints []*Endpoint
	// UpstreamTimeout is the upstream_timeout of endpoints that set none
	// and of requests no endpoint accepts (default 60s).
	UpstreamTimeout time.Duration
	// MaxBody is the largest response body stored (max_body).
	MaxBody int64
	// MaxInflightBytes bounds the bytes buffered at once for the cache
	// (max_inflight_bytes).
	MaxInflightBytes int64
	// Timeouts are the proxy's client and body timeouts.
	Timeouts Timeouts
	// Semantics is the mode of endpoints that set none.
	Semantics httpcache.Semantics
	// Rfc9111 are the Rfc9111 mode's knobs (`rfc9111`).
	Rfc9111 Rfc9111Options
	// TagHeaders are the response headers whose tokens tag each entry
	// (tag_headers, default [Surrogate-Key]).
	TagHeaders []string
	// Tracing is the `tracing` section.
	Tracing Tracing
}

// Admin is the `admin` section.
type Admin struct {
	// Listen is the admin API's address; empty: no admin API.
	Listen string
	// Token, when not empty, is required as `Authorization: Bearer <token>`.
	Token string
}

// Endpoint is one entry of `endpoints`.
type Endpoint struct {
	// Name names the endpoint in logs and metrics ("endpoints[N]" when
	// unnamed).
	Name string
	// ID identifies the endpoint's entries: its name, or "def-" and a
	// digest of its request predicates and extractors.
	ID  string
	Loc Loc
	// KeyHost keys entries by the request's host (key_host).
	KeyHost bool
	// Request says whether a request may be cached; nil: no condition.
	Request predicate.Request
	// Response says whether a response may be stored; nil: no condition.
	Response predicate.Response
	// Extractors build the key, in order; empty: a key with no parts.
	Extractors []extract.Extractor
	// Tags make the tags of the endpoint's entries (tags.request).
	Tags []extract.Extractor
	// Descriptions of the above, for the dump, warnings and identity.
	request, response *cond
	extractors, tags  []*keyer
	// Policy says for how long.
	Policy Policy
	// UpstreamTimeout bounds the upstream call (upstream_timeout).
	UpstreamTimeout time.Duration
	// Semantics is the endpoint's mode (semantics); never zero.
	Semantics httpcache.Semantics
}

// Policy is an endpoint's `policy`.
type Policy struct {
	Loc Loc
	// Disabled: requests bypass the cache.
	Disabled bool
	// TTL is how long after writing an entry expires; nil: never.
	TTL *time.Duration
	// Stale is how long after writing an entry turns stale; nil: never.
	Stale *time.Duration
	// Keep is how long an expired entry is kept; 0 keeps none.
	Keep time.Duration
	// StaleMode is what a stale entry gets.
	StaleMode hitbox.StaleMode
	// Concurrency is the number of upstream calls per key at once.
	Concurrency int
	// StaleIfError is how long past its expiry an entry may be served
	// when the upstream fails (stale_if_error); at most Keep.
	StaleIfError time.Duration
}

// hitboxPolicy returns p as the flow takes it.
func (p Policy) hitboxPolicy() hitbox.Policy {
	if p.Disabled {
		return hitbox.Disabled()
	}
	// keep: 0 keeps nothing; the flow's zero means the default.
	hp := hitbox.Policy{StaleMode: p.StaleMode, Concurrency: p.Concurrency, Keep: cmp.Or(p.Keep, -1), StaleIfError: p.StaleIfError}
	if p.TTL != nil {
		hp.TTL = *p.TTL
	}
	if p.Stale != nil {
		hp.Stale = max(*p.Stale, time.Nanosecond) // stale: 0 is stale at once; the flow's zero is "never"
	}
	return hp
}
