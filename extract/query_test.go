package extract

import (
	"errors"
	"testing"

	"github.com/hitbox-go/hitbox"
)

func TestQuery(t *testing.T) {
	t.Parallel()
	p := hitbox.Part
	tests := []struct {
		name, param, query string
		want               []hitbox.KeyPart
	}{
		{"value", "page", "page=2", []hitbox.KeyPart{p("page", "2")}},
		{"absent gives no part", "page", "lang=en", nil},
		{"no query gives no part", "page", "", nil},
		{"empty value", "empty", "empty=", []hitbox.KeyPart{p("empty", "")}},
		{"bare name is an empty value", "flag", "flag&x=1", []hitbox.KeyPart{p("flag", "")}},
		{"repeated in order", "tag", "tag=b&x=1&tag=a", []hitbox.KeyPart{p("tag", "b"), p("tag", "a")}},
		{"bracket array", "color", "color[]=red&color[]=blue", []hitbox.KeyPart{p("color", "red"), p("color", "blue")}},
		{"bracket array encoded", "color", "color%5B%5D=red&color%5b%5d=blue", []hitbox.KeyPart{p("color", "red"), p("color", "blue")}},
		{"bracket array mixed with plain", "color", "color=red&color[]=blue", []hitbox.KeyPart{p("color", "red"), p("color", "blue")}},
		{"bracket name written in the file", "color[]", "color[]=red", []hitbox.KeyPart{p("color[]", "red")}},
		{"indexed brackets are another name", "color", "color[0]=red", nil},
		{"decoded value", "q", "q=robert+sheckley%21", []hitbox.KeyPart{p("q", "robert sheckley!")}},
		{"encoded name", "a b", "a+b=1&a%20b=2", []hitbox.KeyPart{p("a b", "1"), p("a b", "2")}},
		{"case-sensitive name", "page", "Page=1", nil},
		{"value with equals", "f", "f=a=b", []hitbox.KeyPart{p("f", "a=b")}},
		{"semicolon kept in value", "f", "f=a;b", []hitbox.KeyPart{p("f", "a;b")}},
		{"empty pairs skipped", "a", "&&a=1&&", []hitbox.KeyPart{p("a", "1")}},
		{"malformed name skipped", "a", "%zz=1&a=2", []hitbox.KeyPart{p("a", "2")}},
		{"prefix of a name is not the name", "page", "pages=1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := request(t, "GET", "/x?"+tt.query, "")
			checkParts(t, "Query("+tt.param+") on ?"+tt.query, extract(t, Query(tt.param), r), tt.want)
		})
	}
}

func TestQueryBadValue(t *testing.T) {
	t.Parallel()
	r := request(t, "GET", "/x", "")
	r.URL.RawQuery = "a=ok&page=%zz"
	if _, err := Query("page").Extract(r, nil); !errors.Is(err, ErrBadQuery) {
		t.Errorf("Query(page) on ?%s: err = %v, want ErrBadQuery", r.URL.RawQuery, err)
	}
	// A malformed value of another parameter does not matter.
	checkParts(t, "Query(a)", extract(t, Query("a"), r), []hitbox.KeyPart{hitbox.Part("a", "ok")})
}

func TestQuerySelector(t *testing.T) {
	t.Parallel()
	p := hitbox.Part
	tests := []struct {
		name  string
		sel   Selector
		query string
		want  []hitbox.KeyPart
	}{
		{"eq", Selector{Name: "page"}, "page=2&x=1", []hitbox.KeyPart{p("page", "2")}},
		{"eq absent", Selector{Name: "page"}, "x=1", nil},
		{"value regex capture group", Selector{Name: "page", Value: `^p(\d+)$`}, "page=p12", []hitbox.KeyPart{p("page", "12")}},
		{"value regex whole match", Selector{Name: "v", Value: `[0-9]+`}, "v=ab12cd", []hitbox.KeyPart{p("v", "12")}},
		{"value regex no match drops the part", Selector{Name: "page", Value: `^p(\d+)$`}, "page=x", nil},
		{"value regex per value", Selector{Name: "id", Value: `^(\d+)$`}, "id=1&id=x&id=3", []hitbox.KeyPart{p("id", "1"), p("id", "3")}},
		{"optional group not taken gives whole match", Selector{Name: "v", Value: `a(b)?`}, "v=xa", []hitbox.KeyPart{p("v", "a")}},
		{"transforms", Selector{Name: "q", Transforms: Transforms{{Kind: TransformLowercase}}}, "q=HeLLo", []hitbox.KeyPart{p("q", "hello")}},
		{"regex then transforms", Selector{Name: "q", Value: `^(\w+)-`, Transforms: Transforms{{Kind: TransformUppercase}, {Kind: TransformTruncate, N: 2}}}, "q=abc-def", []hitbox.KeyPart{p("q", "AB")}},
		{"starts sorted by name", Selector{Name: "utm_", Prefix: true}, "utm_source=a&x=1&utm_medium=b&utm_campaign=c",
			[]hitbox.KeyPart{p("utm_campaign", "c"), p("utm_medium", "b"), p("utm_source", "a")}},
		{"starts keeps value order per name", Selector{Name: "f", Prefix: true}, "fb=2&fa=1&fb=3",
			[]hitbox.KeyPart{p("fa", "1"), p("fb", "2"), p("fb", "3")}},
		{"starts is case-sensitive", Selector{Name: "f", Prefix: true}, "F=1&f=2", []hitbox.KeyPart{p("f", "2")}},
		{"starts bracket arrays named without brackets", Selector{Name: "c", Prefix: true}, "color[]=red&color%5B%5D=blue",
			[]hitbox.KeyPart{p("color", "red"), p("color", "blue")}},
		{"starts with value regex", Selector{Name: "n", Prefix: true, Value: `^\d+$`}, "n1=5&n2=x", []hitbox.KeyPart{p("n1", "5")}},
		{"starts none", Selector{Name: "zz", Prefix: true}, "a=1", nil},
		{"empty prefix selects all", Selector{Prefix: true}, "b=2&a=1", []hitbox.KeyPart{p("a", "1"), p("b", "2")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := must(t)(QuerySelector(tt.sel))
			checkParts(t, "QuerySelector on ?"+tt.query, extract(t, e, request(t, "GET", "/?"+tt.query, "")), tt.want)
		})
	}
}

func TestQuerySelectorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sel  Selector
	}{
		{"empty name", Selector{}},
		{"bad regex", Selector{Name: "a", Value: "("}},
		{"bad transform", Selector{Name: "a", Transforms: Transforms{{Kind: TransformTruncate, N: -1}}}},
		{"unknown transform", Selector{Name: "a", Transforms: Transforms{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := QuerySelector(tt.sel); err == nil {
				t.Errorf("QuerySelector(%+v): no error", tt.sel)
			}
			if _, err := HeaderSelector(tt.sel); err == nil {
				t.Errorf("HeaderSelector(%+v): no error", tt.sel)
			}
		})
	}
}
