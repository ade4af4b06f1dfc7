package predicate_test

import (
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
