package httpcache_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
)

// Tags from the request's path and from the upstream's Surrogate-Key;
// invalidating one of them makes the next request a miss.
func ExampleEndpoint_tags() {
	store, err := memory.New(memory.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(context.Background())
	cache, err := hitbox.New(store)
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close(context.Background())

	author, err := extract.Path("/authors/{author_id}/books/{book_id}")
	if err != nil {
		log.Fatal(err)
	}
	cached, err := httpcache.Middleware(cache, []httpcache.Endpoint{{
		Name:   "books",
		Policy: hitbox.Enabled(time.Hour, 0),
		// Tags author_id=..., book_id=... (and tier=premium).
		Tags: []extract.Extractor{author, extract.Static(hitbox.Part("tier", "premium"))},
	}})
	if err != nil {
		log.Fatal(err)
	}
	books := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Surrogate-Key", "shelf-sf") // a tag too, never sent on
		fmt.Fprintln(w, "Dimension of Miracles")
	})
	h := cached(books)
	get := func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/authors/robert-sheckley/books/7", nil))
		fmt.Printf("%s, Surrogate-Key %q\n", w.Header().Get("X-Cache-Status"), w.Header().Get("Surrogate-Key"))
	}
	get()
	get()
	if err := cache.InvalidateTags(context.Background(), "author_id=robert-sheckley"); err != nil {
		log.Fatal(err)
	}
	get()
	// Output:
	// MISS, Surrogate-Key ""
	// HIT, Surrogate-Key ""
	// MISS, Surrogate-Key ""
}
