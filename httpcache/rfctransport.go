package httpcache

import (
	"net/http"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// roundTripRFC answers a request that an endpoint in the Rfc9111 mode
// accepted, as the Middleware's serveRFCMode does, for a private cache.
func (t *Transport) roundTripRFC(c *tcall) (*http.Response, error) {
	c.rfc = &rfcCall{req: rfc9111.ParseRequest(c.p.r.Method, c.p.r.Header)}
	if m := c.p.r.Method; m != http.MethodGet && m != http.MethodHead {
		return t.directInvalidating(c.req, c.p.r, c.p.ep.name)
	}
	ctx := c.req.Context()
	act, res := t.decideRFC(ctx, c.p.r, c.p.key, c.p.ep.rfc, c.rfc)
	switch act {
	case rfcGatewayTimeout:
		h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
		h[hdrXCacheStatus] = []string{statusMiss}
		h[hdrCacheStatus] = []string{onlyIfCachedStatus}
		return newResponse(c.req, h, http.StatusGatewayTimeout, []byte("not in cache\n")), nil
	case rfcServeStored:
		if resp, ok, err := t.answerRFCResponse(c, res); ok || err != nil {
			return resp, err
		}
		return t.direct(c.req, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
	case rfcRevalidate:
		defer c.detach()
		res, err := t.revalidateNow(ctx, c.p.r, c.request(), c, &c.led)
		resp, ok, err := t.answer(c, res, err)
		if ok || err != nil {
			return resp, err
		}
		return t.direct(c.req, c.fresh(), c.p.ep.name, hitbox.ForwardMiss)
	}
	return t.roundTrip(c, true)
}

// answerRFCResponse turns a result into a response in the Rfc9111 mode
// (see answerRFC); false when the cached bytes do not decode.
func (t *Transport) answerRFCResponse(c *tcall, res *hitbox.Result) (*http.Response, bool, error) {
	a, ok := t.answerRFC(c.req, c.rfc, c.p.ep.rfc, res)
	switch {
	case !ok:
		return nil, false, nil
	case a.failed:
		h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
		setForwarded(h, nil, forwardStatus(res.Forward, 0, false))
		return newResponse(c.req, h, http.StatusBadGateway, []byte("upstream failed\n")), true, nil
	case a.status == http.StatusNotModified:
		return httpResponse(c.req, a.header, a.status, http.NoBody, 0), true, nil
	}
	return newResponse(c.req, a.header, a.status, a.body), true, nil
}

// directInvalidating asks the base for r, nothing cached, and invalidates
// what an unsafe request's answer says (§4.4).
func (t *Transport) directInvalidating(req, r *http.Request, endpoint string) (*http.Response, error) {
	resp, err := t.direct(req, r, endpoint, hitbox.ForwardBypass)
	if err == nil {
		t.invalidate(req.Context(), r, resp.StatusCode, resp.Header)
	}
	return resp, err
}

// varyMissed passes a Vary miss to the call's Rfc9111 state.
func (c *tcall) varyMissed() {
	if c.rfc != nil {
		c.rfc.varyMissed()
	}
}
