package httpcache

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

// getOrHead is an endpoint accepting GET and HEAD; withMethod keys the
// method too.
func getOrHead(t *testing.T, withMethod bool) []Endpoint {
	t.Helper()
	m, err := predicate.Method(http.MethodGet, http.MethodHead)
	if err != nil {
		t.Fatal(err)
	}
	path, err := extract.Path("{path}*")
	if err != nil {
		t.Fatal(err)
	}
	ex := []extract.Extractor{path}
	if withMethod {
		ex = []extract.Extractor{extract.Method(), path}
	}
	return []Endpoint{{Request: m, Extractors: ex}}
}

// headFaces runs f against the middleware and the Transport, each over a
// fresh cache in front of an upstream answering "hello #N".
func headFaces(t *testing.T, withMethod bool, f func(t *testing.T, ask func(method string) answer, up *upstream)) {
	t.Run("Middleware", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		up := &upstream{}
		srv := httptest.NewServer(e.middleware(t, up, getOrHead(t, withMethod)))
		defer srv.Close()
		f(t, func(method string) answer { return get(t, srv.Client(), method, srv.URL+"/r", "") }, up)
	})
	t.Run("Transport", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		up := &upstream{}
		srv := httptest.NewServer(up)
		defer srv.Close()
		c := e.client(t, srv, getOrHead(t, withMethod))
		f(t, func(method string) answer { return get(t, c, method, srv.URL+"/r", "") }, up)
	})
}

func TestHeadNeverPoisonsGet(t *testing.T) {
	t.Parallel()
	headFaces(t, false, func(t *testing.T, ask func(string) answer, up *upstream) {
		check(t, "HEAD first", ask(http.MethodHead), miss("hitbox; fwd=miss; fwd-status=200", ""))
		check(t, "GET", ask(http.MethodGet), miss(csMissStored, "hello #2"))
		h := ask(http.MethodHead)
		check(t, "HEAD from the GET entry", h, hit("hitbox; hit", "0", ""))
		if h.body != "" || h.header.Get("Content-Length") != "8" {
			t.Errorf("HEAD answer: body %q, Content-Length %q; want none and 8", h.body, h.header.Get("Content-Length"))
		}
		check(t, "GET again", ask(http.MethodGet), hit("hitbox; hit", "0", "hello #2"))
		if n := up.calls.Load(); n != 2 {
			t.Errorf("upstream called %d times, want 2", n)
		}
	})
}

func TestHeadStoredUnderItsOwnKey(t *testing.T) {
	t.Parallel()
	headFaces(t, true, func(t *testing.T, ask func(string) answer, up *upstream) {
		check(t, "HEAD", ask(http.MethodHead), miss(csMissStored, ""))
		check(t, "HEAD again", ask(http.MethodHead), hit("hitbox; hit", "0", ""))
		check(t, "GET", ask(http.MethodGet), miss(csMissStored, "hello #2"))
		check(t, "GET again", ask(http.MethodGet), hit("hitbox; hit", "0", "hello #2"))
	})
}
