package httpcache

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// Semantics says which rules decide what is stored and how long it is
// served: hitbox's (the endpoint's predicates and policy are the whole
// truth) or RFC 9111's on top of them. See the package documentation,
// "The Rfc9111 mode".
type Semantics uint8

const (
	// SemanticsHitbox: the predicates and the policy are the whole truth;
	// Cache-Control, Expires, validators and unsafe methods are ignored.
	// The default.
	SemanticsHitbox Semantics = iota + 1
	// SemanticsRfc9111: inside what the predicates allow, responses are
	// stored, kept fresh, revalidated and invalidated as RFC 9111 says
	// (a Middleware is a shared cache, a Transport a private one), with
	// the policy's TTL as a cap on every freshness lifetime.
	SemanticsRfc9111
)

// String returns "Hitbox", "Rfc9111", or "" for the zero value (unset).
func (s Semantics) String() string {
	switch s {
	case SemanticsHitbox:
		return "Hitbox"
	case SemanticsRfc9111:
		return "Rfc9111"
	case 0:
		return ""
	}
	return fmt.Sprintf("Semantics(%d)", uint8(s))
}

// WithSemantics sets the semantics of every endpoint that does not set
// its own ([Endpoint.Semantics] wins). Default [SemanticsHitbox]; an
// unknown value is an error from the constructor.
func WithSemantics(s Semantics) Option { return func(c *config) { c.semantics = s } }

// WithTargetedFields names targeted cache-control fields (RFC 9213), most
// specific first, that a Middleware in the Rfc9111 mode honours before
// CDN-Cache-Control and Cache-Control, e.g. "Hitbox-Cache-Control". With
// strip, these fields and CDN-Cache-Control are removed from what is
// stored and sent to clients (they were meant for this cache); without,
// they pass through. A name that is not a field name is an error from the
// constructor. A Transport (a private cache) ignores targeted fields.
func WithTargetedFields(strip bool, names ...string) Option {
	return func(c *config) {
		c.targeted = append([]string(nil), names...)
		c.stripTargeted = strip
	}
}

// WithHeuristicFreshness lets the Rfc9111 mode give a response without
// explicit freshness (no max-age, s-maxage nor Expires) a lifetime of
// fraction of the time since its Last-Modified, at most limit (RFC 9111
// §4.2.2; 0.1 and a day are typical; limit 0 means a day). Default off: a
// response without explicit freshness is stored stale (it is then
// revalidated before each use). A fraction outside [0, 1] or a negative
// limit is an error from the constructor.
func WithHeuristicFreshness(fraction float64, limit time.Duration) Option {
	return func(c *config) { c.heuristic, c.heuristicMax = fraction, limit }
}

// WithStoreSetCookie lets the Rfc9111 mode store a response carrying
// Set-Cookie, without that field: the client whose request fetched it
// gets its cookies, every other client the stored response without them.
// By default such a response is never stored (Cache-Status
// detail=set-cookie): a cookie is one client's.
func WithStoreSetCookie(on bool) Option { return func(c *config) { c.storeSetCookie = on } }

// rfcConfig is the rfc9111.Config of an endpoint in the Rfc9111 mode of a
// Middleware (shared) or a Transport (private), capped by its policy's
// ttl.
func (c *config) rfcConfig(client bool, maxTTL time.Duration) rfc9111.Config {
	rc := rfc9111.Config{Private: client, Heuristic: c.heuristic, HeuristicMax: c.heuristicMax, MaxTTL: maxTTL}
	if !client {
		rc.Targeted = c.targeted
	}
	return rc
}

// checkRFC reports an invalid option of the Rfc9111 mode.
func (c *config) checkRFC() error {
	switch c.semantics {
	case 0, SemanticsHitbox, SemanticsRfc9111:
	default:
		return fmt.Errorf("%w: unknown semantics %d", ErrInvalidOption, c.semantics)
	}
	rc := rfc9111.Config{Targeted: c.targeted, Heuristic: c.heuristic, HeuristicMax: c.heuristicMax}
	if err := rc.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	return nil
}

// stripTargetedFields removes the targeted fields from h when so
// configured.
func (c *config) stripTargetedFields(h http.Header) {
	if !c.stripTargeted {
		return
	}
	delete(h, rfc9111.CDNCacheControl)
	for _, n := range c.targeted {
		delete(h, http.CanonicalHeaderKey(n))
	}
}
