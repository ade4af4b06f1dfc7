package httpcache

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

var testStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a Cache over a real memory backend on a driven clock.
type env struct {
	clock   *hitboxtest.Clock
	backend *memory.Backend
	cache   *hitbox.Cache
}

func newEnv(t testing.TB, opts ...hitbox.Option) *env {
	t.Helper()
	clock := hitboxtest.NewClock(testStart)
	b, err := memory.New(memory.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("memory.New: %v", err)
	}
	c, err := hitbox.New(b, append([]hitbox.Option{hitbox.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatalf("hitbox.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Cache.Shutdown: %v", err)
		}
		_ = b.Close(context.Background())
	})
	return &env{clock: clock, backend: b, cache: c}
}

// middleware wraps next in the middleware over e's cache.
func (e *env) middleware(t testing.TB, next http.Handler, eps []Endpoint, opts ...Option) http.Handler {
	t.Helper()
	mw, err := Middleware(e.cache, eps, opts...)
	if err != nil {
		t.Fatalf("Middleware: %v", err)
	}
	return mw(next)
}

// upstream is a handler answering "<body> #<call>" with a few headers,
// counting its calls.
type upstream struct {
	calls  atomic.Int64
	status int    // 0: 200
	body   string // "": "hello"
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.calls.Add(1)
	body := u.body
	if body == "" {
		body = "hello"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Upstream", "yes")
	w.Header().Set("X-Call", itoa(n))
	if u.status != 0 {
		w.WriteHeader(u.status)
	}
	_, _ = io.WriteString(w, body+" #"+itoa(n))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// answer is what a test checks of a response.
type answer struct {
	status      int
	xcache      string
	cacheStatus string
	age         string // "" when absent
	hasAge      bool
	body        string
	header      http.Header
}

// serve calls h in process.
func serve(t *testing.T, h http.Handler, method, target, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	defer res.Body.Close()
	return toAnswer(t, res)
}

// get asks a real server.
func get(t *testing.T, client *http.Client, method, url, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	return toAnswer(t, res)
}

func toAnswer(t *testing.T, res *http.Response) answer {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	ages, hasAge := res.Header["Age"]
	a := answer{
		status: res.StatusCode, xcache: res.Header.Get("X-Cache-Status"),
		cacheStatus: res.Header.Get("Cache-Status"), hasAge: hasAge, body: string(b), header: res.Header,
	}
	if len(ages) > 0 {
		a.age = ages[0]
	}
	return a
}

// check compares the status headers, Age and body of a with want's.
func check(t *testing.T, what string, got answer, want answer) {
	t.Helper()
	if got.xcache != want.xcache || got.cacheStatus != want.cacheStatus {
		t.Errorf("%s: X-Cache-Status %q, Cache-Status %q; want %q, %q", what, got.xcache, got.cacheStatus, want.xcache, want.cacheStatus)
	}
	if got.hasAge != want.hasAge || got.age != want.age {
		t.Errorf("%s: Age %q (present %v), want %q (present %v)", what, got.age, got.hasAge, want.age, want.hasAge)
	}
	if want.body != "" && got.body != want.body {
		t.Errorf("%s: body %q, want %q", what, got.body, want.body)
	}
	if want.status != 0 && got.status != want.status {
		t.Errorf("%s: status %d, want %d", what, got.status, want.status)
	}
}

// Common expectations.
const (
	csMissStored = "hitbox; fwd=miss; fwd-status=200; stored"
	csBypass200  = "hitbox; fwd=bypass; fwd-status=200"
)

func hit(cs, age, body string) answer {
	return answer{xcache: "HIT", cacheStatus: cs, age: age, hasAge: true, body: body}
}

func miss(cs, body string) answer {
	return answer{xcache: "MISS", cacheStatus: cs, body: body}
}

// newEntry returns an entry written now that expires in an hour.
func newEntry(e *env, value []byte) backend.Entry {
	now := e.clock.Now()
	return backend.Entry{Value: value, Written: now, Expire: now.Add(time.Hour)}
}

// testKey is the URL-encoded key of a Middleware entry of the endpoint id
// for http://example.com (httptest.NewRequest's host) with parts.
func testKey(id string, parts ...hitbox.KeyPart) string {
	ns := Scope{Endpoint: id, Scheme: "http", Host: "example.com"}.Namespace()
	return hitbox.Key{Namespace: ns, Parts: parts}.String()
}
