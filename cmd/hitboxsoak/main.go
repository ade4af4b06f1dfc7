package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hitbox-go/hitbox/internal/lifecycle"
)

func main() {
	ctx := lifecycle.SignalContext() // a second signal kills the process at once
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// errUsage is a bad command line; the flag package has said why.
var errUsage = errors.New("usage")

// exitCode maps run's error to the exit status, writing it to stderr:
// 0 for none, 2 for a bad command line, 1 for the rest.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "hitboxsoak:", err)
	return 1
}

// options are the command line's.
type options struct {
	duration, report, slow time.Duration
	clients                int
	rate                   float64
	seed                   uint64
	hitboxd, redisServer   string
	race, chaos, keep      bool
	distinct               bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("hitboxsoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", time.Minute, "how long the load runs")
	fs.DurationVar(&o.report, "report", 10*time.Second, "how often a progress line is written")
	fs.DurationVar(&o.slow, "slow", 3*time.Second, "the longest answer of the slow endpoint (at least 1s)")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients")
	fs.Float64Var(&o.rate, "rate", 200, "requests per second, at most, all clients together")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the clients' choices")
	fs.StringVar(&o.hitboxd, "hitboxd", "", "hitboxd binary to run (default: go build it into a temporary directory)")
	fs.StringVar(&o.redisServer, "redis-server", "redis-server", "redis-server binary")
	fs.BoolVar(&o.race, "race", false, "build hitboxd with the race detector")
	fs.BoolVar(&o.chaos, "chaos", true, "kill, pause and restart Redis along the way")
	fs.BoolVar(&o.distinct, "distinct-parts", false, "name each endpoint's key part after its kind, for a hitboxd whose endpoints share one key space (issue #9 point 8)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (hitboxd's file and log, Redis's log)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hitboxsoak [flags]  (run inside the module: go run ./cmd/hitboxsoak -duration 10m)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage
	}
	var bad string
	switch {
	case fs.NArg() > 0:
		bad = fmt.Sprintf("unexpected arguments %q", fs.Args())
	case o.duration <= 0:
		bad = "-duration must be above zero"
	case o.report <= 0:
		bad = "-report must be above zero"
	case o.slow < time.Second:
		bad = "-slow must be at least 1s"
	case o.clients < 1 || o.clients > 10000:
		bad = "-clients must be 1 to 10000"
	case !(o.rate >= 1 && o.rate <= 1e6):
		bad = "-rate must be 1 to 1000000"
	}
	if bad != "" {
		fmt.Fprintln(stderr, "hitboxsoak:", bad)
		fs.Usage()
		return o, errUsage
	}
	return o, nil
}

// run is the command: it sets everything up, soaks, reports and cleans
// up every process it started, whatever happens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	out := &syncWriter{w: stdout}
	dir, err := os.MkdirTemp("", "hitboxsoak-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep || err != nil {
			fmt.Fprintf(out, "files kept in %s\n", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()

	bin := o.hitboxd
	if bin == "" {
		fmt.Fprintln(out, "building hitboxd...")
		if bin, err = buildHitboxd(ctx, dir, o.race); err != nil {
			return err
		}
	}
	red, err := startRedis(o.redisServer, dir)
	if err != nil {
		return err
	}
	defer red.kill()
	org, err := startOrigin(o.slow)
	if err != nil {
		return err
	}
	defer org.close()
	file := filepath.Join(dir, "hitboxd.yaml")
	if err := os.WriteFile(file, []byte(hitboxdConfig(org.url, red.url(), o.distinct)), 0o600); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "hitboxd.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	d, err := startDaemon(ctx, bin, file, logf)
	if err != nil {
		return err
	}

	s, soakErr := soak(ctx, o, parts{daemon: d, redis: red, origin: org}, out)
	s.DaemonExit = d.stop()
	s.Alarms, s.LogLines, s.LogWarns, s.LogErrors = d.out.counts()
	s.write(out)
	return verdict(s, soakErr)
}

// verdict is the run's error: a failed soak, a corrupt body, hitboxd
// panicking, racing or not exiting cleanly. Unexpected errors of other
// kinds are reported, not failed on: they are what a soak is for finding.
func verdict(s summary, soakErr error) error {
	var errs []error
	if soakErr != nil {
		errs = append(errs, soakErr)
	}
	if n := s.Kinds.total().Unexpected[errCorrupt]; n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d", errCorruptBodies, n))
	}
	if s.Alarms > 0 {
		errs = append(errs, fmt.Errorf("hitboxd wrote %d panic, fatal error or data race lines", s.Alarms))
	}
	if s.DaemonExit != nil && soakErr == nil {
		errs = append(errs, fmt.Errorf("hitboxd did not stop cleanly: %w", s.DaemonExit))
	}
	return errors.Join(errs...)
}
