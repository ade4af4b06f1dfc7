// Package middleware is the harness's HTTP middleware row: hits per second
// of an in-process handler answered from cache, and allocations per hit,
// for 1 KiB and 64 KiB bodies, hitbox's httpcache.Middleware beside
// gregjones/httpcache (a client-side cache, adapted to serve a handler).
package middleware

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gregjones/httpcache"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	hbhttp "github.com/hitbox-go/hitbox/httpcache"
)

const (
	row  = "HTTP middleware hits"
	urls = 100
)

// missing are the peers that could not be built here, and why.
var missing = [][2]string{
	{"victorspringer/http-cache", "github.com/victorspringer/http-cache not served by the module proxy here"},
	{"souin", "github.com/darkweak/souin not served by the module proxy here"},
}

// origin answers every path with a body of its size, cacheable for an
// hour, counting its calls.
type origin struct {
	body  []byte
	date  string
	calls atomic.Int64
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.calls.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "max-age=3600")
	h.Set("Date", o.date)
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	_, _ = w.Write(o.body)
}

// discard is a ResponseWriter that keeps only what the check needs.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// subject is a caching handler and how to tell that it answered from cache.
type subject struct {
	name   string
	target *result.Target
	build  func(next http.Handler) (http.Handler, func(), error)
	hit    func(h http.Header) bool
}

// Run measures the middleware rows once.
func Run(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	subjects := []subject{
		{result.Hitbox, nil, buildHitbox, func(h http.Header) bool { return h.Get("X-Cache-Status") == "HIT" }},
		{"gregjones/httpcache", result.AtLeast(1.2, "≥ 1.2× the fastest peer"), buildGregjones,
			func(h http.Header) bool { return h.Get(httpcache.XFromCache) == "1" }},
	}
	var out []result.Measure
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, procs := range []int{1, 2} {
			cas := fmt.Sprintf("%d KiB, %d CPU", size>>10, procs)
			if procs > 1 {
				cas += "s"
			}
			for _, s := range subjects {
				m, err := measureOne(ctx, env, s, size, procs, cas)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", s.name, cas, err)
				}
				out = append(out, m)
			}
			for _, p := range missing {
				m := result.NA(row, cas, "hits/s", result.PerSecond, p[0], p[1])
				m.Target = result.AtLeast(1.2, "≥ 1.2× the fastest peer")
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func measureOne(ctx context.Context, env measure.Env, s subject, size, procs int, cas string) (result.Measure, error) {
	o := &origin{body: make([]byte, size), date: time.Now().UTC().Format(http.TimeFormat)}
	h, done, err := s.build(o)
	if err != nil {
		return result.Measure{}, err
	}
	defer done()
	// One request set per goroutine; the first pass stores every URL.
	reqs := make([][]*http.Request, procs)
	writers := make([]*discard, procs)
	for g := range reqs {
		writers[g] = &discard{h: make(http.Header)}
		for i := range urls {
			reqs[g] = append(reqs[g], httptest.NewRequest(http.MethodGet, "/items/"+strconv.Itoa(i), nil))
		}
	}
	for _, r := range reqs[0] {
		h.ServeHTTP(writers[0], r)
		clear(writers[0].h)
	}
	calls := o.calls.Load()
	tp, err := measure.Parallel(ctx, procs, env.Duration, func(g int, i uint64) bool {
		w := writers[g]
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, reqs[g][i%urls])
		return (w.status == http.StatusOK || w.status == 0) && w.n == size && s.hit(w.h)
	})
	if err != nil {
		return result.Measure{}, fmt.Errorf("not a hit: %w", err)
	}
	if got := o.calls.Load(); got != calls {
		return result.Measure{}, fmt.Errorf("origin called %d times during the hit run", got-calls)
	}
	env.Logf("%s %s %s: %.0f hits/s, %.1f allocs/hit", row, cas, s.name, tp.OpsPerSec, tp.AllocsPerOp)
	return result.Measure{Row: row, Case: cas, Metric: "hits/s", Unit: result.PerSecond, Subject: s.name,
		Value: tp.OpsPerSec, Note: fmt.Sprintf("%.1f allocs/hit", tp.AllocsPerOp), Target: s.target}, nil
}

func buildHitbox(next http.Handler) (http.Handler, func(), error) {
	mem, err := memory.New(memory.Options{})
	if err != nil {
		return nil, nil, err
	}
	cache, err := hitbox.New(mem)
	if err != nil {
		mem.Close(context.Background())
		return nil, nil, err
	}
	mw, err := hbhttp.Middleware(cache, []hbhttp.Endpoint{{Name: "items", Policy: hitbox.Enabled(time.Hour, 0)}})
	if err != nil {
		mem.Close(context.Background())
		return nil, nil, err
	}
	return mw(next), func() {
		_ = cache.Close(context.Background())
		_ = mem.Close(context.Background())
	}, nil
}

// handlerTransport is a RoundTripper answering from an in-process handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// buildGregjones serves next through gregjones/httpcache's Transport over
// its in-memory cache: the way to put that client-side cache in front of a
// handler.
func buildGregjones(next http.Handler) (http.Handler, func(), error) {
	t := &httpcache.Transport{Transport: handlerTransport{next}, Cache: httpcache.NewMemoryCache(), MarkCachedResponses: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := t.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		h := w.Header()
		for k, v := range resp.Header {
			h[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}), func() {}, nil
}
