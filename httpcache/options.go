package httpcache

import (
	"log/slog"

	"github.com/hitbox-go/hitbox"
)

// Default limits.
const (
	// DefaultMaxBody is the largest response body buffered for the cache:
	// 8 MiB. A larger body streams through to the client uncached.
	DefaultMaxBody = 8 << 20
	// DefaultMaxRequestBody is the largest request body read for
	// predicates and extractors: 1 MiB. A request with a larger body
	// bypasses the cache; its body still reaches the upstream unchanged.
	DefaultMaxRequestBody = 1 << 20
)

// Option configures [Middleware] and [NewTransport].
type Option func(*config)

type config struct {
	maxBody        int64
	maxRequestBody int64
	keyFormat      hitbox.KeyFormat
	namespace      string
	logger         *slog.Logger
	inflight       int64
}

// WithMaxBody sets the largest response body that is buffered and may be
// stored (default [DefaultMaxBody]; n <= 0 means the default). A response
// whose body is larger streams through to the client as it arrives and is
// never stored nor buffered whole.
func WithMaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithMaxRequestBody sets the largest request body read for request
// predicates and key extractors (default [DefaultMaxRequestBody]; n <= 0
// means the default). A request with a larger body bypasses the cache
// (fwd=bypass); its body still reaches the upstream unchanged.
func WithMaxRequestBody(n int64) Option { return func(c *config) { c.maxRequestBody = n } }

// DefaultInflightBudget bounds the bytes buffered at once for the cache
// (request bodies read for predicates, responses being recorded): 256 MiB.
const DefaultInflightBudget = 256 << 20

// WithInflightBudget sets how many bytes may be buffered at once, across
// all requests, for request bodies read for predicates and extractors and
// responses being recorded for the store (default [DefaultInflightBudget];
// n <= 0 means the default). When it is spent, requests stream through
// uncached rather than buffer more.
func WithInflightBudget(n int64) Option { return func(c *config) { c.inflight = n } }

// WithKeyFormat sets how keys are encoded for the backend (default
// [hitbox.KeyURLEncoded]); a format other than KeyURLEncoded or KeyBinary
// is an error from the constructor.
func WithKeyFormat(f hitbox.KeyFormat) Option { return func(c *config) { c.keyFormat = f } }

// WithNamespace sets the prefix of every key's namespace (default: none),
// keeping these entries apart from others on the same backend: it is the
// [Scope]'s Prefix, before the face, endpoint, scheme and host, so a purge
// by ns + "/" removes exactly these entries (when ns holds only letters,
// digits, '-', '.' and '_'; other bytes are escaped as Scope says).
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithLogger sets the logger for problems the cache swallows, such as
// cached bytes that cannot be decoded (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

func (c *config) defaults() {
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.maxRequestBody <= 0 {
		c.maxRequestBody = DefaultMaxRequestBody
	}
	if c.inflight <= 0 {
		c.inflight = DefaultInflightBudget
	}
	if c.keyFormat == 0 {
		c.keyFormat = hitbox.KeyURLEncoded
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
}
