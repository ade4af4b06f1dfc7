package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

func TestMissThenHitOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{}
	srv := httptest.NewServer(e.middleware(t, up, []Endpoint{{Name: "all", Policy: hitbox.Enabled(time.Minute, 0)}}))
	defer srv.Close()
	c := srv.Client()

	first := get(t, c, http.MethodGet, srv.URL+"/books/1", "")
	check(t, "first", first, miss(csMissStored, "hello #1"))
	e.clock.Advance(10 * time.Second)
	second := get(t, c, http.MethodGet, srv.URL+"/books/1", "")
	check(t, "second", second, hit("hitbox; hit; ttl=50", "10", "hello #1"))
	for _, h := range []string{"X-Upstream", "X-Call", "Content-Type"} {
		if got, want := second.header.Get(h), first.header.Get(h); got != want {
			t.Errorf("hit header %s = %q, want %q as on the miss", h, got, want)
		}
	}
	if got := up.calls.Load(); got != 1 {
		t.Errorf("upstream called %d times, want 1", got)
	}
	// Another path is another key.
	check(t, "other path", get(t, c, http.MethodGet, srv.URL+"/books/2", ""), miss(csMissStored, "hello #2"))
	// The query string is not part of the default key.
	check(t, "query", get(t, c, http.MethodGet, srv.URL+"/books/1?x=1", ""), hit("hitbox; hit; ttl=50", "10", "hello #1"))
}

func TestCacheStatuses(t *testing.T) {
	t.Parallel()
	type step struct {
		advance time.Duration
		want    answer
	}
	tests := []struct {
		name   string
		policy hitbox.Policy
		steps  []step
		calls  int64
	}{
		{
			name: "never expires", policy: hitbox.Policy{},
			steps: []step{
				{0, miss(csMissStored, "hello #1")},
				{time.Hour, hit("hitbox; hit", "3600", "hello #1")},
			},
			calls: 1,
		},
		{
			name: "stale returned", policy: hitbox.Enabled(60*time.Second, 30*time.Second),
			steps: []step{
				{0, miss(csMissStored, "hello #1")},
				{10 * time.Second, hit("hitbox; hit; ttl=50", "10", "hello #1")},
				{30 * time.Second, answer{xcache: "STALE", cacheStatus: "hitbox; hit; ttl=20", age: "40", hasAge: true, body: "hello #1"}},
			},
			calls: 1,
		},
		{
			name: "expired is fwd=stale", policy: hitbox.Enabled(60*time.Second, 0),
			steps: []step{
				{0, miss(csMissStored, "hello #1")},
				{61 * time.Second, miss("hitbox; fwd=stale; fwd-status=200; stored", "hello #2")},
				{time.Second, hit("hitbox; hit; ttl=59", "1", "hello #2")},
			},
			calls: 2,
		},
		{
			name: "gone after keep is fwd=miss", policy: hitbox.Policy{TTL: 10 * time.Second, Keep: 5 * time.Second},
			steps: []step{
				{0, miss(csMissStored, "hello #1")},
				{16 * time.Second, miss(csMissStored, "hello #2")},
			},
			calls: 2,
		},
		{
			name:   "revalidate",
			policy: hitbox.Policy{TTL: 60 * time.Second, Stale: 30 * time.Second, StaleMode: hitbox.StaleRevalidate},
			steps: []step{
				{0, miss(csMissStored, "hello #1")},
				{40 * time.Second, miss("hitbox; fwd=stale; fwd-status=200; stored", "hello #2")},
				{0, hit("hitbox; hit; ttl=60", "0", "hello #2")},
			},
			calls: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			up := &upstream{}
			h := e.middleware(t, up, []Endpoint{{Policy: tt.policy}})
			for i, s := range tt.steps {
				e.clock.Advance(s.advance)
				check(t, "step "+itoa(int64(i)), serve(t, h, http.MethodGet, "/x", ""), s.want)
			}
			if got := up.calls.Load(); got != tt.calls {
				t.Errorf("upstream called %d times, want %d", got, tt.calls)
			}
		})
	}
}

func TestOffloadRevalidate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{}
	policy := hitbox.Policy{TTL: 60 * time.Second, Stale: 30 * time.Second, StaleMode: hitbox.StaleOffloadRevalidate}
	h := e.middleware(t, up, []Endpoint{{Policy: policy}})
	check(t, "miss", serve(t, h, http.MethodGet, "/x", ""), miss(csMissStored, "hello #1"))
	e.clock.Advance(40 * time.Second)
	check(t, "stale", serve(t, h, http.MethodGet, "/x", ""),
		answer{xcache: "STALE", cacheStatus: "hitbox; hit; ttl=20", age: "40", hasAge: true, body: "hello #1"})
	// Shutdown waits for the background refresh.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.cache.Close(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := up.calls.Load(); got != 2 {
		t.Fatalf("upstream called %d times after the refresh, want 2", got)
	}
	check(t, "refreshed", serve(t, h, http.MethodGet, "/x", ""), hit("hitbox; hit; ttl=60", "0", "hello #2"))
}

func TestBypass(t *testing.T) {
	t.Parallel()
	get, err := predicate.Method(http.MethodGet)
	if err != nil {
		t.Fatal(err)
	}
	books, err := extract.Path("/books/{id}")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		eps    []Endpoint
		opts   []Option
		method string
		target string
		body   string
		status int
	}{
		{name: "POST under the default predicate", eps: []Endpoint{{}}, method: http.MethodPost, target: "/x", body: "data"},
		{name: "no endpoints", method: http.MethodGet, target: "/x"},
		{name: "disabled endpoint", eps: []Endpoint{{Policy: hitbox.Disabled()}}, method: http.MethodGet, target: "/x"},
		{name: "status passed on", eps: []Endpoint{{Request: predicate.Not(get)}}, method: http.MethodGet, target: "/x", status: 201},
		{name: "extractor error", eps: []Endpoint{{Extractors: []extract.Extractor{books}}}, method: http.MethodGet, target: "/authors/1"},
		{
			name: "request body over the limit", eps: []Endpoint{{Request: predicate.And[*http.Request]()}},
			opts: []Option{WithMaxRequestBody(4)}, method: http.MethodPost, target: "/x", body: "0123456789",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var bodies []string
			up := &upstream{status: tt.status}
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodies = append(bodies, string(b))
				w.Header().Set("Age", "100")
				up.ServeHTTP(w, r)
			})
			h := e.middleware(t, next, tt.eps, tt.opts...)
			status := tt.status
			if status == 0 {
				status = 200
			}
			want := miss("hitbox; fwd=bypass; fwd-status="+itoa(int64(status)), "")
			want.status = status
			check(t, "first", serve(t, h, tt.method, tt.target, tt.body), want)
			check(t, "second", serve(t, h, tt.method, tt.target, tt.body), want)
			if got := up.calls.Load(); got != 2 {
				t.Errorf("upstream called %d times, want 2", got)
			}
			for i, b := range bodies {
				if b != tt.body {
					t.Errorf("request %d: upstream got body %q, want %q", i, b, tt.body)
				}
			}
		})
	}
}

func TestNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{status: http.StatusNotFound}
	h := e.middleware(t, up, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
	want := miss("hitbox; fwd=miss; fwd-status=404", "")
	want.status = http.StatusNotFound
	want.body = "hello #1"
	check(t, "first", serve(t, h, http.MethodGet, "/missing", ""), want)
	want.body = "hello #2"
	check(t, "second", serve(t, h, http.MethodGet, "/missing", ""), want)
	if got := up.calls.Load(); got != 2 {
		t.Errorf("upstream called %d times, want 2", got)
	}
}

func TestEndpointsFirstMatchWins(t *testing.T) {
	t.Parallel()
	everything := predicate.And[*http.Request]()
	short, err := predicate.Path("/short/*")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	up := &upstream{}
	h := e.middleware(t, up, []Endpoint{
		{Name: "off", Request: everything, Policy: hitbox.Disabled()},
		{Name: "short", Request: short, Policy: hitbox.Enabled(10*time.Second, 0)},
		{Name: "long", Policy: hitbox.Enabled(100*time.Second, 0)},
		{Name: "never reached", Policy: hitbox.Enabled(time.Second, 0)},
	})
	serve(t, h, http.MethodGet, "/short/a", "")
	serve(t, h, http.MethodGet, "/other", "")
	check(t, "short", serve(t, h, http.MethodGet, "/short/a", ""), hit("hitbox; hit; ttl=10", "0", "hello #1"))
	check(t, "long", serve(t, h, http.MethodGet, "/other", ""), hit("hitbox; hit; ttl=100", "0", "hello #2"))
	// A POST matches "short" (no method condition) but not "long".
	check(t, "short POST", serve(t, h, http.MethodPost, "/short/a", ""), miss(csMissStored, "hello #3"))
	check(t, "long POST", serve(t, h, http.MethodPost, "/other", ""), miss(csBypass200, "hello #4"))
}

func TestAgeOnlyOnCacheAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Age", "100")
		_, _ = io.WriteString(w, "aged")
	})
	h := e.middleware(t, next, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
	check(t, "miss", serve(t, h, http.MethodGet, "/x", ""), miss(csMissStored, "aged"))
	e.clock.Advance(3 * time.Second)
	check(t, "hit", serve(t, h, http.MethodGet, "/x", ""), hit("hitbox; hit; ttl=57", "3", "aged"))
}

func TestHopByHopNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Private")
		h.Set("X-Private", "secret")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Upgrade", "h2c")
		h.Set("Proxy-Authenticate", "Basic")
		h.Set("X-Public", "ok")
		h.Set("X-Cache-Status", "FAKE")
		_, _ = io.WriteString(w, "body")
	})
	h := e.middleware(t, next, []Endpoint{{}})
	serve(t, h, http.MethodGet, "/x", "")
	key := testKey("#0", hitbox.Part("method", "GET"), hitbox.Part("path", "/x"))
	entry, ok, err := e.backend.Get(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("backend.Get(%q) = %v, %v; want the stored entry", key, ok, err)
	}
	resp, err := decode(entry.Value)
	if err != nil {
		t.Fatalf("decode stored entry: %v", err)
	}
	for _, k := range []string{"Connection", "X-Private", "Keep-Alive", "Upgrade", "Proxy-Authenticate", "X-Cache-Status"} {
		if v, ok := resp.header[k]; ok {
			t.Errorf("stored header %s = %q, want it dropped", k, v)
		}
	}
	if got := resp.header.Get("X-Public"); got != "ok" {
		t.Errorf("stored X-Public = %q, want ok", got)
	}
	if got := resp.header.Get("Content-Length"); got != "4" {
		t.Errorf("stored Content-Length = %q, want 4", got)
	}
	if !resp.written.Equal(testStart) {
		t.Errorf("stored time = %v, want %v", resp.written, testStart)
	}
	a := serve(t, h, http.MethodGet, "/x", "")
	check(t, "hit", a, hit("hitbox; hit", "0", "body"))
	if v := a.header.Get("X-Private"); v != "" {
		t.Errorf("hit carries X-Private %q", v)
	}
}

func TestBadCachedBytesAreAMiss(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	up := &upstream{}
	h := e.middleware(t, up, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
	key := testKey("#0", hitbox.Part("method", "GET"), hitbox.Part("path", "/x"))
	garbage := []byte("definitely not a cached response")
	if err := e.backend.Set(t.Context(), key, newEntry(e, garbage)); err != nil {
		t.Fatal(err)
	}
	check(t, "garbage", serve(t, h, http.MethodGet, "/x", ""), miss(csMissStored, "hello #1"))
	entry, ok, err := e.backend.Get(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("backend.Get = %v, %v", ok, err)
	}
	if _, err := decode(entry.Value); err != nil {
		t.Errorf("entry not replaced: %v", err)
	}
	check(t, "after", serve(t, h, http.MethodGet, "/x", ""), hit("hitbox; hit; ttl=60", "0", "hello #1"))
}

func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := e.middleware(t, next, []Endpoint{{}})
	defer func() {
		p := recover()
		err, ok := p.(error)
		if !ok || !strings.Contains(err.Error(), "boom") {
			t.Errorf("ServeHTTP panicked with %v, want the handler's panic", p)
		}
	}()
	serve(t, h, http.MethodGet, "/x", "")
	t.Error("ServeHTTP did not panic")
}

func TestAbortHandlerPanic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	h := e.middleware(t, next, []Endpoint{{}})
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("ServeHTTP panicked with %v, want http.ErrAbortHandler", p)
		}
	}()
	serve(t, h, http.MethodGet, "/x", "")
}

func TestMiddlewareErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		c    *hitbox.Cache
		eps  []Endpoint
		opts []Option
		want error
	}{
		{name: "nil cache", want: ErrNilCache},
		{name: "bad policy", c: e.cache, eps: []Endpoint{{Policy: hitbox.Policy{TTL: -1}}}, want: ErrInvalidEndpoint},
		{name: "nil extractor", c: e.cache, eps: []Endpoint{{Extractors: []extract.Extractor{nil}}}, want: ErrInvalidEndpoint},
		{name: "bad key format", c: e.cache, opts: []Option{WithKeyFormat(9)}, want: ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Middleware(tt.c, tt.eps, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("Middleware error = %v, want %v", err, tt.want)
			}
			if _, err := NewTransport(tt.c, nil, tt.eps, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("NewTransport error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKeyOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.middleware(t, &upstream{}, []Endpoint{{Extractors: []extract.Extractor{}}},
		WithNamespace("ns"), WithKeyFormat(hitbox.KeyBinary))
	serve(t, h, http.MethodGet, "/x", "")
	ns := Scope{Prefix: "ns", Endpoint: "#0", Scheme: "http", Host: "example.com"}.Namespace()
	key := hitbox.Key{Namespace: ns}.Encode(hitbox.KeyBinary)
	if _, ok, err := e.backend.Get(t.Context(), key); err != nil || !ok {
		t.Errorf("no entry under the binary namespaced key with no parts: %v, %v", ok, err)
	}
	// No parts: every accepted request shares the entry.
	check(t, "other path", serve(t, h, http.MethodGet, "/y", ""), hit("hitbox; hit", "0", "hello #1"))
}

func TestOuterHeadersKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inner := e.middleware(t, &upstream{}, []Endpoint{{}})
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "r1")
		w.Header().Set("X-Upstream", "outer")
		inner.ServeHTTP(w, r)
	})
	serve(t, outer, http.MethodGet, "/x", "")
	a := serve(t, outer, http.MethodGet, "/x", "")
	if got := a.header.Get("X-Request-Id"); got != "r1" {
		t.Errorf("X-Request-Id = %q, want the outer middleware's r1", got)
	}
	if got := a.header.Get("X-Upstream"); got != "yes" {
		t.Errorf("X-Upstream = %q, want the cached yes", got)
	}
}

func TestRequestNotModified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.middleware(t, &upstream{}, []Endpoint{{Request: predicate.And[*http.Request]()}})
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("payload"))
	body := r.Body
	h.ServeHTTP(httptest.NewRecorder(), r)
	if r.Body != body {
		t.Error("the middleware replaced the caller's request body")
	}
}
