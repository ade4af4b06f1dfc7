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
	"github.com/hitbox-go/hitbox/predicate"
)

func ExampleMiddleware() {
	// A driven clock keeps the printed ttl and Age stable; production
	// code leaves the clock out.
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
		// GET requests (the default request predicate), keyed by method
		// and path (the default extractors), 200s stored for a minute.
		{Name: "books", Policy: hitbox.Enabled(time.Minute, 0)},
	})
	if err != nil {
		log.Fatal(err)
	}
	books := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "The Status Civilization")
	})
	srv := httptest.NewServer(cached(books))
	defer srv.Close()

	for range 2 {
		res, err := srv.Client().Get(srv.URL + "/books/1")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%s | %s | Age %q | %s\n", res.Header.Get("X-Cache-Status"),
			res.Header.Get("Cache-Status"), res.Header.Get("Age"), strings.TrimSpace(string(body)))
		clock.Advance(5 * time.Second)
	}
	// Output:
	// MISS | hitbox; fwd=miss; fwd-status=200; stored | Age "" | The Status Civilization
	// HIT | hitbox; hit; ttl=55 | Age "5" | The Status Civilization
}

func ExampleNewTransport() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "rates of the day")
	}))
	defer origin.Close()

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

	tr, err := httpcache.NewTransport(cache, origin.Client().Transport, []httpcache.Endpoint{
		{Name: "rates", Policy: hitbox.Enabled(time.Hour, 0)},
	})
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	for range 2 {
		res, err := client.Get(origin.URL + "/rates")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.Header.Get("X-Cache-Status"), strings.TrimSpace(string(body)))
	}
	// Output:
	// MISS rates of the day
	// HIT rates of the day
}

// Requests with Authorization and responses with Set-Cookie are cached
// only when the predicates let them: here they rule both out.
func Example_ruleOutCredentials() {
	get, _ := predicate.Method(http.MethodGet)
	auth, _ := predicate.Header("Authorization", predicate.Exist())
	cookie, _ := predicate.ResponseHeader("Set-Cookie", predicate.Exist())
	books := httpcache.Endpoint{
		Name:     "books",
		Request:  predicate.And(get, predicate.Not(auth)),
		Response: predicate.And(predicate.Status(http.StatusOK), predicate.Not(cookie)),
		Policy:   hitbox.Enabled(time.Minute, 0),
	}

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
	cached, err := httpcache.Middleware(cache, []httpcache.Endpoint{books})
	if err != nil {
		log.Fatal(err)
	}
	h := cached(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			w.Header().Set("Set-Cookie", "session=secret")
		}
		fmt.Fprintln(w, "ok")
	}))
	for _, c := range []struct{ path, auth string }{
		{"/books/1", "Bearer token"}, {"/login", ""}, {"/books/1", ""}, {"/books/1", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, c.path, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(c.path, w.Header().Get("X-Cache-Status"), "|", w.Header().Get("Cache-Status"))
	}
	// Output:
	// /books/1 MISS | hitbox; fwd=bypass; fwd-status=200
	// /login MISS | hitbox; fwd=miss; fwd-status=200
	// /books/1 MISS | hitbox; fwd=miss; fwd-status=200; stored
	// /books/1 HIT | hitbox; hit; ttl=60
}
