package rfc9111

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestInvalidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		target string
		status int
		h      http.Header
		want   []string
	}{
		{"§4.4 POST 200 invalidates the target", "POST", "http://example.com/a?x=1", 200, nil, []string{"http://example.com/a?x=1"}},
		{"§4.4 PUT 201 with same-origin Location and Content-Location", "PUT", "http://example.com/a", 201,
			h("Location", "/b", "Content-Location", "http://EXAMPLE.com:80/c#frag"),
			[]string{"http://example.com/a", "http://example.com/b", "http://EXAMPLE.com:80/c"}},
		{"§4.4 relative Location resolves against the target", "DELETE", "https://example.com/dir/a", 204,
			h("Location", "b"), []string{"https://example.com/dir/a", "https://example.com/dir/b"}},
		{"§4.4 cross-origin Location is not invalidated", "POST", "http://example.com/a", 303,
			h("Location", "http://other.example/b", "Content-Location", "https://example.com/c"), []string{"http://example.com/a"}},
		{"§4.4 a Location equal to the target is listed once", "PATCH", "http://example.com/a", 200,
			h("Location", "/a"), []string{"http://example.com/a"}},
		{"§4.4 an unknown method is unsafe", "PURGE", "http://example.com/a", 200, nil, []string{"http://example.com/a"}},
		{"§4.4 the fragment of the target is dropped", "POST", "http://example.com/a#x", 200, nil, []string{"http://example.com/a"}},
		{"§4.4 an error status invalidates nothing", "POST", "http://example.com/a", 500, h("Location", "/b"), nil},
		{"§4.4 a 4xx invalidates nothing", "DELETE", "http://example.com/a", 404, nil, nil},
		{"§4.4 a safe method invalidates nothing", "GET", "http://example.com/a", 200, nil, nil},
		{"§4.4 OPTIONS is safe", "OPTIONS", "http://example.com/a", 200, nil, nil},
		{"§4.4 an unparsable Location is skipped", "POST", "http://example.com/a", 200, h("Location", "http://[::1"), []string{"http://example.com/a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target, err := url.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range Invalidates(tc.method, target, tc.status, tc.h) {
				got = append(got, u.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Invalidates(%s %s → %d %v) = %q, want %q", tc.method, tc.target, tc.status, tc.h, got, tc.want)
			}
			if target.String() != tc.target {
				t.Errorf("Invalidates modified the target: %s, want %s", target, tc.target)
			}
		})
	}
}
