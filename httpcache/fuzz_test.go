package httpcache

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

// FuzzMiddleware sends hostile requests (methods, paths, query strings,
// headers, bodies) through endpoints that read all of them, and checks
// that the middleware answers each with its status headers, never
// panicking.
func FuzzMiddleware(f *testing.F) {
	f.Add("GET", "/books/1", "page=2", "X-Tenant", "t1", []byte(nil), int64(0))
	f.Add("POST", "/q", "a=%zz&b[]=1&b[]=2", "Content-Type", "application/json", []byte(`{"id":1,"kind":"book"}`), int64(61))
	f.Add("PUT", "/%2F..//x", ";;&&==", "Authorization", "Bearer x", []byte("\x00\xff{"), int64(-5))
	f.Add("", "", "", "", "", []byte(`{"id":{"deep":[1,2,{"x":null}]}}`), int64(3600))

	bookPath, err := predicate.Path("/books/{id}")
	if err != nil {
		f.Fatal(err)
	}
	pathEx, err := extract.Path("/books/{id}")
	if err != nil {
		f.Fatal(err)
	}
	kind, err := predicate.JQ(`.kind == "book"`)
	if err != nil {
		f.Fatal(err)
	}
	bodyEx, err := extract.BodyJQ(`{id: .id}`)
	if err != nil {
		f.Fatal(err)
	}
	tenant, err := predicate.Header("X-Tenant", predicate.Exist())
	if err != nil {
		f.Fatal(err)
	}
	e := newEnv(f)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Len", itoa(int64(len(b))))
		if len(b) > 0 && b[0] == '!' {
			w.WriteHeader(http.StatusTeapot)
		}
		_, _ = w.Write(b)
	})
	h := e.middleware(f, next, []Endpoint{
		{Name: "books", Request: bookPath, Extractors: []extract.Extractor{extract.Method(), pathEx, extract.Query("page")},
			Policy: hitbox.Policy{TTL: time.Minute, Stale: 10 * time.Second}},
		{Name: "query", Request: predicate.Body(kind, predicate.BodyOptions{}), Extractors: []extract.Extractor{bodyEx, extract.BodyHash()},
			Policy: hitbox.Policy{TTL: time.Minute, StaleMode: hitbox.StaleRevalidate}},
		{Name: "tenant", Request: tenant, Extractors: []extract.Extractor{extract.Header("X-Tenant")}},
		{Name: "rest", Request: predicate.And[*http.Request](), Policy: hitbox.Enabled(time.Second, 0)},
	}, WithMaxRequestBody(64), WithMaxBody(128))

	f.Fuzz(func(t *testing.T, method, path, query, hname, hvalue string, body []byte, advance int64) {
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{hname: {hvalue}},
			Host:       "example.com",
			RequestURI: path,
			Body:       io.NopCloser(bytes.NewReader(body)),
		}
		if len(body)%2 == 0 {
			r.ContentLength = int64(len(body))
		} else {
			r.ContentLength = -1
		}
		r = r.WithContext(t.Context())
		e.clock.Advance(time.Duration(advance%7200) * time.Second)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		res := w.Result()
		xcs, cs := res.Header.Get("X-Cache-Status"), res.Header.Get("Cache-Status")
		switch xcs {
		case "HIT", "STALE":
			if _, ok := res.Header["Age"]; !ok {
				t.Errorf("%s without Age", xcs)
			}
		case "MISS":
			if _, ok := res.Header["Age"]; ok {
				t.Errorf("MISS with Age %q", res.Header["Age"])
			}
		default:
			t.Errorf("X-Cache-Status %q", xcs)
		}
		if !strings.HasPrefix(cs, "hitbox; ") {
			t.Errorf("Cache-Status %q", cs)
		}
		if xcs == "MISS" && strings.Contains(cs, "fwd=bypass") && w.Body.String() != string(body) {
			t.Errorf("bypassed body %q, want the request's %q echoed", w.Body.String(), body)
		}
	})
}
