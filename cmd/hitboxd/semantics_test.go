package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rfcUpstream is an origin that speaks HTTP caching: each path answers
// with its own Cache-Control, and the body says which call it was.
//
//	/x/fresh/...    Cache-Control: max-age=2
//	/x/nostore/...  Cache-Control: no-store
//	/x/private/...  Cache-Control: private, max-age=60
//	/x/etag/...     ETag "v1", max-age=60 but Age: 120 (stale on
//	                arrival); If-None-Match "v1" is answered 304 with
//	                max-age=60
//	/x/targeted/... Cache-Control: no-store, Hitbox-Cache-Control: max-age=60
//	/x/items/...    max-age=60; a POST is answered 200
type rfcUpstream struct {
	*httptest.Server
	calls, notModified atomic.Int64
}

func newRFCUpstream(t *testing.T) *rfcUpstream {
	t.Helper()
	u := &rfcUpstream{}
	u.Server = httptest.NewServer(u)
	t.Cleanup(u.Close)
	return u
}

func (u *rfcUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.calls.Add(1)
	h := w.Header()
	rest := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:] // drop the /rfc or /hb prefix
	switch {
	case strings.HasPrefix(rest, "/fresh/"):
		h.Set("Cache-Control", "max-age=2")
	case strings.HasPrefix(rest, "/nostore/"):
		h.Set("Cache-Control", "no-store")
	case strings.HasPrefix(rest, "/private/"):
		h.Set("Cache-Control", "private, max-age=60")
	case strings.HasPrefix(rest, "/etag/"):
		h.Set("ETag", `"v1"`)
		h.Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == `"v1"` {
			u.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Age", "120")
	case strings.HasPrefix(rest, "/targeted/"):
		h.Set("Cache-Control", "no-store")
		h.Set("Hitbox-Cache-Control", "max-age=60")
	case strings.HasPrefix(rest, "/items/"):
		h.Set("Cache-Control", "max-age=60")
	}
	h.Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%s %s call %d", r.Method, r.URL.Path, n)
}

// semanticsEndpoints: an Rfc9111 endpoint (by the file's semantics) and a
// Hitbox one (its own semantics wins) in one file.
const semanticsEndpoints = `semantics: Rfc9111
rfc9111: {targeted_fields: [Hitbox-Cache-Control], strip_targeted: true}
endpoints:
  - name: rfc
    request: [{Method: GET}, {Path: /rfc/*}]
    extractors: [{Method: }, {Path: "/rfc/{rest}*"}]
    policy: {Enabled: {ttl: 60}}
  - name: hb
    semantics: Hitbox
    request: [{Method: GET}, {Path: /hb/*}]
    extractors: [{Method: }, {Path: "/hb/{rest}*"}]
    policy: {Enabled: {ttl: 60}}
`

// TestE2ESemanticsRfc9111: hitboxd runs an Rfc9111 endpoint as a shared
// cache (freshness from max-age, Age on hits, no-store and private not
// stored, ETag revalidation, invalidation by POST) and, in the same
// file, a Hitbox endpoint as before (Cache-Control not read).
func TestE2ESemanticsRfc9111(t *testing.T) {
	t.Parallel()
	up := newRFCUpstream(t)
	p := startInProcess(t, testConfig(up.URL, "", semanticsEndpoints))
	c := newClient(t)
	get := func(path string) answer { return send(t, c, "GET", p.proxy+path, "", nil) }

	t.Run("max-age stored, served with Age", func(t *testing.T) {
		// max-age=2 leaves little room on a busy machine: a try whose
		// second request came more than a second later proves nothing
		// and is made again on a new path.
		for try := 0; ; try++ {
			path := "/rfc/fresh/" + strconv.Itoa(try)
			first := get(path)
			if first.XCache != "MISS" || !strings.Contains(first.Cache, "stored") || first.Header.Get("Age") != "" {
				t.Fatalf("first GET: %s %q Age %q, want MISS, stored, no Age", first.XCache, first.Cache, first.Header.Get("Age"))
			}
			start := time.Now()
			second := get(path)
			if time.Since(start) > time.Second && try < 20 {
				continue
			}
			age, err := strconv.Atoi(second.Header.Get("Age"))
			if second.XCache != "HIT" || string(second.Body) != string(first.Body) || err != nil || age < 0 || age > 2 {
				t.Fatalf("second GET: %s %q Age %q body %q, want a HIT of %q with Age 0 to 2", second.XCache, second.Cache,
					second.Header.Get("Age"), second.Body, first.Body)
			}
			if !strings.HasPrefix(second.Cache, "hitbox; hit; ttl=") {
				t.Errorf("Cache-Status %q, want hitbox; hit; ttl=N", second.Cache)
			}
			return
		}
	})

	for _, kind := range []string{"nostore", "private"} {
		t.Run(kind+" not stored", func(t *testing.T) {
			path := "/rfc/" + kind + "/1"
			a, b := get(path), get(path)
			if a.XCache != "MISS" || b.XCache != "MISS" || string(a.Body) == string(b.Body) || strings.Contains(b.Cache, "stored") {
				t.Errorf("GET twice: %s %q then %s %q (bodies %q, %q), want two upstream answers, none stored",
					a.XCache, a.Cache, b.XCache, b.Cache, a.Body, b.Body)
			}
		})
	}

	t.Run("ETag revalidated: 304 then HIT", func(t *testing.T) {
		path := "/rfc/etag/1"
		first := get(path) // stored stale: Age 120 > max-age 60
		if first.XCache != "MISS" || !strings.Contains(first.Cache, "stored") {
			t.Fatalf("first GET: %s %q, want MISS, stored", first.XCache, first.Cache)
		}
		second := get(path)
		if up.notModified.Load() != 1 || !strings.Contains(second.Cache, "fwd=stale; fwd-status=304") || string(second.Body) != string(first.Body) {
			t.Fatalf("second GET: %s %q body %q (%d 304s), want a revalidation answered 304 and the stored body %q",
				second.XCache, second.Cache, second.Body, up.notModified.Load(), first.Body)
		}
		calls := up.calls.Load()
		third := get(path)
		if third.XCache != "HIT" || up.calls.Load() != calls || string(third.Body) != string(first.Body) {
			t.Errorf("third GET: %s %q (upstream calls %d → %d), want a HIT: the 304 refreshed the freshness",
				third.XCache, third.Cache, calls, up.calls.Load())
		}
	})

	t.Run("targeted field wins and is stripped", func(t *testing.T) {
		path := "/rfc/targeted/1"
		a, b := get(path), get(path)
		if b.XCache != "HIT" || string(b.Body) != string(a.Body) {
			t.Errorf("second GET: %s %q, want a HIT: Hitbox-Cache-Control (rfc9111.targeted_fields) overrides no-store", b.XCache, b.Cache)
		}
		if a.Header.Get("Hitbox-Cache-Control") != "" || b.Header.Get("Hitbox-Cache-Control") != "" {
			t.Errorf("Hitbox-Cache-Control reached the client (%q, %q), want it stripped (strip_targeted)",
				a.Header.Get("Hitbox-Cache-Control"), b.Header.Get("Hitbox-Cache-Control"))
		}
	})

	t.Run("POST invalidates the URI", func(t *testing.T) {
		path := "/rfc/items/1"
		first := get(path)
		if hit := get(path); hit.XCache != "HIT" {
			t.Fatalf("second GET: %s %q, want HIT", hit.XCache, hit.Cache)
		}
		if post := send(t, c, "POST", p.proxy+path, "new item", nil); post.Code != http.StatusOK || post.XCache != "MISS" {
			t.Fatalf("POST: %d %s %q, want 200 MISS", post.Code, post.XCache, post.Cache)
		}
		after := get(path)
		if after.XCache != "MISS" || string(after.Body) == string(first.Body) {
			t.Errorf("GET after POST: %s %q body %q, want a new upstream answer (the entry was invalidated)", after.XCache, after.Cache, after.Body)
		}
	})

	t.Run("Hitbox endpoint ignores Cache-Control", func(t *testing.T) {
		path := "/hb/nostore/1"
		a, b := get(path), get(path)
		if a.XCache != "MISS" || a.Cache != "hitbox; fwd=miss; fwd-status=200; stored" {
			t.Errorf("first GET: %s %q, want the contract's stored miss", a.XCache, a.Cache)
		}
		if b.XCache != "HIT" || string(b.Body) != string(a.Body) {
			t.Errorf("second GET: %s %q, want a HIT: Hitbox does not read no-store", b.XCache, b.Cache)
		}
	})
}
