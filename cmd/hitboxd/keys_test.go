package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestProxyHostKeyed: the request's host is part of every entry's key,
// and the headers hitboxd sets or rewrites for the upstream (Host,
// X-Forwarded-Host, -Proto, -For) never let one client change what
// another gets under the same key (issue 9, point 9).
func TestProxyHostKeyed(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", booksEndpoints))
	c := newClient(t)
	get := getter(t, c, d.proxy)

	evil := get("/books/1", map[string]string{"Host": "evil.example"})
	if evil.XCache != "MISS" || evil.Up.XFH != "evil.example" {
		t.Fatalf("Host evil.example: %s, upstream saw X-Forwarded-Host %q", evil.XCache, evil.Up.XFH)
	}
	api := get("/books/1", map[string]string{"Host": "api.example"})
	if api.XCache != "MISS" || api.Up.Call == evil.Up.Call || api.Up.XFH != "api.example" {
		t.Errorf("Host api.example after evil.example: %s call %d (evil's %d), X-Forwarded-Host %q; want its own MISS",
			api.XCache, api.Up.Call, evil.Up.Call, api.Up.XFH)
	}
	// Spelled otherwise, the same host; forwarded headers a client sends
	// are replaced, not keyed, and change nothing for it or the others.
	spoof := map[string]string{"Host": "API.example:80", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.6.6.6"}
	if a := get("/books/1", spoof); a.XCache != "HIT" || a.Up.Call != api.Up.Call {
		t.Errorf("api.example with spoofed X-Forwarded-*: %s call %d, want a HIT of call %d", a.XCache, a.Up.Call, api.Up.Call)
	}
	fresh := get("/books/2", spoof)
	if fresh.XCache != "MISS" || fresh.Up.XFH != "API.example:80" || fresh.Up.XFP != "http" ||
		!strings.HasPrefix(fresh.Up.XFF, "10.6.6.6, 127.0.0.1") || fresh.Up.Host != strings.TrimPrefix(up.URL, "http://") {
		t.Errorf("the upstream saw Host %q, X-Forwarded-Host %q, -Proto %q, -For %q; want its own host, the client's Host as sent, http and the chain",
			fresh.Up.Host, fresh.Up.XFH, fresh.Up.XFP, fresh.Up.XFF)
	}
	if a := get("/books/2", map[string]string{"Host": "api.example"}); a.XCache != "HIT" || a.Up.Call != fresh.Up.Call {
		t.Errorf("api.example after a spoofing client: %s call %d, want a HIT of call %d", a.XCache, a.Up.Call, fresh.Up.Call)
	}

	// /keys lists the namespace beside the parts; /purge's prefix is the
	// key as /keys lists it.
	keys := listKeys(t, c, d.admin, "/srv/books/")
	hosts := map[string]int{}
	for _, k := range keys.Keys {
		if k.Endpoint != "books" || !strings.HasPrefix(partsOf(k), "method=GET, id=") {
			t.Errorf("/keys entry %+v: want endpoint books and the extractors' parts", k)
		}
		hosts[k.Host]++
	}
	if keys.Count != 3 || hosts["evil.example"] != 1 || hosts["api.example"] != 2 {
		t.Errorf("/keys: %d entries, hosts %v; want evil.example once and api.example twice", keys.Count, hosts)
	}
	purge := send(t, c, http.MethodPost, d.admin+"/purge", `{"prefix": "/srv/books/http/evil.example:"}`, nil)
	if strings.TrimSpace(string(purge.Body)) != `{"deleted":1}` {
		t.Errorf("POST /purge of evil.example's entries: %d %s", purge.Code, purge.Body)
	}
	if a := get("/books/1", map[string]string{"Host": "api.example"}); a.XCache != "HIT" {
		t.Errorf("api.example after purging evil.example: %s, want HIT", a.XCache)
	}
}

// TestProxyOverrideHeaders: headers that frameworks read to change the
// method, the path, or the scheme, port, prefix and host of their links
// never let one client store, under a plain request's key, an answer made
// for something else: a method or path override is never cached, and the
// forwarded family never reaches the upstream.
func TestProxyOverrideHeaders(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", booksEndpoints))
	c := newClient(t)
	get := getter(t, c, d.proxy)

	for i, attack := range []map[string]string{
		{"X-HTTP-Method-Override": "DELETE"},
		{"X-Original-URL": "/admin"},
		{"X-Rewrite-URL": "/admin"},
		{"X-HTTP-Method": "DELETE"},
		{"X-Method-Override": "DELETE"},
	} {
		path := "/books/" + strconv.Itoa(10+i)
		evil := get(path, attack)
		if evil.XCache == "HIT" || strings.Contains(evil.Cache, "stored") {
			t.Errorf("GET %s with %v: %s %q, want an answer that is neither served from nor stored in the cache", path, attack, evil.XCache, evil.Cache)
		}
		again := get(path, attack) // an attacker cannot be served a stored answer either
		if again.XCache == "HIT" || again.Up.Call == evil.Up.Call {
			t.Errorf("GET %s with %v again: %s call %d, want a new upstream call", path, attack, again.XCache, again.Up.Call)
		}
		plain := get(path, nil)
		if plain.XCache != "MISS" || plain.Up.Method != http.MethodGet || plain.Up.Path != path {
			t.Errorf("GET %s after %v: %s, upstream served %s %s; want a MISS for GET %s", path, attack, plain.XCache, plain.Up.Method, plain.Up.Path, path)
		}
		if hit := get(path, nil); hit.XCache != "HIT" || hit.Up.Call != plain.Up.Call {
			t.Errorf("GET %s again: %s call %d, want a HIT of call %d", path, hit.XCache, hit.Up.Call, plain.Up.Call)
		}
	}
	if a := get("/books/10", map[string]string{"X-HTTP-Method-Override": "DELETE"}); a.Up.Method != "DELETE" {
		t.Errorf("an override reaches the upstream as sent: it served %s", a.Up.Method)
	}

	spoof := map[string]string{}
	for _, name := range forwardedHeaders {
		spoof[name] = "evil"
	}
	first := get("/books/20", spoof)
	if first.XCache != "MISS" || first.Up.Forwarded != "" {
		t.Errorf("GET with %v: %s, upstream got %q; want a MISS and none of them", forwardedHeaders, first.XCache, first.Up.Forwarded)
	}
	if hit := get("/books/20", nil); hit.XCache != "HIT" || hit.Up.Call != first.Up.Call {
		t.Errorf("a plain GET after the spoofed one: %s call %d, want a HIT of call %d (what the upstream saw is what any client sends)", hit.XCache, hit.Up.Call, first.Up.Call)
	}
}

// getter returns a function that GETs path from base with hdr and fails
// the test unless the answer is 200.
func getter(t *testing.T, c *http.Client, base string) func(path string, hdr map[string]string) answer {
	return func(path string, hdr map[string]string) answer {
		t.Helper()
		a := send(t, c, http.MethodGet, base+path, "", hdr)
		if a.Code != http.StatusOK {
			t.Fatalf("GET %s %v: %d", path, hdr, a.Code)
		}
		return a
	}
}

// TestProxyConnectionNamedHeaders: a header the key reads that the client
// also names in Connection (which makes it hop-by-hop: the proxy drops it
// before the upstream sees it) never lets a client store, under the key
// that names its value, an answer made without it.
func TestProxyConnectionNamedHeaders(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	d := startInProcess(t, testConfig(up.URL, "", `endpoints:
  - name: versioned
    request: [{Method: GET}, {Path: "/books/{id}"}]
    extractors: [{Method: }, {Path: "/books/{id}"}, {Header: x-version}]
    policy: {Enabled: {ttl: 60}}
`))
	c := newClient(t)
	get := getter(t, c, d.proxy)
	evil := get("/books/1", map[string]string{"X-Version": "v2", "Connection": "keep-alive, X-Version"})
	if evil.XCache != "MISS" || evil.Cache != "hitbox; fwd=bypass; fwd-status=200" || evil.Up.Version != "" {
		t.Errorf("GET naming X-Version in Connection: %s %q, the upstream got X-Version %q; want a bypass, the header dropped", evil.XCache, evil.Cache, evil.Up.Version)
	}
	for _, want := range []string{"MISS", "HIT"} {
		victim := get("/books/1", map[string]string{"X-Version": "v2"})
		if victim.XCache != want || victim.Up.Version != "v2" {
			t.Errorf("GET with X-Version v2 after a request naming it in Connection: %s of an answer made for version %q; want a %s of one made for v2",
				victim.XCache, victim.Up.Version, want)
		}
	}
	if a := get("/books/2", map[string]string{"X-Version": "v1", "Connection": "keep-alive"}); a.XCache != "MISS" || !strings.HasSuffix(a.Cache, "stored") {
		t.Errorf("GET with Connection: keep-alive: %s %q, want a MISS that is stored", a.XCache, a.Cache)
	}
}
