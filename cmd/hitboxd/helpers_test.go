package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/httpcache"
)

// testUpstream is the origin of the tests. Every answer is JSON saying
// what the upstream saw and how many calls it had (also in the header
// X-Upstream-Call), so a test tells a cached answer from a fresh one.
//
//	?status=N     answer with status N
//	?setcookie=1  add a Set-Cookie header
//	?items=N      the body's "items" holds N numbers
//	?flush=1      flush the header before the body
//	?skey=a+b     add a Surrogate-Key header ("a b")
//	/slow...      announce the call on Arrived, then wait until Release
//	              is closed (or the request is canceled)
//
// Like many web frameworks, it honours X-HTTP-Method-Override and
// X-Original-URL (the method and path it reports), and it reports in
// Forwarded the forwardedHeaders it was sent.
type testUpstream struct {
	*httptest.Server
	calls   atomic.Int64
	Arrived chan struct{}
	Release chan struct{}
}

func newTestUpstream(t *testing.T) *testUpstream {
	t.Helper()
	u := &testUpstream{Arrived: make(chan struct{}, 1024), Release: make(chan struct{})}
	u.Server = httptest.NewServer(u)
	t.Cleanup(u.Close)
	return u
}

// upstreamAnswer is the body of the test upstream's answers.
type upstreamAnswer struct {
	Call   int64  `json:"call"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Host   string `json:"host"`
	XFF    string `json:"xff"`
	XFP    string `json:"xfp"`
	XFH    string `json:"xfh"`
	Body   string `json:"body"`
	Items  []int  `json:"items"`
	// Version is the X-Version header the upstream got.
	Version string `json:"version"`
	// Forwarded lists the forwardedHeaders the upstream got, as
	// "Name=value" joined by "; ".
	Forwarded string `json:"forwarded"`
}

func (u *testUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/slow") {
		u.Arrived <- struct{}{}
		select {
		case <-u.Release:
		case <-r.Context().Done():
			return
		}
	}
	q := r.URL.Query()
	ans := upstreamAnswer{
		Call: n, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
		XFF: r.Header.Get("X-Forwarded-For"), XFP: r.Header.Get("X-Forwarded-Proto"), XFH: r.Header.Get("X-Forwarded-Host"),
		Body: string(body), Items: []int{},
	}
	if m := r.Header.Get("X-Http-Method-Override"); m != "" {
		ans.Method = m
	}
	if p := r.Header.Get("X-Original-Url"); p != "" {
		ans.Path = p
	}
	var fwd []string
	for _, name := range forwardedHeaders {
		if v := r.Header.Get(name); v != "" {
			fwd = append(fwd, name+"="+v)
		}
	}
	ans.Forwarded = strings.Join(fwd, "; ")
	ans.Version = r.Header.Get("X-Version")
	if s := q.Get("items"); s != "" {
		k, _ := strconv.Atoi(s)
		for i := range k {
			ans.Items = append(ans.Items, i)
		}
	}
	status := http.StatusOK
	if s := q.Get("status"); s != "" {
		status, _ = strconv.Atoi(s)
	}
	if sk := q.Get("skey"); sk != "" {
		w.Header().Set("Surrogate-Key", sk)
	}
	if q.Get("setcookie") != "" {
		w.Header().Set("Set-Cookie", "session=1")
	}
	w.Header().Set("X-Upstream-Call", strconv.FormatInt(n, 10))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if q.Get("flush") != "" {
		http.NewResponseController(w).Flush() // the middleware streams it
	}
	_ = json.NewEncoder(w).Encode(ans)
}

// answer is a response as the tests look at it.
type answer struct {
	Code   int
	XCache string // X-Cache-Status
	Cache  string // Cache-Status
	Header http.Header
	Body   []byte
	Up     upstreamAnswer // the body, when the upstream wrote it
}

// send makes one request and reads the whole answer.
func send(t *testing.T, c *http.Client, method, target, body string, hdr map[string]string) answer {
	t.Helper()
	a, err := trySend(c, method, target, body, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return a
}

func trySend(c *http.Client, method, target, body string, hdr map[string]string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return answer{}, err
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{Code: resp.StatusCode, XCache: resp.Header.Get("X-Cache-Status"), Cache: resp.Header.Get("Cache-Status"), Header: resp.Header, Body: b}
	_ = json.Unmarshal(b, &a.Up)
	return a, nil
}

// newClient returns a client whose connections are closed with the test.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

// getJSON GETs target and decodes its JSON answer into v.
func getJSON(t *testing.T, c *http.Client, target string, hdr map[string]string, v any) {
	t.Helper()
	a := send(t, c, http.MethodGet, target, "", hdr)
	if a.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, a.Code, a.Body)
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", target, err, a.Body)
	}
}

// listKeys returns the keys under prefix, as GET /keys lists them.
func listKeys(t *testing.T, c *http.Client, admin, prefix string) keysAnswer {
	t.Helper()
	var ans keysAnswer
	getJSON(t, c, admin+"/keys?prefix="+url.QueryEscape(prefix), nil, &ans)
	return ans
}

// partsOf renders a key's parts as name=value, name (no value).
func partsOf(k keyInfo) string {
	var b strings.Builder
	for i, p := range k.Parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		if p.Value != nil {
			b.WriteString("=" + *p.Value)
		}
	}
	return b.String()
}

// testConfig is a hitboxd file listening on free ports, with the admin
// API, in front of upstream, with the given backend and endpoints
// sections (YAML, indented as top-level sections).
func testConfig(upstream, backend, endpoints string) string {
	return fmt.Sprintf("listen: %s\nupstream: %s\nadmin:\n  listen: %s\n%s\n%s\n", testListen, upstream, testAdminListen, backend, endpoints)
}

// Free loopback ports for the proxy and the admin API: config allows the
// same address twice on port 0, where each listener gets a port of its own.
const (
	testListen      = "127.0.0.1:0"
	testAdminListen = "127.0.0.1:0"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inProcess is hitboxd run in the test process: reloads are asked on a
// channel, not by signal.
type inProcess struct {
	d            *daemon
	proxy, admin string // base URLs
	file         atomic.Value
	hup          chan os.Signal
	reloaded     chan error
	cancel       context.CancelFunc
	done         chan error
	logs         *syncBuffer
}

func startInProcess(t *testing.T, file string) *inProcess {
	t.Helper()
	return startInProcessWith(t, file, nil)
}

// startInProcessWith is startInProcess with the options edited by opt
// (when not nil) before the start.
func startInProcessWith(t *testing.T, file string, opt func(*serveOptions)) *inProcess {
	t.Helper()
	p := &inProcess{hup: make(chan os.Signal), reloaded: make(chan error), done: make(chan error, 1), logs: &syncBuffer{}}
	p.file.Store(file)
	o := serveOptions{
		Load: func() (*config.File, config.Warnings, error) {
			return config.Parse("test.yaml", []byte(p.file.Load().(string)))
		},
		Logger:          slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ShutdownTimeout: 10 * time.Second,
		Reload:          p.hup,
		Reloaded:        func(err error) { p.reloaded <- err },
		Env:             func(string) string { return "" },
	}
	if opt != nil {
		opt(&o)
	}
	d, err := start(o)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, p.logs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.d, p.cancel = d, cancel
	p.proxy, p.admin = "http://"+d.proxyAddr(), "http://"+d.adminAddr()
	go func() { p.done <- d.run(ctx) }()
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("run returned %v\n%s", err, p.logs)
		}
	})
	return p
}

// reload swaps the file and reloads it, returning the reload's error.
func (p *inProcess) reload(t *testing.T, file string) error {
	t.Helper()
	p.file.Store(file)
	select {
	case p.hup <- syscall.SIGHUP:
	case err := <-p.done:
		t.Fatalf("run stopped: %v", err)
	}
	return <-p.reloaded
}

// stop ends run and returns its error (once; later calls return nil).
func (p *inProcess) stop() error {
	p.cancel()
	err, ok := <-p.done
	if ok {
		close(p.done)
	}
	return err
}

// slowLoad is requests held by the test upstream's /slow handler.
type slowLoad struct {
	wg      sync.WaitGroup
	answers []answer
	errs    []error
}

// startSlowLoad sends n GETs through the proxy at base, every third one
// not cacheable (/slow-bypass/N) and the others each on its own key
// (/slow/N), and returns once all of them wait in the upstream.
func startSlowLoad(t *testing.T, c *http.Client, up *testUpstream, base string, n int) *slowLoad {
	t.Helper()
	l := &slowLoad{answers: make([]answer, n), errs: make([]error, n)}
	for i := range n {
		path := fmt.Sprintf("/slow/%d", i)
		if i%3 == 0 {
			path = fmt.Sprintf("/slow-bypass/%d", i)
		}
		l.wg.Go(func() { l.answers[i], l.errs[i] = trySend(c, "GET", base+path, "", nil) })
	}
	timeout := time.After(15 * time.Second)
	for range n {
		select {
		case <-up.Arrived:
		case <-timeout:
			t.Fatal("the requests did not reach the upstream")
		}
	}
	return l
}

// check waits for the answers and checks that each is a 200 MISS.
func (l *slowLoad) check(t *testing.T) {
	t.Helper()
	l.wg.Wait()
	for i := range l.answers {
		if l.errs[i] != nil || l.answers[i].Code != http.StatusOK || l.answers[i].XCache != "MISS" {
			t.Errorf("request %d: %v %d %s", i, l.errs[i], l.answers[i].Code, l.answers[i].XCache)
		}
	}
}

// awaitRefused waits until the proxy at base refuses new connections.
func awaitRefused(t *testing.T, base string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return // the listener is closed
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections", addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// deadUpstream returns the URL of a loopback port nobody listens on.
func deadUpstream(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	_ = ln.Close()
	return dead
}

// entryKey is the URL-encoded key (or key prefix) of hitboxd's entries of
// endpoint for requests to the proxy at proxyURL (the Host its clients
// send), followed by parts ("method=GET&id=1").
func entryKey(endpoint, proxyURL, parts string) string {
	host := strings.TrimPrefix(proxyURL, "http://")
	ns := httpcache.Scope{Endpoint: endpoint, Scheme: "http", Host: httpcache.NormalizeHost(host, "http")}.Namespace()
	return ns + ":v0:" + parts
}
