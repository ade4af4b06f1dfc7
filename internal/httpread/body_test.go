package httpread_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/internal/httpread"
)

// countingBody is a body that counts what is read from it and whether it
// was closed.
type countingBody struct {
	r      io.Reader
	read   int
	closed bool
}

func newCountingBody(s string) *countingBody { return &countingBody{r: strings.NewReader(s)} }

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *countingBody) Close() error { b.closed = true; return nil }

// endless delivers 'a' forever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// failing delivers data, then err.
type failing struct {
	data string
	err  error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// readAll reads the rest of body, failing the test on an error.
func readAll(t *testing.T, body io.Reader) string {
	t.Helper()
	if body == nil {
		return ""
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("reading the body back: %v", err)
	}
	return string(b)
}

func TestBodyBytes(t *testing.T) {
	t.Parallel()
	const hello = "hello"
	tests := []struct {
		name     string
		body     string // the body's bytes
		length   int64  // r.ContentLength
		replay   bool   // set GetBody
		limit    int64
		want     string
		wantErr  error
		maxRead  int  // most bytes read from r.Body itself
		keepBody bool // r.Body must be the same value afterwards
	}{
		{"under limit", hello, -1, false, 10, hello, nil, 6, false},
		{"exactly the limit", hello, -1, false, 5, hello, nil, 5, false},
		{"one over the limit", hello, -1, false, 4, "", httpread.ErrBodyTooLarge, 5, false},
		{"known length over the limit: no read", hello, 5, false, 4, "", httpread.ErrBodyTooLarge, 0, true},
		{"known length under the limit", hello, 5, false, 10, hello, nil, 5, false},
		{"empty body", "", -1, false, 10, "", nil, 0, false},
		{"negative limit counts as 0", hello, -1, false, -3, "", httpread.ErrBodyTooLarge, 1, false},
		{"negative limit, empty body", "", -1, false, -3, "", nil, 0, false},
		{"replayable: GetBody read, Body untouched", hello, 5, true, 10, hello, nil, 0, true},
		{"replayable over the limit", hello, -1, true, 4, "", httpread.ErrBodyTooLarge, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := newCountingBody(tt.body)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Body, r.ContentLength = orig, tt.length
			if tt.replay {
				r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tt.body)), nil }
			}
			got, err := httpread.BodyBytes(r, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("BodyBytes(limit %d) error = %v, want %v", tt.limit, err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("BodyBytes(limit %d) = %q, want %q", tt.limit, got, tt.want)
			}
			if orig.read > tt.maxRead {
				t.Errorf("BodyBytes(limit %d) read %d bytes of the body, want at most %d", tt.limit, orig.read, tt.maxRead)
			}
			if tt.keepBody && r.Body != io.ReadCloser(orig) {
				t.Errorf("BodyBytes(limit %d) replaced r.Body, want it untouched", tt.limit)
			}
			if back := readAll(t, r.Body); back != tt.body {
				t.Errorf("body read after BodyBytes = %q, want the original %q", back, tt.body)
			}
			r.Body.Close()
			if !orig.closed {
				t.Errorf("closing r.Body after BodyBytes did not close the original body")
			}
		})
	}
}

func TestBodyBytesTwice(t *testing.T) {
	t.Parallel()
	orig := newCountingBody(`{"a":1}`)
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = orig, -1
	first, err1 := httpread.BodyBytes(r, 100)
	second, err2 := httpread.BodyBytes(r, 100)
	if err1 != nil || err2 != nil {
		t.Fatalf("BodyBytes errors: %v, %v", err1, err2)
	}
	if string(first) != `{"a":1}` || string(second) != `{"a":1}` {
		t.Fatalf("BodyBytes twice = %q, %q; want the body both times", first, second)
	}
	if &first[0] != &second[0] {
		t.Errorf("second BodyBytes copied the body; want the bytes the first call kept")
	}
	if orig.read != len(`{"a":1}`) {
		t.Errorf("the original body was read for %d bytes, want it read once (%d)", orig.read, len(`{"a":1}`))
	}
	if _, err := httpread.BodyBytes(r, 3); !errors.Is(err, httpread.ErrBodyTooLarge) {
		t.Errorf("BodyBytes(limit 3) on a kept 7-byte body error = %v, want ErrBodyTooLarge", err)
	}
	if back := readAll(t, r.Body); back != `{"a":1}` {
		t.Errorf("body read back = %q, want the original", back)
	}
}

func TestBodyBytesTooLargeTwice(t *testing.T) {
	t.Parallel()
	orig := newCountingBody("0123456789")
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = orig, -1
	for i := range 3 {
		if _, err := httpread.BodyBytes(r, 4); !errors.Is(err, httpread.ErrBodyTooLarge) {
			t.Fatalf("BodyBytes(limit 4) call %d error = %v, want ErrBodyTooLarge", i, err)
		}
	}
	if orig.read != 5 {
		t.Errorf("three BodyBytes(limit 4) read %d bytes of the body, want 5", orig.read)
	}
	if back := readAll(t, r.Body); back != "0123456789" {
		t.Errorf("body read back = %q, want the original", back)
	}
}

func TestBodyBytesEndless(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = io.NopCloser(endless{}), -1
	if _, err := httpread.BodyBytes(r, 1000); !errors.Is(err, httpread.ErrBodyTooLarge) {
		t.Fatalf("BodyBytes(limit 1000) on an endless body error = %v, want ErrBodyTooLarge", err)
	}
	// The first 1001 bytes are kept for the upstream, then the rest follows.
	buf := make([]byte, 3000)
	if n, err := io.ReadFull(r.Body, buf); n != 3000 || err != nil || bytes.Count(buf, []byte("a")) != 3000 {
		t.Errorf("reading the endless body back: %d bytes, %v", n, err)
	}
}

func TestBodyBytesReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = io.NopCloser(&failing{data: "abc", err: boom}), -1
	if got, err := httpread.BodyBytes(r, 100); !errors.Is(err, boom) || got != nil {
		t.Fatalf("BodyBytes on a failing body = %q, %v; want nil, boom", got, err)
	}
	back, err := io.ReadAll(r.Body)
	if string(back) != "abc" || !errors.Is(err, boom) {
		t.Errorf("body read back = %q, %v; want what was read (abc), then boom", back, err)
	}
}

func TestBodyBytesNoBody(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]io.ReadCloser{"nil": nil, "NoBody": http.NoBody} {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Body: body}
		if got, err := httpread.BodyBytes(r, 10); got != nil || err != nil {
			t.Errorf("BodyBytes(%s body) = %q, %v; want nil, nil", name, got, err)
		}
		if r.Body != body {
			t.Errorf("BodyBytes(%s body) replaced the body", name)
		}
		resp := &http.Response{Body: body}
		if got, err := httpread.ResponseBodyBytes(resp, 10); got != nil || err != nil {
			t.Errorf("ResponseBodyBytes(%s body) = %q, %v; want nil, nil", name, got, err)
		}
	}
	if got, err := httpread.BodyBytes(nil, 10); got != nil || err != nil {
		t.Errorf("BodyBytes(nil) = %q, %v; want nil, nil", got, err)
	}
	if got, err := httpread.ResponseBodyBytes(nil, 10); got != nil || err != nil {
		t.Errorf("ResponseBodyBytes(nil) = %q, %v; want nil, nil", got, err)
	}
}

func TestResponseBodyBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		length  int64
		limit   int64
		want    string
		wantErr error
		maxRead int
	}{
		{"under limit", "hello", -1, 10, "hello", nil, 6},
		{"over limit", "hello", -1, 2, "", httpread.ErrBodyTooLarge, 3},
		{"known length over limit", "hello", 5, 2, "", httpread.ErrBodyTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := newCountingBody(tt.body)
			resp := &http.Response{StatusCode: 200, Body: orig, ContentLength: tt.length}
			got, err := httpread.ResponseBodyBytes(resp, tt.limit)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("ResponseBodyBytes(limit %d) = %q, %v; want %q, %v", tt.limit, got, err, tt.want, tt.wantErr)
			}
			if orig.read > tt.maxRead {
				t.Errorf("ResponseBodyBytes(limit %d) read %d bytes, want at most %d", tt.limit, orig.read, tt.maxRead)
			}
			if back := readAll(t, resp.Body); back != tt.body {
				t.Errorf("body read after ResponseBodyBytes = %q, want %q", back, tt.body)
			}
			resp.Body.Close()
			if !orig.closed {
				t.Errorf("closing resp.Body did not close the original body")
			}
		})
	}
}
