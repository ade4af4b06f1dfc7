package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// serveRFCMode answers a request that an endpoint in the Rfc9111 mode
// accepted: GET and HEAD through the flow (after the request's own
// directives had their say), any other method straight from the handler,
// invalidating what its answer says (§4.4).
func (h *handler) serveRFCMode(w http.ResponseWriter, r *http.Request, c *call) {
	if m := c.p.r.Method; m != http.MethodGet && m != http.MethodHead {
		code := h.bypass(w, c.p.r, c.p.ep.name, hitbox.ForwardBypass)
		h.invalidate(r.Context(), c.p.r, code, w.Header())
		return
	}
	rq := c.rfc.req
	if !rq.NoCache && len(r.Header["Cache-Control"]) == 0 {
		h.serve(w, r, c, true) // nothing to ask of the cache: the flow decides
		return
	}
	var (
		fr     rfc9111.Freshness
		stored []byte
		d      rfc9111.Decision
	)
	now := h.clock.Now()
	if b, ok := h.storedValue(r.Context(), c.p.r, c.p.key); ok {
		if v, err := parse(b); err == nil && servable(c.p.r, b) {
			hdr := make(http.Header, v.nkeys)
			v.fill(hdr, 0)
			fr = c.p.ep.rfc.freshness(&v, hdr)
			stored, d = b, rfc9111.Decide(rq, fr, now)
		}
	}
	switch {
	case stored == nil && rq.CC.OnlyIfCached, d == rfc9111.GatewayTimeout:
		h.gatewayTimeout(w)
	case d == rfc9111.ServeStale, d == rfc9111.Serve && rq.CC.OnlyIfCached:
		st := hitbox.Hit
		if d == rfc9111.ServeStale {
			st = hitbox.Stale
			c.rfc.setDetail("max-stale")
		}
		if !h.serveRFC(w, r, c, &hitbox.Result{Value: stored, Status: st}) {
			h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
		}
	case d == rfc9111.Revalidate:
		h.revalidateRFC(w, r, c)
	default:
		h.serve(w, r, c, true) // a miss, or what the flow serves as well
	}
}

// revalidateRFC answers a request whose directives do not let the stored
// response answer it (no-cache, max-age, min-fresh): the upstream is
// asked, with the stored response's validators, on this goroutine
// (fwd=request), and its answer stored as a miss's would be.
func (h *handler) revalidateRFC(w http.ResponseWriter, r *http.Request, c *call) {
	defer c.s.detach()
	c.rfc.fwd = "request"
	req := c.request()
	f, err := h.settle(c.p.r, req, "", nil, c, &c.led)(r.Context())
	res := hitbox.Result{Value: f.Value, Status: hitbox.Miss, Forward: hitbox.ForwardMiss, Failed: f.Failed && !f.Store}
	if err == nil && f.Store {
		res.Stored = h.cache.SetFetched(r.Context(), req, f)
	}
	if p := c.led.Load(); p != nil {
		res.Value = *p
	}
	if !h.answer(w, r, c, res, err) {
		h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
	}
}

// gatewayTimeout answers an only-if-cached request that nothing stored
// can answer (§5.2.1.7).
func (h *handler) gatewayTimeout(w http.ResponseWriter) {
	hdr := w.Header()
	hdr[hdrXCacheStatus] = []string{statusMiss}
	hdr[hdrCacheStatus] = []string{"hitbox; detail=only-if-cached"}
	delete(hdr, hdrAge)
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = io.WriteString(w, "not in cache\n")
}

// fetchRFC asks the handler in the Rfc9111 mode: with the stored
// response's validators when there is one (a 304 that selects it
// refreshes it, §4.3.4), storing what RFC 9111 §3 allows within the
// response predicates, each entry with its own lifetime. kept receives
// the recorded buffer's size, as fetch's.
func (c *call) fetchRFC(ctx context.Context, kept *int64) (hitbox.Fetched, error) {
	ep := c.p.ep
	var (
		sv     view
		stored http.Header
	)
	if b, ok := c.h.storedValue(ctx, c.p.r, c.p.key); ok {
		if v, err := parse(b); err == nil {
			sv, stored = v, make(http.Header, v.nkeys)
			v.fill(stored, 0)
		}
	}
	ureq, validated := upstreamRequest(c.p.r, stored)
	reqTime := c.h.clock.Now()
	o := runHandler(ctx, c.h.next, ureq, c.p.body, &c.h.cfg, &c.s, c.storableRFC)
	if hp, ok := errors.AsType[*handlerPanic](o.err); ok && hp.req == ureq {
		hp.req = c.p.r // the request's own call panicked: answer() repanics
	}
	switch {
	case o.err != nil:
		return hitbox.Fetched{}, o.err
	case o.uncached:
		return hitbox.Fetched{}, nil
	}
	now := c.h.clock.Now()
	resp := o.resp
	*kept = int64(cap(o.frame))
	c.rfc.fwdStatus.Store(int32(resp.status))
	if resp.status == http.StatusNotModified && validated && !o.teed && rfc9111.Selects(resp.header, stored) {
		// §4.3.4: the stored response, its header refreshed.
		fresh := &response{status: sv.status, header: ep.rfc.rc.Update(stored, resp.header), body: sv.body}
		return c.storeRFC(fresh, nil, reqTime, now), nil
	}
	failed := !c.head && !o.teed && c.h.cfg.failed(resp.status)
	ok, why := c.verdictRFC(resp)
	if ok && failed && stored != nil {
		// An upstream failure never replaces a stored response: the
		// flow's stale-if-error may hide it.
		ok, why = false, "failure"
	}
	if !ok {
		c.rfc.setDetail(why)
		value := o.encode(now)
		if failed {
			c.rfc.failure.Store(&value)
			return hitbox.Fetched{Value: value, Failed: true}, nil
		}
		return hitbox.Fetched{Value: value}, nil
	}
	return c.storeRFC(resp, &o, reqTime, now), nil
}

// storeRFC returns the answer of a storable response, with its lifetime;
// o, when given, holds resp's buffer (encoded in place).
func (c *call) storeRFC(resp *response, o *outcome, reqTime, now time.Time) hitbox.Fetched {
	rc := &c.p.ep.rfc.rc
	rr := rc.ParseResponse(resp.status, resp.header)
	if cookies := c.h.prepareStored(rc, resp.header, rr.CC, now); cookies != nil {
		c.rfc.cookies.Store(&cookies)
	}
	fr := rc.Freshness(rr, reqTime, now)
	written := now.Add(-fr.InitialAge)
	var value []byte
	if o != nil {
		value = o.encode(written)
	} else {
		value = encode(resp.status, resp.header, resp.body, written)
	}
	fresh, ttl := c.p.ep.rfc.lifetime(fr)
	return hitbox.Fetched{Value: value, Store: true, Fresh: fresh, TTL: ttl}
}

// storableRFC reports whether a recorded response may be stored in the
// Rfc9111 mode (see verdictRFC).
func (c *call) storableRFC(resp *response) bool {
	ok, _ := c.verdictRFC(resp)
	return ok
}

// verdictRFC says whether a recorded response may be stored in the
// Rfc9111 mode: it answers no HEAD a GET's key shares, is complete, the
// response predicates hold, RFC 9111 §3 allows it, and it sets no cookie
// (unless WithStoreSetCookie); when not, why (a Cache-Status detail).
func (c *call) verdictRFC(resp *response) (bool, string) {
	switch {
	case c.head:
		return false, "head"
	case partial(resp.status, resp.header):
		return false, "partial"
	case !c.p.ep.resp.Match(asHTTPResponse(resp, c.p.r)):
		return false, "predicate"
	}
	rc := &c.p.ep.rfc.rc
	if ok, why := rc.Storable(c.rfc.req, rc.ParseResponse(resp.status, resp.header)); !ok {
		return false, why.String()
	}
	if _, cookie := resp.header["Set-Cookie"]; cookie && !c.h.cfg.storeSetCookie {
		return false, "set-cookie"
	}
	return true, ""
}

// serveRFC writes an answer of the flow in the Rfc9111 mode: from the
// cache (HIT or STALE, with Age per §4.2.3) or from the upstream (MISS),
// as 304 when the client's own conditional request matches a 200 (RFC
// 9110 §13); false when the cached bytes do not decode.
func (h *handler) serveRFC(w http.ResponseWriter, r *http.Request, c *call, res *hitbox.Result) bool {
	v, err := parse(res.Value)
	if err != nil {
		return false
	}
	ep := c.p.ep.rfc
	sh := make(http.Header, v.nkeys+3)
	v.fill(sh, 0)
	now := h.clock.Now()
	var (
		xcs, cs string
		age     int64
	)
	detail := ""
	if p := c.rfc.detail.Load(); p != nil {
		detail = *p
	}
	switch {
	case res.Status == hitbox.Hit && res.Collapsed:
		xcs, cs = statusHit, rfcForward(c.rfc.fwdName(res), v.status, true, "collapsed")
		age = ageSeconds(v.written, now)
	case res.Status == hitbox.Hit || res.Status == hitbox.Stale:
		fr := ep.freshness(&v, sh)
		switch {
		case res.StaleIfError:
			if !ep.staleIfError(c.rfc.req, fr, now) {
				// The stale entry may not hide the failure: this call's
				// own failed answer, else 502.
				if f := c.rfc.failure.Load(); f != nil {
					return h.serveRFC(w, r, c, &hitbox.Result{Value: *f, Status: hitbox.Miss, Forward: res.Forward, Failed: true})
				}
				h.writeError(w, res.Forward)
				return true
			}
			detail = "stale-if-error"
		case res.Status == hitbox.Stale && detail == "":
			detail = "stale-while-revalidate"
		}
		xcs, cs, age = cachedXStatus(res.Status), rfcHit(fr.Remaining(now), detail), fr.AgeSeconds(now)
	default:
		code := int(c.rfc.fwdStatus.Load())
		if code == 0 {
			code = v.status
		}
		xcs, cs = statusMiss, rfcForward(c.rfc.fwdName(res), code, res.Stored, detail)
		if p := c.rfc.cookies.Load(); p != nil && !res.Collapsed {
			sh["Set-Cookie"] = *p
		}
	}
	status := v.status
	if status == http.StatusOK && rfc9111.NotModified(r.Method, r.Header, sh, v.written) {
		sh, status = rfc9111.NotModifiedHeader(sh), http.StatusNotModified
	}
	h.cfg.stripTargetedFields(sh)
	hdr := w.Header()
	for k, vs := range sh {
		hdr[k] = vs
	}
	hdr[hdrXCacheStatus] = []string{xcs}
	hdr[hdrCacheStatus] = []string{cs}
	if xcs == statusMiss {
		delete(hdr, hdrAge)
	} else {
		hdr[hdrAge] = []string{strconv.FormatInt(age, 10)}
	}
	if status == http.StatusNotModified {
		w.WriteHeader(status)
		return true
	}
	writeBody(w, r, hdr, status, v.body)
	return true
}

// varyMissed passes a Vary miss to the call's Rfc9111 state.
func (c *call) varyMissed() {
	if c.rfc != nil {
		c.rfc.varyMissed()
	}
}
