package httpcache

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// rfcEndpoint is what an endpoint in the Rfc9111 mode adds.
type rfcEndpoint struct {
	rc rfc9111.Config
	// policy is the flow's policy for the endpoint's calls: the
	// endpoint's, with no Stale of its own (each entry's times come from
	// its response, see lifetime) and stale entries (those within their
	// stale-while-revalidate window) served while one background
	// revalidation runs.
	policy hitbox.Policy
	// swrCap bounds stale-while-revalidate: the policy's stale window
	// (TTL − Stale); -1 when the policy has none (no bound); 0 when the
	// policy says StaleRevalidate (a stale entry is never served).
	swrCap time.Duration
	// sieCap is the policy's StaleIfError: the bound of stale-if-error.
	sieCap time.Duration
}

func newRFCEndpoint(cfg *config, client bool, p hitbox.Policy) *rfcEndpoint {
	e := &rfcEndpoint{rc: cfg.rfcConfig(client, p.TTL), policy: p, swrCap: -1, sieCap: p.StaleIfError}
	switch {
	case p.StaleMode == hitbox.StaleRevalidate:
		e.swrCap = 0
	case p.Stale > 0 && p.TTL > p.Stale:
		e.swrCap = p.TTL - p.Stale
	}
	e.policy.Stale, e.policy.Jitter = 0, 0
	e.policy.StaleMode = hitbox.StaleOffloadRevalidate
	return e
}

// lifetime is the entry lifetime of a stored response: fresh for what is
// left of its freshness lifetime (nothing under no-cache), then stale (served while revalidated)
// for its stale-while-revalidate window bounded by the policy, then
// expired (kept for validation and stale-if-error). A response stale on
// arrival expires at once.
func (e *rfcEndpoint) lifetime(fr rfc9111.Freshness) (fresh, ttl time.Duration) {
	if !fr.NoCache {
		fresh = max(fr.Lifetime-fr.InitialAge, 0)
	}
	swr := time.Duration(0)
	if !fr.MustRevalidate && !fr.NoCache && e.swrCap != 0 {
		swr = fr.StaleWhileRevalidate
		if e.swrCap > 0 {
			swr = min(swr, e.swrCap)
		}
	}
	ttl = fresh + swr
	if ttl <= 0 {
		ttl = time.Nanosecond // expired at once, kept for validation
	}
	return fresh, ttl
}

// freshness reads the freshness of a stored response. Its written time is
// when it was received minus its age then (§4.2.3's
// corrected_initial_age), so its current age is simply now − written.
func (e *rfcEndpoint) freshness(v *view, h http.Header) rfc9111.Freshness {
	fr := e.rc.Freshness(e.rc.ParseResponse(v.status, h), v.written, v.written)
	fr.InitialAge, fr.ResponseTime = 0, v.written
	return fr
}

// staleIfError reports whether a stale entry may stand in for a failed
// upstream: the response allows it (no no-cache, must-revalidate,
// proxy-revalidate or s-maxage in a shared cache) within the policy's
// StaleIfError and, when the response or the request says
// stale-if-error, within the smaller of the two.
func (e *rfcEndpoint) staleIfError(req rfc9111.Request, fr rfc9111.Freshness, now time.Time) bool {
	if fr.NoCache || fr.MustRevalidate || req.NoCache {
		return false
	}
	limit := e.sieCap
	if fr.StaleIfError > 0 {
		limit = min(limit, fr.StaleIfError)
	}
	if sie := req.CC.StaleIfError; sie.Valid() {
		limit = min(limit, sie.Duration())
	}
	return fr.Staleness(now) <= limit
}

// rfcCall is what a call in the Rfc9111 mode learns from its own fetch
// (which may run on another goroutine, hence the atomics).
type rfcCall struct {
	req       rfc9111.Request
	fwd       string // "request" when the request forced a validation; else from the flow
	varyMiss  atomic.Bool
	fwdStatus atomic.Int32
	detail    atomic.Pointer[string]
	cookies   atomic.Pointer[[]string] // Set-Cookie stripped from what this call's fetch stored
	failure   atomic.Pointer[[]byte]   // this call's fetch's failed answer, for when no stale entry may hide it
}

func (c *rfcCall) setDetail(s string) {
	if s != "" {
		c.detail.Store(&s)
	}
}

// varyMissed notes that the primary key held a Vary marker and the
// request's variant was not stored (fwd=vary-miss).
func (c *rfcCall) varyMissed() { c.varyMiss.Store(true) }

// rfcForward returns the Cache-Status of an answer from the upstream in
// the Rfc9111 mode: "hitbox; fwd=F; fwd-status=N", then "; stored" and
// "; detail=D" when they apply.
func rfcForward(fwd string, code int, stored bool, detail string) string {
	b := make([]byte, 0, 64)
	b = append(b, "hitbox; fwd="...)
	b = append(b, fwd...)
	if code > 0 {
		b = append(b, "; fwd-status="...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	if stored {
		b = append(b, "; stored"...)
	}
	if detail != "" {
		b = append(b, "; detail="...)
		b = append(b, detail...)
	}
	return string(b)
}

// rfcCollapsed is the Cache-Status of an answer taken from another
// caller's upstream call in the Rfc9111 mode.
func rfcCollapsed(fwd string, code int) string {
	return "hitbox; fwd=" + fwd + "; fwd-status=" + strconv.Itoa(code) + "; collapsed"
}

// rfcHit returns the Cache-Status of an answer from the cache in the
// Rfc9111 mode: "hitbox; hit; ttl=N" (the freshness left, negative once
// stale) and "; detail=D" when it was served stale for a reason.
func rfcHit(ttl time.Duration, detail string) string {
	b := make([]byte, 0, 64)
	b = append(b, "hitbox; hit; ttl="...)
	b = strconv.AppendInt(b, floorSeconds(ttl), 10)
	if detail != "" {
		b = append(b, "; detail="...)
		b = append(b, detail...)
	}
	return string(b)
}

// fwdName is the RFC 9211 fwd value of a flow's Forward.
func (c *rfcCall) fwdName(res *hitbox.Result) string {
	switch {
	case c.fwd != "":
		return c.fwd
	case res.Forward == hitbox.ForwardStale:
		return "stale"
	case res.Forward == hitbox.ForwardBypass:
		return "bypass"
	case c.varyMiss.Load():
		return "vary-miss"
	}
	return "uri-miss"
}

// storedValue returns the stored response a request would be answered
// with (following a Vary marker to the request's variant), for its
// validators and for decisions the flow does not make, with whether its
// entry has expired (the flow would revalidate it); false when none. An
// entry invalidated by one of its tags is none, as for the flow.
func (c *core) storedValue(ctx context.Context, r *http.Request, key string) (e backend.Entry, expired, ok bool) {
	b := c.cache.Backend()
	now := c.clock.Now()
	e, ok, err := b.Get(ctx, key)
	if err != nil || !ok || e.Gone(now) || tagInvalidated(ctx, b, e) {
		return backend.Entry{}, false, false
	}
	if names, gen, marker := parseMarkerGen(e.Value); marker {
		vk := variantKey(key, variantOfGen(r, names, gen))
		if vk == "" {
			return backend.Entry{}, false, false
		}
		if e, ok, err = b.Get(ctx, vk); err != nil || !ok || e.Gone(now) || tagInvalidated(ctx, b, e) {
			return backend.Entry{}, false, false
		}
	}
	return e, e.State(now) == backend.Expired, true
}

// conditionals are the request fields of a client's conditional request
// that the Rfc9111 mode evaluates itself (it asks the upstream with its
// own validators, then answers the client from the full response).
var conditionals = [...]string{"If-None-Match", "If-Modified-Since"}

// prepareStored readies a storable response's header in place for the
// store: the fields RFC 9111 §3.1 never stores stripped, Set-Cookie taken
// out (returned), and a Date added when it has none (RFC 9110 §6.6.1).
// Targeted fields are kept (the entry's freshness is read from them) and
// stripped on the way out when so configured.
func (c *core) prepareStored(rc *rfc9111.Config, h http.Header, cc rfc9111.Directives, now time.Time) (cookies []string) {
	rc.StripForStore(h, cc)
	if v, ok := h["Set-Cookie"]; ok {
		cookies = v
		delete(h, "Set-Cookie")
	}
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{now.UTC().Format(http.TimeFormat)}
	}
	return cookies
}

// varyNoter is a fetcher that wants to know of a Vary miss.
type varyNoter interface{ varyMissed() }

// again returns the state of a retried call (nil stays nil).
func (c *rfcCall) again() *rfcCall {
	if c == nil {
		return nil
	}
	return &rfcCall{req: c.req, fwd: c.fwd}
}

// request is the flow's request of key for the endpoint: under the
// Rfc9111 mode's policy when the endpoint is in that mode.
func (e *endpoint) request(key string) hitbox.Request {
	p := e.policy
	if e.rfc != nil {
		p = e.rfc.policy
	}
	return hitbox.Request{Key: key, Policy: p, Endpoint: e.name, Timeout: e.timeout}
}

// rfcHeadKey gives a HEAD for an endpoint in the Rfc9111 mode the key of
// a GET of the same resource: it is answered from the stored GET
// response, headers only, and its own answer is never stored (§4.3.5).
func (c *core) rfcHeadKey(p *plan) {
	if p.ep == nil || p.ep.rfc == nil || p.r.Method != http.MethodHead {
		return
	}
	if k, ok := c.getKey(*p); ok {
		p.key = k
	}
}
