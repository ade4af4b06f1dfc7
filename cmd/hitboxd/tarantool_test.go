package main

// End-to-end tests of hitboxd over Tarantool (servers started by
// internal/tarantooltest; skipped when tarantool is not installed).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// tarantoolBackends are the shapes of a hitboxd over the Tarantool server
// at addr.
var tarantoolBackends = []struct {
	name    string
	section func(addr string) string
}{
	{"Tarantool", func(addr string) string {
		return fmt.Sprintf("backend: {type: Tarantool, address: %q, user: %s, password: %q, space: e2e, timeout: 500ms}",
			addr, tarantooltest.User, tarantooltest.Password)
	}},
	{"MemoryOverTarantool", func(addr string) string {
		return fmt.Sprintf(`backend:
  type: Composition
  l1: {type: Memory, max_bytes: 16MiB}
  l2: {type: Tarantool, address: %q, user: %s, password: %q}`, addr, tarantooltest.User, tarantooltest.Password)
	}},
}

// awaitTarantoolCaching waits (within e2eTimeout) until a fresh key goes
// MISS then HIT through the proxy at base and /keys lists it: the
// Tarantool backend connects in the background, at start and after an
// outage.
func awaitTarantoolCaching(t *testing.T, c *http.Client, base, admin string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for i := 0; ; i++ {
		id := fmt.Sprintf("probe-%d-%d", time.Now().UnixNano(), i)
		target := base + "/books/" + id
		first := send(t, c, http.MethodGet, target, "", nil)
		second := send(t, c, http.MethodGet, target, "", nil)
		if first.Code != http.StatusOK || second.Code != http.StatusOK {
			t.Fatalf("GET %s: %d, %d", target, first.Code, second.Code)
		}
		if first.XCache == "MISS" && second.XCache == "HIT" && string(second.Body) == string(first.Body) &&
			keyListed(c, admin, entryKey("books", base, "method=GET&id="+id)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hitboxd did not cache through Tarantool within %v: %s %q then %s %q", e2eTimeout,
				first.XCache, first.Cache, second.XCache, second.Cache)
		}
		time.Sleep(20 * time.Millisecond) // the backend reconnects every 500ms
	}
}

// keyListed reports whether /keys lists key. While a connection is still
// being made, /keys answers 503: not yet.
func keyListed(c *http.Client, admin, key string) bool {
	a, err := trySend(c, http.MethodGet, admin+"/keys?prefix="+url.QueryEscape(key), "", nil)
	var ans keysAnswer
	return err == nil && a.Code == http.StatusOK && json.Unmarshal(a.Body, &ans) == nil && ans.Count == 1
}

// TestE2ETarantool: hitboxd over Tarantool, alone and under a memory L1:
// MISS then HIT, the entry listed by /keys and removed by /purge.
func TestE2ETarantool(t *testing.T) {
	t.Parallel()
	for _, bk := range tarantoolBackends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			srv := tarantooltest.Start(t)
			up := newTestUpstream(t)
			p := startProcess(t, testConfig(up.URL, bk.section(srv.Addr), booksEndpoints))
			c := newClient(t)
			awaitTarantoolCaching(t, c, p.proxy, p.admin)

			if o, first := observe(t, c, http.MethodGet, p.proxy+"/books/1", "", nil); o != cached {
				t.Fatalf("GET /books/1 twice: %v (%s)", o, first.Cache)
			}
			if keys := listKeys(t, c, p.admin, entryKey("books", p.proxy, "method=GET&id=1")); keys.Count != 1 {
				t.Errorf("/keys: %+v, want the entry of /books/1", keys)
			}
			if a := send(t, c, http.MethodPost, p.admin+"/purge", `{"prefix": ""}`, nil); a.Code != http.StatusOK {
				t.Fatalf("POST /purge: %d %s", a.Code, a.Body)
			}
			if keys := listKeys(t, c, p.admin, ""); keys.Count != 0 {
				t.Errorf("/keys after /purge: %d entries, want 0", keys.Count)
			}
			if a := send(t, c, http.MethodGet, p.proxy+"/books/1", "", nil); a.XCache != "MISS" {
				t.Errorf("GET /books/1 after /purge: %s, want MISS", a.XCache)
			}
			awaitMetric(t, c, p.admin, `hitbox_backend_breaker_state{backend="tarantool",state="closed"} 1`)
		})
	}
}

// TestE2ETarantoolKilledUnderLoad: the Tarantool server killed in the
// middle of a load run through hitboxd: every request still gets its 200
// and the right body (from the upstream), the breaker opens, and once the
// server is back the cache stores and serves again.
func TestE2ETarantoolKilledUnderLoad(t *testing.T) {
	t.Parallel()
	srv := tarantooltest.Start(t)
	up := newCountingUpstream(t, 0)
	p := startProcess(t, testConfig(up.URL, tarantoolBackends[0].section(srv.Addr), booksEndpoints))
	c := fleetClient(t, killWorkers)
	awaitTarantoolCaching(t, c, p.proxy, p.admin)
	killUnderLoad(t, c, p.proxy, srv.Kill, func() {
		awaitMetric(t, c, p.admin, `hitbox_backend_breaker_state{backend="tarantool",state="open"} 1`)
	})
	t.Logf("%d upstream calls", up.calls.Load())
	srv.Restart()
	awaitTarantoolCaching(t, c, p.proxy, p.admin)
}
