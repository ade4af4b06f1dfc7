package httpcache

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

// invalidate invalidates tags, then moves the clock on so that what is
// stored next is written after the invalidation.
func (e *env) invalidate(t *testing.T, tags ...string) {
	t.Helper()
	if err := e.cache.InvalidateTags(t.Context(), tags...); err != nil {
		t.Fatalf("InvalidateTags(%q): %v", tags, err)
	}
	e.clock.Advance(time.Second)
}

// entryTags returns the tags of every entry stored, by key.
func (e *env) entryTags(t *testing.T) map[string][]string {
	t.Helper()
	var keys []string
	if err := e.backend.List(t.Context(), "", func(ki backend.KeyInfo) bool {
		keys = append(keys, ki.Key)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]string, len(keys))
	for _, k := range keys {
		en, ok, err := e.backend.Get(t.Context(), k)
		if err != nil || !ok {
			t.Fatalf("Get(%q) = %v, %v", k, ok, err)
		}
		out[k] = en.Tags
	}
	return out
}

// hasEntryTagged reports whether an entry carries exactly want.
func (e *env) hasEntryTagged(t *testing.T, want []string) bool {
	t.Helper()
	for _, tags := range e.entryTags(t) {
		if slices.Equal(tags, want) {
			return true
		}
	}
	return false
}

// tagOrigin answers "v<call>" with Cache-Control cc (default max-age=600),
// Date, ETag etag (answering 304 to a request that has it) and, on the
// paths keys names, a Surrogate-Key.
type tagOrigin struct {
	clock interface{ Now() time.Time }
	mu    sync.Mutex
	keys  map[string]string
	cc    string
	etag  string
	calls int
	inm   []string // the If-None-Match of each call
}

func (o *tagOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.calls++
	n := o.calls
	o.inm = append(o.inm, r.Header.Get("If-None-Match"))
	keys, etag, cc := o.keys[r.URL.Path], o.etag, o.cc
	o.mu.Unlock()
	h := w.Header()
	h.Set("Date", o.clock.Now().UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", cmpOr(cc, "max-age=600"))
	if keys != "" {
		h.Set("Surrogate-Key", keys)
	}
	if etag != "" {
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	_, _ = w.Write([]byte("v" + itoa(int64(n))))
}

func (o *tagOrigin) set(fn func(o *tagOrigin)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(o)
}

func (o *tagOrigin) lastINM() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inm[len(o.inm)-1]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	anyRequest  = predicate.And[*http.Request]()
	anyResponse = predicate.And[*http.Response]()
)

// bookEndpoints are an untagged endpoint for /plain, and one for the rest
// tagged tier=premium, id=<the book> and q=<the query's q>.
func bookEndpoints(t *testing.T, sem Semantics) []Endpoint {
	t.Helper()
	plain, err := predicate.Path("/plain")
	if err != nil {
		t.Fatal(err)
	}
	book, err := extract.Path("/books/{id}")
	if err != nil {
		t.Fatal(err)
	}
	p := hitbox.Policy{TTL: year}
	return []Endpoint{
		{Name: "plain", Request: plain, Response: anyResponse, Policy: p, Semantics: sem},
		{Name: "books", Request: anyRequest, Response: anyResponse, Policy: p, Semantics: sem,
			Tags: []extract.Extractor{extract.Static(hitbox.Part("tier", "premium")), book, extract.Query("q")}},
	}
}

// askFn asks a face for a GET of target and checks that no tag header
// reached the client.
func askFn(t *testing.T, do func(*http.Request) *http.Response) func(target string) answer {
	return func(target string) answer {
		t.Helper()
		res := do(httptest.NewRequest(http.MethodGet, "http://example.com"+target, nil))
		defer res.Body.Close()
		a := toAnswer(t, res)
		if v, ok := a.header["Surrogate-Key"]; ok {
			t.Errorf("GET %s: the client got Surrogate-Key %q", target, v)
		}
		return a
	}
}

// TestTags: an answer's tags come from the endpoint's Static, Path and
// Query extractors and the response's Surrogate-Key; invalidating one of
// them makes the next request a MISS (stored again, then a HIT), leaving
// entries without it, and untagged ones, alone. Both faces, both modes.
func TestTags(t *testing.T) {
	t.Parallel()
	eachFaceAndMode(t, func(t *testing.T, build face, sem Semantics) {
		e := newEnv(t)
		o := &tagOrigin{clock: e.clock, keys: map[string]string{"/books/7": "shelf-1 shelf-2  shelf-1", "/books/8": "shelf-3"}}
		ask := askFn(t, build(t, e, o, bookEndpoints(t, sem), nil))
		want := func(what string, a answer, xcs, body string) {
			t.Helper()
			if a.xcache != xcs || a.body != body {
				t.Errorf("%s: %s %q (%s), want %s %q", what, a.xcache, a.body, a.cacheStatus, xcs, body)
			}
		}
		want("first", ask("/books/7?q=x"), "MISS", "v1")
		want("again", ask("/books/7?q=x"), "HIT", "v1")
		want("other book", ask("/books/8"), "MISS", "v2")
		want("plain", ask("/plain"), "MISS", "v3")
		for _, tags := range [][]string{
			{"tier=premium", "id=7", "q=x", "shelf-1", "shelf-2"},
			{"tier=premium", "id=8", "shelf-3"},
		} {
			if !e.hasEntryTagged(t, tags) {
				t.Errorf("no entry tagged %q: %q", tags, e.entryTags(t))
			}
		}

		e.invalidate(t, "shelf-2")
		want("purged", ask("/books/7?q=x"), "MISS", "v4")
		want("stored again", ask("/books/7?q=x"), "HIT", "v4")
		want("other tags", ask("/books/8"), "HIT", "v2")
		want("untagged", ask("/plain"), "HIT", "v3")

		e.invalidate(t, "id=8")
		want("by path part", ask("/books/8"), "MISS", "v5")
		want("id=7 kept", ask("/books/7?q=x"), "HIT", "v4")

		e.invalidate(t, "tier=premium", "nothing-has-it")
		want("static 7", ask("/books/7?q=x"), "MISS", "v6")
		want("static 8", ask("/books/8"), "MISS", "v7")
		want("untagged after all", ask("/plain"), "HIT", "v3")

		e.invalidate(t, "q=x")
		want("by query part", ask("/books/7?q=x"), "MISS", "v8")
		want("no q", ask("/books/8"), "HIT", "v7")
	})
}

// eachFaceAndMode runs fn in parallel subtests for the Middleware and the
// Transport in either semantics.
func eachFaceAndMode(t *testing.T, fn func(t *testing.T, build face, sem Semantics)) {
	for name, build := range map[string]face{"middleware": middlewareFace, "transport": transportFace} {
		for _, sem := range []Semantics{SemanticsHitbox, SemanticsRfc9111} {
			t.Run(name+"/"+sem.String(), func(t *testing.T) {
				t.Parallel()
				fn(t, build, sem)
			})
		}
	}
}

// TestTagHeadersNeverSent: the tag header reaches no client, whatever
// the kind of answer (miss, hit, stale, teed, streamed, bypass, failure),
// and is not stored in the entry's header set.
func TestTagHeadersNeverSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Surrogate-Key", "k1 k2")
		w.Header().Add("surrogate-key", "k3")
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("b", 4096)))
		case "/flush":
			_, _ = w.Write([]byte("part1 "))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("part2"))
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	})
	eps := []Endpoint{{Name: "all", Policy: hitbox.Policy{TTL: 2 * time.Minute, Stale: time.Minute}}}
	h := e.middleware(t, next, eps, WithMaxBody(1024))
	srv := httptest.NewServer(next)
	defer srv.Close()
	tr, err := NewTransport(e.cache, srv.Client().Transport, []Endpoint{{Name: "client", Policy: hitbox.Policy{TTL: time.Minute}}}, WithMaxBody(1024))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	noKey := func(what string, a answer, xcs string) {
		t.Helper()
		if v, ok := a.header["Surrogate-Key"]; ok {
			t.Errorf("%s: the client got Surrogate-Key %q", what, v)
		}
		if a.xcache != xcs {
			t.Errorf("%s: X-Cache-Status %q (%s), want %s", what, a.xcache, a.cacheStatus, xcs)
		}
	}
	noKey("miss", serve(t, h, http.MethodGet, "/a", ""), "MISS")
	noKey("hit", serve(t, h, http.MethodGet, "/a", ""), "HIT")
	noKey("teed", serve(t, h, http.MethodGet, "/flush", ""), "MISS")
	noKey("teed, then a hit", serve(t, h, http.MethodGet, "/flush", ""), "HIT")
	noKey("streamed", serve(t, h, http.MethodGet, "/big", ""), "MISS")
	noKey("bypass", serve(t, h, http.MethodPost, "/a", "x"), "MISS")
	noKey("failure", serve(t, h, http.MethodGet, "/fail", ""), "MISS")
	e.clock.Advance(90 * time.Second)
	noKey("stale", serve(t, h, http.MethodGet, "/a", ""), "STALE")

	noKey("transport miss", get(t, client, http.MethodGet, srv.URL+"/a", ""), "MISS")
	noKey("transport hit", get(t, client, http.MethodGet, srv.URL+"/a", ""), "HIT")
	noKey("transport streamed", get(t, client, http.MethodGet, srv.URL+"/big", ""), "MISS")
	noKey("transport bypass", get(t, client, http.MethodPost, srv.URL+"/a", "x"), "MISS")

	n := 0
	for k, tags := range e.entryTags(t) {
		en, _, _ := e.backend.Get(t.Context(), k)
		r, err := decode(en.Value)
		if err != nil {
			continue // a Vary marker, say
		}
		n++
		if _, ok := r.header["Surrogate-Key"]; ok {
			t.Errorf("entry %q stores Surrogate-Key", k)
		}
		if !slices.Equal(tags, []string{"k1", "k2", "k3"}) {
			t.Errorf("entry %q has tags %q, want k1 k2 k3", k, tags)
		}
	}
	if n != 3 {
		t.Errorf("%d entries, want 3 (/a and /flush, /a of the transport)", n)
	}
}

// TestTagsExtractorError: when a Tags extractor fails, the answer is
// served but not stored (an entry missing a tag could not be invalidated
// by it), and counted.
func TestTagsExtractorError(t *testing.T) {
	t.Parallel()
	eachFaceAndMode(t, func(t *testing.T, build face, sem Semantics) {
		e := newEnv(t)
		o := &tagOrigin{clock: e.clock}
		var st Stats
		ask := askFn(t, build(t, e, o, bookEndpoints(t, sem), []Option{WithStats(&st)}))
		for i := range 2 {
			a := ask("/shelves/1")
			if a.xcache != "MISS" || strings.Contains(a.cacheStatus, "stored") || a.body != "v"+itoa(int64(i+1)) {
				t.Errorf("call %d: %s %q %q, want an unstored MISS", i+1, a.xcache, a.cacheStatus, a.body)
			}
		}
		if sem == SemanticsRfc9111 {
			if a := ask("/shelves/1"); !strings.Contains(a.cacheStatus, "detail=tags") {
				t.Errorf("Cache-Status %q, want detail=tags", a.cacheStatus)
			}
		}
		if got := st.TagErrors.Load(); got < 2 {
			t.Errorf("TagErrors = %d, want at least 2", got)
		}
		if got := e.entryTags(t); len(got) != 0 {
			t.Errorf("entries stored: %q", got)
		}
		if a := ask("/books/1"); a.xcache != "MISS" || !strings.Contains(a.cacheStatus, "stored") {
			t.Errorf("a request the extractors fit: %s %q, want a stored MISS", a.xcache, a.cacheStatus)
		}
	})
}

// TestTagsBounds: at most MaxTags tags, none longer than MaxTagLen; the
// rest are dropped and counted.
func TestTagsBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var toks []string
	for i := range MaxTags + 6 {
		toks = append(toks, "t"+itoa(int64(i)))
	}
	long := strings.Repeat("x", MaxTagLen+1)
	keys := long + " " + strings.Join(toks, " ")
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Surrogate-Key", keys)
		_, _ = w.Write([]byte("ok"))
	})
	var st Stats
	h := e.middleware(t, next, []Endpoint{{Name: "all"}}, WithStats(&st))
	if a := serve(t, h, http.MethodGet, "/a", ""); a.xcache != "MISS" {
		t.Fatalf("X-Cache-Status %q", a.xcache)
	}
	if !e.hasEntryTagged(t, toks[:MaxTags]) {
		t.Errorf("tags stored: %q, want the first %d tokens", e.entryTags(t), MaxTags)
	}
	if got := st.TagsDropped.Load(); got != 7 {
		t.Errorf("TagsDropped = %d, want 7", got)
	}
}

// TestTagsAttacker: a client cannot tag an answer with request headers
// (unless an extractor names one: then the tag is the client's), cannot
// read the tag header, and tags never reach the key.
func TestTagsAttacker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/odd" {
			w.Header().Set("Surrogate-Key", "v0:path=/a&x %2F :: =")
		}
		_, _ = w.Write([]byte("ok"))
	})
	eps := []Endpoint{
		{Name: "team", Request: mustPath(t, "/team"), Tags: []extract.Extractor{extract.Header("X-Team")}},
		{Name: "all"},
	}
	h := e.middleware(t, next, eps)
	ask := func(target string, hdr map[string]string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Header().Get("X-Cache-Status") != "MISS" {
			t.Fatalf("%s: %q", target, w.Header().Get("X-Cache-Status"))
		}
	}
	ask("/a", map[string]string{"Surrogate-Key": "evil", "X-Team": "evil"})
	ask("/team", map[string]string{"X-Team": "blue"})
	ask("/odd", nil)
	got := e.entryTags(t)
	want := map[string][]string{
		testKey("all", hitbox.Part("method", "GET"), hitbox.Part("path", "/a")):     nil,
		testKey("team", hitbox.Part("method", "GET"), hitbox.Part("path", "/team")): {"X-Team=blue"},
		testKey("all", hitbox.Part("method", "GET"), hitbox.Part("path", "/odd")):   {"v0:path=/a&x", "%2F", "::", "="},
	}
	if len(got) != len(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for k, tags := range want {
		if g, ok := got[k]; !ok || !slices.Equal(g, tags) {
			t.Errorf("entry %q: tags %q (found %v), want %q", k, g, ok, tags)
		}
	}
}

func mustPath(t *testing.T, pattern string) predicate.Request {
	t.Helper()
	p, err := predicate.Path(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWithTagHeaders: other tag headers, none, and invalid names.
func TestWithTagHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Tags", "a b")
		w.Header().Set("Surrogate-Key", "s")
		_, _ = w.Write([]byte("ok"))
	})
	custom := e.middleware(t, next, []Endpoint{{Name: "custom"}}, WithTagHeaders("x-tags"))
	a := serve(t, custom, http.MethodGet, "/a", "")
	if _, ok := a.header["X-Tags"]; ok || a.header.Get("Surrogate-Key") != "s" {
		t.Errorf("WithTagHeaders(x-tags): header %v, want X-Tags gone and Surrogate-Key passed on", a.header)
	}
	if !e.hasEntryTagged(t, []string{"a", "b"}) {
		t.Errorf("entries %q, want one tagged a b", e.entryTags(t))
	}
	none := e.middleware(t, next, []Endpoint{{Name: "none"}}, WithTagHeaders())
	a = serve(t, none, http.MethodGet, "/a", "")
	if a.header.Get("X-Tags") != "a b" || a.header.Get("Surrogate-Key") != "s" {
		t.Errorf("WithTagHeaders(): header %v, want both passed on", a.header)
	}
	if got := e.entryTags(t)[testKey("none", hitbox.Part("method", "GET"), hitbox.Part("path", "/a"))]; got != nil {
		t.Errorf("WithTagHeaders(): tags %q, want none", got)
	}
	for _, bad := range []string{"", "Bad Name", "x:y"} {
		if _, err := Middleware(e.cache, nil, WithTagHeaders(bad)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("WithTagHeaders(%q): Middleware error %v, want ErrInvalidOption", bad, err)
		}
		if _, err := NewTransport(e.cache, nil, nil, WithTagHeaders(bad)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("WithTagHeaders(%q): NewTransport error %v, want ErrInvalidOption", bad, err)
		}
	}
	if _, err := Middleware(e.cache, []Endpoint{{Tags: []extract.Extractor{nil}}}); !errors.Is(err, ErrInvalidEndpoint) {
		t.Errorf("a nil tag extractor: %v, want ErrInvalidEndpoint", err)
	}
}

// TestTagsRfc9111Revalidation: a 304 that refreshes an entry keeps the
// tags it was stored with (the 304 has no Surrogate-Key); once one of
// them is invalidated, the entry is neither served nor revalidated (its
// validators are not sent, so a 304 cannot bring it back).
func TestTagsRfc9111Revalidation(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]face{"middleware": middlewareFace, "transport": transportFace} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			o := &tagOrigin{clock: e.clock, keys: map[string]string{"/r": "a"}, cc: "max-age=10", etag: `"e1"`}
			ask := askFn(t, build(t, e, o, everything(hitbox.Policy{TTL: year}), nil))
			if a := ask("/r"); a.cacheStatus != rfcMissStored || a.body != "v1" {
				t.Fatalf("first: %q %q", a.cacheStatus, a.body)
			}
			e.clock.Advance(20 * time.Second)
			o.set(func(o *tagOrigin) { o.keys = nil })
			if a := ask("/r"); a.cacheStatus != rfcStale304 || a.body != "v1" {
				t.Errorf("revalidated: %q %q, want %q v1", a.cacheStatus, a.body, rfcStale304)
			}
			if !e.hasEntryTagged(t, []string{"a"}) {
				t.Errorf("after the 304: tags %q, want a kept", e.entryTags(t))
			}
			e.invalidate(t, "a")
			if a := ask("/r"); a.xcache != "MISS" || a.body != "v3" {
				t.Errorf("purged: %s %q %q, want a MISS with the origin's 200", a.xcache, a.cacheStatus, a.body)
			}
			if inm := o.lastINM(); inm != "" {
				t.Errorf("the purged entry was revalidated (If-None-Match %q)", inm)
			}
			if a := ask("/r"); a.xcache != "HIT" || a.body != "v3" {
				t.Errorf("then: %s %q, want a HIT", a.xcache, a.body)
			}
		})
	}
}

// BenchmarkMiddlewareHitTagged is BenchmarkMiddlewareHit's 1 KiB hit of an
// entry with tags (a Static one and three Surrogate-Key tokens, one of
// them invalidated before it was stored): the flow's tag check and the
// tag header's removal on the way out.
func BenchmarkMiddlewareHitTagged(b *testing.B) {
	e := newEnv(b)
	body := pattern(1 << 10)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Surrogate-Key", "book-1 shelf-2 author-3")
		_, _ = w.Write(body)
	})
	h := e.middleware(b, next, []Endpoint{{Policy: hitbox.Enabled(time.Hour, 0), Tags: []extract.Extractor{extract.Static(hitbox.Part("tier", "premium"))}}})
	if err := e.cache.InvalidateTags(b.Context(), "shelf-2"); err != nil {
		b.Fatal(err)
	}
	e.clock.Advance(time.Second)
	r := httptest.NewRequest(http.MethodGet, "/books/1?page=2", nil)
	w := &discardWriter{h: make(http.Header)}
	h.ServeHTTP(w, r) // the miss that stores it
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, r)
	}
	b.StopTimer()
	if w.status != http.StatusOK || w.n != 1<<10 || w.h.Get("X-Cache-Status") != "HIT" || w.h.Get("Surrogate-Key") != "" {
		b.Fatalf("last answer: %d, %d bytes, %q, Surrogate-Key %q", w.status, w.n, w.h.Get("X-Cache-Status"), w.h.Get("Surrogate-Key"))
	}
}
