package hitboxd

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// The restart row: hitboxd warmed with RestartURLs entries, stopped with
// SIGTERM and started again, with a disk layer (Memory over Disk) and
// without one (Memory only).
const (
	rowRestart = "hitboxd restart"
	// RestartURLs is how many entries hitboxd holds before the restart.
	RestartURLs = 10_000
	// RestartWindow is how long the load after the restart is watched.
	RestartWindow = 10 * time.Second
	// restartClients send the load after the restart, each request for a
	// random warmed URL, restartRate requests per second in all: as many
	// requests in the window as there are entries, so that a cache that
	// starts empty warms up within it as a real one would, not in a
	// fraction of a second.
	restartClients = 4
	restartRate    = RestartURLs / 10
	subjNoDisk     = "without disk (Memory only)"
)

// restartBackends are the backend sections of the two runs; %s is the
// disk file.
var restartBackends = []struct{ subject, section string }{
	{result.Hitbox, "backend:\n  type: Composition\n  l1: {type: Memory, max_bytes: 256MiB}\n  l2: {type: Disk, path: %q, max_bytes: 1GiB}\n  policy: {refill: Always}\n"},
	{subjNoDisk, "backend: {type: Memory, max_bytes: 256MiB}\n# %q\n"},
}

// Restart measures the restart row once: for each backend, the time from
// starting hitboxd again to its first HIT (the first request goes out as
// soon as it listens), and the hit ratio of the first RestartWindow under
// a paced load of random warmed URLs.
func Restart(ctx context.Context, o Options) []result.Measure {
	cas := fmt.Sprintf("%d entries of 1 KiB, %d random GETs/s", RestartURLs, restartRate)
	na := func(why string) []result.Measure {
		var out []result.Measure
		for _, b := range restartBackends {
			out = append(out, result.NA(rowRestart, cas, "time to first HIT", result.Nanos, b.subject, why),
				result.NA(rowRestart, cas, "hit ratio, first 10s", result.Percent, b.subject, why))
		}
		return out
	}
	if o.Hitboxd == "" {
		return na(o.HitboxdNA)
	}
	origin, err := startWorker(ctx, &o, "origin", "", "")
	if err != nil {
		return na("origin: " + err.Error())
	}
	defer origin.stop(o.Group)
	var out []result.Measure
	for _, b := range restartBackends {
		first, ratio, err := restartOnce(ctx, &o, origin.addr, b.section, b.subject)
		if err != nil {
			o.logf("%s, %s: %v", rowRestart, b.subject, err)
			out = append(out, result.NA(rowRestart, cas, "time to first HIT", result.Nanos, b.subject, err.Error()),
				result.NA(rowRestart, cas, "hit ratio, first 10s", result.Percent, b.subject, err.Error()))
			continue
		}
		o.logf("%s, %s: first HIT after %v, hit ratio %.1f%%", rowRestart, b.subject, first, ratio)
		out = append(out,
			result.Measure{Row: rowRestart, Case: cas, Metric: "time to first HIT", Unit: result.Nanos, Subject: b.subject, Value: float64(first),
				Note: "from starting the process"},
			result.Measure{Row: rowRestart, Case: cas, Metric: "hit ratio, first 10s", Unit: result.Percent, Subject: b.subject, Value: ratio})
	}
	return out
}

// restartOnce warms a hitboxd with section as its backend, stops it with
// SIGTERM, starts it again and watches the load.
func restartOnce(ctx context.Context, o *Options, origin, section, subject string) (time.Duration, float64, error) {
	dir, err := os.MkdirTemp(o.Dir, "restart-")
	if err != nil {
		return 0, 0, err
	}
	cfg := filepath.Join(dir, "hitboxd.yaml")
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: restartClients * 2}}
	defer c.CloseIdleConnections()
	startOnce := func() (*server, error) {
		addr, err := proc.FreeAddr()
		if err != nil {
			return nil, err
		}
		file := fmt.Sprintf("listen: %s\nupstream: http://%s\n", addr, origin) + fmt.Sprintf(section, filepath.Join(dir, "cache.db")) +
			"endpoints:\n  - name: all\n    policy: {Enabled: {ttl: 1h}}\n"
		if err := os.WriteFile(cfg, []byte(file), 0o644); err != nil {
			return nil, err
		}
		p, err := start(ctx, o.Group, "hitboxd-restart", "", addr, o.Hitboxd, "-config", cfg, "-log-level", "warn")
		if err != nil {
			return nil, err
		}
		return &server{p: p, addr: addr}, nil
	}
	s, err := startOnce()
	if err != nil {
		return 0, 0, err
	}
	// Warm: every URL once (a MISS each), from the clients in turn.
	var next atomic.Int64
	var wg sync.WaitGroup
	var werr atomic.Pointer[error]
	for range restartClients {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < RestartURLs && ctx.Err() == nil; i = next.Add(1) - 1 {
				if _, err := restartGet(ctx, c, s.addr, int(i)); err != nil {
					werr.Store(&err)
					return
				}
			}
		})
	}
	wg.Wait()
	s.stop(o.Group) // SIGTERM: a graceful stop
	if e := werr.Load(); e != nil {
		return 0, 0, fmt.Errorf("warming: %w", *e)
	}

	began := time.Now()
	s, err = startOnce()
	if err != nil {
		return 0, 0, err
	}
	defer s.stop(o.Group)
	var hits, total atomic.Int64
	var firstHit atomic.Int64 // nanoseconds after began; 0: none yet
	deadline := time.Now().Add(RestartWindow)
	interval := time.Duration(restartClients) * time.Second / restartRate
	for k := range restartClients {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(k), 42))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				<-tick.C
				hit, err := restartGet(ctx, c, s.addr, rnd.IntN(RestartURLs))
				if err != nil {
					werr.Store(&err)
					return
				}
				total.Add(1)
				if hit {
					hits.Add(1)
					firstHit.CompareAndSwap(0, int64(time.Since(began)))
				}
			}
		})
	}
	wg.Wait()
	if e := werr.Load(); e != nil {
		return 0, 0, fmt.Errorf("after the restart: %w", *e)
	}
	if total.Load() == 0 || firstHit.Load() == 0 {
		return 0, 0, fmt.Errorf("%s: no HIT in %d requests after the restart", subject, total.Load())
	}
	return time.Duration(firstHit.Load()), 100 * float64(hits.Load()) / float64(total.Load()), nil
}

// restartGet asks hitboxd at addr for the i-th URL and reports whether it
// was a HIT.
func restartGet(ctx context.Context, c *http.Client, addr string, i int) (bool, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+addr+Sizes[0].Prefix+strconv.Itoa(i), nil)
	if err != nil {
		return false, err
	}
	// The key holds the request's host: keep it when the restarted
	// hitboxd listens on another port, as a deployment keeps its name.
	req.Host = "bench.example"
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET /%d: %s", i, resp.Status)
	}
	return resp.Header.Get("X-Cache-Status") == "HIT", nil
}
