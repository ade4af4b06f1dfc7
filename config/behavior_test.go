package config

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
)

// mustBuild parses and builds a file whose endpoints the test exercises.
func mustBuild(t *testing.T, src string) []httpcache.Endpoint {
	t.Helper()
	f, _, err := Parse("test.yaml", []byte("upstream: http://127.0.0.1:3000\n"+src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	eps, err := f.BuildEndpoints()
	if err != nil {
		t.Fatalf("BuildEndpoints: %v", err)
	}
	return eps
}

func req(method, target, body string, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func resp(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, ContentLength: -1,
		Request: httptest.NewRequest("GET", "/", nil)}
}

func withBody(r *http.Response, body string) *http.Response {
	if body != "" {
		r.Body = nopCloser{strings.NewReader(body)}
		r.ContentLength = int64(len(body))
	}
	return r
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestBuiltRequestPredicates(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		r    *http.Request
		want bool
	}{
		{"default accepts GET", "endpoints: [{}]", req("GET", "/x", ""), true},
		{"default refuses POST", "endpoints: [{}]", req("POST", "/x", ""), false},
		{"null request accepts POST", "endpoints: [{request: ~}]", req("POST", "/x", ""), true},
		{"empty list accepts POST", "endpoints: [{request: []}]", req("POST", "/x", ""), true},
		{"path list replaces default", "endpoints: [{request: [{Path: /a/*}]}]", req("DELETE", "/a/b", ""), true},
		{"path list refuses other path", "endpoints: [{request: [{Path: /a/*}]}]", req("GET", "/b", ""), false},
		{"method list", "endpoints: [{request: [{Method: [GET, HEAD]}]}]", req("HEAD", "/", ""), true},
		{"empty method list never", "endpoints: [{request: [{Method: []}]}]", req("GET", "/", ""), false},
		{"header eq trimmed", "endpoints: [{request: [{Header: {x-k: ' v '}}]}]", req("GET", "/", "", "X-K", "v"), true},
		{"header names case-insensitive", "endpoints: [{request: [{Header: {X-API-KEY: s}}]}]", req("GET", "/", "", "x-api-key", "s"), true},
		{"header in", "endpoints: [{request: [{Header: {accept: [a, b]}}]}]", req("GET", "/", "", "Accept", "b"), true},
		{"header tag regex", "endpoints: [{request: [{Header: {x-v: !regex '^v[0-9]+$'}}]}]", req("GET", "/", "", "X-V", "v12"), true},
		{"header tag regex no", "endpoints: [{request: [{Header: {x-v: !regex '^v[0-9]+$'}}]}]", req("GET", "/", "", "X-V", "w1"), false},
		{"header exist", "endpoints: [{request: [{Header: {x-e: {exist: ~}}}]}]", req("GET", "/", "", "X-E", ""), true},
		{"header named form", "endpoints: [{request: [{Header: {name: X-Custom, eq: cache-me}}]}]", req("GET", "/", "", "X-Custom", "cache-me"), true},
		{"query number as text", "endpoints: [{request: [{Query: {page: 01}}]}]", req("GET", "/?page=01", ""), true},
		{"query number text differs", "endpoints: [{request: [{Query: {page: 01}}]}]", req("GET", "/?page=1", ""), false},
		{"query tag in", `endpoints: [{request: [{Query: {page: !in ["1", "2"]}}]}]`, req("GET", "/?page=2", ""), true},
		{"query exists", "endpoints: [{request: [{Query: {q: {exists: true}}}]}]", req("GET", "/?q", ""), true},
		{"query several names all hold", "endpoints: [{request: [{Query: {a: '1', b: '2'}}]}]", req("GET", "/?a=1", ""), false},
		{"not", "endpoints: [{request: [{Not: {Header: {Authorization: {exist: ~}}}}]}]", req("GET", "/", "", "Authorization", "x"), false},
		{"or", "endpoints: [{request: {Or: [{Path: /a}, {Path: /b}]}}]", req("GET", "/b", ""), true},
		{"empty or is neutral", "endpoints: [{request: {Or: []}}]", req("PUT", "/b", ""), true},
		{"body jq", `endpoints: [{request: [{Body: '.user.role == "admin"'}]}]`, req("POST", "/", `{"user":{"role":"admin"}}`), true},
		{"body jq eq", `endpoints: [{request: [{Body: {jq: {expression: .n, eq: 3}}}]}]`, req("POST", "/", `{"n":3.0}`), true},
		{"body jq in", `endpoints: [{request: [{Body: {jq: {expression: .s, in: [a, b]}}}]}]`, req("POST", "/", `{"s":"b"}`), true},
		{"body raw contains", `endpoints: [{request: [{Body: {contains: needle}}]}]`, req("POST", "/", `hay needle hay`), true},
		{"body limit", `endpoints: [{request: [{Body: {limit: 4}}]}]`, req("POST", "/", `12345`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := mustBuild(t, tt.yaml)
			if got := eps[0].Request.Match(tt.r); got != tt.want {
				t.Errorf("%s: Match(%s %s) = %v, want %v", tt.yaml, tt.r.Method, tt.r.URL, got, tt.want)
			}
		})
	}
}

func TestBuiltResponsePredicates(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		r    *http.Response
		want bool
	}{
		{"default 200", "endpoints: [{}]", resp(200, ""), true},
		{"default refuses 404", "endpoints: [{}]", resp(404, ""), false},
		{"null accepts 500", "endpoints: [{response: ~}]", resp(500, ""), true},
		{"class", "endpoints: [{response: [{Status: Success}]}]", resp(204, ""), true},
		{"class map", "endpoints: [{response: [{Status: {class: ClientError}}]}]", resp(404, ""), true},
		{"range", "endpoints: [{response: [{Status: {range: [200, 299]}}]}]", resp(300, ""), false},
		{"in", "endpoints: [{response: [{Status: [200, 203]}]}]", resp(203, ""), true},
		{"empty in never", "endpoints: [{response: [{Status: []}]}]", resp(200, ""), false},
		{"not set-cookie", "endpoints: [{response: [{Not: {Header: {Set-Cookie: {exist: ~}}}}]}]", resp(200, "", "Set-Cookie", "a=b"), false},
		{"body", "endpoints: [{response: [{Body: .ok}]}]", withBody(resp(200, ""), `{"ok":true}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := mustBuild(t, tt.yaml)
			if got := eps[0].Response.Match(tt.r); got != tt.want {
				t.Errorf("%s: Match(%d) = %v, want %v", tt.yaml, tt.r.StatusCode, got, tt.want)
			}
		})
	}
}

func TestBuiltExtractors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		r    *http.Request
		want string // the key, URL-encoded
	}{
		{"default", "endpoints: [{}]", req("GET", "/a/b?x=1", ""), "v0:method=GET&path=/a/b"},
		{"none", "endpoints: [{extractors: []}]", req("GET", "/a/b?x=1", ""), "v0:"},
		{"path query header", "endpoints: [{extractors: [{Method: }, {Path: '/v1/{tenant}/{id}'}, {Query: page}, {Header: X-Tenant-Id}]}]",
			req("GET", "/v1/acme/42?page=2", ""), "v0:method=GET&tenant=acme&id=42&page=2&X-Tenant-Id"},
		{"query selector", `endpoints: [{extractors: [{Query: {name: page, value: '^p(\d+)$', transform: Uppercase}}]}]`,
			req("GET", "/?page=p7", ""), "v0:page=7"},
		{"header prefix", "endpoints: [{extractors: [{Header: {name: {starts: X-T}, transforms: [lowercase]}}]}]",
			req("GET", "/", "", "X-Tenant", "ACME"), "v0:x-tenant=acme"},
		{"truncate", "endpoints: [{extractors: [{Header: {name: A, transforms: [{truncate: 2}]}}]}]",
			req("GET", "/", "", "A", "abcdef"), "v0:A=ab"},
		{"body expr", "endpoints: [{extractors: [{Body: .user.email}]}]",
			req("POST", "/", `{"user":{"email":"a@b"}}`), "v0:.user.email=a%40b"},
		{"body jq object", `endpoints: [{extractors: [{Body: {jq: "{customer: .c, n: .n}"}}]}]`,
			req("POST", "/", `{"c":"x","n":1}`), "v0:customer=x&n=1"},
		{"body regex map transforms", `endpoints: [{extractors: [{Body: {regex: '(?P<user>u[0-9]+)', transforms: {user: uppercase}}}]}]`,
			req("POST", "/", `id u42`), "v0:user=U42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := mustBuild(t, tt.yaml)
			parts, err := extract.Key(tt.r, eps[0].Extractors, nil)
			if err != nil {
				t.Fatalf("Key: %v", err)
			}
			if got := (hitbox.Key{Parts: parts}).String(); got != tt.want {
				t.Errorf("%s: key %q, want %q", tt.yaml, got, tt.want)
			}
		})
	}
}

func TestBuiltBodyHash(t *testing.T) {
	eps := mustBuild(t, "endpoints: [{extractors: [{Body: {transforms: [hash]}}]}]")
	parts, err := extract.Key(req("POST", "/", "abc"), eps[0].Extractors, nil)
	if err != nil || len(parts) != 1 || parts[0].Name != "body" ||
		parts[0].Value != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("parts = %+v, %v; want body = sha256(abc)", parts, err)
	}
}

func TestBuiltPolicies(t *testing.T) {
	tests := []struct {
		yaml string
		want hitbox.Policy
	}{
		{"endpoints: [{}]", hitbox.Policy{TTL: 5 * time.Second, Keep: time.Minute, StaleMode: hitbox.StaleReturn, Concurrency: 1}},
		{"endpoints: [{policy: Disabled}]", hitbox.Policy{Disabled: true}},
		{"endpoints: [{policy: {Enabled: {}}}]", hitbox.Policy{Keep: time.Minute, StaleMode: hitbox.StaleReturn, Concurrency: 1}},
		{"endpoints: [{policy: {Enabled: {ttl: 10s, keep: 5m}}}]", hitbox.Policy{TTL: 10 * time.Second, Keep: 5 * time.Minute, StaleMode: hitbox.StaleReturn, Concurrency: 1}},
		{"endpoints: [{policy: {Enabled: {ttl: 60, stale: 30, policy: {stale: OffloadRevalidate}, concurrency: 3}}}]",
			hitbox.Policy{TTL: time.Minute, Stale: 30 * time.Second, Keep: time.Minute, StaleMode: hitbox.StaleOffloadRevalidate, Concurrency: 3}},
		{"endpoints: [{policy: {Enabled: {ttl: 60, stale: 0, keep: 0}}}]",
			hitbox.Policy{TTL: time.Minute, Stale: time.Nanosecond, Keep: -1, StaleMode: hitbox.StaleReturn, Concurrency: 1}},
	}
	for _, tt := range tests {
		eps := mustBuild(t, tt.yaml)
		if got := eps[0].Policy; got != tt.want {
			t.Errorf("%s: policy %+v, want %+v", tt.yaml, got, tt.want)
		}
	}
}

func TestBuildStore(t *testing.T) {
	f, _, err := Parse("s.yaml", []byte(`upstream: http://127.0.0.1:3000
backend:
  type: Composition
  l1: {type: Memory, max_capacity: 10, value: {format: MsgPack, compression: Zstd}}
  l2: {type: Memory, max_bytes: 1MiB, key: {format: Binary}}
  policy: {refill: Always}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.BuildStore(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer func() {
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if s.KeyFormat != hitbox.KeyBinary {
		t.Errorf("KeyFormat = %v, want Binary", s.KeyFormat)
	}
	// A value written through the composition reads back.
	if err := s.Backend.Set(ctx, "k", entryFor("v")); err != nil {
		t.Fatalf("Set: %v", err)
	}
	e, ok, err := s.Backend.Get(ctx, "k")
	if err != nil || !ok || string(e.Value) != "v" {
		t.Errorf("Get = %q, %v, %v; want v, true, nil", e.Value, ok, err)
	}
}
