package extract_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
)

func Example() {
	// The extractors of an endpoint, as config.md writes them:
	//   - Method:
	//   - Path: /v1/authors/{author}/books/{book}
	//   - Query: page
	//   - Header: X-Tenant-Id
	//   - Body: {jq: "{user_id: .u, role: .r}"}
	path, err := extract.Path("/v1/authors/{author}/books/{book}")
	if err != nil {
		panic(err)
	}
	body, err := extract.BodyJQ("{user_id: .u, role: .r}")
	if err != nil {
		panic(err)
	}
	ex := []extract.Extractor{extract.Method(), path, extract.Query("page"), extract.Header("X-Tenant-Id"), body}

	r := httptest.NewRequest("POST", "/v1/authors/robert%20sheckley/books/42?page=2&sort=asc",
		strings.NewReader(`{"u": 7, "r": "admin"}`))
	parts, err := extract.Key(r, ex, nil)
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		if p.HasValue {
			fmt.Printf("%s = %q\n", p.Name, p.Value)
		} else {
			fmt.Printf("%s (no value)\n", p.Name)
		}
	}
	fmt.Println(hitbox.Key{Parts: parts})
	// Output:
	// method = "POST"
	// author = "robert%20sheckley"
	// book = "42"
	// page = "2"
	// X-Tenant-Id (no value)
	// user_id = "7"
	// role = "admin"
	// v0:method=POST&author=robert%2520sheckley&book=42&page=2&X-Tenant-Id&user_id=7&role=admin
}

func ExampleQuerySelector() {
	// - Query: {name: {starts: utm_}, transforms: [lowercase]}
	e, err := extract.QuerySelector(extract.Selector{
		Name:       "utm_",
		Prefix:     true,
		Transforms: extract.Transforms{{Kind: extract.TransformLowercase}},
	})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("GET", "/?utm_source=News&page=1&utm_medium=EMAIL", nil)
	parts, err := e.Extract(r, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(hitbox.Key{Parts: parts})
	// Output:
	// v0:utm_medium=email&utm_source=news
}
