package rfc9111

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Reason says why a response may not be stored. The zero value means it
// may.
type Reason uint8

// The reasons [Config.Storable] gives, in the order it checks them.
const (
	// ReasonMethod: the request method is not GET or HEAD (our choice: the
	// RFC allows more, no face needs it).
	ReasonMethod Reason = iota + 1
	// ReasonStatus: the status is not final, is 206 (we never store
	// partial content) or 304 (it updates a stored response instead), or
	// is one this cache does not understand and must-understand is given.
	ReasonStatus
	// ReasonRequestNoStore: the request says no-store (§5.2.1.5).
	ReasonRequestNoStore
	// ReasonNoStore: the response says no-store (§5.2.2.5), without a
	// must-understand that this cache honours.
	ReasonNoStore
	// ReasonPrivate: the response says private, unqualified, and the cache
	// is shared (§5.2.2.7).
	ReasonPrivate
	// ReasonAuthorization: the request has Authorization, the cache is
	// shared and the response allows it with none of public, s-maxage and
	// must-revalidate (§3.5).
	ReasonAuthorization
	// ReasonNotCacheable: no explicit freshness, no public (nor private in
	// a private cache) and a status not cacheable by default (§3).
	ReasonNotCacheable
)

var reasonNames = [...]string{
	"", "method", "status", "request-no-store", "no-store", "private", "authorization", "not-cacheable",
}

// String returns the reason as a short token, suitable for a Cache-Status
// detail; "" for the zero value.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Understood reports whether this cache knows the caching rules of a final
// status code: those RFC 9110 defines, minus 206 and 304, which it never
// stores.
func Understood(status int) bool {
	switch status {
	case 200, 201, 202, 203, 204, 205,
		300, 301, 302, 303, 307, 308,
		400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
		500, 501, 502, 503, 504, 505:
		return true
	}
	return false
}

// HeuristicallyCacheable reports whether a status is cacheable by default
// (RFC 9110 §15.1), 206 excluded: we never store partial content.
func HeuristicallyCacheable(status int) bool {
	switch status {
	case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// Storable reports whether the cache may store resp, the answer to req
// (RFC 9111 §3), and when not, why. Whether the response is complete is the
// caller's business, as are Vary and the predicates of hitbox.
func (c Config) Storable(req Request, resp Response) (bool, Reason) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false, ReasonMethod
	}
	cc := &resp.CC
	// §3: a final status; §5.2.2.3: with must-understand, only one the
	// cache understands, and then no-store is ignored.
	if resp.Status < 200 || resp.Status > 999 || resp.Status == http.StatusPartialContent ||
		resp.Status == http.StatusNotModified || (cc.MustUnderstand && !Understood(resp.Status)) {
		return false, ReasonStatus
	}
	if req.CC.NoStore {
		return false, ReasonRequestNoStore
	}
	if cc.NoStore && !cc.MustUnderstand {
		return false, ReasonNoStore
	}
	shared := !c.Private
	if shared && cc.Private {
		return false, ReasonPrivate
	}
	if shared && req.Authorization && !cc.Public && !cc.SMaxAge.Present() && !cc.MustRevalidate {
		return false, ReasonAuthorization
	}
	if cc.Public || (!shared && (cc.Private || len(cc.PrivateFields) > 0)) ||
		cc.MaxAge.Present() || (shared && cc.SMaxAge.Present()) ||
		(!resp.Targeted() && len(resp.Header["Expires"]) > 0) ||
		HeuristicallyCacheable(resp.Status) {
		return true, 0
	}
	return false, ReasonNotCacheable
}

// hopByHop are the fields a cache never stores: connection-specific ones
// (RFC 9110 §7.6.1) and those of the proxy a cache forwards through
// (RFC 9111 §3.1).
var hopByHop = [...]string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Transfer-Encoding", "Upgrade", "Trailer",
	"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Authentication-Info",
}

// IsHopByHop reports whether a field is never stored whatever the
// response says (see [StripForStore] for the fields a response lists).
// name is compared case-insensitively.
func IsHopByHop(name string) bool {
	for _, h := range hopByHop {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// StripForStore deletes from h, in place, the fields a cache must not
// store (RFC 9111 §3.1): hop-by-hop fields and those Connection names,
// no-cache="..." fields, and in a shared cache private="..." fields. cc is
// the response's governing directives ([Response.CC]). Call it on the copy
// of the header that is about to be stored.
func (c Config) StripForStore(h http.Header, cc Directives) {
	for _, line := range h["Connection"] {
		for line != "" {
			var name string
			name, line, _ = strings.Cut(line, ",")
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		delete(h, name)
	}
	for _, name := range cc.NoCacheFields {
		delete(h, name)
	}
	if !c.Private {
		for _, name := range cc.PrivateFields {
			delete(h, name)
		}
	}
}
