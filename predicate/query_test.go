package predicate_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

func TestQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		param string
		op    predicate.Op
		query string // raw query, without '?'
		want  bool
	}{
		{"eq", "page", predicate.Eq("1"), "page=1", true},
		{"eq differs", "page", predicate.Eq("1"), "page=2", false},
		{"eq compares text", "page", predicate.Eq("1"), "page=01", false},
		{"eq boolean text", "debug", predicate.Eq("true"), "debug=true", true},
		{"eq absent", "page", predicate.Eq("1"), "other=1", false},
		{"eq no query", "page", predicate.Eq("1"), "", false},
		{"eq name case-sensitive", "page", predicate.Eq("1"), "Page=1", false},
		{"eq value case-sensitive", "lang", predicate.Eq("en"), "lang=EN", false},
		{"eq configured value trimmed", "page", predicate.Eq(" 1 "), "page=1", true},
		{"eq repeated, first", "page", predicate.Eq("1"), "page=1&page=2", true},
		{"eq repeated, second", "page", predicate.Eq("2"), "page=1&page=2", true},
		{"eq repeated, neither", "page", predicate.Eq("3"), "page=1&page=2", false},
		{"eq plus is space", "q", predicate.Eq("a b"), "q=a+b", true},
		{"eq escape decoded", "q", predicate.Eq("a b"), "q=a%20b", true},
		{"eq escaped name", "page", predicate.Eq("1"), "p%61ge=1", true},
		{"eq empty matches present empty", "empty", predicate.Eq(""), "empty=", true},
		{"eq empty matches bare name", "empty", predicate.Eq(""), "empty", true},
		{"eq empty does not match absent", "empty", predicate.Eq(""), "other=", false},
		{"eq empty does not match a value", "empty", predicate.Eq(""), "empty=x", false},
		{"bracket array", "color", predicate.Eq("blue"), "color[]=red&color[]=blue", true},
		{"bracket array encoded", "color", predicate.Eq("red"), "color%5B%5D=red", true},
		{"bracket array encoded lowercase", "color", predicate.Eq("red"), "color%5b%5d=red", true},
		{"bracket array mixed with plain", "color", predicate.In("green"), "color[]=red&color=green", true},
		{"bracket name as configured", "color[]", predicate.Eq("red"), "color[]=red", true},
		{"indexed brackets are another name", "color", predicate.Eq("red"), "color[0]=red", false},
		{"prefix is another name", "color", predicate.Eq("red"), "colors=red", false},
		{"semicolon pair skipped", "a", predicate.Eq("1"), "a=1;b=2", false},
		{"semicolon pair skipped, others kept", "a", predicate.Eq("3"), "a=1;b=2&a=3", true},
		{"bad escape skipped", "a", predicate.Eq("%zz"), "a=%zz&a=2", false},
		{"bad escape skipped, others kept", "a", predicate.Eq("2"), "a=%zz&a=2", true},
		{"in", "lang", predicate.In("en", "de"), "lang=de", true},
		{"in none", "lang", predicate.In("en", "de"), "lang=fr", false},
		{"in repeated", "lang", predicate.In("en", "de"), "lang=fr&lang=en", true},
		{"in numbers as text", "page", predicate.In("1", "2"), "page=2", true},
		{"in empty list never matches", "page", predicate.In(), "page=1", false},
		{"in empty list never matches empty", "page", predicate.In(), "page=", false},
		{"exists", "page", predicate.Exist(), "page=1", true},
		{"exists empty", "page", predicate.Exist(), "page=", true},
		{"exists bare", "page", predicate.Exist(), "page", true},
		{"exists absent", "page", predicate.Exist(), "pages=1", false},
		{"exists bracket", "color", predicate.Exist(), "color[]=", true},
		{"contains", "q", predicate.Contains("oo"), "q=foo", true},
		{"regex", "q", mustRegex("^[0-9]+$"), "q=x&q=42", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Query(tt.param, tt.op))
			r := httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil)
			if got := p.Match(r); got != tt.want {
				t.Errorf("Query(%q, %v).Match(?%s) = %v, want %v", tt.param, tt.op, tt.query, got, tt.want)
			}
		})
	}
}

func TestQueryTooManyParams(t *testing.T) {
	t.Parallel()
	raw := "page=1" + strings.Repeat("&x=1", 10000)
	u := &url.URL{RawQuery: raw}
	if n := len(u.Query()); n != 0 {
		t.Skipf("url.Query sees %d keys past 10000 parameters; this Go has another limit", n)
	}
	p := must(predicate.Query("page", predicate.Exist()))
	if p.Match(&http.Request{URL: u}) {
		t.Errorf("Query(page, exist) holds on 10001 parameters, which url.Query() ignores")
	}
	if !p.Match(&http.Request{URL: &url.URL{RawQuery: "page=1" + strings.Repeat("&x=1", 9999)}}) {
		t.Errorf("Query(page, exist) does not hold on 10000 parameters")
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	if _, err := predicate.Query("", predicate.Eq("1")); err == nil || !strings.Contains(err.Error(), "empty query parameter name") {
		t.Errorf(`Query("", eq 1) error = %v, want an empty-name error`, err)
	}
	if _, err := predicate.Query("page", predicate.Op{}); err == nil || !strings.Contains(err.Error(), `"page": no operation`) {
		t.Errorf(`Query("page", zero op) error = %v, want a no-operation error naming page`, err)
	}
}

func TestQueryNilURL(t *testing.T) {
	t.Parallel()
	if must(predicate.Query("a", predicate.Exist())).Match(&http.Request{}) {
		t.Errorf("Query(a, exist).Match(request without URL) = true, want false")
	}
}
