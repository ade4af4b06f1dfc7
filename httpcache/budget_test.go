package httpcache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/predicate"
)

// TestInflightBudgetBoundsRecording: many concurrent misses of distinct
// large bodies under a small budget never buffer more than the budget;
// every client gets its whole body; those refused stream uncached.
func TestInflightBudgetBoundsRecording(t *testing.T) {
	t.Parallel()
	const (
		n      = 24
		half   = 128 << 10
		budget = 1 << 20
	)
	e := newEnv(t)
	stats := new(Stats)
	var arrived atomic.Int64
	all := make(chan struct{})
	body := pattern(2 * half)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body[:half])
		if arrived.Add(1) == n {
			close(all)
		}
		select { // every handler holds its first half at once
		case <-all:
		case <-time.After(30 * time.Second):
			t.Error("not every handler ran at once")
		}
		_, _ = w.Write(body[half:])
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}, WithMaxBody(4*half), WithInflightBudget(budget), WithStats(stats)))
	defer srv.Close()
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = get(t, srv.Client(), http.MethodGet, srv.URL+"/big/"+itoa(int64(i)), "") })
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusOK || a.body != string(body) || a.xcache != "MISS" {
			t.Errorf("answer %d: %d %s, %d bytes; want 200 MISS with the whole %d", i, a.status, a.xcache, len(a.body), len(body))
		}
	}
	if peak := stats.InflightPeak.Load(); peak > budget || peak == 0 {
		t.Errorf("in-flight peak %d bytes, want in (0, %d]", peak, budget)
	}
	if stats.OverBudget.Load() == 0 {
		t.Errorf("no response was refused the budget (peak %d)", stats.InflightPeak.Load())
	}
	waitFor(t, "every reservation to be released", func() bool { return stats.Inflight.Load() == 0 })
}

// TestInflightBudgetRequestBody: a request body the budget cannot hold
// bypasses the cache, counted, and still reaches the handler whole.
func TestInflightBudgetRequestBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stats := new(Stats)
	anyBody, err := predicate.Limit(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	h := e.middleware(t, next, []Endpoint{{Request: predicate.Body(anyBody, predicate.BodyOptions{})}}, WithInflightBudget(16<<10), WithStats(stats))
	big := strings.Repeat("x", 32<<10)
	check(t, "large body", serve(t, h, http.MethodPost, "/q", big), miss(csBypass200, big))
	if stats.OverBudget.Load() != 1 {
		t.Errorf("Stats.OverBudget = %d, want 1", stats.OverBudget.Load())
	}
	small := "small"
	check(t, "small body", serve(t, h, http.MethodPost, "/q", small), miss(csMissStored, small))
	if got := stats.Inflight.Load(); got != 0 {
		t.Errorf("Stats.Inflight = %d after the requests, want 0", got)
	}
}
