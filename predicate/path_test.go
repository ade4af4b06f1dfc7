package predicate_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

func TestPathPattern(t *testing.T) {
	t.Parallel()
	type caps = []predicate.Capture
	tests := []struct {
		name    string
		pattern string
		path    string // as sent (escaped)
		want    bool
		caps    caps // when want
	}{
		{"literal", "/v1/books", "/v1/books", true, caps{}},
		{"literal differs", "/v1/books", "/v1/book", false, nil},
		{"case-sensitive", "/v1/Books", "/v1/books", false, nil},
		{"whole path: longer", "/v1/books", "/v1/books/1", false, nil},
		{"trailing slash counts", "/v1/books", "/v1/books/", false, nil},
		{"trailing slash in pattern", "/v1/books/", "/v1/books/", true, caps{}},
		{"trailing slash missing", "/v1/books/", "/v1/books", false, nil},
		{"root", "/", "/", true, caps{}},
		{"root is not empty", "/", "", false, nil},
		{"params", "/v1/authors/{author}/books/{book}", "/v1/authors/lem/books/solaris", true,
			caps{{"author", "lem"}, {"book", "solaris"}}},
		{"encoded segment as sent", "/v1/authors/{author}/books", "/v1/authors/robert%20sheckley/books", true,
			caps{{"author", "robert%20sheckley"}}},
		{"encoded slash is one segment", "/v1/authors/{author}", "/v1/authors/a%2Fb", true,
			caps{{"author", "a%2Fb"}}},
		{"param is one segment", "/v1/authors/{author}", "/v1/authors/a/b", false, nil},
		{"param is not empty", "/a/{x}/b", "/a//b", false, nil},
		{"param at the end is not empty", "/a/{x}", "/a/", false, nil},
		{"param then trailing slash", "/a/{x}", "/a/b/", false, nil},
		{"param with trailing slash", "/a/{x}/", "/a/b/", true, caps{{"x", "b"}}},
		{"regex", "/u/{id:[0-9]+}", "/u/42", true, caps{{"id", "42"}}},
		{"regex is anchored", "/u/{id:[0-9]+}", "/u/4a2", false, nil},
		{"regex with braces", "/u/{id:[0-9]{2,3}}", "/u/123", true, caps{{"id", "123"}}},
		{"regex with braces too long", "/u/{id:[0-9]{2,3}}", "/u/1234", false, nil},
		{"regex alternation anchored as a whole", "/f/{ext:png|jpe?g}", "/f/xpng", false, nil},
		{"regex alternation", "/f/{ext:png|jpe?g}/x", "/f/jpg/x", true, caps{{"ext", "jpg"}}},
		{"regex sees the segment as sent", "/a/{x:[a-z]+%20[a-z]+}", "/a/robert%20sheckley", true,
			caps{{"x", "robert%20sheckley"}}},
		{"regex does not cross slashes", "/a/{x:.*}", "/a/b/c", false, nil},
		{"tail param", "/static/{rest}*", "/static/css/site.css", true, caps{{"rest", "css/site.css"}}},
		{"tail param empty", "/static/{rest}*", "/static/", true, caps{{"rest", ""}}},
		{"tail param needs the literal", "/static/{rest}*", "/static", false, nil},
		{"tail param keeps escapes", "/s/{rest}*", "/s/a%2Fb/c%20d", true, caps{{"rest", "a%2Fb/c%20d"}}},
		{"whole path", "{path}*", "/v1/authors/lem", true, caps{{"path", "/v1/authors/lem"}}},
		{"whole path root", "{path}*", "/", true, caps{{"path", "/"}}},
		{"param and tail", "/{v}/{rest}*", "/v2/a/b", true, caps{{"v", "v2"}, {"rest", "a/b"}}},
		{"tail after a literal", "/files{rest}*", "/files.tar", true, caps{{"rest", ".tar"}}},
		{"star", "*", "/anything/at/all", true, caps{}},
		{"star on root", "*", "/", true, caps{}},
		{"star after slash", "/files/*", "/files/a/b", true, caps{}},
		{"star empty rest", "/files/*", "/files/", true, caps{}},
		{"star needs the literal", "/files/*", "/files", false, nil},
		{"star after text", "/static*", "/staticfoo/x", true, caps{}},
		{"star after param", "/{v}/*", "/v1/x", true, caps{{"v", "v1"}}},
		{"plain space in pattern", "/robert sheckley", "/robert%20sheckley", true, caps{}},
		{"plain non-ASCII in pattern", "/café", "/caf%C3%A9", true, caps{}},
		{"escape hex case-insensitive (path lower)", "/caf%C3%A9", "/caf%c3%a9", true, caps{}},
		{"escape hex case-insensitive (pattern lower)", "/caf%c3%a9", "/caf%C3%A9", true, caps{}},
		{"escaped is not plain", "/%41", "/A", false, nil},
		{"plain is not escaped", "/A", "/%41", false, nil},
		{"letters outside escapes are case-sensitive", "/%41b", "/%41B", false, nil},
		{"sub-delims as sent", "/a!b/(c)", "/a!b/(c)", true, caps{}},
		{"escaped percent", "/100%25", "/100%25", true, caps{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Path(tt.pattern))
			if got := p.MatchPath(tt.path); got != tt.want {
				t.Errorf("Path(%q).MatchPath(%q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
			got, ok := p.Captures(tt.path)
			if ok != tt.want {
				t.Errorf("Path(%q).Captures(%q) ok = %v, want %v", tt.pattern, tt.path, ok, tt.want)
			}
			if tt.want && !reflect.DeepEqual(got, tt.caps) {
				t.Errorf("Path(%q).Captures(%q) = %v, want %v", tt.pattern, tt.path, got, tt.caps)
			}
			if !tt.want && got != nil {
				t.Errorf("Path(%q).Captures(%q) = %v on no match, want nil", tt.pattern, tt.path, got)
			}
		})
	}
}

// TestPathRequest checks what a server-side request gives the pattern:
// the path as sent.
func TestPathRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		target  string // request target as sent
		want    bool
	}{
		{"encoded space", "/v1/authors/{author}/books", "/v1/authors/robert%20sheckley/books", true},
		{"encoded space, literal", "/v1/authors/robert%20sheckley", "/v1/authors/robert%20sheckley", true},
		{"encoded space is not a plus", "/v1/authors/robert+sheckley", "/v1/authors/robert%20sheckley", false},
		{"encoded slash stays one segment", "/v1/authors/{author}", "/v1/authors/a%2Fb", true},
		{"encoded slash is not a slash", "/v1/authors/a/b", "/v1/authors/a%2Fb", false},
		{"query is not in the path", "/v1/books", "/v1/books?page=2", true},
		{"trailing slash", "/v1/books", "/v1/books/", false},
		{"raw UTF-8 is escaped", "/café", "/café", true},
		{"raw sub-delims kept", "/a!b", "/a!b", true},
		{"lowercase escape kept as sent", "/caf%C3%A9", "/caf%c3%a9", true},
		{"absolute form", "/x/{id}", "http://example.com/x/1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Path(tt.pattern))
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if got := p.Match(r); got != tt.want {
				t.Errorf("Path(%q).Match(GET %s) = %v, want %v (path %q)", tt.pattern, tt.target, got, tt.want, r.URL.EscapedPath())
			}
		})
	}
}

func TestPathEmptyAndMissingURL(t *testing.T) {
	t.Parallel()
	client := must(http.NewRequest(http.MethodGet, "http://example.com", nil))
	if !must(predicate.Path("/")).Match(client) {
		t.Errorf(`Path("/").Match(GET http://example.com) = false, want true`)
	}
	if must(predicate.Path("*")).Match(&http.Request{}) {
		t.Errorf(`Path("*").Match(request without URL) = true, want false`)
	}
}

func TestPathNamesAndString(t *testing.T) {
	t.Parallel()
	p := must(predicate.Path("/v1/{author}/{book:[0-9]+}/{rest}*"))
	if got, want := p.Names(), []string{"author", "book", "rest"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	p.Names()[0] = "changed"
	if got := p.Names()[0]; got != "author" {
		t.Errorf("Names() shares its slice: after a change got %q", got)
	}
	if got, want := p.String(), "/v1/{author}/{book:[0-9]+}/{rest}*"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := must(predicate.Path("/a/*")).Names(); len(got) != 0 {
		t.Errorf(`Path("/a/*").Names() = %q, want none`, got)
	}
}

func TestPathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		reason  string
	}{
		{"", "empty"},
		{"v1/books", "must start with '/'"},
		{"/a/{", "unclosed"},
		{"/a/{x", "unclosed"},
		{"/a/{x:[0-9]", "unclosed"},
		{"/a/{}", "invalid parameter name"},
		{"/a/{a b}", "invalid parameter name"},
		{"/a/{a/b}", "invalid parameter name"},
		{"/a/{x:}", "empty regex"},
		{"/a/{x:(}", "invalid regex"},
		{"/a/{x}{y}", "whole segment"},
		{"/a{x}", "whole segment"},
		{"/a/{x}b", "whole segment"},
		{"{x}/a", "whole segment"},
		{"/a/*/b", "'*' must end"},
		{"/a/**", "'*' must end"},
		{"/a/{x}*/b", "must end the pattern"},
		{"/a/{x:[0-9]+}*", "takes no regex"},
		{"/a/{x}/{x}", "duplicate"},
		{"/a/}", "unmatched"},
		{"/a/%zz", "invalid escape"},
		{"/a/%4", "invalid escape"},
		{"/a/%", "invalid escape"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			p, err := predicate.Path(tt.pattern)
			if err == nil {
				t.Fatalf("Path(%q) = %v, nil; want an error containing %q", tt.pattern, p, tt.reason)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.reason) || !strings.Contains(msg, `"`+tt.pattern+`"`) {
				t.Errorf("Path(%q) error = %q, want one naming the pattern and containing %q", tt.pattern, msg, tt.reason)
			}
		})
	}
}
