package httpcache

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

func TestConcurrentColdKey(t *testing.T) {
	t.Parallel()
	const n = 1000
	e := newEnv(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	up := &upstream{}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		<-release
		up.ServeHTTP(w, r)
	})
	h := e.middleware(t, next, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = serve(t, h, http.MethodGet, "/hot", "") })
	}
	<-started
	close(release)
	wg.Wait()
	if got := up.calls.Load(); got != 1 {
		t.Fatalf("upstream called %d times for %d concurrent requests, want 1", got, n)
	}
	misses := 0
	for i, a := range answers {
		if a.body != "hello #1" {
			t.Errorf("answer %d: body %q, want hello #1", i, a.body)
		}
		switch a.xcache {
		case "MISS":
			misses++
		case "HIT":
			if a.cacheStatus != "hitbox; hit; collapsed" && a.cacheStatus != "hitbox; hit; ttl=60" {
				t.Errorf("answer %d: Cache-Status %q", i, a.cacheStatus)
			}
		default:
			t.Errorf("answer %d: X-Cache-Status %q", i, a.xcache)
		}
	}
	if misses != 1 {
		t.Errorf("%d MISS answers, want 1", misses)
	}
}

// pattern returns n bytes of a recognisable sequence.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26 + i/26%3)
	}
	return b
}

func TestLargeBodyStreamsUncached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := pattern(100 << 10)
	up := &upstream{}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.calls.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		for chunk := range slices.Chunk(body, 1000) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}, WithMaxBody(4096)))
	defer srv.Close()
	for i := range 2 {
		a := get(t, srv.Client(), http.MethodGet, srv.URL+"/big", "")
		check(t, "request "+itoa(int64(i)), a, miss("hitbox; fwd=miss; fwd-status=200", ""))
		if a.body != string(body) {
			t.Errorf("request %d: body of %d bytes differs from the %d sent", i, len(a.body), len(body))
		}
	}
	if got := up.calls.Load(); got != 2 {
		t.Errorf("upstream called %d times, want 2 (nothing stored)", got)
	}
}

// TestFlushingHandlerTeedAndStored: what a flushing handler writes reaches
// the client as it is written, and the whole response is stored.
func TestFlushingHandlerTeedAndStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	proceed := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		select {
		case <-proceed: // the client read "first;" before the rest exists
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second;")
		_ = http.NewResponseController(w).Flush()
		_, _ = io.WriteString(w, "third")
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get("X-Cache-Status"); got != "MISS" {
		t.Errorf("X-Cache-Status = %q, want MISS", got)
	}
	if got := res.Header.Get("Cache-Status"); got != csMissStored {
		t.Errorf("Cache-Status = %q, want %q", got, csMissStored)
	}
	br := bufio.NewReader(res.Body)
	first := make([]byte, len("first;"))
	if _, err := io.ReadFull(br, first); err != nil || string(first) != "first;" {
		t.Fatalf("first chunk = %q, %v", first, err)
	}
	close(proceed)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second;third" {
		t.Fatalf("rest = %q, %v; want second;third", rest, err)
	}
	check(t, "again", get(t, srv.Client(), http.MethodGet, srv.URL+"/events", ""), hit("hitbox; hit", "0", "first;second;third"))
}

func TestStreamClientGoesAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	done := make(chan error, 1)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := pattern(1024)
		for {
			if _, err := w.Write(chunk); err != nil {
				done <- err
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/forever", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 10<<10)); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	cancel()
	res.Body.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the handler's write did not fail")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler kept writing after the client went away")
	}
}

func TestStreamAbortedMidway(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{}}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/x", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil {
		t.Errorf("read %q without error: a cut response must not look complete", b)
	}
}

func TestRequestBodyReplayed(t *testing.T) {
	t.Parallel()
	isBook, err := predicate.JQ(`.kind == "book"`)
	if err != nil {
		t.Fatal(err)
	}
	byID, err := extract.Body(".id")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	var seen []string
	var mu sync.Mutex
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("handler reading body: %v", err)
		}
		mu.Lock()
		seen = append(seen, string(b))
		mu.Unlock()
		_, _ = w.Write(b)
	})
	srv := httptest.NewServer(e.middleware(t, next, []Endpoint{{
		Request:    predicate.Body(isBook, predicate.BodyOptions{}),
		Extractors: []extract.Extractor{extract.Method(), byID},
	}}))
	defer srv.Close()
	c := srv.Client()
	book1 := `{"kind":"book","id":1,"pad":"` + strings.Repeat("x", 5000) + `"}`
	book2 := `{"kind":"book","id":2}`
	author := `{"kind":"author","id":1}`
	check(t, "book 1", get(t, c, http.MethodPost, srv.URL+"/q", book1), miss(csMissStored, book1))
	check(t, "book 1 again", get(t, c, http.MethodPost, srv.URL+"/q", book1), hit("hitbox; hit", "0", book1))
	check(t, "book 2", get(t, c, http.MethodPost, srv.URL+"/q", book2), miss(csMissStored, book2))
	check(t, "author", get(t, c, http.MethodPost, srv.URL+"/q", author), miss(csBypass200, author))
	mu.Lock()
	defer mu.Unlock()
	want := []string{book1, book2, author}
	if len(seen) != len(want) {
		t.Fatalf("handler saw %d bodies, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("handler body %d = %.40q..., want %.40q...", i, seen[i], want[i])
		}
	}
}

func TestNotStoredWaitersAskThemselves(t *testing.T) {
	t.Parallel()
	const n = 20
	e := newEnv(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	up := &upstream{status: http.StatusNotFound}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		<-release
		up.ServeHTTP(w, r)
	})
	h := e.middleware(t, next, []Endpoint{{}})
	var wg sync.WaitGroup
	answers := make([]answer, n)
	for i := range n {
		wg.Go(func() { answers[i] = serve(t, h, http.MethodGet, "/down", "") })
	}
	<-started
	close(release)
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusNotFound || a.xcache != "MISS" || a.cacheStatus != "hitbox; fwd=miss; fwd-status=404" {
			t.Errorf("answer %d: %d %q %q", i, a.status, a.xcache, a.cacheStatus)
		}
	}
	if got := up.calls.Load(); got != n {
		t.Errorf("upstream called %d times, want %d (one per caller)", got, n)
	}
}

func TestCollapsedStatus(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		up := &upstream{}
		answers := askTogether(t, e, up, 10, "/hot")
		misses := 0
		for i, a := range answers {
			if a.xcache == "MISS" {
				misses++
				check(t, "leader", a, miss(csMissStored, "hello #1"))
				continue
			}
			check(t, "waiter "+itoa(int64(i)), a, hit("hitbox; hit; collapsed", "0", "hello #1"))
		}
		if misses != 1 || up.calls.Load() != 1 {
			t.Errorf("%d MISS answers and %d upstream calls, want 1 and 1", misses, up.calls.Load())
		}
	})
}

// askTogether sends n concurrent GETs of path through the middleware over
// e in front of up (one endpoint, TTL 1 minute), holding up until every
// caller waits (one in the handler, the others for its answer). It runs
// inside a synctest bubble.
func askTogether(t *testing.T, e *env, up http.Handler, n int, path string) []answer {
	t.Helper()
	release := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		up.ServeHTTP(w, r)
	})
	h := e.middleware(t, next, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = serve(t, h, http.MethodGet, path, "") })
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	return answers
}

func TestSharedPanicGivesWaiters502(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const n = 5
		e := newEnv(t)
		release := make(chan struct{})
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			panic("upstream bug")
		})
		h := e.middleware(t, next, []Endpoint{{}})
		answers := make([]answer, n)
		panics := make([]any, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				defer func() { panics[i] = recover() }()
				answers[i] = serve(t, h, http.MethodGet, "/bug", "")
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		leaders := 0
		for i := range n {
			if panics[i] != nil {
				leaders++
				continue
			}
			a := answers[i]
			if a.status != http.StatusBadGateway || a.xcache != "MISS" || a.cacheStatus != "hitbox; fwd=miss" {
				t.Errorf("waiter %d: %d %q %q, want 502 MISS", i, a.status, a.xcache, a.cacheStatus)
			}
		}
		if leaders != 1 {
			t.Errorf("%d callers panicked, want only the one whose call ran the handler", leaders)
		}
	})
}
