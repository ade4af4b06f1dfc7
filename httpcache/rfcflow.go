package httpcache

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// What the Rfc9111 mode does with a GET or HEAD before the flow, when the
// request has cache directives of its own.
type rfcAction uint8

const (
	rfcFlow           rfcAction = iota // through the flow, as any request
	rfcServeStored                     // answer from the stored response found
	rfcRevalidate                      // ask the upstream now (fwd=request)
	rfcGatewayTimeout                  // only-if-cached and nothing fits: 504
)

// decideRFC applies the request's directives (§5.2.1) to what is stored
// for it: the flow answers requests without directives, those whose
// stored response it would serve the same way, and those it would
// revalidate anyway (an expired entry: the flow's stale-if-error then
// applies).
func (c *core) decideRFC(ctx context.Context, r *http.Request, key string, ep *rfcEndpoint, st *rfcCall) (rfcAction, *hitbox.Result) {
	rq := st.req
	if !rq.NoCache && len(r.Header["Cache-Control"]) == 0 {
		return rfcFlow, nil
	}
	var (
		stored  []byte
		d       rfc9111.Decision
		expired bool
	)
	if e, exp, ok := c.storedValue(ctx, r, key); ok {
		b := e.Value
		expired = exp
		if v, err := parse(b); err == nil && servable(r, b) {
			hdr := make(http.Header, v.nkeys)
			v.fill(hdr, 0)
			stored, d = b, rfc9111.Decide(rq, ep.freshness(&v, hdr), c.clock.Now())
		}
	}
	switch {
	case stored == nil && rq.CC.OnlyIfCached, d == rfc9111.GatewayTimeout:
		return rfcGatewayTimeout, nil
	case d == rfc9111.ServeStale:
		st.setDetail("max-stale")
		return rfcServeStored, &hitbox.Result{Value: stored, Status: hitbox.Stale}
	case d == rfc9111.Serve && rq.CC.OnlyIfCached:
		return rfcServeStored, &hitbox.Result{Value: stored, Status: hitbox.Hit}
	case d == rfc9111.Revalidate && !expired:
		// The flow would serve the entry; the request does not let it.
		st.fwd = "request"
		return rfcRevalidate, nil
	}
	return rfcFlow, nil
}

// revalidateNow asks the upstream through fetch on this goroutine, as the
// flow would on a miss (Vary settled, the answer stored with its
// lifetime): for a request whose directives rule the stored response out.
func (c *core) revalidateNow(ctx context.Context, r *http.Request, req hitbox.Request, fetch fetcher, led *atomicBytes) (hitbox.Result, error) {
	f, err := c.settle(r, req, "", nil, fetch, led)(ctx)
	res := hitbox.Result{Value: f.Value, Status: hitbox.Miss, Forward: hitbox.ForwardMiss, Failed: f.Failed && !f.Store}
	if err == nil && f.Store {
		res.Stored = c.cache.SetFetched(ctx, req, f)
	}
	if p := led.Load(); p != nil {
		res.Value = *p
	}
	return res, err
}

// atomicBytes holds a call's led response (see core.do).
type atomicBytes = atomic.Pointer[[]byte]

// rfcStored is the stored response a fetch validates.
type rfcStored struct {
	v    view
	h    http.Header
	tags []string // its entry's
}

// storedForFetch reads the stored response for r's key, for its
// validators; nil when none.
func (c *core) storedForFetch(ctx context.Context, r *http.Request, key string) *rfcStored {
	e, _, ok := c.storedValue(ctx, r, key)
	if !ok {
		return nil
	}
	v, err := parse(e.Value)
	if err != nil {
		return nil
	}
	s := &rfcStored{v: v, h: make(http.Header, v.nkeys), tags: e.Tags}
	v.fill(s.h, 0)
	return s
}

// setValidators replaces a client's own If-None-Match and
// If-Modified-Since in h (the request going upstream; the mode answers
// them itself from the full response) with the validators of the stored
// response s (§4.3.1), and reports whether it set any.
func setValidators(h http.Header, s *rfcStored) bool {
	for _, n := range conditionals {
		delete(h, n)
	}
	if s == nil {
		return false
	}
	rfc9111.SetConditional(h, s.h)
	_, inm := h["If-None-Match"]
	_, ims := h["If-Modified-Since"]
	return inm || ims
}

// rfcFetched is what a face's fetch learned of the upstream's answer.
type rfcFetched struct {
	resp      *response
	encode    func(written time.Time) []byte // resp in the cached form; nil: encode
	stored    *rfcStored                     // what was validated, or nil
	validated bool                           // the request carried the stored validators (and the answer may update it)
	failed    bool                           // resp is an upstream failure
	reqTime   time.Time
	tags      []string // the answer's tags (see answerTags)
	// untaggable: a Tags extractor failed, the answer is not stored (and
	// stored is nil: nothing was validated).
	untaggable bool
}

// finishRFC turns the upstream's answer into the flow's: a 304 that
// selects the stored response refreshes it (§4.3.4), as does a 200 to a
// HEAD whose validators and length match it (§4.3.5); a response RFC 9111
// §3 and the predicates allow is stored with its own lifetime; a failure
// never replaces a stored response (the flow's stale-if-error may hide
// it).
func (c *core) finishRFC(st *rfcCall, ep *endpoint, req *http.Request, head bool, in rfcFetched) hitbox.Fetched {
	now := c.clock.Now()
	resp := in.resp
	st.fwdStatus.Store(int32(resp.status))
	s := in.stored
	if (resp.status == http.StatusNotModified && in.validated && rfc9111.Selects(resp.header, s.h)) ||
		(req.Method == http.MethodHead && resp.status == http.StatusOK && s != nil && s.v.status == http.StatusOK && rfc9111.SelectsHead(resp.header, s.h)) {
		// §4.3.4, §4.3.5: the stored response, its header refreshed.
		// Its tags: the answer's, and those it was stored with.
		fresh := &response{status: s.v.status, header: ep.rfc.rc.Update(s.h, resp.header), body: s.v.body}
		return c.storeRFC(st, ep, fresh, nil, in.reqTime, now, unionTags(in.tags, s.tags))
	}
	ok, why := c.verdictRFC(st, ep, req, head, resp)
	switch {
	case ok && in.untaggable:
		ok, why = false, "tags"
	case ok && in.failed && in.stored != nil:
		ok, why = false, "failure"
	}
	if ok {
		return c.storeRFC(st, ep, resp, in.encode, in.reqTime, now, in.tags)
	}
	st.setDetail(why)
	var value []byte
	if in.encode != nil {
		value = in.encode(now)
	} else {
		value = encode(resp.status, resp.header, resp.body, now)
	}
	if in.failed {
		st.failure.Store(&value)
		return hitbox.Fetched{Value: value, Failed: true}
	}
	return hitbox.Fetched{Value: value}
}

// storeRFC returns the answer of a storable response, with its lifetime
// and tags.
func (c *core) storeRFC(st *rfcCall, ep *endpoint, resp *response, enc func(time.Time) []byte, reqTime, now time.Time, tags []string) hitbox.Fetched {
	rc := &ep.rfc.rc
	rr := rc.ParseResponse(resp.status, resp.header)
	if cookies := c.prepareStored(rc, resp.header, rr.CC, now); cookies != nil {
		st.cookies.Store(&cookies)
	}
	fr := rc.Freshness(rr, reqTime, now)
	written := now.Add(-fr.InitialAge)
	var value []byte
	if enc != nil {
		value = enc(written)
	} else {
		value = encode(resp.status, resp.header, resp.body, written)
	}
	fresh, ttl := ep.rfc.lifetime(fr)
	return hitbox.Fetched{Value: value, Store: true, Fresh: fresh, TTL: ttl, Tags: tags}
}

// verdictRFC says whether a response may be stored in the Rfc9111 mode:
// it answers no HEAD a GET's key shares, is complete, the response
// predicates hold, RFC 9111 §3 allows it, and it sets no cookie (unless
// WithStoreSetCookie); when not, why (a Cache-Status detail).
func (c *core) verdictRFC(st *rfcCall, ep *endpoint, req *http.Request, head bool, resp *response) (bool, string) {
	switch {
	case head:
		return false, "head"
	case partial(resp.status, resp.header):
		return false, "partial"
	case !ep.resp.Match(asHTTPResponse(resp, req)):
		return false, "predicate"
	}
	rc := &ep.rfc.rc
	if ok, why := rc.Storable(st.req, rc.ParseResponse(resp.status, resp.header)); !ok {
		return false, why.String()
	}
	if _, cookie := resp.header["Set-Cookie"]; cookie && !c.cfg.storeSetCookie {
		return false, "set-cookie"
	}
	return true, ""
}

// rfcAnswer is an answer of the Rfc9111 mode, ready for a face to write.
type rfcAnswer struct {
	status int
	header http.Header // the response's fields with the status fields
	body   []byte
	failed bool // nothing to answer with: 502
}

// answerRFC builds the answer to r of a flow's result in the Rfc9111
// mode: from the cache (HIT or STALE, with Age per §4.2.3) or from the
// upstream (MISS), as 304 when the client's own conditional request
// matches a 200 (RFC 9110 §13); false when the bytes do not decode.
func (c *core) answerRFC(r *http.Request, st *rfcCall, ep *rfcEndpoint, res *hitbox.Result) (rfcAnswer, bool) {
	v, err := parse(res.Value)
	if err != nil {
		return rfcAnswer{}, false
	}
	sh := make(http.Header, v.nkeys+3)
	v.fill(sh, 0)
	now := c.clock.Now()
	var (
		xcs, cs string
		age     int64
	)
	detail := ""
	if p := st.detail.Load(); p != nil {
		detail = *p
	}
	switch {
	case res.Status == hitbox.Hit && res.Collapsed:
		xcs, cs = statusHit, rfcCollapsed(st.fwdName(res), v.status)
		age = ageSeconds(v.written, now)
	case res.Status == hitbox.Hit || res.Status == hitbox.Stale:
		fr := ep.freshness(&v, sh)
		switch {
		case res.StaleIfError:
			if !ep.staleIfError(st.req, fr, now) {
				// The stale entry may not hide the failure: this call's
				// own failed answer, else 502.
				if f := st.failure.Load(); f != nil {
					return c.answerRFC(r, st, ep, &hitbox.Result{Value: *f, Status: hitbox.Miss, Forward: res.Forward, Failed: true})
				}
				return rfcAnswer{failed: true}, true
			}
			detail = "stale-if-error"
		case res.Status == hitbox.Stale && detail == "":
			detail = "stale-while-revalidate"
		}
		xcs, cs, age = cachedXStatus(res.Status), rfcHit(fr.Remaining(now), detail), fr.AgeSeconds(now)
	default:
		code := int(st.fwdStatus.Load())
		if code == 0 {
			code = v.status
		}
		xcs, cs = statusMiss, rfcForward(st.fwdName(res), code, res.Stored, detail)
		if p := st.cookies.Load(); p != nil && !res.Collapsed {
			sh["Set-Cookie"] = *p
		}
	}
	a := rfcAnswer{status: v.status, header: sh, body: v.body}
	if a.status == http.StatusOK && rfc9111.NotModified(r.Method, r.Header, sh, v.written) {
		a.header, a.status, a.body = rfc9111.NotModifiedHeader(sh), http.StatusNotModified, nil
	}
	if !c.client {
		c.cfg.stripTargetedFields(a.header) // a private cache has no targeted fields
	}
	c.cfg.stripTagHeaders(a.header)
	a.header[hdrXCacheStatus] = []string{xcs}
	a.header[hdrCacheStatus] = []string{cs}
	if xcs == statusMiss {
		delete(a.header, hdrAge)
	} else {
		a.header[hdrAge] = []string{strconv.FormatInt(age, 10)}
	}
	return a, true
}

// onlyIfCachedStatus is the Cache-Status of a 504 to an only-if-cached
// request (§5.2.1.7).
const onlyIfCachedStatus = "hitbox; detail=only-if-cached"
