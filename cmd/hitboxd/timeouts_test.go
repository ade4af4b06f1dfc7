package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestE2EUpstreamTimeout504: an upstream slower than upstream_timeout
// gives 504 with a JSON error to every one of 10 concurrent clients from
// one upstream call (the others wait for it and share its answer), logged
// as a warning; nothing else (server, transport) cut the call first or
// answered otherwise.
func TestE2EUpstreamTimeout504(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	defer close(up.Release) // the upstream waits until the test ends
	p := startInProcess(t, testConfig(up.URL, "upstream_timeout: 2s", `endpoints:
  - name: slow
    request: [{Method: GET}, {Path: "/slow/*"}]`))
	c := newClient(t)
	const n = 10
	var wg sync.WaitGroup
	answers := make([]answer, n)
	errs := make([]error, n)
	start := time.Now()
	// The others are sent once the first one's call reached the upstream,
	// so that they find its shared call in flight (within its 2s).
	wg.Go(func() { answers[0], errs[0] = trySend(c, "GET", p.proxy+"/slow/one", "", nil) })
	awaitCount(t, &up.calls, 1)
	for i := 1; i < n; i++ {
		wg.Go(func() { answers[i], errs[i] = trySend(c, "GET", p.proxy+"/slow/one", "", nil) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, a := range answers {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		var body struct{ Error string }
		_ = json.Unmarshal(a.Body, &body)
		if a.Code != http.StatusGatewayTimeout || body.Error != "upstream timed out" || a.XCache != "MISS" {
			t.Errorf("request %d: %d %s %q, want 504 MISS {\"error\": \"upstream timed out\"}", i, a.Code, a.XCache, a.Body)
		}
	}
	if elapsed < 2*time.Second {
		t.Errorf("answered after %v, before the 2s upstream_timeout", elapsed)
	}
	if calls := up.calls.Load(); calls != 1 {
		t.Errorf("%d upstream calls, want 1 (the waiters share the timed-out call's answer)", calls)
	}
	if got := strings.Count(p.logs.String(), `level=WARN msg="upstream timed out"`); got < 1 {
		t.Errorf("no warning for the timeout in the log:\n%s", p.logs)
	}
}

// TestE2EUpstreamTimeoutDirect: a request no endpoint accepts is bounded
// by the file's upstream_timeout too (504), not by a transport limit.
func TestE2EUpstreamTimeoutDirect(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	defer close(up.Release)
	p := startInProcess(t, testConfig(up.URL, "upstream_timeout: 300ms", "endpoints: []"))
	a := send(t, newClient(t), "GET", p.proxy+"/slow/direct", "", nil)
	if a.Code != http.StatusGatewayTimeout || !strings.Contains(string(a.Body), "upstream timed out") {
		t.Errorf("got %d %q, want 504 upstream timed out", a.Code, a.Body)
	}
	if !strings.Contains(p.logs.String(), `level=WARN msg="upstream timed out"`) {
		t.Errorf("no warning for the timeout in the log:\n%s", p.logs)
	}
}

// pacedReader yields n chunks of size bytes, one per tick of pace.
type pacedReader struct {
	n, size int
	tick    *time.Ticker
}

func (r *pacedReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	<-r.tick.C
	r.n--
	m := min(len(p), r.size)
	for i := range p[:m] {
		p[i] = 'x'
	}
	return m, nil
}

// rawRequest connects to the proxy at base and writes req as it is; the
// connection is closed with the test.
func rawRequest(t *testing.T, base, req string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	return conn
}

// bodyIdleFile is a proxy in front of upstream with a short body_idle and
// no endpoint (every request goes straight through).
func bodyIdleFile(upstream string) string {
	return testConfig(upstream, "timeouts: {body_idle: 1s}", "endpoints: []")
}

// TestE2ESlowSteadyTransfers: an upload and a download that each take 3 s
// at a steady pace, much longer than body_idle (1s) and than any whole
// transfer timeout would allow, complete.
func TestE2ESlowSteadyTransfers(t *testing.T) {
	t.Parallel()
	const chunks, size, pace = 30, 100, 100 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, "%d", n)
			return
		}
		tick := time.NewTicker(pace)
		defer tick.Stop()
		rc := http.NewResponseController(w)
		src := &pacedReader{n: chunks, size: size, tick: tick}
		buf := make([]byte, size)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}))
	t.Cleanup(up.Close)
	p := startInProcess(t, bodyIdleFile(up.URL))
	c := newClient(t)
	c.Timeout = time.Minute

	t.Run("upload", func(t *testing.T) {
		t.Parallel()
		tick := time.NewTicker(pace)
		defer tick.Stop()
		start := time.Now()
		resp, err := c.Post(p.proxy+"/upload", "application/octet-stream", &pacedReader{n: chunks, size: size, tick: tick})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || string(b) != strconv.Itoa(chunks*size) {
			t.Fatalf("upload: %d %q %v, want 200 %d", resp.StatusCode, b, err, chunks*size)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("the upload took %v: not slow enough to prove anything", d)
		}
	})
	t.Run("download", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		resp, err := c.Get(p.proxy + "/download")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || n != chunks*size {
			t.Fatalf("download: %d, %d bytes, %v; want 200, %d bytes", resp.StatusCode, n, err, chunks*size)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("the download took %v: not slow enough to prove anything", d)
		}
	})
}

// TestE2EStalledUploadCut: a client that stops sending its body is cut
// after body_idle: the upstream's request is aborted and the client gets
// 400.
func TestE2EStalledUploadCut(t *testing.T) {
	t.Parallel()
	aborted := make(chan error, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		aborted <- err
	}))
	t.Cleanup(up.Close)
	p := startInProcess(t, bodyIdleFile(up.URL))
	start := time.Now()
	conn := rawRequest(t, p.proxy, "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n0123456789")
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stalled upload: %d, want 400\n%s", resp.StatusCode, p.logs)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("cut after %v, before body_idle (1s)", d)
	}
	select {
	case err := <-aborted:
		if err == nil {
			t.Error("the upstream read the whole body of a stalled upload")
		}
	case <-time.After(20 * time.Second):
		t.Error("the upstream's request was not aborted")
	}
}

// TestE2EStalledDownloadCut: a client that stops reading an endless
// response is cut after body_idle, and the upstream's request ends.
func TestE2EStalledDownloadCut(t *testing.T) {
	t.Parallel()
	ended := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(ended)
		chunk := make([]byte, 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(up.Close)
	p := startInProcess(t, bodyIdleFile(up.URL))
	conn := rawRequest(t, p.proxy, "GET /endless HTTP/1.1\r\nHost: test\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	// Stop reading: the proxy's writes block, then time out.
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the upstream's request still runs 20s after the client stopped reading")
	}
	// What the client gets afterwards is a cut response, never an end.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("the stalled download ended as if complete")
	}
}

// TestE2EUpstreamBodyStalled: an upstream that stops sending its body is
// cut after body_idle: the client's response is aborted (never a short
// 200 that looks complete) and the log says why.
func TestE2EUpstreamBodyStalled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, "the first bytes")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(up.Close)
	defer close(release)
	p := startInProcess(t, bodyIdleFile(up.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.proxy+"/stalls", nil)
	// The short body is read whole before it is written: the cut comes
	// before the head or in the body, never as a complete answer.
	var b []byte
	resp, err := newClient(t).Do(req)
	if err == nil {
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil || ctx.Err() != nil {
		t.Fatalf("read %d bytes, err %v (context %v): want the response cut by body_idle", len(b), err, ctx.Err())
	}
	if !strings.Contains(p.logs.String(), "upstream response body stalled") {
		t.Errorf("no log line for the stalled upstream body:\n%s", p.logs)
	}
}

// TestE2EKeepAliveOutlivesBodyIdle: a keep-alive connection idle longer
// than body_idle serves its next request: the write deadline the previous
// response left behind does not cut it.
func TestE2EKeepAliveOutlivesBodyIdle(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	p := startInProcess(t, testConfig(up.URL, "timeouts: {body_idle: 200ms}", booksEndpoints))
	c := newClient(t)
	var reused []bool
	for i := range 2 {
		if i == 1 {
			// The scenario itself: the connection sits idle past
			// body_idle (nothing to wait for).
			<-time.After(400 * time.Millisecond)
		}
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) { reused = append(reused, ci.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", p.proxy+"/books/1", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(b) == 0 {
			t.Fatalf("request %d: %d %q %v", i, resp.StatusCode, b, err)
		}
	}
	if len(reused) != 2 || !reused[1] {
		t.Errorf("connection reuse %v: the second request did not go over the idle connection", reused)
	}
}
