package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// TestAdminPurgeTags: POST /purge {"tags": [...]} invalidates the tags
// through the cache and deletes the entries listed with one of them;
// /keys shows an entry's tags; bad bodies are 400s.
func TestAdminPurgeTags(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	cache, err := hitbox.New(f.mem, hitbox.WithClock(fixedClock(adminT0)))
	if err != nil {
		t.Fatal(err)
	}
	var invalidated [][]string
	f.api.invalidateTags = func(ctx context.Context, tags []string) error {
		invalidated = append(invalidated, tags)
		return cache.InvalidateTags(ctx, tags...)
	}
	put := func(key string, tags ...string) {
		t.Helper()
		e := backend.Entry{Value: []byte("v"), Written: adminT0.Add(-time.Second), Expire: adminT0.Add(time.Hour), Tags: tags}
		if err := f.mem.Set(t.Context(), key, e); err != nil {
			t.Fatal(err)
		}
	}
	put("t1", "user=42", "a")
	put("t2", "b")
	put("t3", "user=42")

	w := f.call(t, "GET", "/keys?prefix=t", "", nil)
	want := `{"count": 3, "truncated": false, "keys": [
		{"key": "t1", "parts": null, "stale": null, "expire": "2030-01-02T04:04:05.000Z", "written": "2030-01-02T03:04:04.000Z", "state": "fresh", "size": 1, "tags": ["user=42", "a"]},
		{"key": "t2", "parts": null, "stale": null, "expire": "2030-01-02T04:04:05.000Z", "written": "2030-01-02T03:04:04.000Z", "state": "fresh", "size": 1, "tags": ["b"]},
		{"key": "t3", "parts": null, "stale": null, "expire": "2030-01-02T04:04:05.000Z", "written": "2030-01-02T03:04:04.000Z", "state": "fresh", "size": 1, "tags": ["user=42"]}]}`
	if diff := cmp.Diff(mustJSON(t, want), decodeJSON(t, w)); w.Code != 200 || diff != "" {
		t.Errorf("GET /keys: status %d (-want +got):\n%s", w.Code, diff)
	}
	if w := f.call(t, "GET", "/keys?prefix=v0:", "", nil); strings.Contains(w.Body.String(), `"tags"`) {
		t.Errorf("untagged entries list tags: %s", w.Body)
	}

	w = f.call(t, "POST", "/purge", `{"tags": ["user=42", "nobody", "user=42"]}`, nil)
	if diff := cmp.Diff(mustJSON(t, `{"deleted": 2}`), decodeJSON(t, w)); w.Code != 200 || diff != "" {
		t.Errorf("POST /purge tags: status %d (-want +got):\n%s", w.Code, diff)
	}
	if !slices.EqualFunc(invalidated, [][]string{{"user=42", "nobody"}}, slices.Equal) {
		t.Errorf("invalidated %q, want user=42 and nobody once", invalidated)
	}
	for key, want := range map[string]bool{"t1": false, "t2": true, "t3": false, "foreign-key": true} {
		if _, ok, _ := f.mem.Get(t.Context(), key); ok != want {
			t.Errorf("%s present %v after the purge, want %v", key, ok, want)
		}
	}
	// The mark holds for an entry the purge did not find (another
	// instance's, say): the flow does not serve it.
	put("t4", "user=42")
	up := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("new"), Store: true}, nil
	}
	if res, err := cache.Do(t.Context(), hitbox.Request{Key: "t4", Policy: hitbox.Enabled(time.Hour, 0)}, up); err != nil || res.Status != hitbox.Miss {
		t.Errorf("an entry written before the purge: %v, %v; want a miss", res.Status, err)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"prefix": "t", "tags": ["a"]}`, `body: give "prefix" or "tags", not both`},
		{`{"tags": []}`, `tags: the list is empty: name at least one tag`},
		{`{"tags": null}`, `tags: want a list of tags, like {"tags": ["user=42"]}`},
		{`{"tags": "a"}`, `tags: want a list of tags, like {"tags": ["user=42"]}`},
		{`{"tags": {"a": 1}}`, `tags: want a list of tags, like {"tags": ["user=42"]}`},
		{`{"tags": ["a", ""]}`, `tags[1]: empty tag`},
		{`{"tags": [1]}`, `tags[0]: want a string, got 1`},
		{`{"tags": [null]}`, `tags[0]: want a string, got null`},
		{`{"tags": [["a"]]}`, `tags[0]: want a string, got ["a"]`},
	} {
		w := f.call(t, "POST", "/purge", tc.body, nil)
		if got := decodeJSON(t, w); w.Code != 400 || !cmp.Equal(got, map[string]any{"error": tc.want}) {
			t.Errorf("POST /purge %s: %d %v, want 400 %q", tc.body, w.Code, got, tc.want)
		}
	}
	if len(invalidated) != 1 {
		t.Errorf("a refused body invalidated tags: %q", invalidated)
	}
	if _, ok, _ := f.mem.Get(t.Context(), "t2"); !ok {
		t.Error("a refused body purged entries")
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestAdminPurgeTagsUnsupported: a store that cannot invalidate by tag
// answers 501, through the cache or without it.
func TestAdminPurgeTagsUnsupported(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, hitbox.KeyURLEncoded)
	inner := f.api.store
	var plain backend.Backend
	f.api.store = func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
		b, kf, release, ok := inner()
		plain = struct {
			backend.Backend
			backend.Lister
		}{b, b.(backend.Lister)}
		return plain, kf, release, ok
	}
	check := func(what string) {
		t.Helper()
		w := f.call(t, "POST", "/purge", `{"tags": ["a"]}`, nil)
		if diff := cmp.Diff(mustJSON(t, `{"error": "the backend cannot invalidate by tag"}`), decodeJSON(t, w)); w.Code != 501 || diff != "" {
			t.Errorf("%s: status %d (-want +got):\n%s", what, w.Code, diff)
		}
	}
	check("without a cache")
	f.api.invalidateTags = func(ctx context.Context, tags []string) error {
		c, err := hitbox.New(plain)
		if err != nil {
			return err
		}
		return c.InvalidateTags(ctx, tags...)
	}
	check("through a cache")
}

// TestE2EPurgeTags: hitboxd over the memory backend: the upstream's
// Surrogate-Key tags an answer and never reaches the client, /keys shows
// the tags, and POST /purge {"tags": [...]} makes the next request of
// every entry carrying one a MISS, leaving the others alone.
func TestE2EPurgeTags(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	p := startInProcess(t, testConfig(up.URL, "", booksEndpoints))
	c := newClient(t)
	get := func(target string) answer {
		t.Helper()
		a := send(t, c, "GET", p.proxy+target, "", nil)
		if v, ok := a.Header["Surrogate-Key"]; ok {
			t.Errorf("GET %s: the client got Surrogate-Key %q", target, v)
		}
		return a
	}
	first := get("/books/1?skey=user%3D42+shelf-1")
	if first.XCache != "MISS" || get("/books/1").XCache != "HIT" {
		t.Fatalf("not cached: %s", first.Cache)
	}
	get("/books/2?skey=shelf-1")
	get("/books/3")

	keys := listKeys(t, c, p.admin, entryKey("books", p.proxy, ""))
	got := map[string][]string{}
	for _, k := range keys.Keys {
		got[partsOf(k)] = k.Tags
	}
	want := map[string][]string{"method=GET, id=1": {"user=42", "shelf-1"}, "method=GET, id=2": {"shelf-1"}, "method=GET, id=3": nil}
	if !cmp.Equal(got, want) {
		t.Errorf("tags listed %q, want %q", got, want)
	}

	purge := send(t, c, "POST", p.admin+"/purge", `{"tags": ["user=42"]}`, nil)
	if purge.Code != 200 || strings.TrimSpace(string(purge.Body)) != `{"deleted":1}` {
		t.Errorf("POST /purge tags: %d %s", purge.Code, purge.Body)
	}
	if a := get("/books/1"); a.XCache != "MISS" || a.Up.Call == first.Up.Call {
		t.Errorf("after the purge: %s (call %d, first %d), want a new MISS", a.XCache, a.Up.Call, first.Up.Call)
	}
	for _, target := range []string{"/books/1", "/books/2", "/books/3"} {
		if a := get(target); a.XCache != "HIT" {
			t.Errorf("GET %s after the purge: %s, want HIT", target, a.XCache)
		}
	}
	purge = send(t, c, "POST", p.admin+"/purge", `{"tags": ["shelf-1"]}`, nil)
	if purge.Code != 200 || strings.TrimSpace(string(purge.Body)) != `{"deleted":1}` {
		t.Errorf("POST /purge shelf-1: %d %s (the new /books/1 has no tags: only /books/2 goes)", purge.Code, purge.Body)
	}
	if a := get("/books/2"); a.XCache != "MISS" {
		t.Errorf("/books/2 after its tag's purge: %s", a.XCache)
	}
	if a := send(t, c, "POST", p.admin+"/purge", `{"tags": []}`, nil); a.Code != http.StatusBadRequest {
		t.Errorf("POST /purge with no tags: %d %s", a.Code, a.Body)
	}
	// Two purges of one tag each are counted; the refused one is not.
	m := send(t, c, "GET", p.admin+"/metrics", "", nil)
	for _, want := range []string{"hitbox_tag_purges_total 2", "hitbox_tags_purged_total 2"} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// BenchmarkAdminPurgeTags10k is POST /purge {"tags": ["shelf-1"]} over a
// memory store of 10,000 entries that all carry the tag (and 10,000 that
// do not): the mark, the listing and the deletions.
func BenchmarkAdminPurgeTags10k(b *testing.B) {
	mem, err := memory.New(memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close(context.Background())
	api := &adminAPI{
		token: func() string { return "" },
		store: func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
			return mem, hitbox.KeyURLEncoded, func() {}, true
		},
	}
	now := time.Now()
	fill := func() {
		for i := range 10_000 {
			for j, tags := range [][]string{{"shelf-1", "book-" + strconv.Itoa(i)}, {"shelf-2"}} {
				e := backend.Entry{Value: []byte("v"), Written: now, Expire: now.Add(time.Hour), Tags: tags}
				if err := mem.Set(b.Context(), "k"+strconv.Itoa(j)+"/"+strconv.Itoa(i), e); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		w := httptest.NewRecorder()
		api.ServeHTTP(w, httptest.NewRequest("POST", "/purge", strings.NewReader(`{"tags": ["shelf-1"]}`)))
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"deleted":10000}` {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
