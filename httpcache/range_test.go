package httpcache

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// rangeUpstream serves a 26-byte resource with http.ServeContent, which
// answers Range requests with 206.
func rangeUpstream(calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Etag", `"v1"`)
		w.Header().Set("Content-Type", "text/plain")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader([]byte("abcdefghijklmnopqrstuvwxyz")))
	})
}

// askRange sends a GET with the given headers (name, value pairs).
func askRange(t *testing.T, c *http.Client, url string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return toAnswer(t, res)
}

// rangeFaces runs f against the middleware and the Transport.
func rangeFaces(t *testing.T, f func(t *testing.T, c *http.Client, url string, calls *atomic.Int64)) {
	t.Run("Middleware", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var calls atomic.Int64
		srv := httptest.NewServer(e.middleware(t, rangeUpstream(&calls), []Endpoint{{}}))
		defer srv.Close()
		f(t, srv.Client(), srv.URL+"/r", &calls)
	})
	t.Run("Transport", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var calls atomic.Int64
		srv := httptest.NewServer(rangeUpstream(&calls))
		defer srv.Close()
		f(t, e.client(t, srv, []Endpoint{{}}), srv.URL+"/r", &calls)
	})
}

func TestRangeFromStoredEntry(t *testing.T) {
	t.Parallel()
	rangeFaces(t, func(t *testing.T, c *http.Client, url string, calls *atomic.Int64) {
		check(t, "GET", askRange(t, c, url), miss(csMissStored, "abcdefghijklmnopqrstuvwxyz"))
		for _, tc := range []struct {
			name       string
			hdr        []string
			status     int
			body       string
			contentRng string
		}{
			{"first bytes", []string{"Range", "bytes=0-4"}, 206, "abcde", "bytes 0-4/26"},
			{"open end", []string{"Range", "bytes=20-"}, 206, "uvwxyz", "bytes 20-25/26"},
			{"suffix", []string{"Range", "bytes=-3"}, 206, "xyz", "bytes 23-25/26"},
			{"end past the size", []string{"Range", "bytes=24-100"}, 206, "yz", "bytes 24-25/26"},
			{"unsatisfiable", []string{"Range", "bytes=26-"}, 416, "", "bytes */26"},
			{"several ranges: whole", []string{"Range", "bytes=0-1,4-5"}, 200, "abcdefghijklmnopqrstuvwxyz", ""},
			{"bad syntax: whole", []string{"Range", "bytes=x-y"}, 200, "abcdefghijklmnopqrstuvwxyz", ""},
			{"If-Range matches", []string{"Range", "bytes=1-2", "If-Range", `"v1"`}, 206, "bc", "bytes 1-2/26"},
			{"If-Range differs: whole", []string{"Range", "bytes=1-2", "If-Range", `"v0"`}, 200, "abcdefghijklmnopqrstuvwxyz", ""},
		} {
			a := askRange(t, c, url, tc.hdr...)
			if a.status != tc.status || a.body != tc.body || a.header.Get("Content-Range") != tc.contentRng || a.xcache != "HIT" {
				t.Errorf("%s: %d %q Content-Range %q %s; want %d %q %q HIT", tc.name, a.status, a.body,
					a.header.Get("Content-Range"), a.xcache, tc.status, tc.body, tc.contentRng)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("upstream called %d times, want 1", n)
		}
	})
}

func TestRangeMissNotStored(t *testing.T) {
	t.Parallel()
	rangeFaces(t, func(t *testing.T, c *http.Client, url string, calls *atomic.Int64) {
		a := askRange(t, c, url, "Range", "bytes=0-4")
		if a.status != http.StatusPartialContent || a.body != "abcde" || a.cacheStatus != "hitbox; fwd=miss; fwd-status=206" {
			t.Errorf("Range miss: %d %q %q; want the upstream's 206, not stored", a.status, a.body, a.cacheStatus)
		}
		check(t, "GET", askRange(t, c, url), miss(csMissStored, "abcdefghijklmnopqrstuvwxyz"))
		if n := calls.Load(); n != 2 {
			t.Errorf("upstream called %d times, want 2 (the 206 was not stored)", n)
		}
	})
}

// TestRangeMissAnswered200IsStoredAndSliced: an upstream that ignores
// Range answers 200: stored whole, and the client gets its slice.
func TestRangeMissAnswered200IsStoredAndSliced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "abcdefghijklmnopqrstuvwxyz")
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}))
	defer srv.Close()
	a := askRange(t, srv.Client(), srv.URL+"/r", "Range", "bytes=2-3")
	if a.status != http.StatusPartialContent || a.body != "cd" || a.cacheStatus != csMissStored {
		t.Errorf("Range miss: %d %q %q; want 206 cd, stored", a.status, a.body, a.cacheStatus)
	}
	check(t, "GET", askRange(t, srv.Client(), srv.URL+"/r"), hit("hitbox; hit", "0", "abcdefghijklmnopqrstuvwxyz"))
}
