package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/metrics"
	"github.com/hitbox-go/hitbox/offload"
)

// sessionOf returns the session cookie w sets, failing when there is none.
func sessionOf(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %q", sessionCookie, w.Header().Values("Set-Cookie"))
	return nil
}

func TestAdminDashboardRoutes(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	f.token = "s3cret"
	for _, tt := range []struct {
		method, target string
		wantCode       int
		wantType       string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/style.css", 200, "text/css; charset=utf-8"},
		{"POST", "/", 405, "application/json"},
		{"GET", "/index.html", 401, "application/json"}, // unknown: the token first
		{"GET", "/login", 405, "application/json"},
	} {
		w := f.call(t, tt.method, tt.target, "", nil)
		if w.Code != tt.wantCode || w.Header().Get("Content-Type") != tt.wantType {
			t.Errorf("%s %s: %d %q, want %d %q: %s", tt.method, tt.target, w.Code, w.Header().Get("Content-Type"), tt.wantCode, tt.wantType, w.Body)
		}
	}
	page := f.call(t, "GET", "/", "", nil)
	if !strings.Contains(page.Body.String(), `<script src="app.js"`) {
		t.Errorf("the page does not load app.js:\n%s", page.Body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if page.Header().Get(h) == "" {
			t.Errorf("the page has no %s", h)
		}
	}
	w := f.call(t, "GET", "/nope", "", map[string]string{"Authorization": "Bearer s3cret"})
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("unknown path with the token: %d %s, want a JSON 404", w.Code, w.Body)
	}
}

func TestAdminLogin(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	f.token = "s3cret"
	jsonBody := map[string]string{"Content-Type": "application/json"}

	if w := f.call(t, "POST", "/login", `{"token": "wrong"}`, jsonBody); w.Code != 401 || len(w.Result().Cookies()) != 0 {
		t.Errorf("wrong token: %d, cookies %q; want 401 and none", w.Code, w.Header().Values("Set-Cookie"))
	}
	if w := f.call(t, "POST", "/login", `{"token": "s3cret"}`, nil); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("login without a JSON content type: %d, want 415", w.Code)
	}
	if w := f.call(t, "POST", "/login", `{"token": "s3cret"}`, map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}); w.Code != 403 {
		t.Errorf("cross-site login: %d, want 403", w.Code)
	}
	w := f.call(t, "POST", "/login", `{"token": "s3cret"}`, jsonBody)
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	c := sessionOf(t, w)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure without TLS", c)
	}
	if strings.Contains(c.Value, "s3cret") {
		t.Errorf("the cookie holds the token: %q", c.Value)
	}
	cookie := map[string]string{"Cookie": sessionCookie + "=" + c.Value}
	withJSON := map[string]string{"Cookie": cookie["Cookie"], "Content-Type": "application/json"}

	if w := f.call(t, "GET", "/stats", "", cookie); w.Code != 200 {
		t.Errorf("GET /stats with the session: %d %s", w.Code, w.Body)
	}
	if w := f.call(t, "POST", "/purge", `{"prefix": "v0:method=POST"}`, cookie); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("purge with the session, not JSON: %d %s, want 415", w.Code, w.Body)
	}
	if w := f.call(t, "POST", "/purge", `{"prefix": "v0:method=POST"}`, map[string]string{"Cookie": cookie["Cookie"], "Content-Type": "application/json", "Origin": "http://evil.example"}); w.Code != 403 {
		t.Errorf("purge from another origin: %d %s, want 403", w.Code, w.Body)
	}
	if w := f.call(t, "POST", "/purge", `{"prefix": "v0:method=POST"}`, withJSON); w.Code != 200 || !strings.Contains(w.Body.String(), `"deleted":1`) {
		t.Errorf("purge with the session: %d %s, want 200 deleted 1", w.Code, w.Body)
	}
	if w := f.call(t, "DELETE", "/keys?key=v0:", "", cookie); w.Code != 200 {
		t.Errorf("delete with the session: %d %s", w.Code, w.Body)
	}

	// A forged, tampered or expired session is refused.
	for _, v := range []string{"", "x", c.Value + "x", strings.Replace(c.Value, ".", "0.", 1)} {
		if w := f.call(t, "GET", "/stats", "", map[string]string{"Cookie": sessionCookie + "=" + v}); w.Code != 401 {
			t.Errorf("session %q: %d, want 401", v, w.Code)
		}
	}
	later := adminT0.Add(sessionTTL)
	f.api.now = func() time.Time { return later }
	if w := f.call(t, "GET", "/stats", "", cookie); w.Code != 401 {
		t.Errorf("expired session: %d, want 401", w.Code)
	}
	f.api.now = func() time.Time { return adminT0 }
	f.token = "n3w"
	if w := f.call(t, "GET", "/stats", "", cookie); w.Code != 401 {
		t.Errorf("session after a token change: %d, want 401", w.Code)
	}

	out := f.call(t, "POST", "/logout", "", nil)
	if oc := sessionOf(t, out); out.Code != 200 || oc.MaxAge >= 0 {
		t.Errorf("logout: %d, cookie %+v; want 200 and the cookie dropped", out.Code, oc)
	}
}

func TestAdminLoginWithoutToken(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	w := f.call(t, "POST", "/login", `{"token": ""}`, map[string]string{"Content-Type": "application/json"})
	if w.Code != 200 || len(w.Result().Cookies()) != 0 || !strings.Contains(w.Body.String(), `"token_required":false`) {
		t.Errorf("login without a token configured: %d %s %q", w.Code, w.Body, w.Header().Values("Set-Cookie"))
	}
}

func TestAdminStatsDashboardFields(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	f.api.breakers = func() []metrics.BreakerState { return []metrics.BreakerState{{Backend: "redis", State: "open"}} }
	f.api.background = func() offload.Stats { return offload.Stats{Started: 3, Completed: 2, Running: 1} }
	f.met.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: "books", Duration: 250 * time.Millisecond})
	f.met.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: "books", Duration: 750 * time.Millisecond})
	f.met.Record(hitbox.Event{Kind: hitbox.EventUpstream, Endpoint: "authors", Duration: time.Second})
	w := f.call(t, "GET", "/stats", "", nil)
	if w.Code != 200 {
		t.Fatalf("GET /stats: %d %s", w.Code, w.Body)
	}
	var got statsAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.UpstreamTime != (durationSum{Count: 3, Seconds: 2}) {
		t.Errorf("upstream_time %+v, want 3 calls, 2s", got.UpstreamTime)
	}
	if b := got.UpstreamTimeByEndpoint["books"]; b != (durationSum{Count: 2, Seconds: 1}) {
		t.Errorf("books' upstream_time %+v, want 2 calls, 1s", b)
	}
	if got.Breakers["redis"] != "open" {
		t.Errorf("breakers %v, want redis open", got.Breakers)
	}
	if got.Background == nil || got.Background.Running != 1 || got.Background.Started != 3 {
		t.Errorf("background %+v", got.Background)
	}
	if !time.Time(got.Time).Equal(adminT0) {
		t.Errorf("time %v, want %v", time.Time(got.Time), adminT0)
	}
}
