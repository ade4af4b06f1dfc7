package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox/config"
)

// Where the demo listens when the addresses are free.
const (
	demoProxyAddr = "127.0.0.1:8080"
	demoAdminAddr = "127.0.0.1:8081"
)

// demoConfig is the demo's hitboxd file: listen, upstream and admin
// addresses are filled in.
const demoConfig = `listen: %q
upstream: %q
admin:
  listen: %q
backend:
  type: Memory
  max_bytes: 64MiB
endpoints:
  - name: book
    request:
      - Method: GET
      - Path: /books/{id}
      - Not: {Header: {Authorization: {exist: ~}}}
      - Not: {Header: {Cookie: {exist: ~}}}
    response:
      - Status: 200
      - Not: {Header: {Set-Cookie: {exist: ~}}}
    extractors:
      - Method:
      - Path: /books/{id}
      - Query: {name: {starts: ""}}   # every query parameter, so ?x=1 is its own entry
    tags:                             # POST /purge {"tags": ["id=1"]} drops /books/1 in every form
      request:
        - Path: /books/{id}
    policy:
      Enabled: {ttl: 60, stale: 30}
  - name: books
    request:
      - Method: GET
      - Path: /books
      - Not: {Header: {Authorization: {exist: ~}}}
      - Not: {Header: {Cookie: {exist: ~}}}
    response:
      - Status: 200
      - Not: {Header: {Set-Cookie: {exist: ~}}}
    extractors:
      - Method:
      - Path: /books
      - Query: page
    policy:
      Enabled: {ttl: 10}
  # semantics: Rfc9111 (the default is Hitbox): the upstream's
  # Cache-Control decides, as in a shared HTTP cache. /authors/{id} says
  # max-age=30 and carries an ETag: fresh for 30s, then revalidated (a 304
  # refreshes it); ?private=1 says private and is never stored; a POST to
  # an author drops its entry. The ttl caps every lifetime.
  - name: authors
    semantics: Rfc9111
    request:
      - Method: GET
      - Path: /authors/{id}
      - Not: {Header: {Cookie: {exist: ~}}}
    extractors:
      - Method:
      - Path: /authors/{id}
      - Query: {name: {starts: ""}}
    policy:
      Enabled: {ttl: 60}
`

// runDemo is `hitboxd demo`: a built-in upstream on a free loopback port,
// the proxy in front of it (on 127.0.0.1:8080 when free) with the admin
// API (127.0.0.1:8081 when free), the URLs to try, one request shown
// going MISS then HIT, and then serving until ctx ends.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hitboxd demo", stderr)
	listen := fs.String("listen", "", "the proxy's `address` (default "+demoProxyAddr+" when free, else a free port)")
	adminListen := fs.String("admin", "", "the admin API's `address` (default "+demoAdminAddr+" when free, else a free port)")
	level := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return &usageError{err: err}
	}

	up, err := startDemoUpstream()
	if err != nil {
		return err
	}
	defer up.stop()

	file := fmt.Sprintf(demoConfig, pickAddr(*listen, demoProxyAddr), up.url, pickAddr(*adminListen, demoAdminAddr))
	d, err := start(serveOptions{
		Load:            func() (*config.File, config.Warnings, error) { return config.Parse("demo.yaml", []byte(file)) },
		Logger:          log,
		ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	proxy, admin := "http://"+d.proxyAddr(), "http://"+d.adminAddr()
	fmt.Fprintf(stdout, `hitboxd demo: a built-in upstream with the caching proxy in front of it.

  upstream  %s   (the origin; its answers count the calls it got)
  proxy     %s
  admin     %s   (open it in a browser: the dashboard)

Try:
  curl -i %s/books/1
  curl -i '%s/books?page=2'
  curl -i %s/authors/1          # semantics Rfc9111: the upstream's Cache-Control decides
  curl -s %s/keys
  curl -s %s/stats
  curl -s -X POST %s/purge -d '{"tags": ["id=1"]}'   # every entry of /books/1
  curl -s -X POST %s/purge -d '{}'

`, up.url, proxy, admin, proxy, proxy, proxy, admin, admin, admin, admin)

	if err := demoTwice(ctx, stdout, proxy+"/books/1"); err != nil {
		fmt.Fprintf(stdout, "the demo request failed: %v\n", err)
	}
	fmt.Fprintf(stdout, "\nThe endpoint authors has semantics Rfc9111: the upstream's Cache-Control: max-age=30 makes it fresh for 30s.\n")
	if err := demoTwice(ctx, stdout, proxy+"/authors/1"); err != nil {
		fmt.Fprintf(stdout, "the demo request failed: %v\n", err)
	}
	fmt.Fprintf(stdout, "\nServing until Ctrl-C.\n")
	if err := <-done; err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Stopped.\n")
	return nil
}

// pickAddr returns want when set, else def when it can be bound now, else
// a loopback port that was free a moment ago.
func pickAddr(want, def string) string {
	if want != "" {
		return want
	}
	ln, err := net.Listen("tcp", def)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "127.0.0.1:0"
		}
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// demoTwice gets url twice through the proxy and prints how each answer
// was served.
func demoTwice(ctx context.Context, w io.Writer, url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	fmt.Fprintf(w, "GET %s, twice:\n", url)
	for i, nth := range []string{"1st", "2nd"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		var book struct {
			Calls int64 `json:"upstream_calls"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&book)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the answer: %w", err)
		}
		age := ""
		if v := resp.Header.Get("Age"); v != "" {
			age = "   Age: " + v
		}
		fmt.Fprintf(w, "  %s: %d  X-Cache-Status: %-5s Cache-Status: %s%s   (upstream calls so far: %d)\n",
			nth, resp.StatusCode, resp.Header.Get("X-Cache-Status"), resp.Header.Get("Cache-Status"), age, book.Calls)
		if i == 1 && resp.Header.Get("X-Cache-Status") == "HIT" {
			fmt.Fprintf(w, "The second answer came from the cache: the upstream was called once.\n")
		}
	}
	return nil
}

// demoUpstream is the demo's origin: a few JSON endpoints on a free
// loopback port.
type demoUpstream struct {
	url   string
	srv   *http.Server
	done  chan struct{}
	calls atomic.Int64
}

type demoBook struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
}

// demoBooks is the demo upstream's catalogue.
func demoBooks() []demoBook {
	return []demoBook{
		{1, "The Left Hand of Darkness", "Ursula K. Le Guin"},
		{2, "Roadside Picnic", "Arkady and Boris Strugatsky"},
		{3, "Solaris", "Stanisław Lem"},
		{4, "Dhalgren", "Samuel R. Delany"},
	}
}

func startDemoUpstream() (*demoUpstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo upstream: %w", err)
	}
	u := &demoUpstream{url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	u.srv = &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(u.done)
		_ = u.srv.Serve(ln)
	}()
	return u, nil
}

func (u *demoUpstream) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := u.srv.Shutdown(ctx); err != nil {
		_ = u.srv.Close()
	}
	<-u.done
}

// ServeHTTP answers GET /books?page=N, GET /books/{id} and GET and POST
// /authors/{id}; every answer says how many calls the upstream got so far.
func (u *demoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := u.calls.Add(1)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/authors/") {
		writeJSON(w, http.StatusOK, map[string]any{"updated": r.URL.Path, "upstream_calls": n})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSONError(w, http.StatusMethodNotAllowed, "the demo upstream answers GET only")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	if r.URL.Path == "/books" {
		page := r.URL.Query().Get("page")
		writeJSON(w, http.StatusOK, map[string]any{"books": demoBooks(), "page": page, "upstream_calls": n, "served_at": now})
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/books/"); ok {
		for _, b := range demoBooks() {
			if strconv.Itoa(b.ID) == id {
				writeJSON(w, http.StatusOK, map[string]any{"book": b, "upstream_calls": n, "served_at": now})
				return
			}
		}
		w.Header().Del("Cache-Control")
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no book " + strconv.Quote(id), "upstream_calls": n})
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/authors/"); ok {
		u.author(w, r, id, n)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "try /books, /books/1 or /authors/1", "upstream_calls": n})
}

// author answers GET /authors/{id} as an origin speaking HTTP caching
// (for the Rfc9111 endpoint): max-age=30 and an ETag, If-None-Match
// answered 304, ?private=1 answered private.
func (u *demoUpstream) author(w http.ResponseWriter, r *http.Request, id string, n int64) {
	books := demoBooks()
	i, err := strconv.Atoi(id)
	if err != nil || i < 1 || i > len(books) {
		w.Header().Del("Cache-Control")
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no author " + strconv.Quote(id), "upstream_calls": n})
		return
	}
	etag := `"author-` + id + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "max-age=30")
	if r.URL.Query().Get("private") == "1" {
		w.Header().Set("Cache-Control", "private, max-age=30")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"author": books[i-1].Author, "upstream_calls": n})
}
