package httpcache

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/predicate"
)

// origin answers every request with its header (Date the clock's now
// unless given; "" values are left out), the status of the call (the last
// one repeats) and the body "v<call>", or 304 to a request whose
// If-None-Match names its ETag or whose If-Modified-Since is not before
// its Last-Modified. It records the request headers it saw.
type origin struct {
	clock    interface{ Now() time.Time }
	header   map[string]string
	statuses []int
	mu       sync.Mutex
	seen     []http.Header
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.seen = append(o.seen, r.Header.Clone())
	n := len(o.seen)
	o.mu.Unlock()
	h := w.Header()
	h.Set("Date", o.clock.Now().UTC().Format(http.TimeFormat))
	for k, v := range o.header {
		if v == "" {
			h.Del(k)
			continue
		}
		h.Set(k, v)
	}
	etag, lm := o.header["ETag"], o.header["Last-Modified"]
	if (etag != "" && r.Header.Get("If-None-Match") == etag) ||
		(etag == "" && lm != "" && r.Header.Get("If-Modified-Since") == lm) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	status := http.StatusOK
	if len(o.statuses) > 0 {
		status = o.statuses[min(n, len(o.statuses))-1]
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("v" + itoa(int64(n))))
}

func (o *origin) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.seen)
}

// lastSeen returns the request header of the origin's last call.
func (o *origin) lastSeen() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		return nil
	}
	return o.seen[len(o.seen)-1]
}

// rfcStep is one request of an Rfc9111 table case and what it must get.
type rfcStep struct {
	advance time.Duration
	method  string            // "": GET
	path    string            // "": /r
	req     map[string]string // request header fields
	status  int               // 0: 200
	xcs, cs string
	age     string // "": no Age
	body    string // "": not checked
	calls   int    // the origin's calls so far
	has     map[string]string
	hasNot  []string
	sent    map[string]string // fields the origin's last request had
}

type rfcCase struct {
	name     string // starts with the RFC section
	header   map[string]string
	statuses []int
	policy   *hitbox.Policy // nil: ttl a year
	opts     []Option
	steps    []rfcStep
}

// everything is the endpoint of the conformance setup: predicates that
// accept every request and response.
func everything(p hitbox.Policy) []Endpoint {
	return []Endpoint{{Name: "all", Request: predicate.And[*http.Request](), Response: predicate.And[*http.Response](), Policy: p, Semantics: SemanticsRfc9111}}
}

const year = 365 * 24 * time.Hour

// face builds the cache under test over e's cache and the origin o,
// returning how to ask it.
type face func(t *testing.T, e *env, o http.Handler, eps []Endpoint, opts []Option) func(*http.Request) *http.Response

func runRFCCase(t *testing.T, tc rfcCase, build face) {
	t.Helper()
	e := newEnv(t)
	o := &origin{clock: e.clock, header: tc.header, statuses: tc.statuses}
	p := hitbox.Policy{TTL: year}
	if tc.policy != nil {
		p = *tc.policy
	}
	do := build(t, e, o, everything(p), tc.opts)
	for i, s := range tc.steps {
		e.clock.Advance(s.advance)
		method, path := s.method, s.path
		if method == "" {
			method = http.MethodGet
		}
		if path == "" {
			path = "/r"
		}
		r := httptest.NewRequest(method, "http://example.com"+path, nil)
		for k, v := range s.req {
			r.Header.Set(k, v)
		}
		res := do(r)
		got := toAnswer(t, res)
		_ = res.Body.Close()
		what := tc.name + ": step " + itoa(int64(i))
		want := answer{status: s.status, xcache: s.xcs, cacheStatus: s.cs, age: s.age, hasAge: s.age != "", body: s.body}
		if want.status == 0 {
			want.status = http.StatusOK
		}
		check(t, what, got, want)
		if n := o.calls(); n != s.calls {
			t.Errorf("%s: origin called %d times, want %d", what, n, s.calls)
		}
		for k, v := range s.has {
			if g := got.header.Get(k); g != v {
				t.Errorf("%s: %s = %q, want %q", what, k, g, v)
			}
		}
		for _, k := range s.hasNot {
			if _, ok := got.header[http.CanonicalHeaderKey(k)]; ok {
				t.Errorf("%s: %s present (%q), want none", what, k, got.header.Get(k))
			}
		}
		for k, v := range s.sent {
			if g := o.lastSeen().Get(k); g != v {
				t.Errorf("%s: origin saw %s = %q, want %q", what, k, g, v)
			}
		}
	}
}

// Cache-Status strings of the Rfc9111 mode.
const (
	rfcMissStored = "hitbox; fwd=uri-miss; fwd-status=200; stored"
	rfcStale200   = "hitbox; fwd=stale; fwd-status=200; stored"
	rfcStale304   = "hitbox; fwd=stale; fwd-status=304; stored"
)

func stored(body string, calls int) rfcStep {
	return rfcStep{xcs: "MISS", cs: rfcMissStored, body: body, calls: calls}
}

func hitAt(advance time.Duration, ttl, age, body string, calls int) rfcStep {
	return rfcStep{advance: advance, xcs: "HIT", cs: "hitbox; hit; ttl=" + ttl, age: age, body: body, calls: calls}
}

func notStored(advance time.Duration, detail, body string, calls int) rfcStep {
	return rfcStep{advance: advance, xcs: "MISS", cs: "hitbox; fwd=uri-miss; fwd-status=200; detail=" + detail, body: body, calls: calls}
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// rfcCases are the table of the Rfc9111 mode, run against the Middleware
// and the Transport.
func rfcCases(private bool) []rfcCase {
	ttl30 := hitbox.Policy{TTL: 30 * time.Second}
	sie := hitbox.Policy{TTL: year, StaleIfError: time.Minute, Keep: 2 * time.Minute}
	swrBound := hitbox.Policy{TTL: time.Hour, Stale: time.Hour - 5*time.Second}
	cases := []rfcCase{
		{name: "§3 no-store is never stored", header: map[string]string{"Cache-Control": "max-age=60, no-store"},
			steps: []rfcStep{notStored(0, "no-store", "v1", 1), notStored(time.Second, "no-store", "v2", 2)}},
		{name: "§3 request no-store", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{
				{xcs: "MISS", cs: "hitbox; fwd=uri-miss; fwd-status=200; detail=request-no-store", req: map[string]string{"Cache-Control": "no-store"}, body: "v1", calls: 1},
				stored("v2", 2),
			}},
		{name: "§3 a status not cacheable by default without freshness", header: map[string]string{"Location": "/x"}, statuses: []int{302},
			steps: []rfcStep{{status: 302, xcs: "MISS", cs: "hitbox; fwd=uri-miss; fwd-status=302; detail=not-cacheable", calls: 1}}},
		{name: "§3 Set-Cookie is not stored by default", header: map[string]string{"Cache-Control": "max-age=60", "Set-Cookie": "s=1"},
			steps: []rfcStep{notStored(0, "set-cookie", "v1", 1), notStored(time.Second, "set-cookie", "v2", 2)}},
		{name: "§3 Set-Cookie stored without it (opt-in)", header: map[string]string{"Cache-Control": "max-age=60", "Set-Cookie": "s=1"},
			opts: []Option{WithStoreSetCookie(true)},
			steps: []rfcStep{
				{xcs: "MISS", cs: rfcMissStored, body: "v1", calls: 1, has: map[string]string{"Set-Cookie": "s=1"}},
				{advance: time.Second, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "v1", calls: 1, hasNot: []string{"Set-Cookie"}},
			}},
		{name: "§3.1 no-cache=field is not stored", header: map[string]string{"Cache-Control": `max-age=60, no-cache="X-Secret"`, "X-Secret": "s", "X-Open": "o"},
			steps: []rfcStep{
				stored("v1", 1),
				{advance: time.Second, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "v1", calls: 1, hasNot: []string{"X-Secret"}, has: map[string]string{"X-Open": "o"}},
			}},
		{name: "§3.1 hop-by-hop and Connection-listed fields are not stored", header: map[string]string{"Cache-Control": "max-age=60", "Connection": "X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5"},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "v1", calls: 1, hasNot: []string{"X-Hop", "Keep-Alive", "Connection"}}}},
		{name: "§4.2.1 max-age", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1), hitAt(10*time.Second, "50", "10", "v1", 1),
				{advance: 51 * time.Second, xcs: "MISS", cs: rfcStale200, body: "v2", calls: 2}}},
		{name: "§4.2.1 Expires minus Date", header: map[string]string{"Expires": httpDate(testStart.Add(60 * time.Second))},
			steps: []rfcStep{stored("v1", 1), hitAt(20*time.Second, "40", "20", "v1", 1),
				{advance: 41 * time.Second, xcs: "MISS", cs: rfcStale200, body: "v2", calls: 2}}},
		{name: "§4.2.3 the upstream's Age counts", header: map[string]string{"Cache-Control": "max-age=60", "Age": "20"},
			steps: []rfcStep{stored("v1", 1), hitAt(10*time.Second, "30", "30", "v1", 1)}},
		{name: "§4.2 the policy's ttl caps the lifetime", policy: &ttl30, header: map[string]string{"Cache-Control": "max-age=3600"},
			steps: []rfcStep{stored("v1", 1), hitAt(10*time.Second, "20", "10", "v1", 1),
				{advance: 21 * time.Second, xcs: "MISS", cs: rfcStale200, body: "v2", calls: 2}}},
		{name: "§4.2.2 no heuristic freshness by default", header: map[string]string{"Last-Modified": httpDate(testStart.Add(-240 * time.Hour))},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, xcs: "MISS", cs: rfcStale304, body: "v1", calls: 2, sent: map[string]string{"If-Modified-Since": httpDate(testStart.Add(-240 * time.Hour))}}}},
		{name: "§4.2.2 heuristic freshness when configured", opts: []Option{WithHeuristicFreshness(0.1, time.Hour)},
			header: map[string]string{"Last-Modified": httpDate(testStart.Add(-240 * time.Hour))},
			steps:  []rfcStep{stored("v1", 1), hitAt(30*time.Minute, "1800", "1800", "v1", 1)}},
		{name: "§5.2.2.4 response no-cache revalidates every use", header: map[string]string{"Cache-Control": "max-age=60, no-cache", "ETag": `"a"`},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, xcs: "MISS", cs: rfcStale304, body: "v1", calls: 2, sent: map[string]string{"If-None-Match": `"a"`}}}},
		{name: "§5.2.1.4 request no-cache", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, req: map[string]string{"Cache-Control": "no-cache"}, xcs: "MISS", cs: "hitbox; fwd=request; fwd-status=200; stored", body: "v2", calls: 2},
				hitAt(time.Second, "59", "1", "v2", 2)}},
		{name: "§5.4 Pragma no-cache", header: map[string]string{"Cache-Control": "max-age=60", "ETag": `"a"`},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, req: map[string]string{"Pragma": "no-cache"}, xcs: "MISS", cs: "hitbox; fwd=request; fwd-status=304; stored", body: "v1", calls: 2}}},
		{name: "§5.2.1.1 request max-age", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 10 * time.Second, req: map[string]string{"Cache-Control": "max-age=20"}, xcs: "HIT", cs: "hitbox; hit; ttl=50", age: "10", body: "v1", calls: 1},
				{req: map[string]string{"Cache-Control": "max-age=5"}, xcs: "MISS", cs: "hitbox; fwd=request; fwd-status=200; stored", body: "v2", calls: 2}}},
		{name: "§5.2.1.2 request max-stale", header: map[string]string{"Cache-Control": "max-age=10"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, req: map[string]string{"Cache-Control": "max-stale=30"}, xcs: "STALE", cs: "hitbox; hit; ttl=-10; detail=max-stale", age: "20", body: "v1", calls: 1},
				{req: map[string]string{"Cache-Control": "max-stale=5"}, xcs: "MISS", cs: rfcStale200, body: "v2", calls: 2}}},
		{name: "§5.2.1.3 request min-fresh", header: map[string]string{"Cache-Control": "max-age=100"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 50 * time.Second, req: map[string]string{"Cache-Control": "min-fresh=60"}, xcs: "MISS", cs: "hitbox; fwd=request; fwd-status=200; stored", body: "v2", calls: 2}}},
		{name: "§5.2.1.7 only-if-cached", header: map[string]string{"Cache-Control": "max-age=10"},
			steps: []rfcStep{
				{req: map[string]string{"Cache-Control": "only-if-cached"}, status: http.StatusGatewayTimeout, xcs: "MISS", cs: "hitbox; detail=only-if-cached", calls: 0},
				stored("v1", 1),
				{advance: 5 * time.Second, req: map[string]string{"Cache-Control": "only-if-cached"}, xcs: "HIT", cs: "hitbox; hit; ttl=5", age: "5", body: "v1", calls: 1},
				{advance: 10 * time.Second, req: map[string]string{"Cache-Control": "only-if-cached"}, status: http.StatusGatewayTimeout, xcs: "MISS", cs: "hitbox; detail=only-if-cached", calls: 1}}},
		{name: "§4.3.1 a stale entry is revalidated with If-None-Match; §4.3.4 the 304 refreshes it",
			header: map[string]string{"Cache-Control": "max-age=10", "ETag": `"a"`, "X-V": "1"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, xcs: "MISS", cs: rfcStale304, body: "v1", calls: 2, sent: map[string]string{"If-None-Match": `"a"`}},
				hitAt(time.Second, "9", "1", "v1", 2)}},
		{name: "§4.3.2 a client's If-None-Match gets 304 from a fresh entry", header: map[string]string{"Cache-Control": "max-age=60", "ETag": `"a"`},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, req: map[string]string{"If-None-Match": `"a"`}, status: http.StatusNotModified, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", calls: 1, has: map[string]string{"ETag": `"a"`}},
				{req: map[string]string{"If-None-Match": `"b"`}, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "v1", calls: 1}}},
		{name: "§4.3.2 a client's conditional miss: the upstream is asked without it, the client gets 304",
			header: map[string]string{"Cache-Control": "max-age=60", "ETag": `"a"`},
			steps: []rfcStep{
				{req: map[string]string{"If-None-Match": `"a"`}, status: http.StatusNotModified, xcs: "MISS", cs: rfcMissStored, calls: 1, sent: map[string]string{"If-None-Match": ""}},
				hitAt(time.Second, "59", "1", "v1", 1)}},
		{name: "§4.4 an unsafe method invalidates its target", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1),
				{method: http.MethodPost, xcs: "MISS", cs: "hitbox; fwd=bypass; fwd-status=200", body: "v2", calls: 2},
				stored("v3", 3)}},
		{name: "§4.4 Location and Content-Location are invalidated", header: map[string]string{"Cache-Control": "max-age=60", "Content-Location": "/r"},
			steps: []rfcStep{stored("v1", 1),
				{method: http.MethodPut, path: "/other", xcs: "MISS", cs: "hitbox; fwd=bypass; fwd-status=200", body: "v2", calls: 2},
				stored("v3", 3)}},
		{name: "§4.4 an error answer invalidates nothing", header: map[string]string{"Cache-Control": "max-age=60"}, statuses: []int{200, 404},
			steps: []rfcStep{stored("v1", 1),
				{method: http.MethodDelete, status: 404, xcs: "MISS", cs: "hitbox; fwd=bypass; fwd-status=404", body: "v2", calls: 2},
				hitAt(0, "60", "0", "v1", 2)}},
		{name: "RFC 5861 §4 stale-if-error within the policy's bound", policy: &sie, statuses: []int{200, 500},
			header: map[string]string{"Cache-Control": "max-age=10, stale-if-error=30"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, xcs: "STALE", cs: "hitbox; hit; ttl=-10; detail=stale-if-error", age: "20", body: "v1", calls: 2},
				{advance: 30 * time.Second, status: 500, xcs: "MISS", cs: rfcStale500 + "; detail=failure", body: "v3", calls: 3}}},
		{name: "RFC 5861 §4 a request's stale-if-error bounds it too", policy: &sie, statuses: []int{200, 500},
			header: map[string]string{"Cache-Control": "max-age=10"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, req: map[string]string{"Cache-Control": "stale-if-error=5"}, status: 500, xcs: "MISS", cs: rfcStale500 + "; detail=failure", body: "v2", calls: 2},
				{advance: 6 * time.Second, req: map[string]string{"Cache-Control": "stale-if-error=60"}, xcs: "STALE", cs: "hitbox; hit; ttl=-16; detail=stale-if-error", age: "26", body: "v1", calls: 3}}},
		{name: "§4.2.4 must-revalidate forbids stale-if-error", policy: &sie, statuses: []int{200, 500},
			header: map[string]string{"Cache-Control": "max-age=10, must-revalidate"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, status: 500, xcs: "MISS", cs: rfcStale500 + "; detail=failure", body: "v2", calls: 2}}},
		{name: "RFC 5861 §3 stale-while-revalidate is bounded by the policy's stale window", policy: &swrBound,
			header: map[string]string{"Cache-Control": "max-age=10, stale-while-revalidate=30"},
			steps:  []rfcStep{stored("v1", 1), {advance: 20 * time.Second, xcs: "MISS", cs: rfcStale200, body: "v2", calls: 2}}},
		{name: "§4.3.5 HEAD: answered from a stored GET, its own answer never stored", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{
				{method: http.MethodHead, xcs: "MISS", cs: "hitbox; fwd=uri-miss; fwd-status=200; detail=head", calls: 1},
				stored("v2", 2),
				{advance: time.Second, method: http.MethodHead, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", calls: 2}}},
		{name: "§4.3.5 a HEAD answer that matches refreshes the stored GET", header: map[string]string{"Cache-Control": "max-age=10", "X-V": "1"},
			steps: []rfcStep{stored("v1", 1),
				{advance: 20 * time.Second, method: http.MethodHead, xcs: "MISS", cs: rfcStale200, calls: 2},
				hitAt(time.Second, "9", "1", "v1", 2)}},
		{name: "RFC 9110 §14 a Range is answered from the stored whole", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1),
				{advance: time.Second, req: map[string]string{"Range": "bytes=1-1"}, status: http.StatusPartialContent, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "1", calls: 1}}},
		{name: "§4.1 Vary: another variant is a vary-miss", header: map[string]string{"Cache-Control": "max-age=60", "Vary": "Accept-Language"},
			steps: []rfcStep{
				{req: map[string]string{"Accept-Language": "en"}, xcs: "MISS", cs: rfcMissStored, body: "v1", calls: 1},
				{req: map[string]string{"Accept-Language": "fr"}, xcs: "MISS", cs: "hitbox; fwd=vary-miss; fwd-status=200; stored", body: "v2", calls: 2},
				{advance: time.Second, req: map[string]string{"Accept-Language": "en"}, xcs: "HIT", cs: "hitbox; hit; ttl=59", age: "1", body: "v1", calls: 2}}},
	}
	if private {
		return append(cases,
			rfcCase{name: "§5.2.2.7 a private cache stores private", header: map[string]string{"Cache-Control": "private, max-age=60"},
				steps: []rfcStep{stored("v1", 1), hitAt(time.Second, "59", "1", "v1", 1)}},
			rfcCase{name: "§4.2.1 a private cache ignores s-maxage", header: map[string]string{"Cache-Control": "max-age=10, s-maxage=60"},
				steps: []rfcStep{stored("v1", 1), hitAt(time.Second, "9", "1", "v1", 1)}},
		)
	}
	return append(cases,
		rfcCase{name: "§5.2.2.7 a shared cache never stores private", header: map[string]string{"Cache-Control": "private, max-age=60"},
			steps: []rfcStep{notStored(0, "private", "v1", 1), notStored(time.Second, "private", "v2", 2)}},
		rfcCase{name: "§3.5 Authorization is not stored without public", header: map[string]string{"Cache-Control": "max-age=60"},
			steps: []rfcStep{{req: map[string]string{"Authorization": "Basic eDp5"}, xcs: "MISS", cs: "hitbox; fwd=uri-miss; fwd-status=200; detail=authorization", body: "v1", calls: 1}}},
		rfcCase{name: "§4.2.1 s-maxage beats max-age in a shared cache", header: map[string]string{"Cache-Control": "max-age=10, s-maxage=60"},
			steps: []rfcStep{stored("v1", 1), hitAt(30*time.Second, "30", "30", "v1", 1)}},
		rfcCase{name: "RFC 9213 CDN-Cache-Control beats Cache-Control", header: map[string]string{"Cache-Control": "no-store", "CDN-Cache-Control": "max-age=60"},
			steps: []rfcStep{stored("v1", 1), hitAt(time.Second, "59", "1", "v1", 1)}},
		rfcCase{name: "RFC 9213 a configured targeted field, stripped", opts: []Option{WithTargetedFields(true, "Hitbox-Cache-Control")},
			header: map[string]string{"Cache-Control": "max-age=5", "CDN-Cache-Control": "max-age=10", "Hitbox-Cache-Control": "max-age=60"},
			steps: []rfcStep{
				{xcs: "MISS", cs: rfcMissStored, body: "v1", calls: 1, hasNot: []string{"Hitbox-Cache-Control", "CDN-Cache-Control"}, has: map[string]string{"Cache-Control": "max-age=5"}},
				{advance: 30 * time.Second, xcs: "HIT", cs: "hitbox; hit; ttl=30", age: "30", body: "v1", calls: 1, hasNot: []string{"Hitbox-Cache-Control"}}}},
	)
}

const rfcStale500 = "hitbox; fwd=stale; fwd-status=500"

// TestMiddlewareRfc9111 runs the Rfc9111 table against the Middleware, a
// shared cache.
func TestMiddlewareRfc9111(t *testing.T) {
	t.Parallel()
	runRFCTable(t, rfcCases(false), middlewareFace)
}

// runRFCTable runs each case in parallel against the face.
func runRFCTable(t *testing.T, cases []rfcCase, build face) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runRFCCase(t, tc, build)
		})
	}
}

func middlewareFace(t *testing.T, e *env, o http.Handler, eps []Endpoint, opts []Option) func(*http.Request) *http.Response {
	h := e.middleware(t, o, eps, opts...)
	return func(r *http.Request) *http.Response {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
}

// TestTransportRfc9111 runs the Rfc9111 table against the Transport, a
// private cache.
func TestTransportRfc9111(t *testing.T) {
	t.Parallel()
	runRFCTable(t, rfcCases(true), transportFace)
}

// transportFace is a Transport whose base serves o in process.
func transportFace(t *testing.T, e *env, o http.Handler, eps []Endpoint, opts []Option) func(*http.Request) *http.Response {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		w := httptest.NewRecorder()
		o.ServeHTTP(w, r)
		return w.Result(), nil
	})
	tr, err := NewTransport(e.cache, base, eps, opts...)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return func(r *http.Request) *http.Response {
		r.RequestURI = ""
		res, err := tr.RoundTrip(r)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		return res
	}
}
