// Command hbbench runs every row of hitbox's docs/performance.md against
// the peers, in one run, and prints a Markdown table of hitbox's figure,
// each peer's figure from the same run and their ratio (medians of the
// repetitions). It starts and stops every server it needs (redis-server,
// nginx, varnishd, hitboxd, wrk) on free loopback ports and leaves nothing
// running. Run it from the bench directory:
//
//	go run ./cmd/hbbench [-quick] [-duration 2s] [-reps 3]
//	    [-rows memory,composition,typed,stampede,middleware,hitboxd,redisdown,restart]
//	    [-pin both|pinned|unpinned] [-json out.json] [-md out.md] [-keep]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// allRows are the rows in the order they run.
var allRows = []string{"memory", "composition", "typed", "stampede", "middleware", "hitboxd", "redisdown", "restart"}

// options are the command line's.
type options struct {
	quick    bool
	duration time.Duration
	reps     int
	rows     []string
	pin      string
	jsonPath string
	mdPath   string
	keep     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hbbench:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("hbbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	rows := fs.String("rows", strings.Join(allRows, ","), "comma-separated `rows` to run: "+strings.Join(allRows, ", "))
	fs.BoolVar(&o.quick, "quick", false, "a quick run (about two minutes): -duration 400ms, -reps 1, pinned hitboxd runs only, smaller traces")
	fs.DurationVar(&o.duration, "duration", 0, "duration of each timed measurement (default 2s, 400ms with -quick; wrk runs at least 1s)")
	fs.IntVar(&o.reps, "reps", 0, "repetitions; the table gives medians (default 3, 1 with -quick)")
	fs.StringVar(&o.pin, "pin", "", "hitboxd placements: both, pinned or unpinned (default both, pinned with -quick; pinned needs taskset and 2 CPUs)")
	fs.StringVar(&o.jsonPath, "json", "", "write the report as JSON to `file`")
	fs.StringVar(&o.mdPath, "md", "", "write the report as Markdown to `file`")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch directory (configs, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, r := range strings.Split(*rows, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.Contains(allRows, r) {
			return o, fmt.Errorf("unknown row %q (want %s)", r, strings.Join(allRows, ", "))
		}
		o.rows = append(o.rows, r)
	}
	switch {
	case o.duration == 0 && o.quick:
		o.duration = 400 * time.Millisecond
	case o.duration == 0:
		o.duration = 2 * time.Second
	case o.duration < 0:
		return o, errors.New("-duration must be positive")
	}
	switch {
	case o.reps == 0 && o.quick:
		o.reps = 1
	case o.reps == 0:
		o.reps = 3
	case o.reps < 0:
		return o, errors.New("-reps must be positive")
	}
	if o.pin == "" {
		o.pin = "both"
		if o.quick {
			o.pin = "pinned"
		}
	}
	if o.pin != "both" && o.pin != "pinned" && o.pin != "unpinned" {
		return o, fmt.Errorf("-pin %q: want both, pinned or unpinned", o.pin)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	started := time.Now()
	mods, err := findModules(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hbbench-")
	if err != nil {
		return err
	}
	g := &proc.Group{Dir: dir}
	defer func() {
		g.StopAll()
		if o.keep {
			fmt.Fprintln(stderr, "hbbench: scratch directory kept:", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()

	rep := &result.Report{
		Date:    started.UTC().Format(time.RFC3339),
		Machine: machine(),
		Command: "go run ./cmd/hbbench " + strings.Join(args, " "),
	}
	fmt.Fprintln(stderr, "hbbench: building hbworker and hitboxd")
	b, err := build(ctx, mods, dir, slices.Contains(o.rows, "hitboxd") || slices.Contains(o.rows, "restart"))
	if err != nil {
		return err
	}
	if b.redisNA != "" {
		rep.Notes = append(rep.Notes, b.redisNA+": the rows over Redis (composition, two-process stampede) are n/a")
	}
	if b.hitboxdNA != "" {
		rep.Notes = append(rep.Notes, b.hitboxdNA+": hitboxd's own figures are n/a")
	}
	rep.Versions = versions(ctx, mods)
	r := &runner{opts: o, group: g, dir: dir, builds: b, log: stderr}
	for _, row := range o.rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms, notes := r.row(ctx, row)
		rep.Measures = append(rep.Measures, ms...)
		rep.Notes = append(rep.Notes, notes...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%d repetition(s), medians; each timed measurement %v; the whole run took %v",
		o.reps, o.duration, time.Since(started).Round(time.Second)))
	rep.Lines = result.Lines(rep.Measures)
	if err := result.WriteTable(stdout, rep.Lines); err != nil {
		return err
	}
	if o.jsonPath != "" {
		if err := rep.WriteJSON(o.jsonPath); err != nil {
			return err
		}
	}
	if o.mdPath != "" {
		f, err := os.Create(o.mdPath)
		if err != nil {
			return err
		}
		if err := rep.WriteMarkdown(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
