package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// sampleEvery is how often hitboxd's RSS and goroutines are sampled for
// their peaks.
const sampleEvery = time.Second

// maxCorruptLines bounds the corrupt bodies shown one by one.
const maxCorruptLines = 20

// parts are the processes and servers a soak drives.
type parts struct {
	daemon *daemon
	redis  *redisServer
	origin *origin
}

// soak drives the load and the chaos for o.duration (or until ctx ends or
// hitboxd exits), writing a line every o.report to w, and returns the
// figures of the run; the caller stops hitboxd and fills in how it exited.
func soak(ctx context.Context, o options, p parts, w io.Writer) (summary, error) {
	var s summary
	mc := &http.Client{Timeout: 5 * time.Second}
	metricsURL := p.daemon.admin + "/metrics"
	m, err := scrapeMetrics(ctx, mc, metricsURL)
	if err != nil {
		return s, err
	}
	s.Metrics, s.GorStart, s.GorPeak = m, m.Goroutines, m.Goroutines
	if s.RSSStart, err = readRSS(p.daemon.pid()); err != nil {
		return s, err
	}
	s.RSSPeak = s.RSSStart
	fmt.Fprintf(w, "hitboxd pid %d: proxy %s, admin %s; origin %s; redis %s\n", p.daemon.pid(), p.daemon.proxy, p.daemon.admin, p.origin.url, p.redis.addr)
	fmt.Fprintf(w, "%d clients, at most %.0f requests/s, for %s; every %s a report\n", o.clients, o.rate, o.duration, o.report)

	loadCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	counts := &counters{}
	var corrupted atomic.Int64
	l := newLoad(p.daemon.proxy, o.clients, counts, func(path string, err error) {
		switch n := corrupted.Add(1); {
		case n <= maxCorruptLines:
			fmt.Fprintf(w, "[%5s] CORRUPT %s: %v\n", since(start), path, err)
		case n == maxCorruptLines+1:
			fmt.Fprintf(w, "[%5s] CORRUPT: more corrupt bodies, counted but not shown\n", since(start))
		}
	})
	defer l.close()
	var wg sync.WaitGroup
	wg.Go(func() { l.run(loadCtx, o.clients, o.rate, o.seed) })
	state := &redisState{}
	chaosErr := make(chan error, 1)
	var chaosDone []string // written by the chaos goroutine, read after wg.Wait
	if o.chaos {
		wg.Go(func() {
			var err error
			chaosDone, err = runChaos(loadCtx, start, schedule(o.duration), p.redis, state, w)
			chaosErr <- err
		})
	}

	sample := func() {
		if rss, err := readRSS(p.daemon.pid()); err == nil {
			s.RSSEnd, s.RSSPeak = rss, max(s.RSSPeak, rss)
		}
		if m, err := scrapeMetrics(ctx, mc, metricsURL); err == nil {
			s.Metrics, s.GorEnd, s.GorPeak = m, m.Goroutines, max(s.GorPeak, m.Goroutines)
		}
	}
	samples := time.NewTicker(sampleEvery)
	defer samples.Stop()
	reports := time.NewTicker(o.report)
	defer reports.Stop()
	var (
		prev   snapshot
		prevAt = start
		failed error
	)
loop:
	for {
		select {
		case <-loadCtx.Done():
			break loop
		case <-p.daemon.exited:
			failed = fmt.Errorf("%w: %v", errDaemonDied, p.daemon.err)
			break loop
		case err := <-chaosErr:
			if err != nil {
				failed = err
				break loop
			}
		case <-samples.C:
			sample()
		case now := <-reports.C:
			cur := counts.snapshot()
			calls := p.origin.callsByKind()
			var up uint64
			for _, c := range calls {
				up += c
			}
			fmt.Fprintln(w, progress{
				Elapsed: now.Sub(start), Window: now.Sub(prevAt),
				Delta: cur.sub(prev).total(), Total: cur.total(), Upstream: up,
				RSS: s.RSSEnd, RSSPeak: s.RSSPeak, Goroutines: s.GorEnd, Redis: state.String(),
			})
			prev, prevAt = cur, now
		}
	}
	s.Duration = time.Since(start)
	cancel()
	wg.Wait()
	l.close()
	if p.daemon.running() {
		settle(ctx, sample, func() float64 { return s.GorEnd })
	}
	s.Kinds, s.Calls, s.Chaos = counts.snapshot(), p.origin.callsByKind(), chaosDone
	return s, failed
}

// settleTimeout bounds how long the end figures wait for hitboxd to
// settle once the load stopped.
const settleTimeout = 15 * time.Second

// settle samples until the goroutine count read by goroutines has not
// changed for a few samples in a row, or settleTimeout passes, so that the
// end figures are not those of connections and refreshes still closing.
func settle(ctx context.Context, sample func(), goroutines func() float64) {
	const every, still = 250 * time.Millisecond, 4
	deadline := time.Now().Add(settleTimeout)
	sample()
	for same := 0; same < still && time.Now().Before(deadline); {
		last := goroutines()
		if !wait(ctx, every) {
			return
		}
		sample()
		if goroutines() == last {
			same++
		} else {
			same = 0
		}
	}
}

// syncWriter serializes writes to w from the clients, the chaos and the
// reports.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// errCorruptBodies is the verdict of a run in which a client got a wrong
// body under a 200.
var errCorruptBodies = errors.New("clients got corrupt bodies under 200")
