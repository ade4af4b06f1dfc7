package httpcache

import (
	"bytes"
	"io"
	"net/http"

	"github.com/hitbox-go/hitbox/predicate"
)

// bufferBody reads r's body once, up to max bytes, so that predicates and
// extractors can read it and the upstream still gets it unchanged. It
// returns a shallow copy of r whose body replays the bytes read (r itself
// when there is no body) and reports whether the body was read whole. When
// it was not (larger than max, or a read error), the returned request's
// body yields the bytes read followed by the rest of the original body (or
// the read error), and the request must bypass the cache.
//
// On the client side (clientSide), the original body is closed once read
// whole, as a RoundTripper must close it; otherwise closing the returned
// request's body closes the original.
func bufferBody(r *http.Request, max int64, clientSide bool) (*http.Request, []byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, nil, true
	}
	if r.ContentLength > max {
		return r, nil, false // not read at all
	}
	orig := r.Body
	b, err := io.ReadAll(io.LimitReader(orig, max+1))
	r2 := new(http.Request)
	*r2 = *r
	switch {
	case err != nil:
		r2.Body = readCloser{io.MultiReader(bytes.NewReader(b), errReader{err}), orig}
		r2.GetBody = nil
		return r2, nil, false
	case int64(len(b)) > max:
		r2.Body = readCloser{io.MultiReader(bytes.NewReader(b), orig), orig}
		return r2, nil, false
	}
	if clientSide {
		_ = orig.Close()
	}
	if len(b) == 0 {
		r2.Body = http.NoBody
		r2.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return r2, nil, true
	}
	resetBody(r2, b)
	return r2, b, true
}

// resetBody gives r a fresh body reading b, and a GetBody replaying it.
func resetBody(r *http.Request, b []byte) {
	r.Body = predicate.NewBody(b, nil)
	r.GetBody = func() (io.ReadCloser, error) { return predicate.NewBody(b, nil), nil }
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
