package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/hitbox-go/hitbox/config"
)

// DefaultShutdownTimeout bounds a graceful stop: requests in flight and
// background work get this long before they are cut.
const DefaultShutdownTimeout = 30 * time.Second

// errReported marks an error whose message was already written to stderr
// (check's diagnostics, a usage error the flag package printed).
var errReported = errors.New("hitboxd: reported")

// usageError is a command line that cannot be run: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode maps run's error to the process's exit status: 0 on success
// (and after -h), 2 for a bad command line, 1 for everything else.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

const usage = `Usage:
  hitboxd -config FILE          run the caching proxy (and the admin API)
  hitboxd check -config FILE    validate FILE: errors as FILE:LINE:COL: path: what is wrong
  hitboxd demo                  a built-in upstream behind the proxy, no file needed
  hitboxd version               print the version and the Go version

Run 'hitboxd COMMAND -h' for a command's flags.
SIGINT/SIGTERM stop gracefully; SIGHUP reloads the file.
`

// run is hitboxd: it parses args (without the program name), runs the
// command and returns its error, already written to stderr (flag.ErrHelp
// after -h: the usage was printed). ctx ends the proxy and the demo (main
// cancels it on SIGINT and SIGTERM).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, stdout, stderr, nil)
}

// runWith is run with go-redis's log lines routed to the proxy's logger
// through rlog (nil: they are not).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, rlog *redisLogger) error {
	err := dispatch(ctx, args, stdout, stderr, rlog)
	if err != nil && !errors.Is(err, errReported) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "hitboxd: %v\n", err)
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, rlog *redisLogger) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(args[1:], stdout, stderr)
		case "demo":
			return runDemo(ctx, args[1:], stdout, stderr)
		case "version":
			return runVersion(args[1:], stdout, stderr)
		case "help":
			_, _ = io.WriteString(stdout, usage)
			return nil
		}
		if !strings.HasPrefix(args[0], "-") {
			return &usageError{err: fmt.Errorf("unknown command %q (see hitboxd help)", args[0])}
		}
	}
	return runServe(ctx, args, stderr, rlog)
}

// newFlagSet returns a flag set printing its errors and usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs and refuses positional arguments. It
// returns flag.ErrHelp for -h.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return &usageError{err: errors.Join(err, errReported)}
	}
	if fs.NArg() > 0 {
		return &usageError{err: fmt.Errorf("unexpected argument %q (see hitboxd help)", fs.Arg(0))}
	}
	return nil
}

// runServe is `hitboxd -config FILE`.
func runServe(ctx context.Context, args []string, stderr io.Writer, rlog *redisLogger) error {
	fs := newFlagSet("hitboxd", stderr)
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	path := fs.String("config", "", "the configuration `FILE` (docs/config.md)")
	timeout := fs.Duration("shutdown-timeout", DefaultShutdownTimeout, "how long a graceful stop waits for requests in flight and background work")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireConfig(fs, *path, "hitboxd"); err != nil {
		return err
	}
	if *timeout <= 0 {
		return &usageError{err: fmt.Errorf("-shutdown-timeout %v: want a positive duration", *timeout)}
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return &usageError{err: err}
	}
	// An outage must not flood the log: repeated warnings are written
	// once per backend per interval, with counts.
	th := newThrottle(log.Handler(), DefaultLogInterval)
	defer th.Close()
	log = slog.New(th)
	rlog.set(log)
	defer rlog.set(nil)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve(ctx, serveOptions{
		Load:            func() (*config.File, config.Warnings, error) { return config.Load(*path) },
		Logger:          log,
		ShutdownTimeout: *timeout,
		Reload:          hup,
	})
}

// requireConfig refuses an empty -config, printing the usage.
func requireConfig(fs *flag.FlagSet, path, cmd string) error {
	if path != "" {
		return nil
	}
	fs.Usage()
	if cmd == "hitboxd" {
		return &usageError{err: errors.New("missing -config FILE")}
	}
	return &usageError{err: fmt.Errorf("%s: missing -config FILE", cmd)}
}

// newLogger returns a text logger on w at the named level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// runCheck is `hitboxd check -config FILE`: every error on its own line
// (FILE:LINE:COL: path: what is wrong), then the warnings, to stderr; a
// one-line summary to stdout when the file is valid, then a line per
// endpoint saying its semantics.
func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hitboxd check", stderr)
	path := fs.String("config", "", "the configuration `FILE` to validate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireConfig(fs, *path, "check"); err != nil {
		return err
	}
	f, warns, err := loadAndBuild(*path)
	if err != nil {
		var errs config.Errors
		if !errors.As(err, &errs) {
			return err // the file cannot be read
		}
		for _, e := range errs {
			fmt.Fprintln(stderr, e.Error())
		}
		return fmt.Errorf("%w: %s: %d error(s)", errReported, *path, len(errs))
	}
	for _, w := range warns {
		fmt.Fprintln(stderr, w.String())
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s backend, %s)\n", *path,
		plural(len(f.Endpoints), "endpoint"), f.Backend.Type, plural(len(warns), "warning"))
	for i, ep := range f.Endpoints {
		fmt.Fprintf(stdout, "endpoint %d %q: %s\n", i, ep.Name, ep.Mode())
	}
	return nil
}

// loadAndBuild loads the file at path and builds what it describes, as
// hitboxd would at start, then closes it: a file that passes runs.
func loadAndBuild(path string) (*config.File, config.Warnings, error) {
	f, warns, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if _, err := f.BuildEndpoints(); err != nil {
		return nil, nil, err
	}
	// Check opens no Disk file (a running hitboxd holds it) and
	// connects to no Tarantool.
	store, err := f.BuildStore(config.BuildOptions{Check: true})
	if err != nil {
		return nil, nil, err
	}
	if err := store.Close(context.Background()); err != nil {
		return nil, nil, fmt.Errorf("closing the backend: %w", err)
	}
	return f, warns, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// runVersion is `hitboxd version`.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hitboxd version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

// versionString is "hitboxd VERSION [REVISION] GOVERSION OS/ARCH".
func versionString() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(len(s.Value), 12)]
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
	}
	parts := []string{"hitboxd", v}
	if rev != "" {
		parts = append(parts, rev)
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return strings.Join(parts, " ")
}
