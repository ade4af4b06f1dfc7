package predicate_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

func TestMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		methods []string
		method  string
		want    bool
	}{
		{"equal", []string{"GET"}, "GET", true},
		{"different", []string{"GET"}, "POST", false},
		{"HEAD is not GET", []string{"GET"}, "HEAD", false},
		{"one of", []string{"GET", "HEAD"}, "HEAD", true},
		{"none of", []string{"GET", "HEAD"}, "DELETE", false},
		{"case-sensitive", []string{"get"}, "GET", false},
		{"extension method", []string{"PURGE"}, "PURGE", true},
		{"empty request method is GET", []string{"GET"}, "", true},
		{"empty list never matches", nil, "GET", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Method(tt.methods...))
			r := newRequest(t, http.MethodGet, "/", "")
			r.Method = tt.method
			if got := p.Match(r); got != tt.want {
				t.Errorf("Method(%q).Match(%q) = %v, want %v", tt.methods, tt.method, got, tt.want)
			}
		})
	}
}

func TestMethodErrors(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"", "GE T", "GET\n", "(GET)", "GÉT", "GET:"} {
		p, err := predicate.Method("GET", m)
		if err == nil {
			t.Errorf("Method(GET, %q) = %v, nil; want an error", m, p)
			continue
		}
		if !strings.Contains(err.Error(), "invalid method") || !strings.Contains(err.Error(), "an HTTP token such as GET") || !strings.Contains(err.Error(), "\""+strings.ReplaceAll(m, "\n", `\n`)+"\"") {
			t.Errorf("Method(GET, %q) error %q does not name the method and say what one is", m, err)
		}
	}
}
