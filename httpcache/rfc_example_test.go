package httpcache_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/hitboxtest"
	"github.com/hitbox-go/hitbox/httpcache"
)

// The Rfc9111 mode: the handler's Cache-Control and ETag decide how long
// an answer is fresh and how it is revalidated; the policy's ttl only
// caps them.
func ExampleWithSemantics() {
	clock := hitboxtest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	store, err := memory.New(memory.Options{Now: clock.Now})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(context.Background())
	cache, err := hitbox.New(store, hitbox.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close(context.Background())

	cached, err := httpcache.Middleware(cache, []httpcache.Endpoint{
		{Name: "books", Policy: hitbox.Enabled(time.Hour, 0)},
	}, httpcache.WithSemantics(httpcache.SemanticsRfc9111))
	if err != nil {
		log.Fatal(err)
	}
	books := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprintln(w, "The Status Civilization")
	})
	h := cached(books)
	for _, wait := range []time.Duration{0, 4 * time.Second, 10 * time.Second} {
		clock.Advance(wait)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/books/1", nil))
		res := w.Result()
		body, _ := io.ReadAll(res.Body)
		fmt.Printf("%d %s | %s | Age %q | %s\n", res.StatusCode, res.Header.Get("X-Cache-Status"),
			res.Header.Get("Cache-Status"), res.Header.Get("Age"), strings.TrimSpace(string(body)))
	}
	// Output:
	// 200 MISS | hitbox; fwd=uri-miss; fwd-status=200; stored | Age "" | The Status Civilization
	// 200 HIT | hitbox; hit; ttl=6 | Age "4" | The Status Civilization
	// 200 MISS | hitbox; fwd=stale; fwd-status=304; stored | Age "" | The Status Civilization
}
