package hitboxd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Sizes are the body sizes of the rows, by URL prefix.
var Sizes = []struct {
	Name   string
	Prefix string
	Bytes  int
}{
	{"1 KiB", "/s1k/", 1 << 10},
	{"64 KiB", "/s64k/", 64 << 10},
}

// URLs is how many distinct URLs the load cycles over.
const URLs = 100

// callsPath is the origin's call counter (asked directly, never proxied).
const callsPath = "/__calls"

// ServeOptions configures a server of `hbworker serve`.
type ServeOptions struct {
	// Mode is "origin", "golimit" or "revproxy".
	Mode string
	// Addr is the listen address.
	Addr string
	// Upstream is the origin's URL (revproxy).
	Upstream string
}

// Serve runs a server until ctx ends.
func Serve(ctx context.Context, o ServeOptions) error {
	var h http.Handler
	switch o.Mode {
	case "origin":
		h = newOrigin()
	case "golimit":
		h = newGoLimit()
	case "revproxy":
		u, err := url.Parse(o.Upstream)
		if err != nil || u.Host == "" {
			return fmt.Errorf("revproxy: bad -upstream %q", o.Upstream)
		}
		h = httputil.NewSingleHostReverseProxy(u) // bare: the default transport
	default:
		return fmt.Errorf("unknown mode %q", o.Mode)
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sizeOf returns the body size a path asks for.
func sizeOf(path string) (int, bool) {
	for _, s := range Sizes {
		if strings.HasPrefix(path, s.Prefix) {
			return s.Bytes, true
		}
	}
	return 0, false
}

// body returns n bytes of text.
func body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// origin answers /s1k/N and /s64k/N with a body of that size, cacheable for
// an hour, and counts its calls (GET /__calls).
type origin struct {
	bodies map[int][]byte
	calls  atomic.Int64
}

func newOrigin() *origin {
	o := &origin{bodies: map[int][]byte{}}
	for _, s := range Sizes {
		o.bodies[s.Bytes] = body(s.Bytes)
	}
	return o
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == callsPath {
		_, _ = w.Write([]byte(strconv.FormatInt(o.calls.Load(), 10)))
		return
	}
	n, ok := sizeOf(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	o.calls.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "max-age=3600")
	h.Set("Content-Length", strconv.Itoa(n))
	_, _ = w.Write(o.bodies[n])
}

// prepared is a response ready to write.
type prepared struct {
	header http.Header
	body   []byte
}

// goLimit is "the Go limit": a plain net/http server answering every URL
// of the rows from a map of prepared responses.
type goLimit map[string]prepared

func newGoLimit() goLimit {
	g := goLimit{}
	for _, s := range Sizes {
		b := body(s.Bytes)
		for i := range URLs {
			g[s.Prefix+strconv.Itoa(i)] = prepared{header: http.Header{
				"Content-Type":   {"application/octet-stream"},
				"Cache-Control":  {"max-age=3600"},
				"Content-Length": {strconv.Itoa(s.Bytes)},
			}, body: b}
		}
	}
	return g
}

func (g goLimit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := g[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	_, _ = w.Write(p.body)
}
