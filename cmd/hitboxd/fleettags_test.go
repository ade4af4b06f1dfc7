package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/redistest"
)

// TestE2EFleetPurgeTags: two hitboxd processes sharing one Redis, alone
// and under a memory L1 kept coherent by invalidation. A purge by tag on
// one instance's admin API reaches the entries the other serves, from
// Redis and from its own L1: its next answers turn to a MISS (at once
// for Redis alone; once the announcement arrives for an L1), while an
// entry without the tag stays a HIT.
func TestE2EFleetPurgeTags(t *testing.T) {
	t.Parallel()
	const endpoints = `endpoints:
  - name: books
    request: [{Method: GET}, {Path: "/books/{id}"}]
    extractors: [{Method: }, {Path: "/books/{id}"}]
    tags:
      request:
        - Path: "/books/{id}"
    policy: {Enabled: {ttl: 600}}
`
	host := map[string]string{"Host": "books.example"}
	for _, bk := range redisBackends {
		t.Run(bk.name, func(t *testing.T) {
			srv := redistest.Start(t)
			up := newCountingUpstream(t, 0)
			file := testConfig(up.URL, bk.patient(srv.URL()), endpoints)
			a, b := startProcess(t, file), startProcess(t, file)
			c := fleetClient(t, 4)
			get := func(p *process, path string) answer {
				t.Helper()
				return send(t, c, http.MethodGet, p.proxy+path, "", host)
			}
			if x := get(a, "/books/1").XCache; x != "MISS" {
				t.Fatalf("a /books/1: %s, want MISS", x)
			}
			get(a, "/books/2")
			for _, path := range []string{"/books/1", "/books/2"} {
				// b reads a's entries (and fills its L1 with them).
				for range 2 {
					if x := get(b, path).XCache; x != "HIT" {
						t.Fatalf("b %s: %s, want HIT", path, x)
					}
				}
			}
			before := up.calls.Load()
			if r := send(t, c, http.MethodPost, a.admin+"/purge", `{"tags": ["id=1"]}`, nil); r.Code != http.StatusOK {
				t.Fatalf("purge on a: %d %s", r.Code, r.Body)
			}
			deadline := time.Now().Add(e2eTimeout)
			for get(b, "/books/1").XCache != "MISS" {
				if time.Now().After(deadline) {
					t.Fatalf("b still serves /books/1 from the cache %v after the purge of its tag on a", e2eTimeout)
				}
			}
			if got := up.calls.Load(); got != before+1 {
				t.Errorf("%d upstream calls after the purge, want 1", got-before)
			}
			for _, p := range []*process{a, b} {
				if x := get(p, "/books/1").XCache; x != "HIT" {
					t.Errorf("%s /books/1 after its refill: %s, want HIT", p.proxy, x)
				}
				if x := get(p, "/books/2").XCache; x != "HIT" {
					t.Errorf("%s /books/2 (another tag): %s, want HIT", p.proxy, x)
				}
			}
		})
	}
}
