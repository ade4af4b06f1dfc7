package main

// End-to-end tests of hitboxd over a real Redis: a fleet of processes
// sharing one Redis, Redis dying under load, and foreign bytes in Redis.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/redistest"
)

// countingUpstream answers every request with "PATH call=N" (N counts
// the calls it had), after a pause that widens race windows.
type countingUpstream struct {
	*httptest.Server
	calls atomic.Int64
}

func newCountingUpstream(t *testing.T, pause time.Duration) *countingUpstream {
	t.Helper()
	u := &countingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := u.calls.Add(1)
		if pause > 0 {
			select {
			case <-time.After(pause):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s call=%d\n", r.URL.Path, n)
	}))
	t.Cleanup(u.Close)
	return u
}

// redisBackends are the backend sections the fleet tests run with: Redis
// alone, and a memory L1 over it kept coherent by invalidation. section
// gives the Redis a quick breaker (outage tests); patient gives it no
// breaker and long operation timeouts (tests of the lock: a call timing
// out on a loaded machine would let an instance call the upstream
// unguarded, as it should in production).
var redisBackends = []struct {
	name             string
	section, patient func(url string) string
}{
	{"Redis", redisAlone(quickBreaker), redisAlone(patientCalls)},
	{"Memory over Redis", memoryOverRedis(quickBreaker), memoryOverRedis(patientCalls)},
}

const (
	quickBreaker = "breaker: {failures: 3, open: 100ms, probes: 1}"
	patientCalls = "breaker: Disabled, timeouts: {operation: 30s}"
)

func redisAlone(opts string) func(string) string {
	return func(url string) string { return fmt.Sprintf("backend: {type: Redis, url: %q, %s}\n", url, opts) }
}

func memoryOverRedis(opts string) func(string) string {
	return func(url string) string {
		return fmt.Sprintf("backend:\n  type: Composition\n  l1: {type: Memory, max_bytes: 16MiB}\n"+
			"  l2: {type: Redis, url: %q, %s}\n  invalidation: {}\n", url, opts)
	}
}

// fleetClient returns a client that may hold n connections at once.
func fleetClient(t *testing.T, n int) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

// TestE2EFleetOneUpstreamCall: two hitboxd processes sharing one Redis,
// 500 concurrent requests for one cold key spread over both (with the same
// Host, as behind one load balancer), make exactly one upstream call: one
// MISS, 499 HITs, one body.
func TestE2EFleetOneUpstreamCall(t *testing.T) {
	t.Parallel()
	const n = 500
	host := map[string]string{"Host": "books.example"}
	for _, bk := range redisBackends {
		t.Run(bk.name, func(t *testing.T) {
			srv := redistest.Start(t)
			up := newCountingUpstream(t, 100*time.Millisecond)
			file := testConfig(up.URL, bk.patient(srv.URL()), booksEndpoints)
			procs := []*process{startProcess(t, file), startProcess(t, file)}
			c := fleetClient(t, n)

			answers, errs := make([]answer, n), make([]error, n)
			var wg sync.WaitGroup
			fire := make(chan struct{})
			for i := range n {
				target := procs[i%len(procs)].proxy + "/books/1"
				wg.Go(func() {
					<-fire
					answers[i], errs[i] = trySend(c, http.MethodGet, target, "", host)
				})
			}
			close(fire)
			wg.Wait()

			if got := up.calls.Load(); got != 1 {
				t.Errorf("%d upstream calls for %d requests over %d instances, want 1", got, n, len(procs))
			}
			var miss, hit, bad int
			for i, a := range answers {
				var problem string
				switch {
				case errs[i] != nil:
					problem = errs[i].Error()
				case a.Code != http.StatusOK:
					problem = fmt.Sprintf("status %d", a.Code)
				case string(a.Body) != string(answers[0].Body):
					problem = fmt.Sprintf("body %q, request 0 got %q", a.Body, answers[0].Body)
				}
				switch a.XCache {
				case "MISS":
					miss++
				case "HIT":
					hit++
				default:
					problem += fmt.Sprintf(" X-Cache-Status %q", a.XCache)
				}
				if problem != "" {
					if bad++; bad <= 5 { // the first few say enough
						t.Errorf("request %d: %s", i, problem)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d answers were errors or differed", bad, n)
			}
			if miss != 1 || hit != n-1 {
				t.Errorf("%d MISS and %d HIT, want 1 and %d", miss, hit, n-1)
			}
			if want := "/books/1 call=1\n"; string(answers[0].Body) != want {
				t.Errorf("body %q, want %q", answers[0].Body, want)
			}
		})
	}
}

// TestE2ERedisKilledUnderLoad: Redis killed in the middle of a load run
// through hitboxd: every request still gets its 200 and the right body,
// and once Redis is back the cache stores and serves again.
func TestE2ERedisKilledUnderLoad(t *testing.T) {
	t.Parallel()
	for _, bk := range redisBackends {
		t.Run(bk.name, func(t *testing.T) {
			srv := redistest.Start(t)
			up := newCountingUpstream(t, 0)
			p := startProcess(t, testConfig(up.URL, bk.section(srv.URL()), booksEndpoints))
			c := fleetClient(t, killWorkers)
			killUnderLoad(t, c, p.proxy, srv.Kill, nil)
			t.Logf("%d upstream calls", up.calls.Load())
			srv.Restart()
			awaitCaching(t, c, p.proxy, srv)
		})
	}
}

// killWorkers is the number of workers of killUnderLoad.
const killWorkers = 8

// killUnderLoad runs a load through the proxy at base (even workers ask
// for a few hot keys over and over, odd ones go through many keys, most
// of which miss), calls kill after killAt answers and, once killAt more
// came, down (when not nil) before the load stops. It fails the test on
// any answer that is not a 200 with the upstream's body, and when no HIT
// came before the kill. Conditions, not time windows: the load runs as
// long as a slow machine needs.
func killUnderLoad(t *testing.T, c *http.Client, base string, kill, down func()) {
	t.Helper()
	const (
		hot    = 4
		keys   = 512
		killAt = 200
	)
	var (
		hitsBefore, after atomic.Int64 // hits before the kill, answers after it
		killed            = make(chan struct{})
	)
	load := startBookLoad(t, c, base, killWorkers, func(w, i int) int {
		if w%2 == 0 {
			return w / 2 % hot
		}
		return i % keys
	}, func(a answer) {
		select {
		case <-killed:
			after.Add(1)
		default:
			if a.XCache == "HIT" {
				hitsBefore.Add(1)
			}
		}
	})
	func() {
		defer load.halt()
		awaitCount(t, &load.answered, killAt)
		kill()
		close(killed)
		awaitCount(t, &after, killAt)
		if down != nil {
			down()
		}
	}()
	t.Logf("%d answers (%d after the kill)", load.answered.Load(), after.Load())
	if n := load.bad.Load(); n > 0 {
		t.Errorf("%d of %d answers were errors or wrong", n, load.answered.Load())
	}
	if hitsBefore.Load() == 0 {
		t.Errorf("no HIT before the kill: the cache was not working")
	}
}

// bookLoad is GETs of /books/<key> sent by workers until halt, each
// answer checked (a 200 with the upstream's body for the path).
type bookLoad struct {
	answered, bad atomic.Int64
	stop          chan struct{}
	wg            sync.WaitGroup
}

// startBookLoad starts workers asking base for /books/<key(w, i)> (worker
// w's i-th request); seen, when not nil, sees each answer.
func startBookLoad(t *testing.T, c *http.Client, base string, workers int, key func(w, i int) int, seen func(answer)) *bookLoad {
	t.Helper()
	l := &bookLoad{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			for i := w; ; i += workers {
				select {
				case <-l.stop:
					return
				default:
				}
				path := fmt.Sprintf("/books/%d", key(w, i))
				a, err := trySend(c, http.MethodGet, base+path, "", nil)
				if err != nil || a.Code != http.StatusOK || !bodyFor(a.Body, path) {
					if l.bad.Add(1) <= 5 { // the first few say enough
						t.Errorf("GET %s: %v %d %q", path, err, a.Code, a.Body)
					}
				}
				if seen != nil {
					seen(a)
				}
				l.answered.Add(1)
			}
		})
	}
	return l
}

// halt stops the workers and waits for them.
func (l *bookLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// bodyFor reports whether body is the counting upstream's answer to path.
func bodyFor(body []byte, path string) bool {
	var got string
	var n int
	_, err := fmt.Sscanf(string(body), "%s call=%d\n", &got, &n)
	return err == nil && got == path && n > 0
}

// awaitCaching waits (within e2eTimeout) until a fresh key goes MISS then
// HIT through the proxy at base and is found in Redis: the backend is back
// after an outage.
func awaitCaching(t *testing.T, c *http.Client, base string, srv *redistest.Server) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for i := 0; ; i++ {
		id := fmt.Sprintf("after-%d", i)
		target := base + "/books/" + id
		first := send(t, c, http.MethodGet, target, "", nil)
		second := send(t, c, http.MethodGet, target, "", nil)
		if first.Code != http.StatusOK || second.Code != http.StatusOK {
			t.Fatalf("after the restart: %d, %d", first.Code, second.Code)
		}
		inRedis, err := srv.Do("EXISTS", "hitbox:"+entryKey("books", base, "method=GET&id="+id))
		if first.XCache == "MISS" && second.XCache == "HIT" && string(second.Body) == string(first.Body) &&
			err == nil && inRedis == int64(1) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache did not work again within %v of the restart: %s %q then %s %q, in Redis: %v %v",
				e2eTimeout, first.XCache, first.Cache, second.XCache, second.Cache, inRedis, err)
		}
		time.Sleep(20 * time.Millisecond) // the breaker probes after its open time
	}
}

// TestE2EForeignBytesInRedis: bytes another program wrote under a key are
// a miss (counted as a decode error), not an error, and the upstream's
// answer replaces them.
func TestE2EForeignBytesInRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	up := newCountingUpstream(t, 0)
	p := startProcess(t, testConfig(up.URL, redisBackends[0].section(srv.URL()), booksEndpoints))
	c := newClient(t)

	redisKey := "hitbox:" + entryKey("books", p.proxy, "method=GET&id=1") // the prefix and the key of GET /books/1
	const foreign = "\x00not hitbox's\xff"
	if _, err := srv.Do("SET", redisKey, foreign, "EX", "60"); err != nil {
		t.Fatal(err)
	}
	first := send(t, c, http.MethodGet, p.proxy+"/books/1", "", nil)
	if first.Code != http.StatusOK || first.XCache != "MISS" || first.Cache != "hitbox; fwd=miss; fwd-status=200; stored" ||
		string(first.Body) != "/books/1 call=1\n" {
		t.Fatalf("over foreign bytes: %d %s %q %q, want a stored MISS", first.Code, first.XCache, first.Cache, first.Body)
	}
	second := send(t, c, http.MethodGet, p.proxy+"/books/1", "", nil)
	if second.Code != http.StatusOK || second.XCache != "HIT" || string(second.Body) != string(first.Body) {
		t.Errorf("next request: %d %s %q, want a HIT of %q", second.Code, second.XCache, second.Body, first.Body)
	}
	if got, err := srv.Do("GET", redisKey); err != nil || got == foreign {
		t.Errorf("Redis still holds the foreign bytes (%v)", err)
	}
	if n := up.calls.Load(); n != 1 {
		t.Errorf("%d upstream calls, want 1", n)
	}

	var stats struct {
		Hits, Misses   int
		UpstreamErrors int `json:"upstream_errors"`
		Backends       map[string]struct {
			Store struct {
				Errors       int
				DecodeErrors int `json:"decode_errors"`
			}
		}
	}
	getJSON(t, c, p.admin+"/stats", nil, &stats)
	// Every read of the foreign bytes counts: the lookup, and the flow's
	// re-checks before and under the lock.
	if stats.Hits != 1 || stats.Misses != 1 || stats.UpstreamErrors != 0 ||
		stats.Backends["redis"].Store.Errors != 0 || stats.Backends["redis"].Store.DecodeErrors < 1 {
		t.Errorf("GET /stats: %+v, want 1 hit, 1 miss, no error and a decode error", stats)
	}
}
