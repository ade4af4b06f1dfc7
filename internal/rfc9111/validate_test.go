package rfc9111

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSetConditional(t *testing.T) {
	t.Parallel()
	lm := httpDate(t0.Add(-time.Hour))
	for _, tc := range []struct {
		name   string
		stored http.Header
		want   http.Header
	}{
		{"§4.3.1 If-None-Match from ETag and If-Modified-Since from Last-Modified", h("Etag", `"v1"`, "Last-Modified", lm),
			http.Header{"If-None-Match": {`"v1"`}, "If-Modified-Since": {lm}}},
		{"§4.3.1 weak ETag kept as is", h("Etag", `W/"v1"`), http.Header{"If-None-Match": {`W/"v1"`}}},
		{"§4.3.1 invalid Last-Modified is not sent", h("Last-Modified", "yesterday"), http.Header{}},
		{"§4.3.1 no validators, no conditional", h("Content-Type", "text/plain"), http.Header{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := http.Header{}
			SetConditional(got, tc.stored)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SetConditional(%v) (-want +got):\n%s", tc.stored, diff)
			}
		})
	}
}

func TestNotModified(t *testing.T) {
	t.Parallel()
	lm := t0.Add(-time.Hour)
	stored := h("Etag", `"v1"`, "Last-Modified", httpDate(lm), "Date", httpDate(t0))
	for _, tc := range []struct {
		name   string
		method string
		req    http.Header
		stored http.Header
		want   bool
	}{
		{"RFC 9110 §13.1.2 If-None-Match matches", "GET", h("If-None-Match", `"v1"`), stored, true},
		{"RFC 9110 §13.1.2 If-None-Match in a list", "GET", h("If-None-Match", `"a", "v1"`), stored, true},
		{"RFC 9110 §13.1.2 If-None-Match across lines", "GET", h("If-None-Match", `"a"`, "If-None-Match", `"v1"`), stored, true},
		{"RFC 9110 §13.1.2 If-None-Match uses the weak comparison", "GET", h("If-None-Match", `W/"v1"`), stored, true},
		{"RFC 9110 §13.1.2 weak stored ETag matches a strong one weakly", "HEAD", h("If-None-Match", `"v1"`), h("Etag", `W/"v1"`), true},
		{"RFC 9110 §13.1.2 If-None-Match * matches a stored response", "GET", h("If-None-Match", "*"), stored, true},
		{"RFC 9110 §13.1.2 If-None-Match * matches a stored response without ETag", "GET", h("If-None-Match", "*"), h("Date", httpDate(t0)), true},
		{"RFC 9110 §13.1.2 If-None-Match does not match", "GET", h("If-None-Match", `"v2"`), stored, false},
		{"RFC 9110 §13.1.2 a comma inside an entity-tag", "GET", h("If-None-Match", `"a,b"`), h("Etag", `"a,b"`), true},
		{"RFC 9110 §13.1.3 If-Modified-Since at Last-Modified", "GET", h("If-Modified-Since", httpDate(lm)), stored, true},
		{"RFC 9110 §13.1.3 If-Modified-Since before Last-Modified", "GET", h("If-Modified-Since", httpDate(lm.Add(-time.Second))), stored, false},
		{"RFC 9110 §13.1.3 If-Modified-Since ignored beside If-None-Match", "GET", h("If-None-Match", `"v2"`, "If-Modified-Since", httpDate(t0)), stored, false},
		{"RFC 9110 §13.1.3 invalid If-Modified-Since ignored", "GET", h("If-Modified-Since", "soon"), stored, false},
		{"§4.3.2 If-Modified-Since against Date without Last-Modified", "GET", h("If-Modified-Since", httpDate(t0)), h("Date", httpDate(t0)), true},
		{"§4.3.2 If-Modified-Since against the response time without Date", "GET", h("If-Modified-Since", httpDate(t0)), http.Header{}, true},
		{"RFC 9110 §13.2.1 only GET and HEAD", "POST", h("If-None-Match", `"v1"`), stored, false},
		{"§4.3.2 If-Match is not for caches", "GET", h("If-Match", `"v2"`), stored, false},
		{"no conditional, full answer", "GET", nil, stored, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NotModified(tc.method, tc.req, tc.stored, t0); got != tc.want {
				t.Errorf("NotModified(%s %v, stored %v) = %v, want %v", tc.method, tc.req, tc.stored, got, tc.want)
			}
		})
	}
}

func TestNotModifiedHeader(t *testing.T) {
	t.Parallel()
	stored := h("Etag", `"v1"`, "Cache-Control", "max-age=60", "Vary", "Accept", "Content-Type", "text/html", "Content-Length", "5", "Date", httpDate(t0))
	want := h("Etag", `"v1"`, "Cache-Control", "max-age=60", "Vary", "Accept", "Date", httpDate(t0))
	if diff := cmp.Diff(want, NotModifiedHeader(stored)); diff != "" {
		t.Errorf("RFC 9110 §15.4.5 NotModifiedHeader (-want +got):\n%s", diff)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	stored := h("Etag", `"v1"`, "Cache-Control", "max-age=60", "Content-Type", "text/html", "Content-Length", "5",
		"Content-Encoding", "gzip", "Date", httpDate(t0), "Age", "30", "X-Old", "a", "X-Multi", "1", "X-Multi", "2")
	for _, tc := range []struct {
		name string
		from http.Header
		want http.Header
	}{
		{"§3.2 the 304's fields replace the stored ones, Content-Length excepted",
			h("Etag", `"v1"`, "Cache-Control", "max-age=600", "Content-Length", "0", "Date", httpDate(t0.Add(time.Minute)), "X-New", "b", "X-Multi", "3"),
			h("Etag", `"v1"`, "Cache-Control", "max-age=600", "Content-Type", "text/html", "Content-Length", "5",
				"Content-Encoding", "gzip", "Date", httpDate(t0.Add(time.Minute)), "X-Old", "a", "X-Multi", "3", "X-New", "b")},
		{"§3.2 content coding of the stored bytes is kept",
			h("Content-Encoding", "br", "Content-Range", "bytes 0-1/5"),
			h("Etag", `"v1"`, "Cache-Control", "max-age=60", "Content-Type", "text/html", "Content-Length", "5",
				"Content-Encoding", "gzip", "X-Old", "a", "X-Multi", "1", "X-Multi", "2")},
		{"§3.1 hop-by-hop and Connection-listed fields of the 304 are not stored",
			h("Connection", "X-Hop", "X-Hop", "1", "Keep-Alive", "timeout=5", "Age", "3"),
			h("Etag", `"v1"`, "Cache-Control", "max-age=60", "Content-Type", "text/html", "Content-Length", "5",
				"Content-Encoding", "gzip", "Age", "3", "X-Old", "a", "X-Multi", "1", "X-Multi", "2")},
		{"§4.3.4 a 304 with private fields: not stored by a shared cache",
			h("Cache-Control", `private="X-User", max-age=5`, "X-User", "bob"),
			h("Etag", `"v1"`, "Cache-Control", `private="X-User", max-age=5`, "Content-Type", "text/html", "Content-Length", "5",
				"Content-Encoding", "gzip", "X-Old", "a", "X-Multi", "1", "X-Multi", "2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := stored.Clone()
			got := Config{}.Update(stored, tc.from)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Update(stored, %v) (-want +got):\n%s", tc.from, diff)
			}
			if diff := cmp.Diff(before, stored); diff != "" {
				t.Errorf("Update modified the stored header (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateRefreshesFreshness(t *testing.T) {
	t.Parallel()
	// §4.3.4: a stale entry validated by a 304 is fresh again, its age
	// starting from the validation.
	c := Config{}
	stored := h("Cache-Control", "max-age=60", "Date", httpDate(t0), "Etag", `"v1"`)
	old := c.Freshness(c.ParseResponse(200, stored), t0, t0)
	later := t0.Add(10 * time.Minute)
	if old.Fresh(later) {
		t.Fatalf("stored entry fresh at +10m, want stale")
	}
	merged := c.Update(stored, h("Date", httpDate(later), "Etag", `"v1"`))
	f := c.Freshness(c.ParseResponse(200, merged), later, later)
	if !f.Fresh(later) || f.Age(later) != 0 {
		t.Errorf("after the 304: Fresh %v Age %v, want fresh with age 0", f.Fresh(later), f.Age(later))
	}
	// A 304 without Date must not leave the old Date making it stale.
	merged = c.Update(stored, h("Etag", `"v1"`))
	if f := c.Freshness(c.ParseResponse(200, merged), later, later); !f.Fresh(later) {
		t.Errorf("after a 304 without Date: stale (age %v), want fresh", f.Age(later))
	}
}

func TestSelects(t *testing.T) {
	t.Parallel()
	lm := httpDate(t0)
	for _, tc := range []struct {
		name   string
		from   http.Header
		stored http.Header
		want   bool
	}{
		{"§4.3.4 strong ETag match", h("Etag", `"v1"`), h("Etag", `"v1"`), true},
		{"§4.3.4 strong ETag mismatch", h("Etag", `"v2"`), h("Etag", `"v1"`), false},
		{"§4.3.4 strong ETag does not select a weak stored one", h("Etag", `"v1"`), h("Etag", `W/"v1"`), false},
		{"§4.3.4 weak ETag selects by weak comparison", h("Etag", `W/"v1"`), h("Etag", `"v1"`), true},
		{"§4.3.4 Last-Modified match without ETag", h("Last-Modified", lm), h("Last-Modified", lm, "Etag", `"v1"`), true},
		{"§4.3.4 Last-Modified mismatch", h("Last-Modified", lm), h("Last-Modified", httpDate(t0.Add(-time.Hour))), false},
		{"§4.3.4 no validators select a stored response without validators", http.Header{}, h("Content-Type", "text/plain"), true},
		{"§4.3.4 no validators do not select a stored response with one", http.Header{}, h("Etag", `"v1"`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Selects(tc.from, tc.stored); got != tc.want {
				t.Errorf("Selects(%v, stored %v) = %v, want %v", tc.from, tc.stored, got, tc.want)
			}
		})
	}
}

func TestSelectsHead(t *testing.T) {
	t.Parallel()
	stored := h("Etag", `"v1"`, "Last-Modified", httpDate(t0), "Content-Length", "5")
	for _, tc := range []struct {
		name string
		head http.Header
		want bool
	}{
		{"§4.3.5 matching validators and length update", h("Etag", `"v1"`, "Last-Modified", httpDate(t0), "Content-Length", "5"), true},
		{"§4.3.5 a HEAD without validators or length updates", h("Cache-Control", "max-age=5"), true},
		{"§4.3.5 another ETag makes the stored response stale", h("Etag", `"v2"`), false},
		{"§4.3.5 another Last-Modified makes the stored response stale", h("Last-Modified", httpDate(t0.Add(time.Second))), false},
		{"§4.3.5 another Content-Length makes the stored response stale", h("Etag", `"v1"`, "Content-Length", "6"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := SelectsHead(tc.head, stored); got != tc.want {
				t.Errorf("SelectsHead(%v, stored %v) = %v, want %v", tc.head, stored, got, tc.want)
			}
		})
	}
	if SelectsHead(h("Etag", `"v1"`), h("Content-Length", "5")) {
		t.Errorf("§4.3.5 SelectsHead with an ETag the stored response lacks = true, want false")
	}
}
