package main

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFullBodyFillsBuffers(t *testing.T) {
	t.Parallel()
	errCut := errors.New("cut")
	tests := []struct {
		name    string
		src     io.Reader
		buf     int
		want    []string // what each Read returns
		wantErr error    // the error of the last Read
	}{
		{
			name: "one byte at a time, buffer larger than the body",
			src:  iotest.OneByteReader(strings.NewReader("hello")), buf: 16,
			want: []string{"hello"}, wantErr: io.EOF,
		},
		{
			name: "one byte at a time, buffer smaller than the body",
			src:  iotest.OneByteReader(strings.NewReader("hello world")), buf: 4,
			want: []string{"hell", "o wo", "rld"}, wantErr: io.EOF,
		},
		{
			name: "data with EOF in the same read",
			src:  iotest.DataErrReader(strings.NewReader("abc")), buf: 8,
			want: []string{"abc"}, wantErr: io.EOF,
		},
		{
			name: "a failure after some bytes keeps them",
			src:  io.MultiReader(iotest.OneByteReader(strings.NewReader("ab")), iotest.ErrReader(errCut)), buf: 8,
			want: []string{"ab"}, wantErr: errCut,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := fullBody{io.NopCloser(tt.src)}
			var got []string
			var err error
			for err == nil {
				p := make([]byte, tt.buf)
				var n int
				n, err = b.Read(p)
				if err == nil && n != tt.buf {
					t.Fatalf("Read = %d bytes and no error, want a full buffer of %d", n, tt.buf)
				}
				if n > 0 {
					got = append(got, string(p[:n]))
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("last Read error = %v, want %v", err, tt.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("reads = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWholeBody(t *testing.T) {
	t.Parallel()
	body := io.NopCloser(strings.NewReader("x"))
	tests := []struct {
		name   string
		status int // 0: 200
		cl     int64
		ct     string
		body   io.ReadCloser
		want   bool
	}{
		{name: "small known length", cl: 1024, ct: "application/octet-stream", body: body, want: true},
		{name: "exactly one buffer", cl: copyBufferSize, body: body, want: true},
		{name: "larger than a buffer", cl: copyBufferSize + 1, body: body},
		{name: "unknown length", cl: -1, body: body},
		{name: "empty", cl: 0, body: body},
		{name: "no body", cl: 10, body: http.NoBody},
		{name: "nil body", cl: 10},
		{name: "event stream", cl: 10, ct: "text/event-stream", body: body},
		{name: "event stream with parameters", cl: 10, ct: "Text/Event-Stream; charset=utf-8", body: body},
		{name: "short content type", cl: 10, ct: "text/plain", body: body, want: true},
		{name: "switching protocols", status: http.StatusSwitchingProtocols, cl: 10, body: body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: cmp.Or(tt.status, http.StatusOK), ContentLength: tt.cl, Header: http.Header{}, Body: tt.body}
			if tt.ct != "" {
				resp.Header.Set("Content-Type", tt.ct)
			}
			if got := wholeBody(resp); got != tt.want {
				t.Errorf("wholeBody = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBufferPool(t *testing.T) {
	t.Parallel()
	var p bufferPool
	b := p.Get()
	if len(b) != copyBufferSize {
		t.Fatalf("Get: %d bytes, want %d", len(b), copyBufferSize)
	}
	p.Put(b)
	p.Put(make([]byte, 10)) // not one of ours: dropped
	for range 3 {
		if b := p.Get(); len(b) != copyBufferSize {
			t.Fatalf("Get after Put: %d bytes, want %d", len(b), copyBufferSize)
		}
	}
}

// TestBufferPoolAllocs is not parallel: testing.AllocsPerRun panics in a
// parallel test (other tests' allocations would count).
func TestBufferPoolAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	var p bufferPool
	p.Put(p.Get())
	if n := testing.AllocsPerRun(100, func() { p.Put(p.Get()) }); n != 0 {
		t.Errorf("Get and Put: %v allocations, want 0", n)
	}
}

// writeCounter is a ResponseWriter that counts the writes of the body.
type writeCounter struct {
	h      http.Header
	status int
	writes int
	body   bytes.Buffer
}

func (w *writeCounter) Header() http.Header  { return w.h }
func (w *writeCounter) WriteHeader(code int) { w.status = code }
func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.body.Write(p)
}

// newTestProxy returns a proxy to an upstream running h, on a transport of
// its own.
func newTestProxy(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	up := httptest.NewServer(h)
	tr := newTransport()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		up.Close()
	})
	target, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	return newProxy(target, tr, new(bufferPool), slog.New(slog.DiscardHandler))
}

// TestProxyWritesSmallBodyOnce: a body of known length that fits a copy
// buffer reaches the client in one write however the upstream sent it,
// and a larger one arrives whole.
func TestProxyWritesSmallBodyOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		size      int
		chunked   bool // no Content-Length: ReverseProxy copies as it comes
		maxWrites int
	}{
		{name: "1 KiB", size: 1 << 10, maxWrites: 1},
		{name: "64 KiB", size: 64 << 10, maxWrites: 1},
		{name: "200 KiB", size: 200 << 10, maxWrites: 1 << 20},
		{name: "unknown length", size: 8 << 10, chunked: true, maxWrites: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := bytes.Repeat([]byte("0123456789abcdef"), tt.size/16)
			p := newTestProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(want)))
				}
				rc := http.NewResponseController(w)
				for chunk := range chunks(want, 1000) {
					_, _ = w.Write(chunk)
					_ = rc.Flush() // separate segments
				}
			}))
			w := &writeCounter{h: http.Header{}}
			p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
			if w.status != http.StatusOK || !bytes.Equal(w.body.Bytes(), want) {
				t.Fatalf("got status %d and %d bytes (equal: %v), want 200 and the %d bytes sent",
					w.status, w.body.Len(), bytes.Equal(w.body.Bytes(), want), len(want))
			}
			if w.writes > tt.maxWrites {
				t.Errorf("body written in %d writes, want at most %d", w.writes, tt.maxWrites)
			}
		})
	}
}

// chunks yields b in pieces of n bytes.
func chunks(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// TestProxyTruncatedSmallBody: an upstream that announces more than it
// sends still gives a short body, never a complete-looking one.
func TestProxyTruncatedSmallBody(t *testing.T) {
	t.Parallel()
	p := newTestProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write(bytes.Repeat([]byte("a"), 500))
		_ = http.NewResponseController(w).Flush()
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = c.Close()
		}
	}))
	w := &writeCounter{h: http.Header{}}
	func() {
		defer func() {
			// Under a server, ReverseProxy aborts the response.
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				panic(v)
			}
		}()
		p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
	}()
	if w.body.Len() >= 1000 {
		t.Errorf("client got %d bytes of a body cut at 500", w.body.Len())
	}
}

// BenchmarkProxyForward is the proxy alone forwarding to an upstream on
// loopback (the upstream's own cost included), with allocations.
func BenchmarkProxyForward(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			body := bytes.Repeat([]byte("a"), size)
			p := newTestProxy(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(size))
				_, _ = w.Write(body)
			}))
			w := &writeCounter{h: http.Header{}}
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.body.Reset()
				p.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK || w.body.Len() != size {
				b.Fatalf("last answer: %d, %d bytes", w.status, w.body.Len())
			}
		})
	}
}
