package config

import (
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/predicate"
)

// Defaults of hitboxd's file (docs/config.md): the listen address and an
// endpoint's ttl (the default Memory backend holds memory.DefaultMaxBytes;
// an expired entry is kept hitbox.DefaultKeep).
const (
	defaultListen = "127.0.0.1:8080"
	defaultTTL    = 5 * time.Second
)

// Loc is where a value was written: its YAML path and its 1-based line
// and column. A value the file did not write (a default) has Line 0 and
// the path it would have had.
type Loc struct {
	Path      string
	Line, Col int
}

// File is a decoded and validated hitboxd configuration file. Every
// default of docs/config.md is filled in, so a File says everything that
// will run. Build turns it into running values.
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
	// UpstreamTimeout is the upstream_timeout of endpoints that set none,
	// and bounds the wait for the response headers of requests no endpoint
	// accepts (default 60s).
	UpstreamTimeout time.Duration
	// MaxBody is the largest response body buffered and stored; a larger
	// one streams through uncached (max_body, default [DefaultMaxBody]).
	MaxBody int64
	// MaxInflightBytes bounds the bytes buffered at once for the cache,
	// request bodies read for predicates and responses being recorded;
	// past it requests stream through uncached (max_inflight_bytes,
	// default [DefaultMaxInflightBytes]).
	MaxInflightBytes int64
	// Timeouts are the proxy's client and body timeouts.
	Timeouts Timeouts
	// Semantics is the file-level `semantics`: the mode of endpoints that
	// set none (default httpcache.SemanticsHitbox).
	Semantics httpcache.Semantics
	// Rfc9111 are the Rfc9111 mode's knobs (`rfc9111`).
	Rfc9111 Rfc9111Options
	// TagHeaders are the response headers whose space-separated tokens
	// tag each entry (tag_headers, default [Surrogate-Key]); empty:
	// none.
	TagHeaders []string
	// Tracing is the `tracing` section; its zero value (no section) means
	// the OTEL_* environment variables decide.
	Tracing Tracing
}

// Admin is the `admin` section.
type Admin struct {
	// Listen is the admin API's address; empty: no admin API.
	Listen string
	// Token, when not empty, is required as `Authorization: Bearer <token>`.
	Token string
}

// Endpoint is one entry of `endpoints`: which requests and responses are
// cached, under which key, for how long.
type Endpoint struct {
	// Name names the endpoint in logs and metrics; "endpoints[N]" when
	// the file gives none.
	Name string
	// ID identifies the endpoint's entries (httpcache.Endpoint.ID): its
	// name, or for an unnamed endpoint "def-" and a digest of its request
	// predicates and extractors, which does not change when endpoints are
	// inserted before it (see docs/config.md).
	ID  string
	Loc Loc
	// KeyHost keys entries by the request's host (key_host, default
	// true).
	KeyHost bool
	// Request says whether a request may be cached; nil: no condition.
	Request predicate.Request
	// Response says whether a response may be stored; nil: no condition.
	Response predicate.Response
	// Extractors build the key, in order; empty: a key with no parts.
	Extractors []extract.Extractor
	// Tags make the tags of the endpoint's entries (tags.request): Static
	// pairs or key extractors, each part a tag name=value; nil: none.
	Tags []extract.Extractor
	// request, response, extractors and tags describe the above for the
	// dump, the warnings and the endpoint's identity.
	request, response *cond
	extractors, tags  []*keyer
	// Policy says for how long.
	Policy Policy
	// UpstreamTimeout bounds the upstream call of the endpoint's requests
	// (upstream_timeout; the file's when the endpoint sets none).
	UpstreamTimeout time.Duration
	// Semantics is the endpoint's mode (semantics; the file's when the
	// endpoint sets none). Never zero in a parsed File.
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
	// StaleIfError is how long past its expiry an entry may still be
	// served when the upstream call fails (stale_if_error); 0: off. It
	// is at most Keep.
	StaleIfError time.Duration
}

// hitboxPolicy returns p as the flow takes it.
func (p Policy) hitboxPolicy() hitbox.Policy {
	if p.Disabled {
		return hitbox.Disabled()
	}
	hp := hitbox.Policy{StaleMode: p.StaleMode, Concurrency: p.Concurrency, Keep: p.Keep, StaleIfError: p.StaleIfError}
	if p.TTL != nil {
		hp.TTL = *p.TTL
	}
	if p.Stale != nil {
		// stale: 0 means stale from the time of writing, which the flow
		// spells as the shortest positive duration (zero is "never").
		hp.Stale = max(*p.Stale, time.Nanosecond)
	}
	if p.Keep == 0 {
		hp.Keep = -1 // keep: 0 keeps nothing; the flow's zero means the default
	}
	return hp
}
