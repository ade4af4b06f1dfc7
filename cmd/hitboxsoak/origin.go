package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// origin is the upstream hitboxd fronts: it answers /<kind>/<id> as the
// kind says, with bodies the clients verify (makeBody). Its methods are
// safe for concurrent use.
type origin struct {
	slow  time.Duration // the longest slow answer
	calls [numKinds]atomic.Uint64
	srv   *http.Server
	url   string
}

// chunk is how much a chunked answer writes between flushes.
const chunk = 32 << 10

// startOrigin serves the origin on a free port of 127.0.0.1.
func startOrigin(slow time.Duration) (*origin, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("origin: %w", err)
	}
	o := &origin{slow: slow, url: "http://" + l.Addr().String()}
	o.srv = &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = o.srv.Serve(l) }() // returns when close closes the listener
	return o, nil
}

// close stops the origin, cutting the answers in flight.
func (o *origin) close() error { return o.srv.Close() }

// callsByKind returns the upstream calls the origin has seen, by kind.
func (o *origin) callsByKind() [numKinds]uint64 {
	var c [numKinds]uint64
	for k := range numKinds {
		c[k] = o.calls[k].Load()
	}
	return c
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k, id, ok := parsePath(r.URL.Path)
	if !ok || r.Method != http.MethodGet {
		http.Error(w, "no such thing", http.StatusNotFound)
		return
	}
	call := o.calls[k].Add(1)
	switch k {
	case kindSlow:
		// One to o.slow seconds, as the call number falls.
		d := time.Second + time.Duration(call%7)*max(o.slow-time.Second, 0)/6
		if !wait(r.Context(), d) {
			return
		}
	case kindFail:
		if call%2 == 0 {
			http.Error(w, "deliberate failure", http.StatusInternalServerError)
			return
		}
	case kindReset:
		switch call % 3 {
		case 0:
			reset(w, nil)
			return
		case 1:
			body := makeBody(r.URL.Path, call, k.size(id))
			reset(w, body[:len(body)/2])
			return
		}
	}
	body := makeBody(r.URL.Path, call, k.size(id))
	w.Header().Set("Content-Type", "application/octet-stream")
	if k != kindChunked {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
		return
	}
	rc := http.NewResponseController(w)
	for len(body) > 0 {
		n := min(len(body), chunk)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		body = body[n:]
	}
}

// reset takes the connection over and closes it: at once when part is nil,
// otherwise after a 200 header announcing more than part and part itself.
func reset(w http.ResponseWriter, part []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if part != nil {
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", 2*len(part)+1)
		_, _ = buf.Write(part)
		_ = buf.Flush()
	}
	if tc, ok := conn.(*net.TCPConn); ok && rand.N(2) == 0 {
		_ = tc.SetLinger(0) // a RST rather than a FIN, half the time
	}
}

// wait waits for d or for ctx, and says whether d passed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
