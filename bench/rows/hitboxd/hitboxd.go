// Package hitboxd is the harness's proxy rows: hitboxd (built from
// ../cmd/hitboxd) under wrk on loopback, beside "the Go limit" (a plain
// net/http server answering from prepared responses), nginx proxy_cache and
// Varnish for hits, and nginx proxy_pass and a bare httputil.ReverseProxy
// for misses. Every hit run is checked: the origin is not called, nginx
// logs only HIT, Varnish counts no miss.
package hitboxd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/bench/configs"
	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Subjects.
const (
	subjGoLimit   = "the Go limit"
	subjNginx     = "nginx proxy_cache"
	subjVarnish   = "Varnish"
	subjRevProxy  = "bare httputil.ReverseProxy"
	subjNginxPass = "nginx proxy_pass"
	rowHits       = "hitboxd hits"
	rowMisses     = "hitboxd misses"
)

// Options configures the hitboxd rows.
type Options struct {
	Group *proc.Group
	// Dir is a scratch directory for configs, caches and logs.
	Dir string
	// Worker is the hbworker binary (origin, Go limit, reverse proxy).
	Worker string
	// Hitboxd is the hitboxd binary; HitboxdNA says why there is none.
	Hitboxd, HitboxdNA string
	// Duration is each measured wrk run; Warmup the run before it.
	Duration, Warmup time.Duration
	// Pinned lists the placements to run: true pins the server to CPU 0
	// and wrk (and the origin) to CPU 1.
	Pinned []bool
	Log    io.Writer
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// placement is where the processes of one run go.
type placement struct {
	name         string
	server, load string // taskset CPU lists
	wrkThreads   int
	nginxWorkers string
}

func placementFor(pinned bool) placement {
	if pinned {
		return placement{name: "pinned", server: "0", load: "1", wrkThreads: 1, nginxWorkers: "1"}
	}
	return placement{name: "unpinned", wrkThreads: 2, nginxWorkers: "auto"}
}

// Run measures the hitboxd rows once.
func Run(ctx context.Context, o Options) []result.Measure {
	var out []result.Measure
	wrk, err := proc.Need("wrk")
	if err != nil {
		return naAll(o, err.Error()+" (apt-get install wrk)")
	}
	script := filepath.Join(o.Dir, "urls.lua")
	b, err := configs.FS.ReadFile("urls.lua")
	if err == nil {
		err = os.WriteFile(script, b, 0o644)
	}
	if err != nil {
		return naAll(o, err.Error())
	}
	for _, pinned := range o.Pinned {
		pl := placementFor(pinned)
		origin, err := startWorker(ctx, &o, "origin", pl.load, "")
		if err != nil {
			return append(out, naAll(o, "origin: "+err.Error())...)
		}
		r := &runner{o: &o, pl: pl, wrk: wrk, script: script, origin: origin.addr}
		out = append(out, r.hits(ctx)...)
		out = append(out, r.misses(ctx)...)
		origin.stop(o.Group)
	}
	return out
}

// naAll reports every line as missing.
func naAll(o Options, why string) []result.Measure {
	var out []result.Measure
	for _, pinned := range o.Pinned {
		pl := placementFor(pinned)
		for _, s := range Sizes {
			for _, row := range []string{rowHits, rowMisses} {
				out = append(out, result.NA(row, s.Name+", "+pl.name, "req/s", result.PerSecond, result.Hitbox, why))
			}
		}
	}
	return out
}

type runner struct {
	o           *Options
	pl          placement
	wrk, script string
	origin      string
}

// kind is a server under test: how to start it, where to send the load,
// and how to check that the run was all hits.
type kind struct {
	subject string
	target  *result.Target
	start   func(ctx context.Context) (*server, error)
	// addr picks the load's address on the started server.
	addr func(s *server) string
	// verify, for hits, checks the measured run; nil for misses.
	verify func(ctx context.Context, s *server, before checkpoint, res wrkResult) (string, error)
}

func (r *runner) hits(ctx context.Context) []result.Measure {
	o, pl := r.o, r.pl
	plain := func(s *server) string { return s.addr }
	kinds := []kind{
		{result.Hitbox, nil, func(ctx context.Context) (*server, error) {
			if o.Hitboxd == "" {
				return nil, fmt.Errorf("part missing: %s", o.HitboxdNA)
			}
			return startHitboxd(ctx, o, pl.server, r.origin, true)
		}, plain, r.verifyOrigin},
		{subjGoLimit, result.AtLeast(0.9, "≥ 0.9× the Go limit"), func(ctx context.Context) (*server, error) {
			return startWorker(ctx, o, "golimit", pl.server, "")
		}, plain, nil},
		{subjNginx, nil, func(ctx context.Context) (*server, error) {
			return startNginx(ctx, o, pl.server, r.origin, pl.nginxWorkers)
		}, plain, r.verifyNginx},
		{subjVarnish, result.Above(1, "above Varnish"), func(ctx context.Context) (*server, error) {
			return startVarnish(ctx, o, pl.server, r.origin)
		}, plain, r.verifyVarnish},
	}
	return r.runKinds(ctx, rowHits, kinds, true)
}

func (r *runner) misses(ctx context.Context) []result.Measure {
	o, pl := r.o, r.pl
	kinds := []kind{
		{result.Hitbox, nil, func(ctx context.Context) (*server, error) {
			if o.Hitboxd == "" {
				return nil, fmt.Errorf("part missing: %s", o.HitboxdNA)
			}
			return startHitboxd(ctx, o, pl.server, r.origin, false)
		}, func(s *server) string { return s.addr }, nil},
		{subjRevProxy, result.AtLeast(2, "≥ 2× bare ReverseProxy"), func(ctx context.Context) (*server, error) {
			return startWorker(ctx, o, "revproxy", pl.server, r.origin)
		}, func(s *server) string { return s.addr }, nil},
		{subjNginxPass, nil, func(ctx context.Context) (*server, error) {
			return startNginx(ctx, o, pl.server, r.origin, pl.nginxWorkers)
		}, func(s *server) string { return s.pass }, nil},
	}
	return r.runKinds(ctx, rowMisses, kinds, false)
}

// checkpoint is the counters before a measured run.
type checkpoint struct {
	originCalls   int64
	nginxOffset   int64
	varnishHit    int64
	varnishMisses int64
}

func (r *runner) runKinds(ctx context.Context, row string, kinds []kind, hits bool) []result.Measure {
	var out []result.Measure
	for _, k := range kinds {
		s, err := k.start(ctx)
		if err != nil {
			r.o.logf("%s %s: %v", row, k.subject, err)
			for _, size := range Sizes {
				out = append(out, result.NA(row, size.Name+", "+r.pl.name, "req/s", result.PerSecond, k.subject, err.Error()))
			}
			continue
		}
		for _, size := range Sizes {
			out = append(out, r.measure(ctx, row, k, s, size.Name, size.Prefix, hits)...)
		}
		s.stop(r.o.Group)
	}
	return out
}

func (r *runner) measure(ctx context.Context, row string, k kind, s *server, sizeName, prefix string, hits bool) []result.Measure {
	cas := sizeName + ", " + r.pl.name
	na := func(err error) []result.Measure {
		r.o.logf("%s %s %s: %v", row, cas, k.subject, err)
		m := result.NA(row, cas, "req/s", result.PerSecond, k.subject, err.Error())
		m.Target = k.target
		return []result.Measure{m}
	}
	base := "http://" + k.addr(s)
	// Warm: every URL twice (stored, then served), then a short load.
	for range 2 {
		for i := range URLs {
			if _, err := get(ctx, fmt.Sprintf("%s%s%d", base, prefix, i)); err != nil {
				return na(err)
			}
		}
	}
	run := wrkRun{wrk: r.wrk, script: r.script, url: base, prefix: prefix, threads: r.pl.wrkThreads,
		cpus: r.pl.load, duration: r.o.Warmup}
	if _, err := run.run(ctx, r.o.Group, "wrk-warmup"); err != nil {
		return na(err)
	}
	var before checkpoint
	var err error
	if before, err = r.checkpoint(ctx, k, s); err != nil {
		return na(err)
	}
	run.duration = r.o.Duration
	res, err := run.run(ctx, r.o.Group, "wrk")
	if err != nil {
		return na(err)
	}
	if res.Errors != "" {
		return na(fmt.Errorf("wrk: %s", res.Errors))
	}
	note := fmt.Sprintf("wrk CPU %.0f%%", 100*res.CPU)
	if hits && k.verify != nil {
		check, err := k.verify(ctx, s, before, res)
		if err != nil {
			return na(fmt.Errorf("not verified all hits (%.0f req/s): %w", res.ReqPerSec, err))
		}
		note += "; " + check
	}
	if !hits {
		calls, err := originCalls(ctx, r.origin)
		if err == nil {
			note += fmt.Sprintf("; origin +%d calls", calls-before.originCalls)
		}
	}
	r.o.logf("%s %s %s: %.0f req/s p50 %v p99 %v (%s)", row, cas, k.subject, res.ReqPerSec, res.P50, res.P99, note)
	return []result.Measure{
		{Row: row, Case: cas, Metric: "req/s", Unit: result.PerSecond, Subject: k.subject, Value: res.ReqPerSec, Note: note, Target: k.target},
		{Row: row, Case: cas, Metric: "p50", Unit: result.Nanos, Subject: k.subject, Value: float64(res.P50)},
		{Row: row, Case: cas, Metric: "p99", Unit: result.Nanos, Subject: k.subject, Value: float64(res.P99)},
	}
}

func (r *runner) checkpoint(ctx context.Context, k kind, s *server) (checkpoint, error) {
	var c checkpoint
	var err error
	if c.originCalls, err = originCalls(ctx, r.origin); err != nil {
		return c, err
	}
	switch k.subject {
	case subjNginx:
		time.Sleep(1100 * time.Millisecond) // the log's flush interval
		_, c.nginxOffset, err = nginxStatuses(s.dir, 0)
	case subjVarnish:
		c.varnishHit, c.varnishMisses, err = varnishCounters(ctx, s.dir)
	}
	return c, err
}

func (r *runner) verifyOrigin(ctx context.Context, _ *server, before checkpoint, _ wrkResult) (string, error) {
	calls, err := originCalls(ctx, r.origin)
	if err != nil {
		return "", err
	}
	if d := calls - before.originCalls; d != 0 {
		return "", fmt.Errorf("origin called %d times", d)
	}
	return "origin +0 calls", nil
}

func (r *runner) verifyNginx(ctx context.Context, s *server, before checkpoint, res wrkResult) (string, error) {
	check, err := r.verifyOrigin(ctx, s, before, res)
	if err != nil {
		return "", err
	}
	time.Sleep(1100 * time.Millisecond) // the log's flush interval
	counts, _, err := nginxStatuses(s.dir, before.nginxOffset)
	if err != nil {
		return "", err
	}
	var others []string
	for st, n := range counts {
		if st != "HIT" {
			others = append(others, fmt.Sprintf("%s×%d", st, n))
		}
	}
	if len(others) > 0 {
		return "", fmt.Errorf("$upstream_cache_status: %s", strings.Join(others, ", "))
	}
	return fmt.Sprintf("%s; $upstream_cache_status HIT×%d", check, counts["HIT"]), nil
}

func (r *runner) verifyVarnish(ctx context.Context, s *server, before checkpoint, res wrkResult) (string, error) {
	check, err := r.verifyOrigin(ctx, s, before, res)
	if err != nil {
		return "", err
	}
	hit, miss, err := varnishCounters(ctx, s.dir)
	if err != nil {
		return "", err
	}
	if d := miss - before.varnishMisses; d != 0 {
		return "", fmt.Errorf("varnish cache_miss +%d", d)
	}
	return fmt.Sprintf("%s; cache_hit +%d, cache_miss +0", check, hit-before.varnishHit), nil
}
