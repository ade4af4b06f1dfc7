package config_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/extract"
)

func Example() {
	const file = `
upstream: http://127.0.0.1:3000
endpoints:
  - name: books
    request:
      - Method: GET
      - Path: "/v1/authors/{author:[a-z-]+}/books/{book:[0-9]+}"
      - Not: {Header: {Authorization: {exist: ~}}}
      - Not: {Header: {Cookie: {exist: ~}}}
    extractors:
      - Method:
      - Path: /v1/authors/{author}/books/{book}
      - Query: page
    policy: {Enabled: {ttl: 60, stale: 30}}
`
	f, warnings, err := config.Parse("hitboxd.yaml", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	ep := f.Endpoints[0]
	fmt.Printf("%s: ttl %v, stale after %v\n", ep.Name, ep.Policy.TTL, ep.Policy.Stale)
	for _, w := range warnings {
		fmt.Println(w)
	}

	// Build the endpoints and compute a request's cache key.
	eps, err := f.BuildEndpoints()
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/v1/authors/sheckley/books/42?page=2", nil)
	fmt.Println(eps[0].Request.Match(r))
	parts, _ := extract.Key(r, eps[0].Extractors, nil)
	fmt.Println(hitbox.Key{Parts: parts})

	// Every problem of a bad file at once, with its place.
	_, _, err = config.Parse("bad.yaml", []byte(`upstream: http://127.0.0.1:3000
endpoints:
  - polcy: Disabled
    request: [{Header: {x-version: !regex "v(1"}}]
`))
	fmt.Println(err)
	// Output:
	// books: ttl 1m0s, stale after 30s
	// hitboxd.yaml:4:5: endpoints[0].response: warning: responses with a Set-Cookie header may be cached and served to other clients: add `- Not: {Header: {Set-Cookie: {exist: ~}}}` to response
	// true
	// v0:method=GET&author=sheckley&book=42&page=2
	// bad.yaml:3:5: endpoints[0].polcy: unknown field "polcy" (did you mean "policy"?)
	// bad.yaml:4:36: endpoints[0].request[0].Header.x-version: invalid regex "v(1": error parsing regexp: missing closing ): `v(1`
}
