package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/redistest"
)

// TestE2ERedisOutageLogsBounded: Redis stopped under load writes a
// bounded number of log lines (go-redis's own included, as structured
// warnings), not one per request, and /metrics shows the breaker open.
func TestE2ERedisOutageLogsBounded(t *testing.T) {
	t.Parallel()
	const (
		workers     = 4
		afterKill   = 2000 // answers while Redis is down
		maxWarnings = 40   // a handful of sources, one line (plus a summary) each per 10s
	)
	srv := redistest.Start(t)
	up := newCountingUpstream(t, 0)
	p := startProcess(t, testConfig(up.URL, redisBackends[0].section(srv.URL()), booksEndpoints))
	c := fleetClient(t, workers)

	load := startBookLoad(t, c, p.proxy, workers, func(_, i int) int { return i % 64 }, nil)
	defer load.halt()
	answered := &load.answered
	awaitCount(t, answered, 200)
	before := countWarnings(p.out.String())
	srv.Kill()
	killed := time.Now()
	start := answered.Load()
	awaitCount(t, answered, start+afterKill)
	awaitMetric(t, c, p.admin, `hitbox_backend_breaker_state{backend="redis",state="open"} 1`)

	out := p.out.String()
	if n := countWarnings(out) - before; n > maxWarnings {
		t.Errorf("%d warning and error lines (and unstructured lines) for %d requests during the outage, want at most %d",
			n, afterKill, maxWarnings)
	}
	if !regexp.MustCompile(`level=(WARN|ERROR) .*backend=redis`).MatchString(out) {
		t.Errorf("the outage was not logged at all")
	}
	t.Logf("%d answers during the outage in %v", afterKill, time.Since(killed))
}

var reWarning = regexp.MustCompile(`(?m)^(time=\S+ level=(WARN|ERROR) .*|[^t].*)$`)

// countWarnings counts the lines at WARN or above, and those that are not
// slog's (go-redis's own format).
func countWarnings(out string) int {
	return len(reWarning.FindAllString(out, -1))
}

// awaitCount waits until n reaches want.
func awaitCount(t *testing.T, n *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d after 30s, want %d", n.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// awaitMetric polls /metrics until it holds line.
func awaitMetric(t *testing.T, c *http.Client, admin, line string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/metrics", nil)
		resp, err := c.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if strings.Contains(last, line+"\n") {
				cancel()
				return
			}
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s:\n%s", line, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUnreachableBackendAtStartLoggedOnce: a Redis that does not answer
// at start is reported once, and hitboxd serves from the upstream.
func TestUnreachableBackendAtStartLoggedOnce(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	dead := strings.Replace(deadUpstream(t), "http://", "redis://", 1)
	p := startInProcess(t, testConfig(up.URL, redisBackends[0].section(dead), booksEndpoints))
	c := newClient(t)
	for range 3 {
		if a := send(t, c, "GET", p.proxy+"/books/1", "", nil); a.Code != http.StatusOK {
			t.Fatalf("with Redis down: %d %s", a.Code, a.Body)
		}
	}
	if n := strings.Count(p.logs.String(), "backend unreachable at start"); n != 1 {
		t.Errorf("%d lines for the unreachable backend, want 1:\n%s", n, p.logs)
	}
}
