package predicate

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// Method returns a predicate that holds when the request's method is one of
// methods. Methods compare case-sensitively, as HTTP says (`get` is not
// `GET`); a request with an empty Method is a GET, as in net/http. With no
// methods it never holds. A method that is not an HTTP token is an error
// naming it.
func Method(methods ...string) (Request, error) {
	for _, m := range methods {
		if !isToken(m) {
			return nil, fmt.Errorf("predicate: invalid method %q (a method is an HTTP token such as GET)", m)
		}
	}
	return methodPredicate(slices.Clone(methods)), nil
}

type methodPredicate []string

func (ms methodPredicate) Match(r *http.Request) bool {
	if r == nil {
		return false
	}
	m := r.Method
	if m == "" {
		m = http.MethodGet
	}
	for _, want := range ms {
		if m == want {
			return true
		}
	}
	return false
}

// isToken reports whether s is a non-empty RFC 9110 token (the syntax of
// methods and header names).
func isToken(s string) bool { return rfc9111.IsToken(s) }
