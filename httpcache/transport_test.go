package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

// client returns an http.Client whose transport is a Transport over e's
// cache in front of srv.
func (e *env) client(t *testing.T, srv *httptest.Server, eps []Endpoint, opts ...Option) *http.Client {
	t.Helper()
	tr, err := NewTransport(e.cache, srv.Client().Transport, eps, opts...)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return &http.Client{Transport: tr}
}

func TestTransportStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{Policy: hitbox.Policy{TTL: 60 * time.Second, Stale: 30 * time.Second}}})

	check(t, "miss", get(t, c, http.MethodGet, srv.URL+"/a", ""), miss(csMissStored, "hello #1"))
	e.clock.Advance(10 * time.Second)
	a := get(t, c, http.MethodGet, srv.URL+"/a", "")
	check(t, "hit", a, hit("hitbox; hit; ttl=50", "10", "hello #1"))
	if got := a.header.Get("X-Upstream"); got != "yes" {
		t.Errorf("hit X-Upstream = %q, want yes", got)
	}
	e.clock.Advance(25 * time.Second)
	check(t, "stale", get(t, c, http.MethodGet, srv.URL+"/a", ""),
		answer{xcache: "STALE", cacheStatus: "hitbox; hit; ttl=25", age: "35", hasAge: true, body: "hello #1"})
	e.clock.Advance(30 * time.Second)
	check(t, "expired", get(t, c, http.MethodGet, srv.URL+"/a", ""), miss("hitbox; fwd=stale; fwd-status=200; stored", "hello #2"))
	check(t, "bypass", get(t, c, http.MethodPost, srv.URL+"/a", "x"), miss(csBypass200, "hello #3"))
	if got := up.calls.Load(); got != 3 {
		t.Errorf("upstream called %d times, want 3", got)
	}
}

func TestTransportNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{status: http.StatusNotFound}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{}})
	for i := range 2 {
		want := miss("hitbox; fwd=miss; fwd-status=404", "hello #"+itoa(int64(i+1)))
		want.status = http.StatusNotFound
		check(t, "request "+itoa(int64(i)), get(t, c, http.MethodGet, srv.URL+"/nope", ""), want)
	}
}

func TestTransportAgeOnlyOnCacheAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Age", "100")
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "1")
		_, _ = io.WriteString(w, "aged")
	}))
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{}})
	check(t, "miss", get(t, c, http.MethodGet, srv.URL+"/x", ""), miss(csMissStored, "aged"))
	e.clock.Advance(2 * time.Second)
	a := get(t, c, http.MethodGet, srv.URL+"/x", "")
	check(t, "hit", a, hit("hitbox; hit", "2", "aged"))
	if v := a.header.Get("X-Hop"); v != "" {
		t.Errorf("hit carries the hop-by-hop X-Hop %q", v)
	}
}

func TestTransportLargeBodyStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := pattern(64 << 10)
	tests := []struct {
		name          string
		contentLength bool
	}{
		{"known length", true},
		{"chunked", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &upstream{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				up.calls.Add(1)
				if tt.contentLength {
					w.Header().Set("Content-Length", itoa(int64(len(body))))
				}
				for chunk := range slices.Chunk(body, 4096) {
					_, _ = w.Write(chunk)
				}
			}))
			defer srv.Close()
			c := e.client(t, srv, []Endpoint{{}}, WithMaxBody(1000))
			for i := range 2 {
				a := get(t, c, http.MethodGet, srv.URL+"/big", "")
				check(t, "request "+itoa(int64(i)), a, miss("hitbox; fwd=miss; fwd-status=200", ""))
				if a.body != string(body) {
					t.Errorf("body of %d bytes differs from the %d sent", len(a.body), len(body))
				}
			}
			if got := up.calls.Load(); got != 2 {
				t.Errorf("upstream called %d times, want 2", got)
			}
		})
	}
}

func TestTransportRequestBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(b))
		mu.Unlock()
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{
		Request:    predicate.And[*http.Request](),
		Extractors: []extract.Extractor{extract.Method(), extract.BodyHash()},
	}}, WithMaxRequestBody(100))
	small := `{"q":"small"}`
	large := strings.Repeat("L", 500)
	check(t, "small", get(t, c, http.MethodPost, srv.URL+"/s", small), miss(csMissStored, small))
	check(t, "small again", get(t, c, http.MethodPost, srv.URL+"/s", small), hit("hitbox; hit", "0", small))
	check(t, "large", get(t, c, http.MethodPost, srv.URL+"/s", large), miss(csBypass200, large))
	mu.Lock()
	defer mu.Unlock()
	if want := []string{small, large}; !slices.Equal(seen, want) {
		t.Errorf("upstream saw bodies %.30q, want %.30q", seen, want)
	}
}

// closeTracker is a request body that records Close.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestTransportClosesRequestBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(&upstream{})
	defer srv.Close()
	tr, err := NewTransport(e.cache, srv.Client().Transport, []Endpoint{{Request: predicate.And[*http.Request]()}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // a miss, then a hit
		body := &closeTracker{Reader: strings.NewReader("payload")}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/x", body)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if !body.closed {
			t.Errorf("request %d: body not closed", i)
		}
		if req.Body != io.ReadCloser(body) {
			t.Errorf("request %d: RoundTrip modified the request", i)
		}
	}
}

func TestTransportUpstreamError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boom := errors.New("connection refused, say")
	base := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, boom })
	tr, err := NewTransport(e.cache, base, []Endpoint{{}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://upstream.invalid/x", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, boom) {
		t.Errorf("RoundTrip error = %v, want the base's %v", err, boom)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, "http://upstream.invalid/x", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, boom) {
		t.Errorf("bypass RoundTrip error = %v, want the base's %v", err, boom)
	}
}

func TestTransportBadCachedBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(&upstream{})
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{}})
	key := hitbox.Key{Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/x")}}.String()
	if err := e.backend.Set(t.Context(), key, newEntry(e, []byte("hc\x01garbage"))); err != nil {
		t.Fatal(err)
	}
	check(t, "garbage", get(t, c, http.MethodGet, srv.URL+"/x", ""), miss(csMissStored, "hello #1"))
	check(t, "replaced", get(t, c, http.MethodGet, srv.URL+"/x", ""), hit("hitbox; hit", "0", "hello #1"))
}

func TestTransportConcurrentColdKey(t *testing.T) {
	t.Parallel()
	const n = 50
	e := newEnv(t)
	up := &upstream{}
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		<-release
		up.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{}})
	var wg sync.WaitGroup
	answers := make([]answer, n)
	for i := range n {
		wg.Go(func() { answers[i] = get(t, c, http.MethodGet, srv.URL+"/hot", "") })
	}
	<-started
	close(release)
	wg.Wait()
	if got := up.calls.Load(); got != 1 {
		t.Errorf("upstream called %d times, want 1", got)
	}
	for i, a := range answers {
		if a.body != "hello #1" {
			t.Errorf("answer %d: body %q", i, a.body)
		}
	}
}

func TestTransportCallerGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "late")
	}))
	defer srv.Close()
	defer close(release)
	c := e.client(t, srv, []Endpoint{{}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("Do error = %v, want context.Canceled", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportHead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	head, err := predicate.Method(http.MethodHead)
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t, srv, []Endpoint{{Request: head}})
	for i, want := range []string{"MISS", "HIT"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL+"/h", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Cache-Status"); got != want {
			t.Errorf("request %d: X-Cache-Status %q, want %q", i, got, want)
		}
		if res.ContentLength != int64(len("hello #1")) {
			t.Errorf("request %d: ContentLength %d, want the declared %d", i, res.ContentLength, len("hello #1"))
		}
	}
}

// closeBody is a response body that reports its Close.
type closeBody struct {
	io.Reader
	closed chan struct{}
	once   sync.Once
}

func (b *closeBody) Close() error { b.once.Do(func() { close(b.closed) }); return nil }

// TestTransportStreamOfCallerWhoLeftIsClosed checks that a response too
// large to buffer, which the flow hands to its caller through the call's
// slot, is closed when that caller gave up before it arrived: the shared
// call goes on without it, and nobody else may read the stream.
func TestTransportStreamOfCallerWhoLeftIsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	release := make(chan struct{})
	body := &closeBody{Reader: strings.NewReader(strings.Repeat("x", 4096)), closed: make(chan struct{})}
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-release
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: body, ContentLength: 4096, Request: r}, nil
	})
	tr, err := NewTransport(e.cache, base, []Endpoint{{}}, WithMaxBody(1000))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.com/big", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("RoundTrip error = %v, want context.Canceled", err)
	}
	close(release)
	select {
	case <-body.closed:
	case <-t.Context().Done():
		t.Fatal("the stream of a caller that left was never closed")
	}
}
