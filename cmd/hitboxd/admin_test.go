package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/metrics"
)

var adminT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// adminFixture is an admin API over a memory backend holding:
//
//	v0:method=GET&path=/a            fresh
//	v0:method=GET&path=/b&X-Tenant   stale (X-Tenant has no value)
//	v0:method=POST&path=/c           expired, kept
//	v0:                              no parts, never expires
//	foreign-key                      not a hitbox key, never expires
type adminFixture struct {
	api   *adminAPI
	mem   *memory.Backend
	met   *metrics.Metrics
	token string
	down  bool // store() answers "stopping"
	sick  bool // healthy() answers false
}

func newAdminFixture(t *testing.T, kf hitbox.KeyFormat) *adminFixture {
	t.Helper()
	now := func() time.Time { return adminT0 }
	mem, err := memory.New(memory.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	put := func(key string, written, stale, expire time.Time) {
		t.Helper()
		e := backend.Entry{Value: []byte("v"), Written: written, Stale: stale, Expire: expire, Keep: time.Minute}
		if err := mem.Set(context.Background(), key, e); err != nil {
			t.Fatalf("Set(%q): %v", key, err)
		}
	}
	enc := func(parts ...hitbox.KeyPart) string { return hitbox.Key{Parts: parts}.Encode(kf) }
	put(enc(hitbox.Part("method", "GET"), hitbox.Part("path", "/a")), adminT0.Add(-10*time.Second), adminT0.Add(20*time.Second), adminT0.Add(50*time.Second))
	put(enc(hitbox.Part("method", "GET"), hitbox.Part("path", "/b"), hitbox.AbsentPart("X-Tenant")), adminT0.Add(-40*time.Second), adminT0.Add(-10*time.Second), adminT0.Add(20*time.Second))
	put(enc(hitbox.Part("method", "POST"), hitbox.Part("path", "/c")), adminT0.Add(-70*time.Second), time.Time{}, adminT0.Add(-10*time.Second))
	put(enc(), adminT0, time.Time{}, time.Time{})
	put("foreign-key", adminT0, time.Time{}, time.Time{})

	reg := prometheus.NewRegistry()
	met, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	met.WatchBackend(mem)
	f := &adminFixture{mem: mem, met: met}
	f.api = &adminAPI{
		token: func() string { return f.token },
		store: func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
			if f.down {
				return nil, 0, nil, false
			}
			return mem, kf, func() {}, true
		},
		snapshot: met.Snapshot,
		metrics:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		healthy:  func() bool { return !f.sick },
		gather:   reg,
		now:      now,
	}
	return f
}

// call sends one request to the admin API.
func (f *adminFixture) call(t *testing.T, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	return f.callFrom(t, "", method, target, body, hdr)
}

// callFrom sends one request to the admin API from addr (host:port; "":
// httptest's 192.0.2.1:1234).
func (f *adminFixture) callFrom(t *testing.T, addr, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if addr != "" {
		r.RemoteAddr = addr
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.api.ServeHTTP(w, r)
	return w
}

// decodeJSON parses a JSON answer.
func decodeJSON(t *testing.T, w *httptest.ResponseRecorder) any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json (body %q)", ct, w.Body.String())
	}
	var v any
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, w.Body.String())
	}
	return v
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return v
}

const (
	keyA     = "v0:method=GET&path=/a"
	keyB     = "v0:method=GET&path=/b&X-Tenant"
	keyC     = "v0:method=POST&path=/c"
	keyEmpty = "v0:"
)

var (
	jsonA = `{"key": "v0:method=GET&path=/a", "parts": [{"name": "method", "value": "GET"}, {"name": "path", "value": "/a"}],
		"stale": "2030-01-02T03:04:25.000Z", "expire": "2030-01-02T03:04:55.000Z", "written": "2030-01-02T03:03:55.000Z", "state": "fresh", "size": 1}`
	jsonB = `{"key": "v0:method=GET&path=/b&X-Tenant", "parts": [{"name": "method", "value": "GET"}, {"name": "path", "value": "/b"}, {"name": "X-Tenant", "value": null}],
		"stale": "2030-01-02T03:03:55.000Z", "expire": "2030-01-02T03:04:25.000Z", "written": "2030-01-02T03:03:25.000Z", "state": "stale", "size": 1}`
	jsonC = `{"key": "v0:method=POST&path=/c", "parts": [{"name": "method", "value": "POST"}, {"name": "path", "value": "/c"}],
		"stale": null, "expire": "2030-01-02T03:03:55.000Z", "written": "2030-01-02T03:02:55.000Z", "state": "expired", "size": 1}`
	jsonEmpty   = `{"key": "v0:", "parts": [], "stale": null, "expire": null, "written": "2030-01-02T03:04:05.000Z", "state": "fresh", "size": 1}`
	jsonForeign = `{"key": "foreign-key", "parts": null, "stale": null, "expire": null, "written": "2030-01-02T03:04:05.000Z", "state": "fresh", "size": 1}`
)

func keysJSON(truncated bool, keys ...string) string {
	t := "false"
	if truncated {
		t = "true"
	}
	return `{"count": ` + strconv.Itoa(len(keys)) + `, "truncated": ` + t + `, "keys": [` + strings.Join(keys, ",") + `]}`
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		token    string // the configured token
		method   string
		target   string
		body     string
		hdr      map[string]string
		wantCode int
		want     string // the JSON answer; "" skips the comparison
		check    func(t *testing.T, f *adminFixture, w *httptest.ResponseRecorder)
	}{
		{name: "healthz", method: "GET", target: "/healthz", wantCode: 200, want: `{"status": "ok"}`},
		{name: "healthz HEAD", method: "HEAD", target: "/healthz", wantCode: 200},
		{name: "healthz needs no token", token: "s3cret", method: "GET", target: "/healthz", wantCode: 200, want: `{"status": "ok"}`},
		{name: "healthz POST", method: "POST", target: "/healthz", wantCode: 405, want: `{"error": "POST /healthz: method not allowed (allowed: GET, HEAD)"}`,
			check: func(t *testing.T, _ *adminFixture, w *httptest.ResponseRecorder) {
				if got := w.Header().Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow = %q, want GET, HEAD", got)
				}
			}},
		{name: "unknown path", method: "GET", target: "/nope", wantCode: 404, want: `{"error": "no such admin call: /nope (see /keys, /purge, /stats, /metrics, /healthz)"}`},

		{name: "no token sent", token: "s3cret", method: "GET", target: "/keys", wantCode: 401, want: `{"error": "missing or wrong bearer token"}`,
			check: func(t *testing.T, _ *adminFixture, w *httptest.ResponseRecorder) {
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer ...", got)
				}
			}},
		{name: "wrong token", token: "s3cret", method: "GET", target: "/stats", hdr: map[string]string{"Authorization": "Bearer s3cre"}, wantCode: 401},
		{name: "token with another scheme", token: "s3cret", method: "GET", target: "/stats", hdr: map[string]string{"Authorization": "Basic s3cret"}, wantCode: 401},
		{name: "token on an unknown path", token: "s3cret", method: "GET", target: "/nope", wantCode: 401},
		{name: "right token", token: "s3cret", method: "GET", target: "/keys?limit=1&prefix=v0:method%3DGET%26path%3D/a",
			hdr: map[string]string{"Authorization": "Bearer s3cret"}, wantCode: 200, want: keysJSON(false, jsonA)},
		{name: "scheme is case-insensitive", token: "s3cret", method: "DELETE", target: "/keys?key=v0:",
			hdr: map[string]string{"Authorization": "bearer s3cret"}, wantCode: 200, want: `{"deleted": true}`},

		{name: "keys: not expired, sorted", method: "GET", target: "/keys", wantCode: 200, want: keysJSON(false, jsonForeign, jsonEmpty, jsonA, jsonB)},
		{name: "keys: expired too", method: "GET", target: "/keys?expired=true", wantCode: 200, want: keysJSON(false, jsonForeign, jsonEmpty, jsonA, jsonB, jsonC)},
		{name: "keys: expired=false", method: "GET", target: "/keys?expired=0", wantCode: 200, want: keysJSON(false, jsonForeign, jsonEmpty, jsonA, jsonB)},
		{name: "keys: prefix", method: "GET", target: "/keys?prefix=" + url.QueryEscape("v0:method=GET&"), wantCode: 200, want: keysJSON(false, jsonA, jsonB)},
		{name: "keys: prefix of an expired key", method: "GET", target: "/keys?prefix=" + url.QueryEscape("v0:method=POST"), wantCode: 200, want: keysJSON(false)},
		{name: "keys: limit", method: "GET", target: "/keys?limit=1&prefix=" + url.QueryEscape("v0:method=GET&"), wantCode: 200,
			check: func(t *testing.T, _ *adminFixture, w *httptest.ResponseRecorder) {
				var ans keysAnswer
				if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
					t.Fatal(err)
				}
				// count is the number of entries, not of the keys listed.
				if ans.Count != 2 || len(ans.Keys) != 1 || !ans.Truncated {
					t.Errorf("count %d, %d keys, truncated %v; want 2, 1, true", ans.Count, len(ans.Keys), ans.Truncated)
				}
			}},
		{name: "keys: limit equal to the count", method: "GET", target: "/keys?limit=2&prefix=" + url.QueryEscape("v0:method=GET&"), wantCode: 200, want: keysJSON(false, jsonA, jsonB)},
		{name: "keys: first page", method: "GET", target: "/keys?limit=2", wantCode: 200,
			want: `{"count": 4, "truncated": true, "keys": [` + jsonForeign + `,` + jsonEmpty + `], "next": "v0:"}`},
		{name: "keys: next page", method: "GET", target: "/keys?limit=2&after=v0:", wantCode: 200,
			want: `{"count": 4, "truncated": false, "keys": [` + jsonA + `,` + jsonB + `]}`},
		{name: "keys: after the last key", method: "GET", target: "/keys?after=" + url.QueryEscape(keyB), wantCode: 200,
			want: `{"count": 4, "truncated": false, "keys": []}`},
		{name: "keys: repeated after", method: "GET", target: "/keys?after=v0:&after=x", wantCode: 400},
		{name: "keys: after between keys", method: "GET", target: "/keys?limit=1&after=" + url.QueryEscape("v0:method=GET&path=/a0"), wantCode: 200,
			want: `{"count": 4, "truncated": false, "keys": [` + jsonB + `]}`},
		{name: "keys: limit 0", method: "GET", target: "/keys?limit=0", wantCode: 400, want: `{"error": "limit \"0\": want a number from 1 to 100000"}`},
		{name: "keys: limit not a number", method: "GET", target: "/keys?limit=ten", wantCode: 400},
		{name: "keys: limit too large", method: "GET", target: "/keys?limit=100001", wantCode: 400},
		{name: "keys: expired not a bool", method: "GET", target: "/keys?expired=maybe", wantCode: 400, want: `{"error": "expired \"maybe\": want true or false"}`},
		{name: "keys: unknown parameter", method: "GET", target: "/keys?prefx=v0", wantCode: 400, want: `{"error": "unknown parameter \"prefx\" (want prefix, limit, expired, after)"}`},
		{name: "keys: repeated parameter", method: "GET", target: "/keys?limit=1&limit=2", wantCode: 400, want: `{"error": "parameter \"limit\" given 2 times"}`},
		{name: "keys: malformed query", method: "GET", target: "/keys?prefix=%zz", wantCode: 400},
		{name: "keys: PUT", method: "PUT", target: "/keys", wantCode: 405,
			check: func(t *testing.T, _ *adminFixture, w *httptest.ResponseRecorder) {
				if got := w.Header().Get("Allow"); got != "DELETE, GET, HEAD" {
					t.Errorf("Allow = %q", got)
				}
			}},

		{name: "delete", method: "DELETE", target: "/keys?key=" + url.QueryEscape(keyA), wantCode: 200, want: `{"deleted": true}`,
			check: func(t *testing.T, f *adminFixture, _ *httptest.ResponseRecorder) {
				if _, ok, _ := f.mem.Get(context.Background(), keyA); ok {
					t.Error("the entry is still there")
				}
				if _, ok, _ := f.mem.Get(context.Background(), keyB); !ok {
					t.Error("another entry went too")
				}
			}},
		{name: "delete an absent key", method: "DELETE", target: "/keys?key=v0:nope", wantCode: 200, want: `{"deleted": false}`},
		{name: "delete without key", method: "DELETE", target: "/keys", wantCode: 400, want: `{"error": "missing key: DELETE /keys?key=<encoded key>"}`},
		{name: "delete with an empty key", method: "DELETE", target: "/keys?key=", wantCode: 400},
		{name: "delete with an unknown parameter", method: "DELETE", target: "/keys?key=v0:&all=1", wantCode: 400},

		{name: "purge a prefix", method: "POST", target: "/purge", body: `{"prefix": "v0:method=GET&"}`, wantCode: 200, want: `{"deleted": 2}`,
			check: func(t *testing.T, f *adminFixture, _ *httptest.ResponseRecorder) {
				if _, ok, _ := f.mem.Get(context.Background(), keyEmpty); !ok {
					t.Error("an entry outside the prefix went too")
				}
			}},
		{name: "purge all", method: "POST", target: "/purge", body: `{}`, wantCode: 200, want: `{"deleted": 5}`},
		{name: "purge with no body", method: "POST", target: "/purge", wantCode: 400,
			want: `{"error": "empty body: want {\"prefix\": \"...\"}, {\"tags\": [\"...\"]}, or {} to purge everything"}`,
			check: func(t *testing.T, f *adminFixture, _ *httptest.ResponseRecorder) {
				if _, ok, _ := f.mem.Get(context.Background(), keyA); !ok {
					t.Error("a purge without a body deleted entries")
				}
			}},
		{name: "purge with a blank body", method: "POST", target: "/purge", body: " \n", wantCode: 400},
		{name: "purge with an empty prefix", method: "POST", target: "/purge", body: `{"prefix": ""}`, wantCode: 200, want: `{"deleted": 5}`},
		{name: "purge: unknown field", method: "POST", target: "/purge", body: `{"prefx": "v0"}`, wantCode: 400,
			check: func(t *testing.T, f *adminFixture, _ *httptest.ResponseRecorder) {
				if _, ok, _ := f.mem.Get(context.Background(), keyA); !ok {
					t.Error("a refused purge deleted entries")
				}
			}},
		{name: "purge: not JSON", method: "POST", target: "/purge", body: `prefix=v0`, wantCode: 400},
		{name: "purge: not an object", method: "POST", target: "/purge", body: `["v0"]`, wantCode: 400},
		{name: "purge: prefix not a string", method: "POST", target: "/purge", body: `{"prefix": 1}`, wantCode: 400},
		{name: "purge: null prefix", method: "POST", target: "/purge", body: `{"prefix": null}`, wantCode: 400,
			want: `{"error": "prefix: want a string (\"\" or {} purges everything), got null"}`,
			check: func(t *testing.T, f *adminFixture, _ *httptest.ResponseRecorder) {
				if _, ok, _ := f.mem.Get(context.Background(), keyA); !ok {
					t.Error("a purge with a null prefix deleted entries")
				}
			}},
		{name: "purge: two objects", method: "POST", target: "/purge", body: `{} {}`, wantCode: 400, want: `{"error": "body: want one JSON object"}`},
		{name: "purge: body too large", method: "POST", target: "/purge", body: `{"prefix": "` + strings.Repeat("x", maxAdminBody) + `"}`, wantCode: 413},
		{name: "purge: GET", method: "GET", target: "/purge", wantCode: 405},
		{name: "purge: query parameter", method: "POST", target: "/purge?prefix=v0", body: `{}`, wantCode: 400},

		{name: "stats", method: "GET", target: "/stats", wantCode: 200,
			check: func(t *testing.T, f *adminFixture, w *httptest.ResponseRecorder) {
				var got struct {
					Hits, Misses, Requests, Upstream, UpstreamErrors int
					Entries, Bytes                                   *int64
					Endpoints                                        map[string]struct{ Hits, Misses int }
					Backends                                         map[string]struct {
						Hits, Stored int
						WriteErrors  int `json:"write_errors"`
						Store        *struct {
							Entries int64
							Errors  int
						}
					}
				}
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got.Hits != 2 || got.Misses != 1 || got.Requests != 3 || got.Upstream != 1 {
					t.Errorf("hits %d misses %d requests %d upstream %d; want 2 1 3 1: %s", got.Hits, got.Misses, got.Requests, got.Upstream, w.Body)
				}
				if got.Entries == nil || *got.Entries != 5 || got.Bytes == nil || *got.Bytes <= 0 {
					t.Errorf("entries %v bytes %v; want 5 and > 0", got.Entries, got.Bytes)
				}
				if e := got.Endpoints["books"]; e.Hits != 2 || e.Misses != 1 {
					t.Errorf("endpoint books: %+v", e)
				}
				m := got.Backends["memory"]
				if m.Hits != 2 || m.Stored != 1 || m.WriteErrors != 1 || m.Store == nil || m.Store.Entries != 5 {
					t.Errorf("backend memory: %+v (store %+v): %s", m, m.Store, w.Body)
				}
			}},
		{name: "stats: parameter", method: "GET", target: "/stats?x=1", wantCode: 400},
		{name: "metrics", method: "GET", target: "/metrics", wantCode: 200,
			check: func(t *testing.T, _ *adminFixture, w *httptest.ResponseRecorder) {
				body := w.Body.String()
				for _, want := range []string{`hitbox_requests_total{endpoint="books",status="hit"} 2`, `hitbox_backend_entries{backend="memory"} 5`} {
					if !strings.Contains(body, want) {
						t.Errorf("/metrics lacks %q:\n%s", want, body)
					}
				}
			}},
		{name: "metrics: DELETE", method: "DELETE", target: "/metrics", wantCode: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newAdminFixture(t, hitbox.KeyURLEncoded)
			f.token = tt.token
			f.met.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "books", Source: "memory"})
			f.met.Record(hitbox.Event{Kind: hitbox.EventHit, Endpoint: "books", Source: "memory"})
			f.met.Record(hitbox.Event{Kind: hitbox.EventMiss, Endpoint: "books", Source: "memory"})
			f.met.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: "books", Duration: time.Millisecond})
			f.met.Record(hitbox.Event{Kind: hitbox.EventStored, Endpoint: "books", Source: "memory"})
			f.met.Record(hitbox.Event{Kind: hitbox.EventWriteError, Endpoint: "books", Source: "memory"})
			w := f.call(t, tt.method, tt.target, tt.body, tt.hdr)
			if w.Code != tt.wantCode {
				t.Fatalf("%s %s: status %d, want %d: %s", tt.method, tt.target, w.Code, tt.wantCode, w.Body)
			}
			if tt.want != "" {
				if diff := cmp.Diff(mustJSON(t, tt.want), decodeJSON(t, w)); diff != "" {
					t.Errorf("%s %s: answer (-want +got):\n%s", tt.method, tt.target, diff)
				}
			} else if w.Code >= 400 {
				if _, ok := decodeJSON(t, w).(map[string]any)["error"]; !ok {
					t.Errorf("%s %s: error answer without \"error\": %s", tt.method, tt.target, w.Body)
				}
			}
			if tt.check != nil {
				tt.check(t, f, w)
			}
		})
	}
}

// withoutLister hides everything of a backend but Get, Set and Delete.
type withoutLister struct{ backend.Backend }

func TestAdminAPIUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		setup          func(f *adminFixture)
		method, target string
		body           string
		wantCode       int
		wantError      string
	}{
		{name: "keys without Lister", setup: hideLister, method: "GET", target: "/keys", wantCode: 501, wantError: "the backend cannot list its keys"},
		{name: "purge without Lister nor Purger", setup: hideLister, method: "POST", target: "/purge", body: "{}", wantCode: 501, wantError: "the backend cannot purge nor list its keys"},
		{name: "keys while stopping", setup: func(f *adminFixture) { f.down = true }, method: "GET", target: "/keys", wantCode: 503, wantError: "shutting down"},
		{name: "delete while stopping", setup: func(f *adminFixture) { f.down = true }, method: "DELETE", target: "/keys?key=v0:", wantCode: 503, wantError: "shutting down"},
		{name: "healthz while stopping", setup: func(f *adminFixture) { f.sick = true }, method: "GET", target: "/healthz", wantCode: 503, wantError: "shutting down"},
		{name: "closed backend", setup: func(f *adminFixture) { _ = f.mem.Close(context.Background()) }, method: "DELETE", target: "/keys?key=v0:", wantCode: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newAdminFixture(t, hitbox.KeyURLEncoded)
			tt.setup(f)
			w := f.call(t, tt.method, tt.target, tt.body, nil)
			if w.Code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantCode, w.Body)
			}
			got, _ := decodeJSON(t, w).(map[string]any)["error"].(string)
			if got == "" || (tt.wantError != "" && got != tt.wantError) {
				t.Errorf("error %q, want %q", got, tt.wantError)
			}
		})
	}
}

func hideLister(f *adminFixture) {
	inner := f.api.store
	f.api.store = func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
		b, kf, release, ok := inner()
		return withoutLister{b}, kf, release, ok
	}
}

// TestAdminAPIPurgeByListing purges through List and Delete when the
// backend has no Purger.
func TestAdminAPIPurgeByListing(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	inner := f.api.store
	f.api.store = func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
		b, kf, release, ok := inner()
		return struct {
			backend.Backend
			backend.Lister
		}{b, b.(backend.Lister)}, kf, release, ok
	}
	w := f.call(t, "POST", "/purge", `{"prefix": "v0:method="}`, nil)
	if diff := cmp.Diff(mustJSON(t, `{"deleted": 3}`), decodeJSON(t, w)); w.Code != 200 || diff != "" {
		t.Fatalf("status %d, answer (-want +got):\n%s", w.Code, diff)
	}
	if _, ok, _ := f.mem.Get(context.Background(), keyEmpty); !ok {
		t.Error("an entry outside the prefix went too")
	}
}

// TestAdminAPIBinaryKeys: with the Binary key format, keys and prefixes
// travel as base64url.
func TestAdminAPIBinaryKeys(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyBinary)
	bin := hitbox.Key{Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/a")}}.Encode(hitbox.KeyBinary)
	b64 := base64.RawURLEncoding.EncodeToString([]byte(bin))

	w := f.call(t, "GET", "/keys?prefix="+b64, "", nil)
	var ans keysAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || w.Code != 200 {
		t.Fatalf("GET /keys: %d %s (%v)", w.Code, w.Body, err)
	}
	if ans.Count != 1 || ans.Keys[0].Key != b64 {
		t.Fatalf("GET /keys?prefix=%s: %+v, want the key %s", b64, ans, b64)
	}
	if got := ans.Keys[0].Parts; len(got) != 2 || got[1].Name != "path" || *got[1].Value != "/a" {
		t.Errorf("parts %+v", got)
	}

	if w := f.call(t, "DELETE", "/keys?key=not*base64", "", nil); w.Code != 400 {
		t.Errorf("DELETE with a bad base64 key: %d, want 400", w.Code)
	}
	w = f.call(t, "DELETE", "/keys?key="+b64, "", nil)
	if diff := cmp.Diff(mustJSON(t, `{"deleted": true}`), decodeJSON(t, w)); diff != "" {
		t.Errorf("DELETE (-want +got):\n%s", diff)
	}
	if _, ok, _ := f.mem.Get(context.Background(), bin); ok {
		t.Error("the entry is still there")
	}
}

// TestAdminKeysPaging pages through 1000 keys stored in random order: the
// pages, joined, are every key once, sorted, and a page holds no more
// than its limit while the backend lists everything.
func TestAdminKeysPaging(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	want := []string{"foreign-key", keyEmpty, keyA, keyB}
	for _, i := range rand.Perm(1000) {
		k := hitbox.Key{Parts: []hitbox.KeyPart{hitbox.Part("n", strconv.Itoa(i))}}.Encode(hitbox.KeyURLEncoded)
		if err := f.mem.Set(context.Background(), k, backend.Entry{Value: []byte("v"), Written: adminT0}); err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	after := ""
	for page := 0; ; page++ {
		if page > len(want) {
			t.Fatal("paging does not end")
		}
		w := f.call(t, "GET", "/keys?limit=7&after="+url.QueryEscape(after), "", nil)
		var ans keysAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || w.Code != 200 {
			t.Fatalf("page %d: %d %v", page, w.Code, err)
		}
		if len(ans.Keys) > 7 || ans.Count != len(want) {
			t.Fatalf("page %d: %d keys, count %d; want at most 7, count %d", page, len(ans.Keys), ans.Count, len(want))
		}
		for _, k := range ans.Keys {
			got = append(got, k.Key)
		}
		if !ans.Truncated {
			break
		}
		if ans.Next != ans.Keys[len(ans.Keys)-1].Key {
			t.Fatalf("page %d: next %q, want the last key %q", page, ans.Next, ans.Keys[len(ans.Keys)-1].Key)
		}
		after = ans.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the pages joined differ from every key sorted (-want +got):\n%s", diff)
	}
}

// TestKeyPageBounded: a page never holds more keys than its limit, however
// many are offered, and keeps the smallest after the cursor.
func TestKeyPageBounded(t *testing.T) {
	t.Parallel()
	p := keyPage{after: "k0100", limit: 5}
	for _, i := range rand.Perm(10_000) {
		p.add(fmt.Sprintf("k%04d", i), backend.KeyInfo{})
		if len(p.h) > 5 {
			t.Fatalf("the page holds %d keys, limit 5", len(p.h))
		}
	}
	keys, more := p.keys()
	var names []string
	for _, k := range keys {
		names = append(names, k.key)
	}
	if want := []string{"k0101", "k0102", "k0103", "k0104", "k0105"}; !slices.Equal(names, want) || !more || p.count != 10_000 {
		t.Errorf("keys %v, more %v, count %d; want %v, true, 10000", names, more, p.count, want)
	}
}
