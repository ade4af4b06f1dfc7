package predicate

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxQueryParams is net/url's default limit on the number of query
// parameters: above it [url.URL.Query] sees none, and so do we.
const maxQueryParams = 10000

// Query returns a predicate on the request's query parameter name, read as
// [url.URL.Query] reads r.URL.RawQuery (`+` is a space, percent-escapes are
// decoded, pairs with a `;` or a bad escape are skipped), with one addition:
// a bracket array `name[]=a&name[]=b` (brackets percent-encoded or not)
// gives values of name too. Like url.URL.Query, it sees no parameter at
// all in a query of more than 10000 of them.
//
// The configuration language offers [Eq], [In] and [Exist] on parameters;
// the other operations work as well. op's configured values are trimmed of
// surrounding whitespace; received values are compared as decoded. A
// parameter sent several times satisfies an operation when any one of its
// values does; Eq("") matches a present empty value (`?empty=` or `?empty`);
// Exist holds when the parameter is present at all. Numbers and booleans
// are compared as text: the caller converts them (`Query: {page: 1}` is
// Eq("1"), which `page=01` does not satisfy).
//
// An empty name or a zero op is an error.
func Query(name string, op Op) (Request, error) {
	if name == "" {
		return nil, fmt.Errorf("predicate: empty query parameter name")
	}
	if op.kind == 0 {
		return nil, fmt.Errorf("predicate: query parameter %q: no operation", name)
	}
	return queryPredicate{name: name, op: op.trimmed()}, nil
}

type queryPredicate struct {
	name string
	op   Op
}

func (p queryPredicate) Match(r *http.Request) bool {
	if r == nil || r.URL == nil {
		return false
	}
	s := newQueryScanner(r.URL.RawQuery)
	for {
		v, ok := s.next(p.name)
		if !ok {
			return false
		}
		if p.op.match(v) {
			return true
		}
	}
}

// queryScanner walks a raw query string pair by pair without allocating
// (unless a key or value holds escapes).
type queryScanner struct{ rest string }

func newQueryScanner(rawQuery string) queryScanner {
	if strings.Count(rawQuery, "&")+1 > maxQueryParams {
		return queryScanner{}
	}
	return queryScanner{rest: rawQuery}
}

// next returns the next value of the parameter name, or ok == false when
// there is none left.
func (s *queryScanner) next(name string) (value string, ok bool) {
	for s.rest != "" {
		var pair string
		pair, s.rest, _ = strings.Cut(s.rest, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || !isParamName(k, name) {
			continue
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			continue
		}
		return v, true
	}
	return "", false
}

// isParamName reports whether the decoded key k names the parameter name:
// k is name or name[].
func isParamName(k, name string) bool {
	if len(k) == len(name) {
		return k == name
	}
	return len(k) == len(name)+2 && k[len(name):] == "[]" && k[:len(name)] == name
}
