package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/hitbox-go/hitbox"
)

// serveRFCMode answers a request that an endpoint in the Rfc9111 mode
// accepted: GET and HEAD through the flow (after the request's own
// directives had their say, see decideRFC), any other method straight
// from the handler, invalidating what its answer says (§4.4).
func (h *handler) serveRFCMode(w http.ResponseWriter, r *http.Request, c *call) {
	if m := c.p.r.Method; m != http.MethodGet && m != http.MethodHead {
		code := h.bypass(w, c.p.r, c.p.ep.name, hitbox.ForwardBypass)
		h.invalidate(r.Context(), c.p.r, code, w.Header())
		return
	}
	act, res := h.decideRFC(r.Context(), c.p.r, c.p.key, c.p.ep.rfc, c.rfc)
	switch act {
	case rfcGatewayTimeout:
		h.gatewayTimeout(w)
	case rfcServeStored:
		if !h.serveRFC(w, r, c, res) {
			h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
		}
	case rfcRevalidate:
		defer c.s.detach()
		res, err := h.revalidateNow(r.Context(), c.p.r, c.request(), c, &c.led)
		if !h.answer(w, r, c, res, err) {
			h.bypass(w, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
		}
	default:
		h.serve(w, r, c, true)
	}
}

// gatewayTimeout answers an only-if-cached request that nothing stored
// can answer (§5.2.1.7).
func (h *handler) gatewayTimeout(w http.ResponseWriter) {
	hdr := w.Header()
	hdr[hdrXCacheStatus] = []string{statusMiss}
	hdr[hdrCacheStatus] = []string{onlyIfCachedStatus}
	delete(hdr, hdrAge)
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = io.WriteString(w, "not in cache\n")
}

// fetchRFC asks the handler in the Rfc9111 mode, with the stored
// response's validators when there is one (see finishRFC). kept receives
// the recorded buffer's size, as fetch's.
func (c *call) fetchRFC(ctx context.Context, kept *int64) (hitbox.Fetched, error) {
	tags, tagged := c.h.fetchTags(&c.p)
	c.untaggable = !tagged
	var stored *rfcStored
	if tagged {
		stored = c.h.storedForFetch(ctx, c.p.r, c.p.key)
	}
	ureq := new(http.Request)
	*ureq = *c.p.r
	ureq.Header = c.p.r.Header.Clone()
	if ureq.Header == nil {
		ureq.Header = make(http.Header)
	}
	validated := setValidators(ureq.Header, stored)
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
	*kept = int64(cap(o.frame))
	return c.h.finishRFC(c.rfc, c.p.ep, c.p.r, c.head, rfcFetched{
		resp: o.resp, encode: o.encode, stored: stored, reqTime: reqTime,
		tags: c.h.answerTags(tags, o.tagVals), untaggable: !tagged,
		validated: validated && !o.teed, // a teed answer went to the client as is
		failed:    !c.head && !o.teed && c.h.cfg.failed(o.resp.status),
	}), nil
}

// storableRFC reports whether a recorded response may be stored in the
// Rfc9111 mode (see verdictRFC).
func (c *call) storableRFC(resp *response) bool {
	ok, _ := c.h.verdictRFC(c.rfc, c.p.ep, c.p.r, c.head, resp)
	return ok && !c.untaggable
}

// serveRFC writes an answer of the flow in the Rfc9111 mode (see
// answerRFC); false when the cached bytes do not decode.
func (h *handler) serveRFC(w http.ResponseWriter, r *http.Request, c *call, res *hitbox.Result) bool {
	a, ok := h.answerRFC(r, c.rfc, c.p.ep.rfc, res)
	switch {
	case !ok:
		return false
	case a.failed:
		h.writeError(w, res.Forward)
		return true
	}
	hdr := w.Header()
	for k, vs := range a.header {
		hdr[k] = vs
	}
	if a.status == http.StatusNotModified {
		w.WriteHeader(a.status)
		return true
	}
	writeBody(w, r, hdr, a.status, a.body)
	return true
}

// varyMissed passes a Vary miss to the call's Rfc9111 state.
func (c *call) varyMissed() {
	if c.rfc != nil {
		c.rfc.varyMissed()
	}
}
