package rfc9111

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStorable(t *testing.T) {
	t.Parallel()
	shared, private := Config{}, Config{Private: true}
	for _, tc := range []struct {
		name   string
		cfg    Config
		method string
		reqH   http.Header
		status int
		respH  http.Header
		want   bool
		whyNot Reason
	}{
		{"§3 GET 200 with max-age", shared, "GET", nil, 200, h("Cache-Control", "max-age=60"), true, 0},
		{"§3 HEAD 200 with max-age", shared, "HEAD", nil, 200, h("Cache-Control", "max-age=60"), true, 0},
		{"§3 POST is not stored (our choice)", shared, "POST", nil, 200, h("Cache-Control", "max-age=60"), false, ReasonMethod},
		{"§3 200 without freshness is cacheable by default", shared, "GET", nil, 200, nil, true, 0},
		{"§3 404 is cacheable by default", shared, "GET", nil, 404, nil, true, 0},
		{"§3 201 without freshness is not stored", shared, "GET", nil, 201, nil, false, ReasonNotCacheable},
		{"§3 302 with max-age is stored", shared, "GET", nil, 302, h("Cache-Control", "max-age=60"), true, 0},
		{"§3 500 with Expires is stored", shared, "GET", nil, 500, h("Expires", "Thu, 01 Jan 2037 00:00:00 GMT"), true, 0},
		{"§3 unknown status with public is stored", shared, "GET", nil, 299, h("Cache-Control", "public"), true, 0},
		{"§3 206 is never stored (our choice)", shared, "GET", nil, 206, h("Cache-Control", "max-age=60"), false, ReasonStatus},
		{"§3 304 is never stored: it updates", shared, "GET", nil, 304, h("Cache-Control", "max-age=60"), false, ReasonStatus},
		{"§3 1xx is not final", shared, "GET", nil, 103, h("Cache-Control", "max-age=60"), false, ReasonStatus},
		{"§5.2.2.5 response no-store", shared, "GET", nil, 200, h("Cache-Control", "no-store, max-age=60"), false, ReasonNoStore},
		{"§5.2.1.5 request no-store", shared, "GET", h("Cache-Control", "no-store"), 200, h("Cache-Control", "max-age=60"), false, ReasonRequestNoStore},
		{"§5.2.2.3 must-understand with an understood status ignores no-store", shared, "GET", nil, 200, h("Cache-Control", "must-understand, no-store, max-age=60"), true, 0},
		{"§5.2.2.3 must-understand with an unknown status is not stored", shared, "GET", nil, 299, h("Cache-Control", "must-understand, no-store, max-age=60"), false, ReasonStatus},
		{"§5.2.2.7 private in a shared cache", shared, "GET", nil, 200, h("Cache-Control", "private, max-age=60"), false, ReasonPrivate},
		{"§5.2.2.7 private in a private cache", private, "GET", nil, 200, h("Cache-Control", "private, max-age=60"), true, 0},
		{"§5.2.2.7 private alone makes a 201 storable in a private cache", private, "GET", nil, 201, h("Cache-Control", "private"), true, 0},
		{"§5.2.2.7 qualified private is storable in a shared cache (fields stripped)", shared, "GET", nil, 200, h("Cache-Control", `private="Set-Cookie", max-age=60`), true, 0},
		{"§3.5 Authorization in a shared cache", shared, "GET", h("Authorization", "Basic eDp5"), 200, h("Cache-Control", "max-age=60"), false, ReasonAuthorization},
		{"§3.5 Authorization with public", shared, "GET", h("Authorization", "Basic eDp5"), 200, h("Cache-Control", "public, max-age=60"), true, 0},
		{"§3.5 Authorization with s-maxage", shared, "GET", h("Authorization", "Basic eDp5"), 200, h("Cache-Control", "s-maxage=60"), true, 0},
		{"§3.5 Authorization with must-revalidate", shared, "GET", h("Authorization", "Basic eDp5"), 200, h("Cache-Control", "must-revalidate, max-age=60"), true, 0},
		{"§3.5 Authorization in a private cache", private, "GET", h("Authorization", "Basic eDp5"), 200, h("Cache-Control", "max-age=60"), true, 0},
		{"§3 s-maxage gives explicit freshness in a shared cache only", private, "GET", nil, 201, h("Cache-Control", "s-maxage=60"), false, ReasonNotCacheable},
		{"RFC 9213 §2.2 CDN-Cache-Control no-store wins over Cache-Control", shared, "GET", nil, 200, h("Cache-Control", "max-age=60", "Cdn-Cache-Control", "no-store"), false, ReasonNoStore},
		{"RFC 9213 §2.2 a targeted field makes Expires ignored", shared, "GET", nil, 201, h("Cdn-Cache-Control", "public=?0", "Expires", "Thu, 01 Jan 2037 00:00:00 GMT"), false, ReasonNotCacheable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := ParseRequest(tc.method, tc.reqH)
			resp := tc.cfg.ParseResponse(tc.status, tc.respH)
			ok, why := tc.cfg.Storable(req, resp)
			if ok != tc.want || why != tc.whyNot {
				t.Errorf("Storable(%s %v → %d %v) = %v, %q; want %v, %q", tc.method, tc.reqH, tc.status, tc.respH, ok, why, tc.want, tc.whyNot)
			}
		})
	}
}

// h builds a header from name, value pairs.
func h(kv ...string) http.Header {
	out := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}

func TestReasonString(t *testing.T) {
	t.Parallel()
	for r, want := range map[Reason]string{0: "", ReasonPrivate: "private", ReasonNotCacheable: "not-cacheable", 200: "reason(200)"} {
		if got := r.String(); got != want {
			t.Errorf("Reason(%d).String() = %q, want %q", r, got, want)
		}
	}
}

func TestStripForStore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		in   http.Header
		want http.Header
	}{
		{"§3.1 hop-by-hop fields are dropped", Config{},
			h("Connection", "close", "Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked", "Te", "trailers", "Upgrade", "h2c",
				"Proxy-Authenticate", "Basic", "Proxy-Authentication-Info", "x", "Proxy-Connection", "keep-alive", "Trailer", "X-T", "Content-Type", "text/plain"),
			h("Content-Type", "text/plain")},
		{"§3.1 fields listed in Connection are dropped", Config{},
			h("Connection", "X-Hop, x-other", "X-Hop", "1", "X-Other", "2", "X-Keep", "3"), h("X-Keep", "3")},
		{"§5.2.2.4 no-cache fields are dropped by every cache", Config{Private: true},
			h("Cache-Control", `no-cache="set-cookie"`, "Set-Cookie", "a=b", "X-Keep", "1"), h("Cache-Control", `no-cache="set-cookie"`, "X-Keep", "1")},
		{"§5.2.2.7 private fields are dropped by a shared cache", Config{},
			h("Cache-Control", `private="X-User"`, "X-User", "bob", "X-Keep", "1"), h("Cache-Control", `private="X-User"`, "X-Keep", "1")},
		{"§5.2.2.7 private fields are kept by a private cache", Config{Private: true},
			h("Cache-Control", `private="X-User"`, "X-User", "bob"), h("Cache-Control", `private="X-User"`, "X-User", "bob")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.in.Clone()
			tc.cfg.StripForStore(got, tc.cfg.ParseResponse(200, got).CC)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("StripForStore(%v) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
	for _, name := range []string{"connection", "TE", "Proxy-Authorization"} {
		if !IsHopByHop(name) {
			t.Errorf("IsHopByHop(%q) = false, want true", name)
		}
	}
	if IsHopByHop("Content-Length") {
		t.Errorf("IsHopByHop(Content-Length) = true, want false")
	}
}
