package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	"github.com/hitbox-go/hitbox/bench/rows/hitboxd"
)

// redisRows are the rows that need a redis-server.
var redisRows = []string{"composition", "typed", "stampede"}

// runner runs the rows.
type runner struct {
	opts   options
	group  *proc.Group
	dir    string
	builds builds
	log    io.Writer
	redis  *proc.Proc
	// redisAddr is the running redis-server's address; redisNA says why
	// there is none.
	redisAddr, redisNA string
}

// row runs every repetition of a row and returns its measures and notes.
func (r *runner) row(ctx context.Context, name string) ([]result.Measure, []string) {
	fmt.Fprintf(r.log, "hbbench: row %s\n", name)
	if slices.Contains(redisRows, name) {
		r.startRedis(ctx)
	}
	if name == "composition" && r.redisAddr == "" {
		return []result.Measure{result.NA("composition", "", "-", result.Nanos, result.Hitbox, r.redisNA)}, nil
	}
	var out []result.Measure
	var notes []string
	for rep := range r.opts.reps {
		if name == "hitboxd" {
			out = append(out, r.hitboxd(ctx)...)
			continue
		}
		if name == "restart" {
			out = append(out, hitboxd.Restart(ctx, hitboxd.Options{
				Group: r.group, Dir: r.dir, Worker: r.builds.worker,
				Hitboxd: r.builds.hitboxd, HitboxdNA: r.builds.hitboxdNA, Log: prefixed(r.log, "  "),
			})...)
			continue
		}
		ms, err := r.worker(ctx, name, rep)
		if err != nil {
			fmt.Fprintf(r.log, "hbbench: row %s: %v\n", name, err)
			notes = append(notes, fmt.Sprintf("row %s, repetition %d failed: %v", name, rep, err))
			out = append(out, result.NA(name, "", "-", result.Count, result.Hitbox, "row failed, see notes"))
			continue
		}
		out = append(out, ms...)
		if name == "stampede" {
			out = append(out, r.fleet(ctx, rep)...)
		}
	}
	return out, notes
}

// worker runs one repetition of an in-process row in a fresh hbworker.
func (r *runner) worker(ctx context.Context, name string, rep int) ([]result.Measure, error) {
	args := []string{"row", "-name", name, "-duration", r.opts.duration.String(), "-rep", strconv.Itoa(rep), "-tmp", r.dir}
	if r.opts.quick {
		args = append(args, "-quick")
	}
	if r.redisAddr != "" && slices.Contains(redisRows, name) {
		args = append(args, "-redis", r.redisAddr)
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, r.builds.worker, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = prefixed(r.log, "  ")
	p, err := r.group.Start(fmt.Sprintf("%s-%d", name, rep), cmd)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	werr := p.Wait(wctx)
	p.Stop(time.Second)
	r.group.Forget(p)
	if werr != nil {
		return nil, werr
	}
	var ms []result.Measure
	if err := json.Unmarshal(stdout.Bytes(), &ms); err != nil {
		return nil, fmt.Errorf("worker output: %w", err)
	}
	return ms, nil
}

// startRedis starts the redis-server of the rows that need one, once.
func (r *runner) startRedis(ctx context.Context) {
	if r.redis != nil || r.redisNA != "" {
		return
	}
	bin, err := proc.Need("redis-server")
	if err != nil {
		r.redisNA = err.Error() + " (apt-get install redis-server)"
		return
	}
	port, err := proc.FreePort()
	if err != nil {
		r.redisNA = err.Error()
		return
	}
	dir := filepath.Join(r.dir, "redis")
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", r.dir, "--logfile", dir+".log")
	p, err := r.group.Start("redis-server", cmd)
	if err == nil {
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err = proc.WaitListening(ctx, addr, p, 10*time.Second); err == nil {
			r.redis, r.redisAddr = p, addr
			return
		}
	}
	r.redisNA = "redis-server: " + err.Error()
}

// hitboxd runs one repetition of the proxy rows.
func (r *runner) hitboxd(ctx context.Context) []result.Measure {
	var pinned []bool
	canPin := proc.TasksetAvailable(runtime.NumCPU())
	switch r.opts.pin {
	case "both":
		if canPin {
			pinned = append(pinned, true)
		}
		pinned = append(pinned, false)
	case "pinned":
		pinned = []bool{canPin}
	case "unpinned":
		pinned = []bool{false}
	}
	d := max(r.opts.duration, time.Second)
	return hitboxd.Run(ctx, hitboxd.Options{
		Group: r.group, Dir: r.dir, Worker: r.builds.worker,
		Hitboxd: r.builds.hitboxd, HitboxdNA: r.builds.hitboxdNA,
		Duration: d, Warmup: time.Second,
		Pinned: pinned, Log: prefixed(r.log, "  "),
	})
}

// prefixed returns a writer that writes each line to w after prefix.
func prefixed(w io.Writer, prefix string) io.Writer {
	return &prefixWriter{w: w, prefix: []byte(prefix), start: true}
}

type prefixWriter struct {
	w      io.Writer
	prefix []byte
	start  bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if p.start {
			out = append(out, p.prefix...)
			p.start = false
		}
		out = append(out, c)
		if c == '\n' {
			p.start = true
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
