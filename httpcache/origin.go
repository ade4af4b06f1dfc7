package httpcache

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox"
)

// originVaried adds Origin to got, the Vary names of a response to r,
// when the response may depend on the request's Origin without saying so:
// r carries an Origin, the response grants an origin other than "*"
// (Access-Control-Allow-Origin), or the marker the lookup found (names)
// already varies by Origin. A response granting "*" to a request with an
// Origin grants every origin and is left alone.
func originVaried(got []string, r *http.Request, v *view, names []string) []string {
	if slices.Contains(got, "Origin") || len(got) >= maxVaryNames {
		return got
	}
	grant := grantOf(v)
	if len(r.Header["Origin"]) > 0 && grant != "*" || grant != "" && grant != "*" || slices.Contains(names, "Origin") {
		got = append(slices.Clone(got), "Origin")
		slices.Sort(got)
	}
	return got
}

// originless reports whether res, the answer of r's primary key, is an
// entry stored plain (by originVaried: for a request without Origin,
// granting no origin but maybe "*") that r, which carries an Origin, must
// not be served: unless it grants "*", r's own answer may differ.
func originless(r *http.Request, res hitbox.Result) bool {
	if len(r.Header["Origin"]) == 0 || !(res.Status == hitbox.Hit || res.Status == hitbox.Stale) {
		return false
	}
	if _, _, marker := parseMarkerGen(res.Value); marker {
		return false
	}
	v, err := parse(res.Value)
	return err == nil && grantOf(&v) != "*"
}

// grantOf is the origin v's Access-Control-Allow-Origin grants ("*" for
// every one), or "" when it has none.
func grantOf(v *view) string {
	if acao := v.header("Access-Control-Allow-Origin"); len(acao) > 0 {
		return strings.TrimSpace(acao[0])
	}
	return ""
}
