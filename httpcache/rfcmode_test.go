package httpcache

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/predicate"
)

// TestRfc9111StaleWhileRevalidate (RFC 5861 §3): within its
// stale-while-revalidate window a stale entry is served at once while one
// background revalidation refreshes it (a 304 here), on both faces.
func TestRfc9111StaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]face{"middleware": middlewareFace, "transport": transportFace} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			o := &origin{clock: e.clock, header: map[string]string{"Cache-Control": "max-age=10, stale-while-revalidate=30", "ETag": `"a"`}}
			do := build(t, e, o, everything(hitbox.Policy{TTL: year}), nil)
			ask := func() answer {
				res := do(httptest.NewRequest(http.MethodGet, "http://example.com/r", nil))
				defer res.Body.Close()
				return toAnswer(t, res)
			}
			check(t, "miss", ask(), answer{xcache: "MISS", cacheStatus: rfcMissStored, body: "v1"})
			e.clock.Advance(15 * time.Second)
			check(t, "stale", ask(), answer{xcache: "STALE", cacheStatus: "hitbox; hit; ttl=-5; detail=stale-while-revalidate", age: "15", hasAge: true, body: "v1"})
			deadline := time.Now().Add(20 * time.Second)
			for {
				a := ask()
				if a.xcache == "HIT" {
					check(t, "refreshed", a, answer{xcache: "HIT", cacheStatus: "hitbox; hit; ttl=10", age: "0", hasAge: true, body: "v1"})
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no background revalidation stored a fresh entry: last %q %q", a.xcache, a.cacheStatus)
				}
				time.Sleep(time.Millisecond) // polling for the background store, not a timing assumption
			}
			if got := o.lastSeen().Get("If-None-Match"); got != `"a"` {
				t.Errorf("background revalidation sent If-None-Match %q, want the stored ETag", got)
			}
		})
	}
}

// TestRfc9111Options: the constructors refuse a bad semantics, heuristic
// or targeted field name.
func TestRfc9111Options(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		eps  []Endpoint
		opts []Option
		want error
	}{
		{"unknown semantics option", nil, []Option{WithSemantics(9)}, ErrInvalidOption},
		{"unknown endpoint semantics", []Endpoint{{Semantics: 9}}, nil, ErrInvalidEndpoint},
		{"heuristic above 1", nil, []Option{WithHeuristicFreshness(2, 0)}, ErrInvalidOption},
		{"negative heuristic cap", nil, []Option{WithHeuristicFreshness(0.1, -time.Second)}, ErrInvalidOption},
		{"targeted name not a token", nil, []Option{WithTargetedFields(false, "Bad Name")}, ErrInvalidOption},
	} {
		if _, err := Middleware(e.cache, tc.eps, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: Middleware error %v, want %v", tc.name, err, tc.want)
		}
		if _, err := NewTransport(e.cache, roundTripFunc(nil), tc.eps, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: NewTransport error %v, want %v", tc.name, err, tc.want)
		}
	}
	// The message names the option under httpcache's prefix alone, not the
	// internal package that checks it.
	_, err := Middleware(e.cache, nil, WithHeuristicFreshness(2, 0))
	if want := "httpcache: invalid option: heuristic 2 is not a fraction in [0, 1]"; err == nil || err.Error() != want {
		t.Errorf("heuristic above 1: %v, want %q", err, want)
	}
	if _, err := Middleware(e.cache, []Endpoint{{Semantics: SemanticsRfc9111}}, WithSemantics(SemanticsHitbox)); err != nil {
		t.Errorf("valid semantics: %v", err)
	}
}

// TestRfc9111EndpointOverride: an endpoint's Semantics wins over
// WithSemantics, either way; SemanticsHitbox keeps today's strings and
// ignores Cache-Control.
func TestRfc9111EndpointOverride(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := &origin{clock: e.clock, header: map[string]string{"Cache-Control": "no-store"}}
	eps := everything(hitbox.Policy{TTL: time.Minute})
	eps[0].Semantics = SemanticsHitbox
	h := e.middleware(t, o, eps, WithSemantics(SemanticsRfc9111))
	check(t, "hitbox miss", serve(t, h, http.MethodGet, "/r", ""), miss(csMissStored, "v1"))
	check(t, "hitbox hit", serve(t, h, http.MethodGet, "/r", ""), hit("hitbox; hit; ttl=60", "0", "v1"))

	e2 := newEnv(t)
	o2 := &origin{clock: e2.clock, header: map[string]string{"Cache-Control": "no-store"}}
	eps2 := everything(hitbox.Policy{TTL: time.Minute})
	eps2[0].Semantics = 0 // WithSemantics decides
	h2 := e2.middleware(t, o2, eps2, WithSemantics(SemanticsRfc9111))
	check(t, "rfc no-store", serve(t, h2, http.MethodGet, "/r", ""), miss("hitbox; fwd=uri-miss; fwd-status=200; detail=no-store", "v1"))
	check(t, "rfc no-store again", serve(t, h2, http.MethodGet, "/r", ""), miss("hitbox; fwd=uri-miss; fwd-status=200; detail=no-store", "v2"))
}

// TestRfc9111Collapsed: callers that waited for another's upstream call
// get its stored answer as a collapsed HIT, one upstream call in all.
func TestRfc9111Collapsed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const n = 5
		e := newEnv(t)
		o := &origin{clock: e.clock, header: map[string]string{"Cache-Control": "max-age=60"}}
		release := make(chan struct{})
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			o.ServeHTTP(w, r)
		})
		h := e.middleware(t, next, everything(hitbox.Policy{TTL: year}))
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { answers[i] = serve(t, h, http.MethodGet, "/hot", "") })
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		misses := 0
		for i, a := range answers {
			if a.xcache == "MISS" {
				misses++
				check(t, "leader", a, miss(rfcMissStored, "v1"))
				continue
			}
			check(t, "waiter "+itoa(int64(i)), a, hit("hitbox; fwd=uri-miss; fwd-status=200; collapsed", "0", "v1"))
		}
		if misses != 1 || o.calls() != 1 {
			t.Errorf("%d MISS answers and %d upstream calls, want 1 and 1", misses, o.calls())
		}
	})
}

// TestRfc9111InvalidationKeys (§4.4): the URI is keyed as a GET of it by
// the endpoint that accepts such a GET; one in the Hitbox mode keeps its
// entries, and the variant the request selects is deleted with its
// marker.
func TestRfc9111InvalidationKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := &origin{clock: e.clock, header: map[string]string{"Cache-Control": "max-age=60", "Vary": "Accept-Language"}}
	get, _ := predicate.Method(http.MethodGet)
	mode, _ := predicate.Header("X-Mode", predicate.Eq("hitbox"))
	eps := []Endpoint{
		{Name: "h", Request: predicate.And(get, mode), Response: predicate.And[*http.Response](), Policy: hitbox.Enabled(time.Minute, 0), Semantics: SemanticsHitbox},
		everything(hitbox.Policy{TTL: year})[0],
	}
	h := e.middleware(t, o, eps)
	ask := func(method string, hdr map[string]string) answer {
		r := httptest.NewRequest(method, "http://example.com/r", nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return toAnswer(t, w.Result())
	}
	hb := map[string]string{"X-Mode": "hitbox"}
	en := map[string]string{"Accept-Language": "en"}
	check(t, "hitbox miss", ask(http.MethodGet, hb), miss(csMissStored, "v1"))
	check(t, "rfc miss", ask(http.MethodGet, en), miss(rfcMissStored, "v2"))
	check(t, "rfc hit", ask(http.MethodGet, en), hit("hitbox; hit; ttl=60", "0", "v2"))
	check(t, "post, its GET is the Hitbox endpoint's", ask(http.MethodPost, hb), miss("hitbox; fwd=bypass; fwd-status=200", "v3"))
	check(t, "hitbox entry kept", ask(http.MethodGet, hb), hit("hitbox; hit; ttl=60", "0", "v1"))
	check(t, "rfc entry kept", ask(http.MethodGet, en), hit("hitbox; hit; ttl=60", "0", "v2"))
	fr := map[string]string{"Accept-Language": "fr"}
	check(t, "another variant", ask(http.MethodGet, fr), miss("hitbox; fwd=vary-miss; fwd-status=200; stored", "v4"))
	check(t, "post, its GET is the Rfc9111 endpoint's", ask(http.MethodPost, en), miss("hitbox; fwd=bypass; fwd-status=200", "v5"))
	check(t, "rfc variant gone", ask(http.MethodGet, en), miss("hitbox; fwd=vary-miss; fwd-status=200; stored", "v6"))
	check(t, "the other variant gone too", ask(http.MethodGet, fr), miss("hitbox; fwd=vary-miss; fwd-status=200; stored", "v7"))
	check(t, "new variants served", ask(http.MethodGet, fr), hit("hitbox; hit; ttl=60", "0", "v7"))
}

// TestMarkerGenerations: a marker of generation 0 is the version 1
// marker; later generations round-trip and select other variants.
func TestMarkerGenerations(t *testing.T) {
	t.Parallel()
	names := []string{"Accept-Language"}
	if got := encodeMarkerGen(names, 0); string(got) != string(encodeMarker(names)) {
		t.Errorf("generation 0 = %q, want the version 1 marker", got)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	seen := map[string]bool{}
	for _, gen := range []uint64{0, 1, 2, 300} {
		got, g, ok := parseMarkerGen(encodeMarkerGen(names, gen))
		if !ok || g != gen || len(got) != 1 || got[0] != names[0] {
			t.Errorf("generation %d: parsed %q, %d, %v", gen, got, g, ok)
		}
		v := variantOfGen(r, names, gen)
		if seen[v] || !isVariant(v) {
			t.Errorf("generation %d: variant %q repeats or is malformed", gen, v)
		}
		seen[v] = true
	}
	for _, b := range []string{"hv\x02", "hv\x02\x00\x01\x01a", "hv\x02\x01"} {
		if _, _, ok := parseMarkerGen([]byte(b)); ok {
			t.Errorf("parseMarkerGen(%q) = ok", b)
		}
	}
}
