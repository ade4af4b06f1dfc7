// Package httpread holds the plumbing that predicate, extract and httpcache
// share to look at a request or a response without consuming it: the body
// read up to a limit and left for the next reader ([BodyBytes],
// [ResponseBodyBytes], [BodyFits], [NewBody]), the path as sent ([Path]),
// and jq over a JSON body ([CompileJQ], [EvalJQ], [DecodeJSON]).
package httpread

import (
	"errors"
	"io"
	"math"
	"net/http"
)

// ErrBodyTooLarge is returned by [BodyBytes] and [ResponseBodyBytes] for a
// body longer than the limit they were given.
var ErrBodyTooLarge = errors.New("body too large")

// BodyBytes returns the request body when it holds at most limit bytes (a
// negative limit counts as 0), and ErrBodyTooLarge otherwise. It leaves the
// request so that whoever reads r.Body next (the upstream) gets the body
// unchanged, and it never reads more than limit+1 bytes:
//
//   - a body of known length (r.ContentLength > limit) is too large without
//     a read;
//   - a body with a Bytes() []byte method, like the one BodyBytes leaves
//     behind, is used as is, without copying: Bytes must return the bytes
//     the body has yet to deliver;
//   - with r.GetBody set (a replayable body), a fresh copy from GetBody is
//     read and r.Body is left alone;
//   - otherwise r.Body is read and replaced by a body that delivers the
//     same bytes, and whose Close closes the original.
//
// The returned slice may be shared with r.Body: do not modify it. A read
// error is returned as is (r.Body then delivers what was read, then the
// original's rest). BodyBytes modifies r, so it is not safe for concurrent
// use on one request. A nil request or body gives an empty body.
func BodyBytes(r *http.Request, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	limit = max(limit, 0)
	if r.GetBody != nil && !isEmptyBody(r.Body) && !isInMemory(r.Body) && r.ContentLength <= limit {
		if rc, err := r.GetBody(); err == nil {
			data, err := readUpTo(rc, limit, r.ContentLength)
			rc.Close()
			if err != nil {
				return nil, err
			}
			return data, nil
		}
	}
	return readBody(&r.Body, r.ContentLength, limit)
}

// ResponseBodyBytes is [BodyBytes] for a response: it returns resp.Body's
// bytes when there are at most limit of them, and leaves resp.Body so that
// the client or the cache still reads the whole body.
func ResponseBodyBytes(resp *http.Response, limit int64) ([]byte, error) {
	if resp == nil {
		return nil, nil
	}
	return readBody(&resp.Body, resp.ContentLength, limit)
}

// readBody implements BodyBytes on the body *body, replacing it.
func readBody(body *io.ReadCloser, contentLength, limit int64) ([]byte, error) {
	limit = max(limit, 0)
	b := *body
	switch {
	case isEmptyBody(b):
		return nil, nil
	case contentLength > limit:
		return nil, ErrBodyTooLarge
	}
	switch b := b.(type) {
	case interface{ Bytes() []byte }:
		data := b.Bytes()
		if int64(len(data)) > limit {
			return nil, ErrBodyTooLarge
		}
		return data, nil
	case *prefixBody:
		if int64(len(b.data)) > limit {
			return nil, ErrBodyTooLarge
		}
	}
	data, err := readUpTo(b, limit, contentLength)
	if err != nil {
		*body = &prefixBody{data: data, rest: b}
		return nil, err
	}
	*body = &bytesBody{data: data, orig: b}
	return data, nil
}

// BodyFits reports whether the body holds at most limit bytes, reading as
// little as it can: a known length (contentLength > 0, which net/http
// enforces) answers without a read, a replayable body is counted on a
// fresh copy, any other is read through readBody (at most limit+1 bytes,
// then restored).
func BodyFits(body *io.ReadCloser, getBody func() (io.ReadCloser, error), contentLength, limit int64) bool {
	b := *body
	switch {
	case contentLength > limit:
		return false
	case contentLength > 0, isEmptyBody(b):
		return true
	}
	if m, ok := b.(interface{ Bytes() []byte }); ok {
		return int64(len(m.Bytes())) <= limit
	}
	if getBody != nil {
		if rc, err := getBody(); err == nil {
			n, err := io.Copy(io.Discard, io.LimitReader(rc, limit+1))
			rc.Close()
			return err == nil && n <= limit
		}
	}
	_, err := readBody(body, contentLength, limit)
	return err == nil
}

func isEmptyBody(b io.ReadCloser) bool {
	return b == nil || b == http.NoBody
}

func isInMemory(b io.ReadCloser) bool {
	_, ok := b.(interface{ Bytes() []byte })
	return ok
}

// readUpTo reads rd until EOF or until it holds limit+1 bytes, whichever
// comes first, and then fails with [ErrBodyTooLarge]. hint, when
// positive, is the expected length. It returns the bytes read, with the
// error too.
func readUpTo(rd io.Reader, limit, hint int64) ([]byte, error) {
	most := limit + 1
	if most <= 0 || most > math.MaxInt {
		most = math.MaxInt // limit is huge: no practical bound
	}
	size := int64(512)
	if hint > 0 && hint < math.MaxInt {
		size = hint + 1 // room for the read that sees EOF
	}
	buf := make([]byte, 0, min(size, most))
	for int64(len(buf)) < most {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := int64(cap(buf))
		if end > most {
			end = most
		}
		n, err := rd.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		return buf, ErrBodyTooLarge
	}
	return buf, nil
}

// NewBody returns a body that delivers data and, when closed, closes orig
// (nil: nothing to close). Its Bytes method (the bytes not yet read) lets
// predicates and extractors read it without copying; data must not be
// modified while the body is in use. BodyBytes leaves such a body in place
// of one it read whole.
func NewBody(data []byte, orig io.Closer) io.ReadCloser {
	return &bytesBody{data: data, orig: orig}
}

// bytesBody is the body NewBody returns.
type bytesBody struct {
	data []byte    // not yet delivered
	orig io.Closer // nil: nothing to close
}

func (b *bytesBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// WriteTo lets io.Copy send the bytes without an intermediate buffer.
func (b *bytesBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.data)
	b.data = b.data[n:]
	return int64(n), err
}

// Bytes returns the bytes not yet delivered.
func (b *bytesBody) Bytes() []byte { return b.data }

func (b *bytesBody) Close() error {
	if b.orig == nil {
		return nil
	}
	return b.orig.Close()
}

// prefixBody is what BodyBytes leaves in place of a body it did not read
// whole (too large, or a read error): the bytes read, then the rest.
type prefixBody struct {
	data []byte // read from rest, not yet delivered
	rest io.ReadCloser
}

func (b *prefixBody) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	return b.rest.Read(p)
}

func (b *prefixBody) Close() error { return b.rest.Close() }
