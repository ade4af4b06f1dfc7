package predicate_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
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
		{"one over the limit", hello, -1, false, 4, "", predicate.ErrBodyTooLarge, 5, false},
		{"known length over the limit: no read", hello, 5, false, 4, "", predicate.ErrBodyTooLarge, 0, true},
		{"known length under the limit", hello, 5, false, 10, hello, nil, 5, false},
		{"empty body", "", -1, false, 10, "", nil, 0, false},
		{"negative limit counts as 0", hello, -1, false, -3, "", predicate.ErrBodyTooLarge, 1, false},
		{"negative limit, empty body", "", -1, false, -3, "", nil, 0, false},
		{"replayable: GetBody read, Body untouched", hello, 5, true, 10, hello, nil, 0, true},
		{"replayable over the limit", hello, -1, true, 4, "", predicate.ErrBodyTooLarge, 0, true},
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
			got, err := predicate.BodyBytes(r, tt.limit)
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
	first := must(predicate.BodyBytes(r, 100))
	second := must(predicate.BodyBytes(r, 100))
	if string(first) != `{"a":1}` || string(second) != `{"a":1}` {
		t.Fatalf("BodyBytes twice = %q, %q; want the body both times", first, second)
	}
	if &first[0] != &second[0] {
		t.Errorf("second BodyBytes copied the body; want the bytes the first call kept")
	}
	if orig.read != len(`{"a":1}`) {
		t.Errorf("the original body was read for %d bytes, want it read once (%d)", orig.read, len(`{"a":1}`))
	}
	if _, err := predicate.BodyBytes(r, 3); !errors.Is(err, predicate.ErrBodyTooLarge) {
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
		if _, err := predicate.BodyBytes(r, 4); !errors.Is(err, predicate.ErrBodyTooLarge) {
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
	if _, err := predicate.BodyBytes(r, 1000); !errors.Is(err, predicate.ErrBodyTooLarge) {
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
	if got, err := predicate.BodyBytes(r, 100); !errors.Is(err, boom) || got != nil {
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
		if got, err := predicate.BodyBytes(r, 10); got != nil || err != nil {
			t.Errorf("BodyBytes(%s body) = %q, %v; want nil, nil", name, got, err)
		}
		if r.Body != body {
			t.Errorf("BodyBytes(%s body) replaced the body", name)
		}
		resp := &http.Response{Body: body}
		if got, err := predicate.ResponseBodyBytes(resp, 10); got != nil || err != nil {
			t.Errorf("ResponseBodyBytes(%s body) = %q, %v; want nil, nil", name, got, err)
		}
	}
	if got, err := predicate.BodyBytes(nil, 10); got != nil || err != nil {
		t.Errorf("BodyBytes(nil) = %q, %v; want nil, nil", got, err)
	}
	if got, err := predicate.ResponseBodyBytes(nil, 10); got != nil || err != nil {
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
		{"over limit", "hello", -1, 2, "", predicate.ErrBodyTooLarge, 3},
		{"known length over limit", "hello", 5, 2, "", predicate.ErrBodyTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := newCountingBody(tt.body)
			resp := &http.Response{StatusCode: 200, Body: orig, ContentLength: tt.length}
			got, err := predicate.ResponseBodyBytes(resp, tt.limit)
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

func TestLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		length  int64 // r.ContentLength
		replay  bool
		n       int64
		want    bool
		maxRead int
	}{
		{"known length under: no read", "hello", 5, false, 10, true, 0},
		{"known length exact: no read", "hello", 5, false, 5, true, 0},
		{"known length over: no read", "hello", 5, false, 4, false, 0},
		{"unknown length under", "hello", -1, false, 10, true, 6},
		{"unknown length exact", "hello", -1, false, 5, true, 6},
		{"unknown length over", "hello", -1, false, 4, false, 5},
		{"zero length with a body is unknown", "hello", 0, false, 4, false, 5},
		{"empty body, limit 0", "", -1, false, 0, true, 0},
		{"replayable under: Body untouched", "hello", -1, true, 10, true, 0},
		{"replayable over: Body untouched", "hello", -1, true, 4, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := predicate.Body(must(predicate.Limit(tt.n)), predicate.BodyOptions{})
			orig := newCountingBody(tt.body)
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body, r.ContentLength = orig, tt.length
			if tt.replay {
				r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tt.body)), nil }
			}
			if got := p.Match(r); got != tt.want {
				t.Errorf("Limit(%d).Match(%d-byte body, Content-Length %d) = %v, want %v", tt.n, len(tt.body), tt.length, got, tt.want)
			}
			if orig.read > tt.maxRead {
				t.Errorf("Limit(%d) read %d bytes, want at most %d", tt.n, orig.read, tt.maxRead)
			}
			if back := readAll(t, r.Body); back != tt.body {
				t.Errorf("body read after Limit = %q, want %q", back, tt.body)
			}

			resp := &http.Response{StatusCode: 200, ContentLength: tt.length}
			resp.Body = newCountingBody(tt.body)
			rp := predicate.ResponseBody(must(predicate.Limit(tt.n)), predicate.BodyOptions{})
			if got := rp.Match(resp); got != tt.want {
				t.Errorf("response Limit(%d).Match(%d-byte body, Content-Length %d) = %v, want %v", tt.n, len(tt.body), tt.length, got, tt.want)
			}
			if back := readAll(t, resp.Body); back != tt.body {
				t.Errorf("response body read after Limit = %q, want %q", back, tt.body)
			}
		})
	}
}

func TestLimitEndless(t *testing.T) {
	t.Parallel()
	p := predicate.Body(must(predicate.Limit(1<<16)), predicate.BodyOptions{})
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	body := &countingBody{r: endless{}}
	r.Body, r.ContentLength = body, -1
	if p.Match(r) {
		t.Errorf("Limit(64KiB).Match(endless body) = true, want false")
	}
	if body.read > 1<<16+1 {
		t.Errorf("Limit(64KiB) read %d bytes of an endless body, want at most %d", body.read, 1<<16+1)
	}
}

func TestLimitError(t *testing.T) {
	t.Parallel()
	if _, err := predicate.Limit(-1); err == nil || !strings.Contains(err.Error(), "-1") {
		t.Errorf("Limit(-1) error = %v, want one naming -1", err)
	}
}

// TestBodyReachesUpstream runs a body predicate in front of a reverse
// proxy, as hitboxd does, and checks that the upstream gets every body
// unchanged, with and without a Content-Length.
func TestBodyReachesUpstream(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	t.Cleanup(upstream.Close)
	target := must(url.Parse(upstream.URL))
	proxy := httputil.NewSingleHostReverseProxy(target)

	admin := predicate.Body(must(predicate.JQ(`.user.role == "admin"`)), predicate.BodyOptions{MaxBytes: 64})
	small := predicate.Body(must(predicate.Limit(32)), predicate.BodyOptions{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Admin", boolText(admin.Match(r)))
		w.Header().Set("X-Small", boolText(small.Match(r)))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	tests := []struct {
		name      string
		method    string
		body      string
		chunked   bool
		wantAdmin string
		wantSmall string
	}{
		{"GET with a JSON body", http.MethodGet, `{"user":{"role":"admin"}}`, false, "true", "true"},
		{"POST chunked", http.MethodPost, `{"user":{"role":"admin"}}`, true, "true", "true"},
		{"not admin", http.MethodPost, `{"user":{"role":"guest"}}`, false, "false", "true"},
		{"not JSON", http.MethodPost, `role=admin`, false, "false", "true"},
		{"larger than MaxBytes", http.MethodPost, `{"user":{"role":"admin"},"pad":"` + strings.Repeat("x", 100) + `"}`, false, "false", "false"},
		{"larger than MaxBytes, chunked", http.MethodPost, `{"user":{"role":"admin"},"pad":"` + strings.Repeat("x", 100) + `"}`, true, "false", "false"},
		{"large chunked", http.MethodPut, strings.Repeat("0123456789", 100000), true, "false", "false"},
		{"no body", http.MethodGet, "", false, "false", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req := must(http.NewRequest(tt.method, front.URL+"/x", body))
			resp, err := front.Client().Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tt.method, err)
			}
			defer resp.Body.Close()
			got := readAll(t, resp.Body)
			if got != tt.body {
				t.Errorf("upstream got a %d-byte body, want the %d bytes sent", len(got), len(tt.body))
			}
			if a, s := resp.Header.Get("X-Admin"), resp.Header.Get("X-Small"); a != tt.wantAdmin || s != tt.wantSmall {
				t.Errorf("admin, small = %s, %s; want %s, %s", a, s, tt.wantAdmin, tt.wantSmall)
			}
		})
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
