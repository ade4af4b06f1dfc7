package config

import (
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
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

// Endpoint is one entry of `endpoints`: the httpcache.Endpoint it builds
// and where it was written. Its Name is "endpoints[N]" when unnamed, its
// ID its name or "def-" and a digest of its request predicates and
// extractors; Request and Response are predicate.And() where the file sets
// no condition; Extractors is empty, not nil, for a key with no parts.
type Endpoint struct {
	httpcache.Endpoint
	Loc Loc
	// Descriptions of the predicates and extractors, for the dump,
	// warnings and identity.
	request, response *cond
	extractors, tags  []*keyer
	policyLoc         Loc
}
