package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
)

// Clients of the tests below.
const (
	clientA = "198.51.100.7:5000"
	clientB = "203.0.113.9:6000"
)

var (
	rightToken = map[string]string{"Authorization": "Bearer s3cret"}
	wrongToken = map[string]string{"Authorization": "Bearer guess"}
	loginJSON  = map[string]string{"Content-Type": "application/json"}
)

// throttledFixture is an admin fixture with the token s3cret, a clock the
// test moves (from adminT0) and a log in out.
func throttledFixture(t *testing.T) (f *adminFixture, now *time.Time, out *syncBuffer) {
	t.Helper()
	f = newAdminFixture(t, hitbox.KeyURLEncoded)
	f.token = "s3cret"
	clock := adminT0
	f.api.now = func() time.Time { return clock }
	out = &syncBuffer{}
	f.api.log = slog.New(slog.NewTextHandler(out, nil))
	return f, &clock, out
}

// want429 fails unless w is a JSON 429 with Retry-After: retryAfter.
func want429(t *testing.T, what string, w *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != retryAfter ||
		w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"error":"too many wrong tokens`) {
		t.Errorf("%s: %d, Retry-After %q, %q %s; want a JSON 429 with Retry-After %s",
			what, w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"), w.Body, retryAfter)
	}
}

// fail sends n wrong tokens from addr, each of which must be a 401.
func fail(t *testing.T, f *adminFixture, addr string, n int) {
	t.Helper()
	for i := range n {
		if w := f.callFrom(t, addr, "GET", "/stats", "", wrongToken); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d from %s: %d %s, want 401", i+1, addr, w.Code, w.Body)
		}
	}
}

// throttleWarnings counts the warnings that a client is throttled.
func throttleWarnings(out *syncBuffer) int {
	return strings.Count(out.String(), "client throttled")
}

// TestAdminAuthThrottle: after authBurst wrong tokens a client gets 429,
// even with the right token, until its budget refills by one; another
// client is unaffected throughout; X-Forwarded-For is not trusted; calls
// that need no token still answer; the throttling is logged once per
// window.
func TestAdminAuthThrottle(t *testing.T) {
	t.Parallel()
	f, now, out := throttledFixture(t)
	for i := range authBurst {
		// A forwarded-for header naming another client each time does
		// not give a fresh budget.
		hdr := map[string]string{"Authorization": "Bearer guess", "X-Forwarded-For": fmt.Sprintf("10.0.0.%d", i)}
		if w := f.callFrom(t, clientA, "GET", "/stats", "", hdr); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
		if w := f.callFrom(t, clientB, "GET", "/stats", "", rightToken); w.Code != http.StatusOK {
			t.Fatalf("the other client, right token: %d %s", w.Code, w.Body)
		}
	}
	want429(t, "wrong token 11", f.callFrom(t, clientA, "GET", "/stats", "", wrongToken), "1")
	want429(t, "right token while throttled", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	want429(t, "POST /purge while throttled", f.callFrom(t, clientA, "POST", "/purge", `{"prefix": "v0:method=POST"}`, rightToken), "1")
	if w := f.callFrom(t, clientB, "GET", "/stats", "", rightToken); w.Code != http.StatusOK {
		t.Errorf("the other client while A is throttled: %d %s", w.Code, w.Body)
	}
	for _, target := range []string{"/", "/app.js", "/healthz"} {
		if w := f.callFrom(t, clientA, "GET", target, "", nil); w.Code != http.StatusOK {
			t.Errorf("GET %s (no token needed) while throttled: %d %s", target, w.Code, w.Body)
		}
	}

	*now = now.Add(authRefill - time.Millisecond)
	want429(t, "right token just before the refill", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	*now = now.Add(time.Millisecond)
	if w := f.callFrom(t, clientA, "GET", "/stats", "", rightToken); w.Code != http.StatusOK {
		t.Errorf("right token once refilled: %d %s", w.Code, w.Body)
	}
	// One attempt refilled: one more guess, then throttled again.
	fail(t, f, clientA, 1)
	want429(t, "a guess past the refilled one", f.callFrom(t, clientA, "GET", "/stats", "", wrongToken), "1")
	if n := throttleWarnings(out); n != 1 {
		t.Errorf("%d warnings within one window, want 1:\n%s", n, out)
	}

	// Once the budget is full again, a new burst starts a new window.
	*now = now.Add(authBurst * authRefill)
	fail(t, f, clientA, authBurst)
	want429(t, "after a second burst", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	if n := throttleWarnings(out); n != 2 {
		t.Errorf("%d warnings after two windows, want 2:\n%s", n, out)
	}
	if !strings.Contains(out.String(), `level=WARN msg="admin: too many wrong tokens, client throttled" client=198.51.100.7 path=/stats`) {
		t.Errorf("the warning does not name the client and path:\n%s", out)
	}
}

// TestAdminAuthRetryAfter: Retry-After is the wait in whole seconds,
// rounded up; refused requests do not count, guesses that raced past the
// check do.
func TestAdminAuthRetryAfter(t *testing.T) {
	t.Parallel()
	f, now, _ := throttledFixture(t)
	fail(t, f, clientA, authBurst)
	*now = now.Add(authRefill / 2)
	want429(t, "half a refill later", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	// Blocked requests are not counted: the wait does not grow.
	for range 100 {
		f.callFrom(t, clientA, "GET", "/stats", "", wrongToken)
	}
	*now = now.Add(authRefill / 2)
	if w := f.callFrom(t, clientA, "GET", "/stats", "", rightToken); w.Code != http.StatusOK {
		t.Errorf("right token after the refill, refused guesses in between: %d %s", w.Code, w.Body)
	}

	// Guesses that passed the check together all count: 10 past the
	// budget make the wait 10 refills longer.
	fail(t, f, clientB, authBurst)
	for range authBurst {
		f.api.fails.fail("203.0.113.9", *now)
	}
	*now = now.Add(authRefill / 2)
	want429(t, "10 guesses past the budget", f.callFrom(t, clientB, "GET", "/stats", "", rightToken), "11")
}

// TestAdminAuthSuccessNotLimited: right tokens never use the budget, nor
// reset it.
func TestAdminAuthSuccessNotLimited(t *testing.T) {
	t.Parallel()
	f, _, out := throttledFixture(t)
	fail(t, f, clientA, authBurst-1)
	login := f.callFrom(t, clientA, "POST", "/login", `{"token": "s3cret"}`, loginJSON)
	if login.Code != http.StatusOK {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}
	cookie := map[string]string{"Cookie": sessionCookie + "=" + sessionOf(t, login).Value}
	for i := range 1000 {
		hdr := rightToken
		if i%2 == 1 {
			hdr = cookie
		}
		if w := f.callFrom(t, clientA, "GET", "/stats", "", hdr); w.Code != http.StatusOK {
			t.Fatalf("good request %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	fail(t, f, clientA, 1)
	want429(t, "the budget's last guess used", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	if n := throttleWarnings(out); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, out)
	}
}

// TestAdminAuthLogin: POST /login with a wrong token uses the budget
// GET /stats uses, and is refused while throttled, right token or not;
// requests without a token (nothing guessed) are not counted.
func TestAdminAuthLogin(t *testing.T) {
	t.Parallel()
	f, now, _ := throttledFixture(t)
	for i := range authBurst {
		if w := f.callFrom(t, clientA, "POST", "/login", `{"token": "guess"}`, loginJSON); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong login %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	w := f.callFrom(t, clientA, "POST", "/login", `{"token": "s3cret"}`, loginJSON)
	want429(t, "right login while throttled", w, "1")
	if len(w.Result().Cookies()) != 0 {
		t.Errorf("a throttled login set %q", w.Header().Values("Set-Cookie"))
	}
	want429(t, "bearer after wrong logins", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")
	*now = now.Add(authRefill)
	if w := f.callFrom(t, clientA, "POST", "/login", `{"token": "s3cret"}`, loginJSON); w.Code != http.StatusOK {
		t.Errorf("right login after the refill: %d %s", w.Code, w.Body)
	}

	for i := range 3 * authBurst {
		if w := f.callFrom(t, clientB, "POST", "/login", `{"token": ""}`, loginJSON); w.Code != http.StatusUnauthorized {
			t.Fatalf("empty login %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
		if w := f.callFrom(t, clientB, "GET", "/stats", "", nil); w.Code != http.StatusUnauthorized {
			t.Fatalf("no token %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
}

// TestAdminAuthSessionCookie: a session cookie that is not ours counts
// as a wrong token; an expired one (a browser left open) does not.
func TestAdminAuthSessionCookie(t *testing.T) {
	t.Parallel()
	f, now, _ := throttledFixture(t)
	login := f.callFrom(t, clientB, "POST", "/login", `{"token": "s3cret"}`, loginJSON)
	if login.Code != http.StatusOK {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}
	good := sessionOf(t, login).Value
	expiry, _, _ := strings.Cut(good, ".")
	forged := map[string]string{"Cookie": sessionCookie + "=" + expiry + "." + strings.Repeat("A", 43)}
	for i := range authBurst {
		if w := f.callFrom(t, clientA, "GET", "/stats", "", forged); w.Code != http.StatusUnauthorized {
			t.Fatalf("forged session %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	want429(t, "after forged sessions", f.callFrom(t, clientA, "GET", "/stats", "", rightToken), "1")

	*now = now.Add(sessionTTL)
	expired := map[string]string{"Cookie": sessionCookie + "=" + good}
	for i := range 5 * authBurst {
		if w := f.callFrom(t, clientB, "GET", "/stats", "", expired); w.Code != http.StatusUnauthorized {
			t.Fatalf("expired session %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	if w := f.callFrom(t, clientB, "POST", "/login", `{"token": "s3cret"}`, loginJSON); w.Code != http.StatusOK {
		t.Errorf("login again after an expired session: %d %s", w.Code, w.Body)
	}
}

// TestAdminAuthClientTable: the table of clients stays at its cap under a
// spray of source addresses, and shrinks once their buckets drain.
func TestAdminAuthClientTable(t *testing.T) {
	t.Parallel()
	f, now, _ := throttledFixture(t)
	addr := func(i int) string { return fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255) }
	for i := range authClients + 500 {
		fail(t, f, addr(i), 1)
	}
	if n := f.api.fails.len(); n != authClients {
		t.Errorf("after %d clients: %d in the table, want the cap %d", authClients+500, n, authClients)
	}
	// The most recent clients are remembered: the last one is still
	// counted.
	last := addr(authClients + 499)
	fail(t, f, last, authBurst-1)
	want429(t, "the last client's burst", f.callFrom(t, last, "GET", "/stats", "", wrongToken), "1")

	// Each new failure drops two drained clients and adds one.
	*now = now.Add(authBurst * authRefill)
	for i := range 100 {
		fail(t, f, fmt.Sprintf("172.16.0.%d:1", i), 1)
	}
	if n, want := f.api.fails.len(), authClients-100; n != want {
		t.Errorf("100 failures after the buckets drained: %d in the table, want %d", n, want)
	}
}

// TestAuthClientOf: a client is its address, an IPv6 one by its /64;
// an IPv4-mapped address is the IPv4 one.
func TestAuthClientOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ remote, want string }{
		{"198.51.100.7:5000", "198.51.100.7"},
		{"[::ffff:198.51.100.7]:5000", "198.51.100.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9%eth0]:443", "2001:db8:1:2::/64"},
		{"[::1]:80", "::/64"},
		{"@", "@"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := authClientOf(r); got != tt.want {
			t.Errorf("authClientOf(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// TestAdminAuthIPv6Prefix: the addresses of one IPv6 /64 share a budget.
func TestAdminAuthIPv6Prefix(t *testing.T) {
	t.Parallel()
	f, _, _ := throttledFixture(t)
	for i := range authBurst {
		fail(t, f, fmt.Sprintf("[2001:db8::%x]:1", i+1), 1)
	}
	want429(t, "another address of the /64", f.callFrom(t, "[2001:db8::ffff]:1", "GET", "/stats", "", rightToken), "1")
	if w := f.callFrom(t, "[2001:db8:0:1::1]:1", "GET", "/stats", "", rightToken); w.Code != http.StatusOK {
		t.Errorf("another /64: %d %s", w.Code, w.Body)
	}
}

// TestAdminAuthThrottleLog: through hitboxd's log throttle, many clients
// throttled at once write one warning and a count, not one line each.
func TestAdminAuthThrottleLog(t *testing.T) {
	t.Parallel()
	f, _, out := throttledFixture(t)
	th := newThrottle(slog.NewTextHandler(out, nil), time.Hour)
	f.api.log = slog.New(th)
	for i := range 5 {
		fail(t, f, fmt.Sprintf("192.0.2.%d:1", i+1), authBurst)
	}
	if n := throttleWarnings(out); n != 1 {
		t.Errorf("5 clients throttled: %d warnings, want 1:\n%s", n, out)
	}
	th.Close()
	if !strings.Contains(out.String(), `msg="repeated log lines suppressed" suppressed=4`) {
		t.Errorf("no count of the 4 warnings left out:\n%s", out)
	}
}
