package main

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// get asks the origin for path and verifies a 200's body.
func get(t *testing.T, c *http.Client, base, path string) (*http.Response, errClass) {
	t.Helper()
	resp, err := c.Get(base + path)
	if err != nil {
		return nil, classify(err, 0, nil)
	}
	defer resp.Body.Close()
	var bodyErr error
	if resp.StatusCode == http.StatusOK {
		_, bodyErr = verifyBody(path, resp.Body)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp, classify(nil, resp.StatusCode, bodyErr)
}

func newOrigin(t *testing.T) (*origin, *http.Client) {
	t.Helper()
	o, err := startOrigin(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.close() })
	// No connection reuse: Go's client retries a GET that failed on a
	// reused connection, which would shift the origin's call count.
	tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return o, &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// TestOriginAnswers: every kind the origin serves gives bodies that
// verify, and the chunked kind has no Content-Length.
func TestOriginAnswers(t *testing.T) {
	t.Parallel()
	o, c := newOrigin(t)
	for _, k := range []kind{kindHot, kindCold, kindStale, kindLarge, kindChunked, kindSlow} {
		resp, class := get(t, c, o.url, k.path(1))
		if class != errNone {
			t.Errorf("%s: %v, want a 200 that verifies", k.path(1), class)
			continue
		}
		if chunked := resp.ContentLength < 0; chunked != (k == kindChunked) {
			t.Errorf("%s: Content-Length %d", k.path(1), resp.ContentLength)
		}
	}
	if got := o.callsByKind()[kindHot]; got != 1 {
		t.Errorf("origin counted %d hot calls, want 1", got)
	}
}

// TestOriginFailures: the fail kind alternates 200 and 500; the reset
// kind cuts two calls in three, before the header or inside the body.
func TestOriginFailures(t *testing.T) {
	t.Parallel()
	o, c := newOrigin(t)
	var fails [numClasses]int
	for range 4 {
		_, class := get(t, c, o.url, kindFail.path(0))
		fails[class]++
	}
	if fails[errNone] != 2 || fails[err500] != 2 {
		t.Errorf("fail kind over 4 calls: %v, want two 200s and two 500s", fails)
	}
	var resets [numClasses]int
	for range 3 {
		_, class := get(t, c, o.url, kindReset.path(0))
		resets[class]++
	}
	if resets[errNone] != 1 || resets[errTransport] != 2 {
		t.Errorf("reset kind over 3 calls: %v, want one 200 and two transport errors", resets)
	}
	var ce *CorruptError
	resp, err := c.Get(o.url + kindReset.path(1)) // call 4: 4%3 == 1, cut inside the body
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := verifyBody(kindReset.path(1), resp.Body); err == nil || errors.As(err, &ce) {
		t.Errorf("a body cut halfway gave %v, want a transport error", err)
	}
}
