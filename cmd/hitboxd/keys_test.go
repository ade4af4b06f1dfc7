package main

import (
	"net/http"
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
	get := func(path string, hdr map[string]string) answer {
		t.Helper()
		a := send(t, c, http.MethodGet, d.proxy+path, "", hdr)
		if a.Code != http.StatusOK {
			t.Fatalf("GET %s %v: %d", path, hdr, a.Code)
		}
		return a
	}

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
