package httpcache

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

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
	failures       []int // nil: defaultFailures
	stats          *Stats
	budget         *budget  // the in-flight budget, over inflight and stats
	tagHeaders     []string // canonical; nil before defaults: DefaultTagHeader

	// The Rfc9111 mode (semantics.go).
	semantics      Semantics
	targeted       []string
	stripTargeted  bool
	heuristic      float64
	heuristicMax   time.Duration
	storeSetCookie bool
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
// (request bodies read for predicates, responses being recorded): 64 MiB.
// With Go's garbage collector the memory these buffers take stays within
// about 2–3× the budget.
const DefaultInflightBudget = 64 << 20

// WithInflightBudget sets how many bytes may be buffered at once, across
// all requests, for request bodies read for predicates and extractors and
// responses being recorded for the store (default [DefaultInflightBudget];
// n <= 0 means the default). When it is spent, requests stream through
// uncached rather than buffer more.
func WithInflightBudget(n int64) Option { return func(c *config) { c.inflight = n } }

// defaultFailures are the statuses of an upstream failure unless
// WithFailureStatuses says otherwise (read-only).
var defaultFailures = [...]int{
	http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// WithFailureStatuses sets the statuses that make an upstream answer a
// failure (default 500, 502, 503 and 504; no argument means none). A
// failure that the response predicates do not store is shared with the
// callers waiting for the same upstream call, and lets a policy's
// StaleIfError serve a kept entry instead (see [hitbox.Fetched.Failed]).
// A status outside 100 to 999 is an error from the constructor.
func WithFailureStatuses(statuses ...int) Option {
	return func(c *config) { c.failures = append(make([]int, 0, len(statuses)), statuses...) }
}

// WithStats sets where the face counts what the flow's events do not show
// (responses too large to store, the in-flight budget, bodies cut short;
// see [Stats]). Default: counted in a Stats nobody reads.
func WithStats(s *Stats) Option { return func(c *config) { c.stats = s } }

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
	if c.failures == nil {
		c.failures = defaultFailures[:]
	}
	if c.stats == nil {
		c.stats = new(Stats)
	}
	c.budget = &budget{limit: c.inflight, stats: c.stats}
	if c.keyFormat == 0 {
		c.keyFormat = hitbox.KeyURLEncoded
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.tagDefaults()
}

// check reports an invalid option.
func (c *config) check() error {
	if err := c.checkRFC(); err != nil {
		return err
	}
	if err := c.checkTags(); err != nil {
		return err
	}
	for _, s := range c.failures {
		if s < 100 || s > 999 {
			return fmt.Errorf("%w: failure status %d", ErrInvalidOption, s)
		}
	}
	return nil
}

// failed reports whether status makes an answer an upstream failure.
func (c *config) failed(status int) bool {
	return slices.Contains(c.failures, status)
}
