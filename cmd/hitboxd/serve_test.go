package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/config"
)

const booksEndpoints = `endpoints:
  - name: books
    request: [{Method: GET}, {Path: "/books/{id}"}]
    extractors: [{Method: }, {Path: "/books/{id}"}]
    policy: {Enabled: {ttl: 60}}
`

func TestServeCachesAndForwards(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", booksEndpoints))
	c := newClient(t)

	first := send(t, c, "GET", d.proxy+"/books/1?x=1", "", map[string]string{"X-Forwarded-For": "203.0.113.7"})
	if first.Code != 200 || first.XCache != "MISS" || first.Cache != "hitbox; fwd=miss; fwd-status=200; stored" {
		t.Fatalf("first GET: %d %q %q", first.Code, first.XCache, first.Cache)
	}
	// Stored before it was sent: listed at once.
	if keys := listKeys(t, c, d.admin, entryKey("books", d.proxy, "method=GET&id=1")); keys.Count != 1 || partsOf(keys.Keys[0]) != "method=GET, id=1" {
		t.Errorf("/keys after the first answer: %+v", keys)
	}
	proxyHost := strings.TrimPrefix(d.proxy, "http://")
	if !strings.HasPrefix(first.Up.XFF, "203.0.113.7, 127.0.0.1") || first.Up.XFP != "http" || first.Up.XFH != proxyHost {
		t.Errorf("upstream saw X-Forwarded-For %q, -Proto %q, -Host %q; want 203.0.113.7, 127.0.0.1 / http / %s", first.Up.XFF, first.Up.XFP, first.Up.XFH, proxyHost)
	}
	if want := strings.TrimPrefix(up.URL, "http://"); first.Up.Host != want {
		t.Errorf("upstream saw Host %q, want %q", first.Up.Host, want)
	}
	if first.Header.Get("Age") != "" {
		t.Errorf("a forwarded answer has Age %q", first.Header.Get("Age"))
	}

	second := send(t, c, "GET", d.proxy+"/books/1?x=2", "", nil)
	if second.XCache != "HIT" || !strings.HasPrefix(second.Cache, "hitbox; hit; ttl=") || second.Up.Call != first.Up.Call || second.Header.Get("Age") == "" {
		t.Errorf("second GET: %q %q call %d (first %d) Age %q; want HIT from the first call", second.XCache, second.Cache, second.Up.Call, first.Up.Call, second.Header.Get("Age"))
	}

	// No endpoint accepts these: forwarded, not stored, MISS all the same.
	for _, tc := range []struct{ method, path string }{{"POST", "/books/1"}, {"GET", "/authors/1"}, {"DELETE", "/books/1"}} {
		a := send(t, c, tc.method, d.proxy+tc.path, "", nil)
		if a.XCache != "MISS" || a.Cache != "hitbox; fwd=bypass; fwd-status=200" || a.Up.Method != tc.method {
			t.Errorf("%s %s: %q %q (upstream saw %q)", tc.method, tc.path, a.XCache, a.Cache, a.Up.Method)
		}
	}
	// A response the upstream flushes (chunked) streams through and is
	// stored.
	flushed := send(t, c, "GET", d.proxy+"/books/3?flush=1", "", nil)
	if flushed.Code != 200 || flushed.XCache != "MISS" || flushed.Cache != "hitbox; fwd=miss; fwd-status=200; stored" || flushed.Up.Path != "/books/3" {
		t.Errorf("GET a flushed answer: %d %q %q %q", flushed.Code, flushed.XCache, flushed.Cache, flushed.Body)
	}
	if again := send(t, c, "GET", d.proxy+"/books/3?flush=1", "", nil); again.XCache != "HIT" || again.Up.Call != flushed.Up.Call {
		t.Errorf("GET a flushed answer again: %q call %d; want HIT from call %d", again.XCache, again.Up.Call, flushed.Up.Call)
	}
	// The metrics see the backend in force.
	metrics := send(t, c, "GET", d.admin+"/metrics", "", nil)
	if want := `hitbox_backend_entries{backend="memory"} 2`; !strings.Contains(string(metrics.Body), want) {
		t.Errorf("/metrics lacks %q", want)
	}
	// A 404 passes through unstored.
	for range 2 {
		a := send(t, c, "GET", d.proxy+"/books/2?status=404", "", nil)
		if a.Code != 404 || a.XCache != "MISS" || a.Cache != "hitbox; fwd=miss; fwd-status=404" {
			t.Errorf("GET a 404: %d %q %q", a.Code, a.XCache, a.Cache)
		}
	}
	if keys := listKeys(t, c, d.admin, entryKey("books", d.proxy, "method=GET&id=2")); keys.Count != 0 {
		t.Errorf("a 404 was stored: %+v", keys)
	}
}

func TestServeUnreachableUpstream(t *testing.T) {
	t.Parallel()
	dead := deadUpstream(t)
	d := startInProcess(t, testConfig(dead, "", `endpoints:
  - name: everything
    request: [{Method: GET}]
    response: [{Status: {range: [100, 599]}}]
    policy: {Enabled: {ttl: 60}}
`))
	c := newClient(t)
	for i := range 2 {
		a := send(t, c, "GET", d.proxy+"/books/1", "", nil)
		var body map[string]string
		if err := json.Unmarshal(a.Body, &body); err != nil || body["error"] != "upstream unreachable" {
			t.Errorf("request %d: body %q, want {\"error\": \"upstream unreachable\"} (%v)", i, a.Body, err)
		}
		if a.Code != http.StatusBadGateway || a.XCache != "MISS" || a.Cache != "hitbox; fwd=miss; fwd-status=502" {
			t.Errorf("request %d: %d %q %q; want 502 MISS, not stored", i, a.Code, a.XCache, a.Cache)
		}
		if ct := a.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if v := a.Header.Get(upstreamErrorHeader); v != "" {
			t.Errorf("the internal marker reached the client: %q", v)
		}
	}
	if keys := listKeys(t, c, d.admin, ""); keys.Count != 0 {
		t.Errorf("an upstream failure was stored: %+v", keys)
	}
	// Not cacheable at all: 502 JSON too.
	if a := send(t, c, "POST", d.proxy+"/x", "", nil); a.Code != http.StatusBadGateway || a.Cache != "hitbox; fwd=bypass; fwd-status=502" {
		t.Errorf("POST: %d %q", a.Code, a.Cache)
	}
}

// TestServeBadRequests: malformed requests get a 4xx, never a crash nor
// a stored entry.
func TestServeBadRequests(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", `endpoints:
  - name: all
    request: []
    response: []
`))
	tests := []struct {
		name, raw string
		wantCode  int
		wantBody  string
	}{
		{"bad chunked body", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, `{"error":"malformed or incomplete request body"}`},
		{"bad percent-encoding", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, ""},
		{"header too large", "GET /a HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes+8192) + "\r\n\r\n", 431, ""},
		{"no Host in HTTP/1.1", "GET /a HTTP/1.1\r\n\r\n", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", strings.TrimPrefix(d.proxy, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write([]byte(tt.raw)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tt.wantCode || tt.wantBody != "" && strings.TrimSpace(string(body)) != tt.wantBody {
				t.Errorf("%d %q, want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if v := resp.Header.Get(upstreamErrorHeader); v != "" {
				t.Errorf("the internal marker reached the client")
			}
		})
	}
	c := newClient(t)
	if keys := listKeys(t, c, d.admin, ""); keys.Count != 0 {
		t.Errorf("bad requests were stored: %+v", keys)
	}
}

func TestServeReload(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	const authors = `  - name: authors
    request: [{Method: GET}, {Path: "/authors/{id}"}]
    policy: {Enabled: {ttl: 60}}
`
	d := startInProcess(t, testConfig(up.URL, "backend: {type: Memory, max_bytes: 32MiB}", booksEndpoints))
	c := newClient(t)
	get := func(path string) answer { t.Helper(); return send(t, c, "GET", d.proxy+path, "", nil) }

	get("/books/1")
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Fatalf("before the reload: %q", a.XCache)
	}
	if a := get("/authors/1"); a.Cache != "hitbox; fwd=bypass; fwd-status=200" {
		t.Fatalf("/authors before the reload: %q", a.Cache)
	}

	// Same backend, one more endpoint: entries kept.
	if err := d.reload(t, testConfig(up.URL, "backend: {type: Memory, max_bytes: 32MiB}", booksEndpoints+authors)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Errorf("after a reload keeping the backend: %q %q, want HIT", a.XCache, a.Cache)
	}
	get("/authors/1")
	if a := get("/authors/1"); a.XCache != "HIT" {
		t.Errorf("the new endpoint: %q %q, want HIT", a.XCache, a.Cache)
	}

	// Another upstream, same backend: new requests go there, entries stay.
	up2 := newTestUpstream(t)
	if err := d.reload(t, testConfig(up2.URL, "backend: {type: Memory, max_bytes: 32MiB}", booksEndpoints+authors)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Errorf("after changing the upstream: %q, want HIT", a.XCache)
	}
	if a := get("/books/9"); a.XCache != "MISS" || up2.calls.Load() != 1 {
		t.Errorf("a miss after changing the upstream: %q, the new upstream had %d calls", a.XCache, up2.calls.Load())
	}

	// A bad file: reported, the running configuration stays.
	err := d.reload(t, testConfig(up.URL, "backend: {type: Memory, max_bytes: 32MiB}", "endpoints:\n  - name: x\n    request: [{Methd: GET}]\n"))
	var errs config.Errors
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "test.yaml:") {
		t.Fatalf("reload of a bad file: %v, want config errors", err)
	}
	if !strings.Contains(d.logs.String(), "reload failed, the running configuration stays") {
		t.Errorf("the failed reload was not logged:\n%s", d.logs)
	}
	if a := get("/authors/1"); a.XCache != "HIT" {
		t.Errorf("after a bad reload: %q, want HIT", a.XCache)
	}

	// Another backend: a new, empty store; the old one is closed.
	old := d.d.cur.Load().gen
	if err := d.reload(t, testConfig(up.URL, "backend: {type: Memory, max_bytes: 16MiB}", booksEndpoints)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if a := get("/books/1"); a.XCache != "MISS" {
		t.Errorf("after a reload replacing the backend: %q, want MISS", a.XCache)
	}
	if a := get("/authors/1"); a.Cache != "hitbox; fwd=bypass; fwd-status=200" {
		t.Errorf("a removed endpoint still caches: %q", a.Cache)
	}
	if d.d.cur.Load().gen == old {
		t.Fatal("the generation was not replaced")
	}
	d.d.retiring.Wait()
	if got := old.refs.Load(); got != retiredBit {
		t.Errorf("the replaced generation: refs %#x, want retired and unused", got)
	}
	if _, _, err := old.store.Backend.Get(context.Background(), "v0:"); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("the replaced backend answers %v, want %v", err, backend.ErrClosed)
	}
	// The retired runner left the metrics' list: a task it drops now
	// (it is shut down) is not counted.
	if old.runner.TryGo("after-retirement", func(context.Context) {}) {
		t.Fatal("the retired runner accepted a task")
	}
	if m := send(t, c, "GET", d.admin+"/metrics", "", nil); !strings.Contains(string(m.Body), "hitbox_offload_running") ||
		strings.Contains(string(m.Body), "after-retirement") {
		t.Errorf("/metrics after the reload: the retired runner is still watched, or no runner is:\n%s", m.Body)
	}
}

func TestServeShutdownDrains(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", `endpoints:
  - name: slow
    request: [{Method: GET}, {Path: "/slow/{id}"}]
    policy: {Enabled: {ttl: 60}}
`))
	c := newClient(t)
	load := startSlowLoad(t, c, up, d.proxy, 8)
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop() }()
	awaitRefused(t, d.proxy)
	close(up.Release)
	load.check(t)
	if err := <-stopped; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestServeShutdownDeadline: requests still in flight at the deadline are
// cut and run reports the incomplete stop.
func TestServeShutdownDeadline(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d, err := start(serveOptions{
		Load: func() (*config.File, config.Warnings, error) {
			return config.Parse("test.yaml", []byte(testConfig(up.URL, "", booksEndpoints)))
		},
		ShutdownTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	c := newClient(t)
	sent := make(chan error, 1)
	go func() {
		_, err := trySend(c, "GET", "http://"+d.proxyAddr()+"/slow/1", "", nil)
		sent <- err
	}()
	<-up.Arrived
	cancel()
	err = <-done
	close(up.Release)
	if err == nil || !strings.Contains(err.Error(), "graceful stop incomplete") {
		t.Errorf("run: %v, want an incomplete stop", err)
	}
	if err := <-sent; err == nil {
		t.Error("the request in flight got an answer, want it cut")
	}
}

func TestServeStartErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = busy.Close() })
	tests := []struct {
		name, file, want string
	}{
		{"invalid file", "upstream: 3\n", "invalid configuration:\ntest.yaml:1:11: upstream:"},
		{"listen in use", "listen: " + busy.Addr().String() + "\nupstream: http://127.0.0.1:1\n", "proxy listen:"},
		{"admin listen in use", "listen: " + testListen + "\nupstream: http://127.0.0.1:1\nadmin: {listen: " + busy.Addr().String() + "}\n", "admin listen:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := serve(ctx, serveOptions{
				Load: func() (*config.File, config.Warnings, error) { return config.Parse("test.yaml", []byte(tt.file)) },
			})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("serve: %v, want an error starting with %q", err, tt.want)
			}
		})
	}
}

func TestGuardEndpointsKeepsDefaults(t *testing.T) {
	t.Parallel()
	f, _, err := config.Parse("t.yaml", []byte("upstream: http://127.0.0.1:1\nendpoints:\n  - name: a\n    request: [{Method: GET}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	eps, err := f.BuildEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	eps[0].Response = nil // the middleware's default: Status 200
	g := guardEndpoints(eps)
	resp := func(code int, marker bool) *http.Response {
		h := http.Header{}
		if marker {
			h.Set(upstreamErrorHeader, "1")
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	for _, tc := range []struct {
		code   int
		marker bool
		want   bool
	}{{200, false, true}, {404, false, false}, {200, true, false}} {
		if got := g[0].Response.Match(resp(tc.code, tc.marker)); got != tc.want {
			t.Errorf("status %d, marker %v: %v, want %v", tc.code, tc.marker, got, tc.want)
		}
	}
	if g[0].Response.Match(nil) {
		t.Error("a nil response matched")
	}
}
