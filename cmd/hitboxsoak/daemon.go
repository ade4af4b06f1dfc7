package main

// hitboxd as a process: built, started with a generated file, watched and
// stopped.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// hitboxdPackage is what buildHitboxd builds.
const hitboxdPackage = "github.com/hitbox-go/hitbox/cmd/hitboxd"

// buildHitboxd builds hitboxd into dir (race-enabled when race is set)
// and returns the binary's path. It must run inside the module.
func buildHitboxd(ctx context.Context, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "hitboxd")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	out, err := exec.CommandContext(ctx, "go", append(args, hitboxdPackage)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s (run the soak inside the module, or pass -hitboxd): %w\n%s", hitboxdPackage, err, out)
	}
	return bin, nil
}

// daemonStartTimeout bounds how long hitboxd may take to listen.
const daemonStartTimeout = 30 * time.Second

// daemonStopTimeout bounds a graceful stop before hitboxd is killed.
const daemonStopTimeout = 30 * time.Second

// daemon is a running hitboxd.
type daemon struct {
	cmd          *exec.Cmd
	out          *watcher
	proxy, admin string        // base URLs
	exited       chan struct{} // closed once the process exited
	err          error         // cmd.Wait's, once exited is closed
}

var (
	reProxyListening = regexp.MustCompile(`msg="proxy listening" addr=(\S+)`)
	reAdminListening = regexp.MustCompile(`msg="admin API listening" addr=(\S+)`)
)

// startDaemon runs `bin -config file`, its output going to log, and waits
// until it says where the proxy and the admin API listen.
func startDaemon(ctx context.Context, bin, file string, log io.Writer) (*daemon, error) {
	d := &daemon{out: newWatcher(log), exited: make(chan struct{})}
	d.cmd = exec.Command(bin, "-config", file, "-log-level", "info", "-shutdown-timeout", "20s")
	d.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = sysProcAttr()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("hitboxd: %w", err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	timeout := time.NewTimer(daemonStartTimeout)
	defer timeout.Stop()
	for d.proxy == "" || d.admin == "" {
		select {
		case <-d.out.changed():
		case <-d.exited:
			return nil, fmt.Errorf("hitboxd exited at start: %v\n%s", d.err, d.out.head())
		case <-ctx.Done():
			d.stop()
			return nil, ctx.Err()
		case <-timeout.C:
			d.stop()
			return nil, fmt.Errorf("hitboxd did not listen within %v\n%s", daemonStartTimeout, d.out.head())
		}
		if m := d.out.find(reProxyListening); m != nil {
			d.proxy = "http://" + m[1]
		}
		if m := d.out.find(reAdminListening); m != nil {
			d.admin = "http://" + m[1]
		}
	}
	return d, nil
}

// pid is the process's id.
func (d *daemon) pid() int { return d.cmd.Process.Pid }

// running says whether the process still runs.
func (d *daemon) running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// stop stops hitboxd gracefully (SIGTERM), killing it after
// daemonStopTimeout, and returns how it exited: nil for exit status 0.
func (d *daemon) stop() error {
	if d.running() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
	}
	t := time.NewTimer(daemonStopTimeout)
	defer t.Stop()
	select {
	case <-d.exited:
		return d.err
	case <-t.C:
		_ = d.cmd.Process.Kill()
		<-d.exited
		return fmt.Errorf("hitboxd ignored SIGTERM for %v and was killed", daemonStopTimeout)
	}
}

// watchHead is how much of hitboxd's first output the watcher keeps, for
// finding the listening lines and for error messages.
const watchHead = 64 << 10

// watcher passes a process's output on to a writer, keeping its head and
// counting the lines that must never appear (a panic, a data race). It is
// safe for concurrent use.
type watcher struct {
	w io.Writer

	mu     sync.Mutex // guards the fields below
	buf    bytes.Buffer
	tail   []byte        // the last partial line, to find markers across writes
	alarms int           // panic, fatal error and data race lines
	lines  int           // complete lines
	warns  int           // level=WARN lines
	errs   int           // level=ERROR lines
	notify chan struct{} // closed and replaced on every write
}

var alarmMarkers = [][]byte{[]byte("panic:"), []byte("WARNING: DATA RACE"), []byte("fatal error:")}

func newWatcher(w io.Writer) *watcher { return &watcher{w: w, notify: make(chan struct{})} }

func (o *watcher) Write(p []byte) (int, error) {
	o.mu.Lock()
	if room := watchHead - o.buf.Len(); room > 0 {
		o.buf.Write(p[:min(room, len(p))])
	}
	lines := append(o.tail, p...)
	last := bytes.LastIndexByte(lines, '\n')
	whole := lines[:last+1]
	for _, m := range alarmMarkers {
		o.alarms += bytes.Count(whole, m)
	}
	o.lines += bytes.Count(whole, []byte("\n"))
	o.warns += bytes.Count(whole, []byte(" level=WARN "))
	o.errs += bytes.Count(whole, []byte(" level=ERROR "))
	o.tail = append([]byte(nil), lines[last+1:]...)
	if len(o.tail) > 4096 {
		o.tail = o.tail[len(o.tail)-4096:]
	}
	close(o.notify)
	o.notify = make(chan struct{})
	o.mu.Unlock()
	// The process's output must keep flowing whatever happens to the log.
	_, _ = o.w.Write(p)
	return len(p), nil
}

// changed returns a channel closed at the next write.
func (o *watcher) changed() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.notify
}

// find returns re's submatches in the head of the output, or nil.
func (o *watcher) find(re *regexp.Regexp) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m := re.FindSubmatch(o.buf.Bytes()); m != nil {
		s := make([]string, len(m))
		for i := range m {
			s[i] = string(m[i])
		}
		return s
	}
	return nil
}

// head returns the first output.
func (o *watcher) head() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// counts returns the number of panic, fatal error and data race lines
// seen, of lines, of WARN lines and of ERROR lines.
func (o *watcher) counts() (alarms, lines, warns, errs int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.alarms, o.lines, o.warns, o.errs
}

// errDaemonDied is returned when hitboxd exits before the soak ends.
var errDaemonDied = errors.New("hitboxd exited during the soak")
