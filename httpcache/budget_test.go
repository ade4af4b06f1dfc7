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

// The budget tests: budgetCalls concurrent misses of bodies of
// 2*budgetHalf bytes under a budget of budgetBytes.
const (
	budgetCalls = 24
	budgetHalf  = 128 << 10
	budgetBytes = 1 << 20
)

// TestInflightBudgetBoundsRecording: many concurrent misses of distinct
// large bodies under a small budget never buffer more than the budget;
// every client gets its whole body; those refused stream uncached.
func TestInflightBudgetBoundsRecording(t *testing.T) {
	t.Parallel()
	const n, half, budget = budgetCalls, budgetHalf, budgetBytes
	e, stats, body := newEnv(t), new(Stats), pattern(2*half)
	next := together(t, n, body, half)
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}, WithMaxBody(4*half), WithInflightBudget(budget), WithStats(stats)))
	defer srv.Close()
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = get(t, srv.Client(), http.MethodGet, srv.URL+"/big/"+itoa(int64(i)), "") })
	}
	wg.Wait()
	checkBudget(t, answers, body, stats, budget)
}

// together answers body, holding every one of n calls after the first
// half bytes until all n hold theirs.
func together(t *testing.T, n int64, body []byte, half int) http.Handler {
	var arrived atomic.Int64
	all := make(chan struct{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body[:half])
		w.(http.Flusher).Flush()
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(30 * time.Second):
			t.Error("not every handler ran at once")
		}
		_, _ = w.Write(body[half:])
	})
}

// checkBudget checks that every answer is a whole 200 MISS and that the
// budget held and was spent.
func checkBudget(t *testing.T, answers []answer, body []byte, stats *Stats, budget int64) {
	t.Helper()
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

func TestTransportInflightBudget(t *testing.T) {
	t.Parallel()
	const n, half, budget = budgetCalls, budgetHalf, budgetBytes
	e, stats, body := newEnv(t), new(Stats), pattern(2*half)
	srv := httptest.NewServer(together(t, n, body, half))
	defer srv.Close()
	c := e.client(t, srv, []Endpoint{{}}, WithMaxBody(4*half), WithInflightBudget(budget), WithStats(stats))
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = get(t, c, http.MethodGet, srv.URL+"/big/"+itoa(int64(i)), "") })
	}
	wg.Wait()
	checkBudget(t, answers, body, stats, budget)
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
