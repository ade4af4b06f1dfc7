package httpcache

import "net/http"

// headShares reports whether p is a HEAD request whose key a GET of the
// same resource would also have (the key does not include the method, or
// cannot be built for the GET): its answer, which has no body, must then
// never be stored, or a GET would be served an empty body. A HEAD may
// still be answered from a stored GET entry (headers only).
func (c *core) headShares(p plan) bool {
	if p.ep == nil || p.r.Method != http.MethodHead {
		return false
	}
	key, ok := c.getKey(p)
	return !ok || key == p.key
}

// getKey returns the key a GET of p's resource would have; false when
// it cannot be built.
func (c *core) getKey(p plan) (string, bool) {
	g := new(http.Request)
	*g = *p.r
	g.Method = http.MethodGet
	if p.body != nil {
		resetBody(g, p.body)
	}
	return c.key(g, p.ep)
}
