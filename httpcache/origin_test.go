package httpcache

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// grantingUpstream answers with a body saying the call and the origin it
// granted: it reflects https://a and https://b in Access-Control-Allow-Origin
// (without Vary: Origin, as many do) and grants no other origin, or grants
// "*" to all when star is set.
func grantingUpstream(star bool, calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		grant := ""
		switch o := r.Header.Get("Origin"); {
		case star:
			grant = "*"
		case o == "https://a" || o == "https://b":
			grant = o
		}
		if grant != "" {
			w.Header().Set("Access-Control-Allow-Origin", grant)
		}
		_, _ = w.Write([]byte("call " + itoa(n) + " grant " + grant))
	})
}

// serveOrigin GETs target from h with the Origin header origin ("": none).
func serveOrigin(t *testing.T, h http.Handler, target, origin string) answer {
	t.Helper()
	if origin == "" {
		return serveHost(t, h, "example.com", target)
	}
	return serveHost(t, h, "example.com", target, "Origin", origin)
}

// TestOriginVaried: an upstream that grants origins without Vary: Origin
// never has one origin's answer (its grant or its refusal) served to
// another, whichever comes first: an attacker's origin, a request without
// Origin, or a granted one.
func TestOriginVaried(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{
		{"", "https://evil", "https://a", "https://b"},
		{"https://evil", "https://a", "", "https://b"},
		{"https://a", "", "https://evil", "https://b"},
	} {
		e := newEnv(t)
		var calls atomic.Int64
		h := e.middleware(t, grantingUpstream(false, &calls), []Endpoint{{Name: "api"}})
		for _, origin := range order {
			want := map[string]string{"https://a": "https://a", "https://b": "https://b"}[origin]
			for _, status := range []string{"MISS", "HIT"} {
				a := serveOrigin(t, h, "/data", origin)
				grant := a.header.Get("Access-Control-Allow-Origin")
				if a.xcache != status || grant != want || !strings.HasSuffix(a.body, "grant "+want) {
					t.Errorf("order %q: GET with Origin %q: %s, Access-Control-Allow-Origin %q (%q); want a %s granting %q",
						order, origin, a.xcache, grant, a.body, status, want)
				}
			}
		}
		if n := calls.Load(); n != int64(len(order)) {
			t.Errorf("order %q: upstream calls = %d, want %d (one per origin)", order, n, len(order))
		}
	}
}

// TestOriginStarShared: an answer granting "*" is one entry for every
// origin and for requests without one.
func TestOriginStarShared(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, grantingUpstream(true, &calls), []Endpoint{{Name: "api"}})
	for i, origin := range []string{"https://a", "https://evil", ""} {
		want := "HIT"
		if i == 0 {
			want = "MISS"
		}
		if a := serveOrigin(t, h, "/data", origin); a.xcache != want || a.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET with Origin %q: %s %q, want a %s granting *", origin, a.xcache, a.header.Get("Access-Control-Allow-Origin"), want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}
