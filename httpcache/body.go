package httpcache

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/hitbox-go/hitbox/internal/httpread"
)

// bufferBody reads r's body once, up to max bytes, so that predicates and
// extractors can read it and the upstream still gets it unchanged. It
// returns a shallow copy of r whose body replays the bytes read (r itself
// when there is no body) and reports whether the body was read whole. When
// it was not (larger than max, the in-flight budget spent, or a read
// error), the returned request's body yields the bytes read followed by
// the rest of the original body (or the read error), and the request must
// bypass the cache.
//
// A body read whole is reserved in bud for cap(body) bytes, which the
// caller releases once done with it (see releaseBody).
//
// On the client side (clientSide), the original body is closed once read
// whole, as a RoundTripper must close it; otherwise closing the returned
// request's body closes the original.
func bufferBody(r *http.Request, max int64, clientSide bool, bud *budget) (*http.Request, []byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, nil, true
	}
	if r.ContentLength > max {
		return r, nil, false // not read at all
	}
	orig := r.Body
	b, refused, err := readReserved(orig, max, r.ContentLength, bud)
	r2 := new(http.Request)
	*r2 = *r
	switch {
	case err != nil:
		bud.release(int64(cap(b)))
		r2.Body = readCloser{io.MultiReader(bytes.NewReader(b), errReader{err}), orig}
		r2.GetBody = nil
		return r2, nil, false
	case refused || int64(len(b)) > max:
		bud.release(int64(cap(b)))
		if refused {
			bud.stats.OverBudget.Add(1)
		}
		r2.Body = readCloser{io.MultiReader(bytes.NewReader(b), orig), orig}
		return r2, nil, false
	}
	if clientSide {
		_ = orig.Close()
	}
	if len(b) == 0 {
		bud.release(int64(cap(b)))
		r2.Body = http.NoBody
		r2.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return r2, nil, true
	}
	resetBody(r2, b)
	return r2, b, true
}

// releaseBody gives back the reservation of a body bufferBody read.
func releaseBody(bud *budget, body []byte) { bud.release(int64(cap(body))) }

// readReserved reads rd to its end, up to maxLen+1 bytes, reserving every
// byte of buffer in bud before it is allocated (hint, the declared length
// or -1, sizes the first buffer). It stops, refused, when the budget is
// spent. The buffer's capacity is what is reserved.
func readReserved(rd io.Reader, maxLen, hint int64, bud *budget) (b []byte, refused bool, err error) {
	limit := maxLen + 1
	var reserved int64
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			want := int64(2 * cap(b))
			if cap(b) == 0 {
				want = 512
				if hint >= 0 {
					want = hint + 1 // room to see the end
				}
			}
			want = min(max(want, 512), limit)
			if !bud.tryAcquire(want - reserved) {
				return b, true, nil
			}
			reserved = want
			nb := make([]byte, len(b), want)
			copy(nb, b)
			b = nb
		}
		n, rerr := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(rerr, io.EOF) {
			return b, false, nil
		}
		if rerr != nil {
			return b, false, rerr
		}
	}
	return b, false, nil
}

// resetBody gives r a fresh body reading b, and a GetBody replaying it.
func resetBody(r *http.Request, b []byte) {
	r.Body = httpread.NewBody(b, nil)
	r.GetBody = func() (io.ReadCloser, error) { return httpread.NewBody(b, nil), nil }
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
