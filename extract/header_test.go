package extract

import (
	"net/http"
	"testing"

	"github.com/hitbox-go/hitbox"
)

func TestHeader(t *testing.T) {
	t.Parallel()
	p, absent := hitbox.Part, hitbox.AbsentPart
	tests := []struct {
		name, header string
		set          func(r *http.Request)
		want         []hitbox.KeyPart
	}{
		{"value, named as written", "X-Tenant-Id", func(r *http.Request) { r.Header.Set("X-Tenant-Id", "t1") },
			[]hitbox.KeyPart{p("X-Tenant-Id", "t1")}},
		{"case kept in the name, lookup case-insensitive", "x-tenant-ID", func(r *http.Request) { r.Header.Set("X-Tenant-Id", "t1") },
			[]hitbox.KeyPart{p("x-tenant-ID", "t1")}},
		{"absent gives a part with no value", "X-Tenant-Id", func(*http.Request) {}, []hitbox.KeyPart{absent("X-Tenant-Id")}},
		{"empty value is not absent", "X-E", func(r *http.Request) { r.Header.Set("X-E", "") }, []hitbox.KeyPart{p("X-E", "")}},
		{"several values joined", "Accept", func(r *http.Request) {
			r.Header.Add("Accept", "text/html")
			r.Header.Add("Accept", "application/json")
		}, []hitbox.KeyPart{p("Accept", "text/html, application/json")}},
		{"non-canonical key set by hand", "X-Raw", func(r *http.Request) { r.Header["x-raw"] = []string{"v"} },
			[]hitbox.KeyPart{p("X-Raw", "v")}},
		{"empty value list is absent", "X-Nil", func(r *http.Request) { r.Header["X-Nil"] = []string{} },
			[]hitbox.KeyPart{absent("X-Nil")}},
		{"host from r.Host", "host", func(r *http.Request) { r.Host = "example.com" }, []hitbox.KeyPart{p("host", "example.com")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, "GET", "/", "")
			tt.set(r)
			checkParts(t, "Header("+tt.header+")", extract(t, Header(tt.header), r), tt.want)
		})
	}
}

func TestHeaderSelector(t *testing.T) {
	t.Parallel()
	p, absent := hitbox.Part, hitbox.AbsentPart
	headers := []string{
		"X-Tenant-Id", "t1",
		"X-Api-Version", "v2",
		"Accept", "a",
		"Accept", "b",
		"X-Client", "Mobile-App",
	}
	tests := []struct {
		name string
		sel  Selector
		want []hitbox.KeyPart
	}{
		{"eq named as written", Selector{Name: "x-TENANT-id"}, []hitbox.KeyPart{p("x-TENANT-id", "t1")}},
		{"eq absent", Selector{Name: "X-Missing"}, []hitbox.KeyPart{absent("X-Missing")}},
		{"eq value regex group", Selector{Name: "X-Api-Version", Value: `^v(\d+)$`}, []hitbox.KeyPart{p("X-Api-Version", "2")}},
		{"eq value regex no match has no value", Selector{Name: "X-Api-Version", Value: `^\d+$`}, []hitbox.KeyPart{absent("X-Api-Version")}},
		{"eq joined values", Selector{Name: "accept"}, []hitbox.KeyPart{p("accept", "a, b")}},
		{"eq transforms", Selector{Name: "X-Client", Transforms: Transforms{{Kind: TransformLowercase}}}, []hitbox.KeyPart{p("X-Client", "mobile-app")}},
		{"starts lowercased and sorted", Selector{Name: "X-", Prefix: true},
			[]hitbox.KeyPart{p("x-api-version", "v2"), p("x-client", "Mobile-App"), p("x-tenant-id", "t1")}},
		{"starts case-insensitive prefix", Selector{Name: "x-API", Prefix: true}, []hitbox.KeyPart{p("x-api-version", "v2")}},
		{"starts value regex no match has no value", Selector{Name: "x-", Prefix: true, Value: `^t(\d)$`},
			[]hitbox.KeyPart{absent("x-api-version"), absent("x-client"), p("x-tenant-id", "1")}},
		{"starts transforms", Selector{Name: "x-c", Prefix: true, Transforms: Transforms{{Kind: TransformHash}}},
			[]hitbox.KeyPart{p("x-client", hashHex("Mobile-App"))}},
		{"starts none", Selector{Name: "X-Nothing", Prefix: true}, nil},
		{"starts includes host", Selector{Name: "ho", Prefix: true}, []hitbox.KeyPart{p("host", "example.com")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, "GET", "/", "", headers...)
			r.Host = "example.com"
			e := must(t)(HeaderSelector(tt.sel))
			checkParts(t, "HeaderSelector", extract(t, e, r), tt.want)
		})
	}
}

func TestHeaderSelectorMergesCaseVariants(t *testing.T) {
	t.Parallel()
	r := request(t, "GET", "/", "")
	r.Header["x-a"] = []string{"2"}
	r.Header["X-A"] = []string{"1"}
	e := must(t)(HeaderSelector(Selector{Name: "x-a", Prefix: true}))
	// Run a few times: map iteration order must not show.
	for range 10 {
		checkParts(t, "HeaderSelector(starts x-a)", extract(t, e, r), []hitbox.KeyPart{hitbox.Part("x-a", "1, 2")})
	}
}
