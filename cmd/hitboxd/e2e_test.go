package main

// End-to-end tests: hitboxd is built once, run as a process against a test
// upstream with a file written per test, and checked through HTTP, the
// admin API, signals and its exit status.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const predicateEndpoints = `endpoints:
  - name: method
    request: [{Path: "/method/{x}"}, {Method: [PUT, DELETE]}]
  - name: path
    request: [{Method: GET}, {Path: "/path/{id:[0-9]+}"}]
  - name: path-rest
    request: [{Method: GET}, {Path: "/files/{rest}*"}]
  - name: header
    request: [{Path: "/header/{x}"}, {Header: {x-api-key: secret}}]
  - name: header-regex
    request: [{Path: "/hregex/{x}"}, {Header: {x-version: {regex: "^v[0-9]+$"}}}]
  - name: header-exist
    request: [{Path: "/hexist/{x}"}, {Header: {x-debug: {exist: ~}}}]
  - name: query
    request: [{Path: "/query/{x}"}, {Query: {lang: [en, de]}}]
  - name: query-exists
    request: [{Path: "/qexists/{x}"}, {Query: {page: {exists: true}}}]
  - name: body-jq
    request: [{Method: POST}, {Path: "/body/{x}"}, {Body: '.role == "admin"'}]
  - name: body-raw
    request: [{Method: POST}, {Path: "/braw/{x}"}, {Body: {contains: cache-me}}]
  - name: tree
    request:
      And:
        - Path: "/tree/{x}"
        - Or: [{Method: GET}, {Method: POST}]
        - Not: {Header: {authorization: {exist: ~}}}
  - name: status
    request: [{Method: GET}, {Path: "/status/{x}"}]
  - name: status-class
    request: [{Method: GET}, {Path: "/class/{x}"}]
    response: [{Status: ClientError}]
  - name: status-range
    request: [{Method: GET}, {Path: "/range/{x}"}]
    response: [{Status: {range: [200, 204]}}]
  - name: response-header
    request: [{Method: GET}, {Path: "/rheader/{x}"}]
    response: [{Status: 200}, {Not: {Header: {set-cookie: {exist: ~}}}}]
  - name: response-body
    request: [{Method: GET}, {Path: "/rbody/{x}"}]
    response: [{Body: '.items | length > 0'}]
  - name: disabled
    request: [{Method: GET}, {Path: "/disabled/{x}"}]
    policy: Disabled
`

// TestE2EPredicates: each predicate kind decides caching as
// docs/config.md says.
func TestE2EPredicates(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	p := startProcess(t, testConfig(up.URL, "", predicateEndpoints))
	c := newClient(t)
	tests := []struct {
		name         string
		method, path string
		hdr          map[string]string
		body         string
		want         outcome
		wantCode     int // 0: 200
	}{
		{name: "Method: one of", method: "PUT", path: "/method/1", want: cached},
		{name: "Method: the other", method: "DELETE", path: "/method/2", want: cached},
		{name: "Method: not listed", method: "GET", path: "/method/3", want: bypassed},
		{name: "Path: regex segment", method: "GET", path: "/path/12", want: cached},
		{name: "Path: regex segment fails", method: "GET", path: "/path/ab", want: bypassed},
		{name: "Path: trailing slash counts", method: "GET", path: "/path/13/", want: bypassed},
		{name: "Path: rest of the path", method: "GET", path: "/files/a/b/c.txt", want: cached},
		{name: "Header: equals", method: "GET", path: "/header/1", hdr: map[string]string{"x-api-key": "secret"}, want: cached},
		{name: "Header: name case-insensitive", method: "GET", path: "/header/2", hdr: map[string]string{"X-API-KEY": "secret"}, want: cached},
		{name: "Header: value case-sensitive", method: "GET", path: "/header/3", hdr: map[string]string{"x-api-key": "Secret"}, want: bypassed},
		{name: "Header: absent", method: "GET", path: "/header/4", want: bypassed},
		{name: "Header: regex", method: "GET", path: "/hregex/1", hdr: map[string]string{"x-version": "v2"}, want: cached},
		{name: "Header: regex fails", method: "GET", path: "/hregex/2", hdr: map[string]string{"x-version": "v2beta"}, want: bypassed},
		{name: "Header: exist", method: "GET", path: "/hexist/1", hdr: map[string]string{"x-debug": "1"}, want: cached},
		{name: "Header: exist, absent", method: "GET", path: "/hexist/2", want: bypassed},
		{name: "Query: one of", method: "GET", path: "/query/1?lang=de", want: cached},
		{name: "Query: not one of", method: "GET", path: "/query/2?lang=fr", want: bypassed},
		{name: "Query: repeated, one matches", method: "GET", path: "/query/3?lang=fr&lang=en", want: cached},
		{name: "Query: absent", method: "GET", path: "/query/4", want: bypassed},
		{name: "Query: exists", method: "GET", path: "/qexists/1?page=", want: cached},
		{name: "Query: exists, absent", method: "GET", path: "/qexists/2?pages=1", want: bypassed},
		{name: "Body: jq true", method: "POST", path: "/body/1", body: `{"role": "admin"}`, want: cached},
		{name: "Body: jq false", method: "POST", path: "/body/2", body: `{"role": "user"}`, want: bypassed},
		{name: "Body: not JSON", method: "POST", path: "/body/3", body: `role=admin`, want: bypassed},
		{name: "Body: contains", method: "POST", path: "/braw/1", body: `please cache-me`, want: cached},
		{name: "Body: does not contain", method: "POST", path: "/braw/2", body: `please`, want: bypassed},
		{name: "And/Or/Not: all hold", method: "POST", path: "/tree/1", want: cached},
		{name: "And/Or/Not: Not fails", method: "GET", path: "/tree/2", hdr: map[string]string{"Authorization": "Bearer x"}, want: bypassed},
		{name: "And/Or/Not: Or fails", method: "PUT", path: "/tree/3", want: bypassed},
		{name: "Status: default 200", method: "GET", path: "/status/1", want: cached},
		{name: "Status: default refuses 404", method: "GET", path: "/status/2?status=404", want: notStored, wantCode: 404},
		{name: "Status: class ClientError", method: "GET", path: "/class/1?status=404", want: cached, wantCode: 404},
		{name: "Status: class refuses 200", method: "GET", path: "/class/2", want: notStored},
		{name: "Status: range", method: "GET", path: "/range/1?status=203", want: cached, wantCode: 203},
		{name: "Status: out of range", method: "GET", path: "/range/2?status=500", want: notStored, wantCode: 500},
		{name: "response Header: Not Set-Cookie", method: "GET", path: "/rheader/1", want: cached},
		{name: "response Header: Set-Cookie refused", method: "GET", path: "/rheader/2?setcookie=1", want: notStored},
		{name: "response Body: jq true", method: "GET", path: "/rbody/1?items=2", want: cached},
		{name: "response Body: jq false", method: "GET", path: "/rbody/2?items=0", want: notStored},
		{name: "Disabled policy", method: "GET", path: "/disabled/1", want: bypassed},
		{name: "no endpoint", method: "GET", path: "/elsewhere", want: bypassed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, a := observe(t, c, tt.method, p.proxy+tt.path, tt.body, tt.hdr)
			if got != tt.want {
				t.Errorf("%s %s: %v, want %v", tt.method, tt.path, got, tt.want)
			}
			if want := max(tt.wantCode, 200); a.Code != want {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, a.Code, want)
			}
			if tt.body != "" && a.Up.Body != tt.body {
				t.Errorf("the upstream got the body %q, want %q unchanged", a.Up.Body, tt.body)
			}
		})
	}
}

// TestE2EExtractors: extractors decide which requests share an entry,
// as /keys shows.
func TestE2EExtractors(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	p := startProcess(t, testConfig(up.URL, "", `endpoints:
  - name: ex
    request: [{Method: GET}, {Path: "/ex/{id}"}]
    extractors: [{Method: }, {Path: "/ex/{id}"}, {Query: page}, {Header: X-Tenant}]
  - name: exbody
    request: [{Method: POST}, {Path: /exb}]
    extractors: [{Path: /exb}, {Body: '.user.email'}]
  - name: exsel
    request: [{Method: GET}, {Path: /exs}]
    extractors:
      - Query: {name: {starts: f_}}
      - Header: {name: X-User, transforms: [lowercase]}
  - name: default
    request: [{Method: GET}, {Path: "/def/{x}"}]
`))
	c := newClient(t)
	tests := []struct {
		name   string
		reqs   []struct{ method, path, body, tenant, user string }
		prefix string
		want   []string // each request's X-Cache-Status
		keys   []string // the parts of the keys under prefix, sorted by key
	}{
		{
			name: "other query parameters share", prefix: entryKey("ex", p.proxy, "method=GET&id=1&"),
			reqs: []struct{ method, path, body, tenant, user string }{{method: "GET", path: "/ex/1?page=1&utm=a"}, {method: "GET", path: "/ex/1?utm=b&page=1"}},
			want: []string{"MISS", "HIT"}, keys: []string{"method=GET, id=1, page=1, X-Tenant"},
		},
		{
			name: "the extracted query parameter does not", prefix: entryKey("ex", p.proxy, "method=GET&id=2&"),
			reqs: []struct{ method, path, body, tenant, user string }{{method: "GET", path: "/ex/2?page=1"}, {method: "GET", path: "/ex/2?page=2"}, {method: "GET", path: "/ex/2"}},
			want: []string{"MISS", "MISS", "MISS"}, keys: []string{"method=GET, id=2, X-Tenant", "method=GET, id=2, page=1, X-Tenant", "method=GET, id=2, page=2, X-Tenant"},
		},
		{
			name: "the header, absent or not", prefix: entryKey("ex", p.proxy, "method=GET&id=3&"),
			reqs: []struct{ method, path, body, tenant, user string }{{method: "GET", path: "/ex/3", tenant: "a"}, {method: "GET", path: "/ex/3", tenant: "b"}, {method: "GET", path: "/ex/3"}, {method: "GET", path: "/ex/3", tenant: "a"}},
			want: []string{"MISS", "MISS", "MISS", "HIT"}, keys: []string{"method=GET, id=3, X-Tenant", "method=GET, id=3, X-Tenant=a", "method=GET, id=3, X-Tenant=b"},
		},
		{
			name: "body fields", prefix: entryKey("exbody", p.proxy, ".user.email="),
			reqs: []struct{ method, path, body, tenant, user string }{
				{method: "POST", path: "/exb", body: `{"user": {"email": "a@x"}, "n": 1}`},
				{method: "POST", path: "/exb", body: `{"n": 2, "user": {"email": "a@x"}}`},
				{method: "POST", path: "/exb", body: `{"user": {"email": "b@x"}}`},
			},
			want: []string{"MISS", "HIT", "MISS"}, keys: []string{".user.email=a@x", ".user.email=b@x"},
		},
		{
			name: "selectors and transforms", prefix: entryKey("exsel", p.proxy, "f_"),
			reqs: []struct{ method, path, body, tenant, user string }{
				{method: "GET", path: "/exs?f_b=2&f_a=1&other=3", user: "Alice"},
				{method: "GET", path: "/exs?f_a=1&f_b=2", user: "ALICE"},
			},
			want: []string{"MISS", "HIT"}, keys: []string{"f_a=1, f_b=2, X-User=alice"},
		},
		{
			name: "default extractors: method and whole path", prefix: entryKey("default", p.proxy, "method=GET&path=/def/"),
			reqs: []struct{ method, path, body, tenant, user string }{{method: "GET", path: "/def/1?a=1"}, {method: "GET", path: "/def/1?a=2"}},
			want: []string{"MISS", "HIT"}, keys: []string{"method=GET, path=/def/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, r := range tt.reqs {
				hdr := map[string]string{}
				if r.tenant != "" {
					hdr["X-Tenant"] = r.tenant
				}
				if r.user != "" {
					hdr["X-User"] = r.user
				}
				if a := send(t, c, r.method, p.proxy+r.path, r.body, hdr); a.XCache != tt.want[i] {
					t.Errorf("request %d (%s %s): %s (%s), want %s", i, r.method, r.path, a.XCache, a.Cache, tt.want[i])
				}
			}
			ans := listKeys(t, c, p.admin, tt.prefix)
			var got []string
			for _, k := range ans.Keys {
				got = append(got, partsOf(k))
			}
			if strings.Join(got, " | ") != strings.Join(tt.keys, " | ") {
				t.Errorf("keys under %q:\n got %q\nwant %q", tt.prefix, got, tt.keys)
			}
		})
	}
}

// TestE2EAdmin: the admin API as docs/config.md says, with a token.
func TestE2EAdmin(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	file := testConfig(up.URL, "", booksEndpoints)
	file = strings.Replace(file, "admin:\n", "admin:\n  token: t0k3n\n", 1)
	p := startProcess(t, file)
	c := newClient(t)
	auth := map[string]string{"Authorization": "Bearer t0k3n"}

	if a := send(t, c, "GET", p.admin+"/keys", "", nil); a.Code != http.StatusUnauthorized || !strings.Contains(string(a.Body), `"error"`) {
		t.Errorf("GET /keys without the token: %d %s", a.Code, a.Body)
	}
	if a := send(t, c, "GET", p.admin+"/keys", "", map[string]string{"Authorization": "Bearer nope"}); a.Code != http.StatusUnauthorized {
		t.Errorf("GET /keys with a wrong token: %d", a.Code)
	}

	first := send(t, c, "GET", p.proxy+"/books/1", "", nil)
	var keys keysAnswer
	getJSON(t, c, p.admin+"/keys", auth, &keys)
	if keys.Count != 1 || keys.Keys[0].Key != entryKey("books", p.proxy, "method=GET&id=1") || partsOf(keys.Keys[0]) != "method=GET, id=1" ||
		keys.Keys[0].Expire == nil || keys.Keys[0].Stale != nil || keys.Keys[0].State != "fresh" {
		t.Fatalf("GET /keys right after the answer: %+v", keys)
	}
	if exp := time.Time(*keys.Keys[0].Expire); exp.Before(time.Now().Add(50*time.Second)) || exp.After(time.Now().Add(61*time.Second)) {
		t.Errorf("expire %v, want about a minute from now (ttl: 60)", exp)
	}

	del := send(t, c, "DELETE", p.admin+"/keys?key="+url.QueryEscape(entryKey("books", p.proxy, "method=GET&id=1")), "", auth)
	if del.Code != 200 || strings.TrimSpace(string(del.Body)) != `{"deleted":true}` {
		t.Errorf("DELETE /keys: %d %s", del.Code, del.Body)
	}
	if a := send(t, c, "GET", p.proxy+"/books/1", "", nil); a.XCache != "MISS" || a.Up.Call == first.Up.Call {
		t.Errorf("after DELETE: %s (call %d, first %d), want a new MISS", a.XCache, a.Up.Call, first.Up.Call)
	}
	send(t, c, "GET", p.proxy+"/books/1", "", nil) // HIT
	send(t, c, "GET", p.proxy+"/books/2", "", nil)

	var stats struct {
		Hits, Misses, Upstream int
		Entries                *int64
		Endpoints              map[string]struct{ Hits, Misses int }
		Backends               map[string]struct {
			Stored int
			Store  struct{ Entries int64 }
		}
	}
	getJSON(t, c, p.admin+"/stats", auth, &stats)
	if stats.Hits != 1 || stats.Misses != 3 || stats.Upstream != 3 || stats.Entries == nil || *stats.Entries != 2 ||
		stats.Endpoints["books"].Hits != 1 || stats.Backends["memory"].Stored != 3 || stats.Backends["memory"].Store.Entries != 2 {
		t.Errorf("GET /stats: %+v", stats)
	}

	metrics := send(t, c, "GET", p.admin+"/metrics", "", auth)
	for _, want := range []string{
		`hitbox_requests_total{endpoint="books",status="hit"} 1`,
		`hitbox_requests_total{endpoint="books",status="miss"} 3`,
		`hitbox_upstream_duration_seconds_count{endpoint="books"} 3`,
		`hitbox_backend_entries{backend="memory"} 2`,
		`hitbox_offload_running 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(string(metrics.Body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if a := send(t, c, "GET", p.admin+"/keys?limit=none", "", auth); a.Code != http.StatusBadRequest || !json.Valid(a.Body) {
		t.Errorf("GET /keys?limit=none: %d %s", a.Code, a.Body)
	}
	if a := send(t, c, "POST", p.admin+"/purge", "{", auth); a.Code != http.StatusBadRequest || !json.Valid(a.Body) {
		t.Errorf("POST /purge with bad JSON: %d %s", a.Code, a.Body)
	}
	purge := send(t, c, "POST", p.admin+"/purge", `{"prefix": "`+entryKey("books", p.proxy, "method=GET&id=2")+`"}`, auth)
	if strings.TrimSpace(string(purge.Body)) != `{"deleted":1}` {
		t.Errorf("POST /purge a prefix: %d %s", purge.Code, purge.Body)
	}
	purge = send(t, c, "POST", p.admin+"/purge", `{}`, auth)
	if strings.TrimSpace(string(purge.Body)) != `{"deleted":1}` {
		t.Errorf("POST /purge all: %d %s", purge.Code, purge.Body)
	}
	getJSON(t, c, p.admin+"/keys", auth, &keys)
	if keys.Count != 0 {
		t.Errorf("keys after purging: %+v", keys)
	}
	if a := send(t, c, "GET", p.admin+"/healthz", "", nil); a.Code != 200 {
		t.Errorf("GET /healthz without the token: %d", a.Code)
	}
}

// TestE2EReload: SIGHUP reloads; entries survive when the backend did not
// change; a bad file keeps the running configuration.
func TestE2EReload(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	const backend = "backend: {type: Memory, max_bytes: 32MiB}"
	const authors = `  - name: authors
    request: [{Method: GET}, {Path: "/authors/{id}"}]
`
	p := startProcess(t, testConfig(up.URL, backend, booksEndpoints))
	c := newClient(t)
	get := func(path string) answer { t.Helper(); return send(t, c, "GET", p.proxy+path, "", nil) }
	get("/books/1")
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Fatalf("before reloading: %s", a.XCache)
	}

	if got := p.reload(testConfig(up.URL, backend, booksEndpoints+authors), 1); got != "kept" {
		t.Fatalf("reload with the same backend: %s", got)
	}
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Errorf("after reloading with the same backend: %s, want HIT", a.XCache)
	}
	get("/authors/7")
	if a := get("/authors/7"); a.XCache != "HIT" {
		t.Errorf("the new endpoint: %s %s, want HIT", a.XCache, a.Cache)
	}

	if got := p.reload(testConfig(up.URL, backend, "endpoints:\n  - name: broken\n    request: [{Path: {}}]\n"), 2); got != "failed" {
		t.Fatalf("reload of a bad file: %s", got)
	}
	if !regexp.MustCompile(`hitboxd\.yaml:\d+:\d+: endpoints\[0\]\.request\[0\]\.Path`).MatchString(p.out.String()) {
		t.Errorf("the bad file's error is not reported with its place:\n%s", p.out)
	}
	if a := get("/authors/7"); a.XCache != "HIT" {
		t.Errorf("after a bad reload: %s, want the running configuration (HIT)", a.XCache)
	}

	if got := p.reload(testConfig(up.URL, "backend: {type: Memory, max_capacity: 1000}", booksEndpoints), 3); got != "replaced" {
		t.Fatalf("reload with another backend: %s", got)
	}
	if a := get("/books/1"); a.XCache != "MISS" {
		t.Errorf("after replacing the backend: %s, want MISS", a.XCache)
	}
	if a := get("/authors/7"); a.Cache != "hitbox; fwd=bypass; fwd-status=200" {
		t.Errorf("a removed endpoint: %s", a.Cache)
	}

	p.signal(syscall.SIGTERM)
	if err := p.wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}

// TestE2EGracefulShutdown: SIGTERM while requests are in flight on a slow
// upstream: new connections are refused, every request in flight gets its
// 200, and hitboxd exits 0.
func TestE2EGracefulShutdown(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	p := startProcess(t, testConfig(up.URL, "", `endpoints:
  - name: slow
    request: [{Method: GET}, {Path: "/slow/{id}"}]
    policy: {Enabled: {ttl: 60}}
`))
	c := newClient(t)
	load := startSlowLoad(t, c, up, p.proxy, 24)
	p.signal(syscall.SIGTERM)
	p.out.await(t, regexp.MustCompile(`msg="shutting down"`), 1, p.exited)
	awaitRefused(t, p.proxy)
	close(up.Release)
	load.check(t)
	if err := p.wait(); err != nil {
		t.Errorf("exit: %v, want 0", err)
	}
	if !strings.Contains(p.out.String(), `msg=stopped`) || strings.Contains(p.out.String(), "level=ERROR") {
		t.Errorf("the stop was not clean:\n%s", p.out)
	}
}

// TestE2EUnreachableUpstream: 502 with a JSON body, never cached.
func TestE2EUnreachableUpstream(t *testing.T) {
	t.Parallel()
	dead := deadUpstream(t)
	p := startProcess(t, testConfig(dead, "", `endpoints:
  - name: all
    request: [{Method: GET}]
    response: [{Status: {range: [100, 599]}}]
`))
	c := newClient(t)
	for i := range 2 {
		a := send(t, c, "GET", p.proxy+"/books/1", "", nil)
		if a.Code != http.StatusBadGateway || a.XCache != "MISS" || a.Cache != "hitbox; fwd=miss; fwd-status=502" ||
			strings.TrimSpace(string(a.Body)) != `{"error":"upstream unreachable"}` || a.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %d %s %q %q %q", i, a.Code, a.XCache, a.Cache, a.Body, a.Header.Get("Content-Type"))
		}
	}
	if keys := listKeys(t, c, p.admin, ""); keys.Count != 0 {
		t.Errorf("an upstream failure was stored: %+v", keys)
	}
}

// TestE2ECheckAndDemo: the process's exit statuses for check, and the
// demo showing MISS then HIT.
func TestE2ECheckAndDemo(t *testing.T) {
	t.Parallel()
	bin := hitboxd(t)
	good := writeFile(t, "good.yaml", goodFile)
	bad := writeFile(t, "bad.yaml", "upstream: http://x\nlisten: 1\n")
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"check", "-config", good}, 0}, {[]string{"check", "-config", bad}, 1}, {[]string{"check"}, 2}, {[]string{"version"}, 0}} {
		err := command(bin, tc.args...).Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("hitboxd %s: exit %d, want %d", strings.Join(tc.args, " "), code, tc.code)
		}
	}

	out := newLineLog()
	cmd := command(bin, "demo", "-listen", testListen, "-admin", testAdminListen)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	out.await(t, regexp.MustCompile(`^Serving until Ctrl-C\.$`), 1, exited)
	for _, re := range []string{
		`^  1st: 200  X-Cache-Status: MISS  Cache-Status: hitbox; fwd=miss; fwd-status=200; stored   \(upstream calls so far: 1\)$`,
		`^  2nd: 200  X-Cache-Status: HIT   Cache-Status: hitbox; hit; ttl=\d+   Age: \d+   \(upstream calls so far: 1\)$`,
		`^  curl -i http://127\.0\.0\.1:\d+/books/1$`,
	} {
		out.await(t, regexp.MustCompile(re), 1, exited)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("demo exit: %v\n%s", waitErr, out)
		}
	case <-time.After(e2eTimeout):
		t.Errorf("the demo did not stop on SIGINT:\n%s", out)
	}
}
