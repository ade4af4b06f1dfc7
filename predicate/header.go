package predicate

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// Header returns a predicate on the request header name. Names compare
// case-insensitively, values case-sensitively. op's configured values are
// trimmed of surrounding whitespace (a regular expression is kept as
// written), and so is each received value, as HTTP trims them.
//
// A header sent several times (several field lines) satisfies Eq, In,
// Contains, Starts, Ends and Regex when any one of its values does; a line
// is one value, commas included (`Accept: a, b` is the single value "a, b").
// Exist holds when the header is present, even with an empty value, and Eq("")
// matches a present empty value.
//
// The request's Host header, which net/http moves to [http.Request.Host],
// is read from there.
//
// A name that is not an HTTP token, or a zero op, is an error.
func Header(name string, op Op) (Request, error) {
	h, err := newHeaderMatch(name, op)
	if err != nil {
		return nil, err
	}
	return requestHeader{h: h, host: h.key == "Host"}, nil
}

// ResponseHeader is [Header] on the response's headers.
func ResponseHeader(name string, op Op) (Response, error) {
	h, err := newHeaderMatch(name, op)
	if err != nil {
		return nil, err
	}
	return responseHeader{h: h}, nil
}

type headerMatch struct {
	key string // canonical form, as net/http stores it
	op  Op
}

func newHeaderMatch(name string, op Op) (headerMatch, error) {
	name = strings.TrimSpace(name)
	if !isToken(name) {
		return headerMatch{}, fmt.Errorf("predicate: invalid header name %q", name)
	}
	if op.kind == 0 {
		return headerMatch{}, fmt.Errorf("predicate: header %q: no operation", name)
	}
	return headerMatch{key: textproto.CanonicalMIMEHeaderKey(name), op: op.trimmed()}, nil
}

// match reports whether any value satisfies the operation (Exist: whether
// there is a value at all).
func (h *headerMatch) match(values []string) bool {
	for _, v := range values {
		if h.op.match(strings.Trim(v, " \t")) {
			return true
		}
	}
	return false
}

type requestHeader struct {
	h    headerMatch
	host bool
}

func (p requestHeader) Match(r *http.Request) bool {
	if r == nil {
		return false
	}
	values := r.Header[p.h.key]
	if p.host && len(values) == 0 && r.Host != "" {
		return p.h.op.match(r.Host)
	}
	return p.h.match(values)
}

type responseHeader struct{ h headerMatch }

func (p responseHeader) Match(resp *http.Response) bool {
	return resp != nil && p.h.match(resp.Header[p.h.key])
}
