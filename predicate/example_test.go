package predicate_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hitbox-go/hitbox/predicate"
)

// The request section
//
//	request:
//	  - Method: [GET, POST]
//	  - Path: /v1/authors/{author}/books
//	  - Or:
//	      - Query: {lang: [en, de]}
//	      - Body: '.lang == "en"'
//
// built by hand, as the config package does.
func Example() {
	method, err := predicate.Method(http.MethodGet, http.MethodPost)
	if err != nil {
		log.Fatal(err)
	}
	path, err := predicate.Path("/v1/authors/{author}/books")
	if err != nil {
		log.Fatal(err)
	}
	lang, err := predicate.Query("lang", predicate.In("en", "de"))
	if err != nil {
		log.Fatal(err)
	}
	en, err := predicate.JQ(`.lang == "en"`)
	if err != nil {
		log.Fatal(err)
	}
	cacheable := predicate.And(method, path, predicate.Or(lang, predicate.Body(en, predicate.BodyOptions{})))

	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/v1/authors/robert%20sheckley/books?lang=de", nil),
		httptest.NewRequest(http.MethodGet, "/v1/authors/robert%20sheckley/books/?lang=de", nil),
		httptest.NewRequest(http.MethodPost, "/v1/authors/lem/books", strings.NewReader(`{"lang": "en"}`)),
		httptest.NewRequest(http.MethodPost, "/v1/authors/lem/books", strings.NewReader(`{"lang": "pl"}`)),
	} {
		ok := cacheable.Match(r)
		body, _ := io.ReadAll(r.Body) // the upstream still gets the body
		fmt.Printf("%s %s %q: %v\n", r.Method, r.URL.RequestURI(), body, ok)
	}

	caps, _ := path.Captures("/v1/authors/robert%20sheckley/books")
	fmt.Println(caps)
	// Output:
	// GET /v1/authors/robert%20sheckley/books?lang=de "": true
	// GET /v1/authors/robert%20sheckley/books/?lang=de "": false
	// POST /v1/authors/lem/books "{\"lang\": \"en\"}": true
	// POST /v1/authors/lem/books "{\"lang\": \"pl\"}": false
	// [{author robert%20sheckley}]
}
