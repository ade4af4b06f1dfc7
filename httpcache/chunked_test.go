package httpcache

import (
	"bufio"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
)

// chunkedUpstream answers body in chunks, flushing after each: a
// response without Content-Length, sent chunked.
func chunkedUpstream(body []byte, calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		for chunk := range slices.Chunk(body, 1000) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
}

// proxyTo returns a ReverseProxy to the upstream at rawURL.
func proxyTo(t *testing.T, rawURL string) *httputil.ReverseProxy {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	return rp
}

func TestMiddlewareChunkedStored(t *testing.T) {
	t.Parallel()
	body := pattern(20 << 10)
	for _, tc := range []struct {
		name string
		next func(t *testing.T, calls *atomic.Int64) http.Handler
	}{
		{"flushing handler", func(t *testing.T, calls *atomic.Int64) http.Handler {
			return chunkedUpstream(body, calls)
		}},
		{"ReverseProxy to a chunked upstream", func(t *testing.T, calls *atomic.Int64) http.Handler {
			up := httptest.NewServer(chunkedUpstream(body, calls))
			t.Cleanup(up.Close)
			return proxyTo(t, up.URL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var calls atomic.Int64
			srv := httptest.NewServer(e.middleware(t, tc.next(t, &calls), []Endpoint{{}}))
			defer srv.Close()
			first := get(t, srv.Client(), http.MethodGet, srv.URL+"/c", "")
			check(t, "first", first, miss(csMissStored, string(body)))
			second := get(t, srv.Client(), http.MethodGet, srv.URL+"/c", "")
			check(t, "second", second, hit("hitbox; hit", "0", string(body)))
			if got := second.header.Get("Content-Length"); got != itoa(int64(len(body))) {
				t.Errorf("HIT Content-Length %q, want %d", got, len(body))
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("upstream called %d times, want 1", n)
			}
		})
	}
}

// TestMiddlewareChunkedWaitersCollapse: callers waiting for a flushed
// response that is stored get it as a collapsed HIT.
func TestMiddlewareChunkedWaitersCollapse(t *testing.T) {
	t.Parallel()
	const n = 10
	e := newEnv(t)
	var calls atomic.Int64
	release := make(chan struct{})
	body := pattern(10 << 10)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write(body[:100])
		w.(http.Flusher).Flush()
		<-release
		_, _ = w.Write(body[100:])
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}}))
	defer srv.Close()
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = get(t, srv.Client(), http.MethodGet, srv.URL+"/c", "") })
	}
	waitFor(t, "the handler to start", func() bool { return calls.Load() == 1 })
	close(release)
	wg.Wait()
	misses := 0
	for i, a := range answers {
		if a.body != string(body) {
			t.Errorf("answer %d: %d bytes, want the whole %d", i, len(a.body), len(body))
		}
		if a.xcache == "MISS" {
			misses++
		}
	}
	if misses != 1 || calls.Load() != 1 {
		t.Errorf("%d MISS answers and %d handler calls, want 1 and 1", misses, calls.Load())
	}
}

func TestMiddlewareChunkedOverLimitUncached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	body := pattern(100 << 10)
	stats := new(Stats)
	up := httptest.NewServer(chunkedUpstream(body, &calls))
	defer up.Close()
	srv := httptest.NewServer(e.middleware(t, proxyTo(t, up.URL), []Endpoint{{}}, WithMaxBody(16<<10), WithStats(stats)))
	defer srv.Close()
	for i := range 2 {
		a := get(t, srv.Client(), http.MethodGet, srv.URL+"/big", "")
		if a.xcache != "MISS" || a.body != string(body) {
			t.Errorf("request %d: %s, %d bytes; want MISS and the whole %d", i, a.xcache, len(a.body), len(body))
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("upstream called %d times, want 2 (nothing stored)", n)
	}
	if n := stats.TooLarge.Load(); n != 2 {
		t.Errorf("Stats.TooLarge = %d, want 2", n)
	}
}

// rawUpstream serves each connection with the next of answers (raw
// HTTP/1.1 bytes, the connection closed after it), counting connections.
func rawUpstream(t *testing.T, answers ...string) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			i := n.Add(1) - 1
			wg.Go(func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				_, _ = io.WriteString(conn, answers[min(int(i), len(answers)-1)])
			})
		}
	})
	return "http://" + ln.Addr().String(), &n
}

func TestMiddlewareUpstreamCutShort(t *testing.T) {
	t.Parallel()
	const whole = "0123456789abcdefghij"
	good := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\n" + whole
	for _, tc := range []struct{ name, cut string }{
		{"half of Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\n0123456789"},
		{"truncated chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\na\r\n0123456789\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			stats := new(Stats)
			upURL, conns := rawUpstream(t, tc.cut, good)
			srv := quietServer(e.middleware(t, proxyTo(t, upURL), []Endpoint{{}}, WithStats(stats)))
			defer srv.Close()
			expectAborted(t, srv.Client(), srv.URL+"/cut")
			check(t, "after the cut", get(t, srv.Client(), http.MethodGet, srv.URL+"/cut", ""), miss(csMissStored, whole))
			check(t, "then", get(t, srv.Client(), http.MethodGet, srv.URL+"/cut", ""), hit("hitbox; hit", "0", whole))
			if n := conns.Load(); n != 2 {
				t.Errorf("upstream asked %d times, want 2", n)
			}
			if n := stats.CutShort.Load(); n != 1 {
				t.Errorf("Stats.CutShort = %d, want 1", n)
			}
		})
	}
}

// TestMiddlewareShortContentLength: a handler that declares more than it
// writes is cut short: not stored, its client aborted.
func TestMiddlewareShortContentLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Length", "10")
		if n == 1 {
			_, _ = io.WriteString(w, "short")
			return
		}
		_, _ = io.WriteString(w, "0123456789")
	})
	srv := quietServer(e.middleware(t, next, []Endpoint{{}}))
	defer srv.Close()
	expectAborted(t, srv.Client(), srv.URL+"/s")
	check(t, "next", get(t, srv.Client(), http.MethodGet, srv.URL+"/s", ""), miss(csMissStored, "0123456789"))
}

// expectAborted asks for url and expects the response to be aborted: the
// client reads io.ErrUnexpectedEOF (or gets no response at all).
func expectAborted(t *testing.T, c *http.Client, url string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	if b, err := io.ReadAll(res.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("GET %s: read %q, %v; want io.ErrUnexpectedEOF (an aborted response)", url, b, err)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// quietServer is httptest.NewServer without the server's error log (an
// aborted handler logs).
func quietServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	return srv
}

// TestMiddlewareTeedOutlivesUpstreamTimeout: a response being teed when
// the shared call's time runs out goes on to its client whole, uncached,
// rather than being cut at the timeout.
func TestMiddlewareTeedOutlivesUpstreamTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		more := make(chan struct{})
		var calls atomic.Int64
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			_, _ = io.WriteString(w, "event 1;")
			w.(http.Flusher).Flush()
			<-more
			_, _ = io.WriteString(w, "event 2")
		})
		h := e.middleware(t, next, []Endpoint{{UpstreamTimeout: time.Second}})
		var a answer
		done := make(chan struct{})
		go func() {
			defer close(done)
			a = serve(t, h, http.MethodGet, "/events", "")
		}()
		synctest.Wait() // the handler waits for more; the timeout fires
		time.Sleep(2 * time.Second)
		synctest.Wait()
		close(more)
		<-done
		// The head went out announcing "stored", before the time ran out.
		check(t, "teed past the timeout", a, miss(csMissStored, "event 1;event 2"))
		check(t, "again", serve(t, h, http.MethodGet, "/events", ""), miss(csMissStored, "event 1;event 2"))
		if n := calls.Load(); n != 2 {
			t.Errorf("handler called %d times, want 2 (the first answer was not stored)", n)
		}
	})
}

// TestMiddlewareLargeBodyStoredWhole: bodies large enough to be encoded
// in place (with and without a declared length) are stored and served
// byte for byte.
func TestMiddlewareLargeBodyStoredWhole(t *testing.T) {
	t.Parallel()
	for _, declared := range []bool{true, false} {
		t.Run("declared="+strconv.FormatBool(declared), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			body := pattern(inPlaceMin*3 + 17)
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if declared {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				for chunk := range slices.Chunk(body, 10000) {
					_, _ = w.Write(chunk)
				}
			})
			srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}))
			defer srv.Close()
			check(t, "miss", get(t, srv.Client(), http.MethodGet, srv.URL+"/l", ""), miss(csMissStored, string(body)))
			check(t, "hit", get(t, srv.Client(), http.MethodGet, srv.URL+"/l", ""), hit("hitbox; hit", "0", string(body)))
		})
	}
}

// TestTransportUpstreamCutShort: a base body that ends early is the
// caller's error, never stored.
func TestTransportUpstreamCutShort(t *testing.T) {
	t.Parallel()
	const whole = "0123456789abcdefghij"
	upURL, conns := rawUpstream(t,
		"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n0123456789",
		"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"+whole)
	e := newEnv(t)
	stats := new(Stats)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	tr, err := NewTransport(e.cache, base, []Endpoint{{}}, WithStats(stats))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, upURL+"/cut", nil)
	if res, err := c.Do(req); !errors.Is(err, io.ErrUnexpectedEOF) {
		if err == nil {
			res.Body.Close()
		}
		t.Errorf("cut body: error %v, want io.ErrUnexpectedEOF", err)
	}
	check(t, "after the cut", get(t, c, http.MethodGet, upURL+"/cut", ""), miss(csMissStored, whole))
	if n := conns.Load(); n != 2 || stats.CutShort.Load() != 1 {
		t.Errorf("upstream asked %d times, Stats.CutShort %d; want 2 and 1", n, stats.CutShort.Load())
	}
}
