package main

// The end-to-end harness: hitboxd built once and run as a process.

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// e2eTimeout bounds every wait of these tests.
const e2eTimeout = 15 * time.Second

// binary builds hitboxd once per test run, into a directory removeBinary
// deletes after the tests.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hitboxd-e2e-")
	if err != nil {
		return "", err
	}
	binDir.Store(dir)
	bin := filepath.Join(dir, "hitboxd")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// binDir is the directory of the built binary, once built.
var binDir syncString

type syncString struct {
	mu sync.Mutex // guards s
	s  string
}

func (s *syncString) Store(v string) { s.mu.Lock(); s.s = v; s.mu.Unlock() }
func (s *syncString) Load() string   { s.mu.Lock(); defer s.mu.Unlock(); return s.s }

func removeBinary() {
	if dir := binDir.Load(); dir != "" {
		_ = os.RemoveAll(dir)
	}
}

// command returns the command running bin with args. A race-enabled
// binary exits at once (not after the race detector's default second).
func command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}

func hitboxd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs hitboxd")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// lineLog collects a process's output and lets tests wait for a line.
type lineLog struct {
	mu      sync.Mutex // guards buf and changed
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.buf.Write(p)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// await waits until the output holds n lines matching re and returns the
// submatches of the n-th; it fails the test when the process exits or the
// wait times out first.
func (l *lineLog) await(t *testing.T, re *regexp.Regexp, n int, exited <-chan struct{}) []string {
	t.Helper()
	timeout := time.After(e2eTimeout)
	for {
		l.mu.Lock()
		lines, changed := strings.Split(l.buf.String(), "\n"), l.changed
		l.mu.Unlock()
		seen := 0
		for _, line := range lines {
			if m := re.FindStringSubmatch(line); m != nil {
				if seen++; seen == n {
					return m
				}
			}
		}
		select {
		case <-changed:
		case <-exited:
			// One last look: the process may have written it before exiting.
			select {
			case <-changed:
				continue
			default:
			}
			t.Fatalf("hitboxd exited before writing %q (#%d):\n%s", re, n, l)
		case <-timeout:
			t.Fatalf("no line matching %q (#%d) after %v:\n%s", re, n, e2eTimeout, l)
		}
	}
}

// process is a running hitboxd.
type process struct {
	t            *testing.T
	cmd          *exec.Cmd
	file         string // the configuration file
	proxy, admin string // base URLs
	out          *lineLog
	exited       chan struct{}
	err          error // cmd.Wait's, once exited is closed
}

var (
	reProxyListening = regexp.MustCompile(`msg="proxy listening" addr=(\S+)`)
	reAdminListening = regexp.MustCompile(`msg="admin API listening" addr=(\S+)`)
	reReloaded       = regexp.MustCompile(`msg="configuration reloaded" endpoints=\d+ backend=(\w+)|msg="reload failed, the running configuration stays"`)
)

// startProcess writes file and runs `hitboxd -config FILE`, waiting until
// /healthz answers 200. The process is stopped with the test.
func startProcess(t *testing.T, file string) *process {
	t.Helper()
	bin := hitboxd(t)
	p := &process{t: t, file: filepath.Join(t.TempDir(), "hitboxd.yaml"), out: newLineLog(), exited: make(chan struct{})}
	p.write(file)
	p.cmd = command(bin, "-config", p.file, "-log-level", "debug", "-shutdown-timeout", "10s")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	p.proxy = "http://" + p.out.await(t, reProxyListening, 1, p.exited)[1]
	p.admin = "http://" + p.out.await(t, reAdminListening, 1, p.exited)[1]
	p.waitHealthy()
	return p
}

func (p *process) write(file string) {
	p.t.Helper()
	if err := os.WriteFile(p.file, []byte(file), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

// waitHealthy polls /healthz until it answers 200.
func (p *process) waitHealthy() {
	p.t.Helper()
	c := newClient(p.t)
	deadline := time.Now().Add(e2eTimeout)
	for {
		a, err := trySend(c, "GET", p.admin+"/healthz", "", nil)
		if err == nil && a.Code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("/healthz: %v %d\n%s", err, a.Code, p.out)
		}
		select {
		case <-p.exited:
			p.t.Fatalf("hitboxd exited: %v\n%s", p.err, p.out)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// reload rewrites the file, sends SIGHUP and waits for the n-th reload to
// be reported; it returns "kept", "replaced" or "failed".
func (p *process) reload(file string, n int) string {
	p.t.Helper()
	p.write(file)
	p.signal(syscall.SIGHUP)
	m := p.out.await(p.t, reReloaded, n, p.exited)
	if m[1] == "" {
		return "failed"
	}
	return m[1]
}

func (p *process) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns cmd.Wait's error.
func (p *process) wait() error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(e2eTimeout):
		p.t.Fatalf("hitboxd did not exit:\n%s", p.out)
		return nil
	}
}

// kill stops the process if it still runs (SIGTERM, then SIGKILL).
func (p *process) kill() {
	select {
	case <-p.exited:
		p.checkOutput()
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(e2eTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.t.Errorf("hitboxd ignored SIGTERM:\n%s", p.out)
	}
	p.checkOutput()
}

// checkOutput fails the test when hitboxd reported a data race or a
// panic, and shows its output when the test failed.
func (p *process) checkOutput() {
	if out := p.out.String(); strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "panic:") {
		p.t.Errorf("hitboxd raced or panicked")
	}
	if p.t.Failed() {
		p.t.Logf("hitboxd output:\n%s", p.out)
	}
}

// outcome is what two identical requests show about caching.
type outcome int

const (
	cached    outcome = iota + 1 // stored on the first request, HIT on the second
	bypassed                     // the request predicates said no (fwd=bypass)
	notStored                    // forwarded (fwd=miss) but not stored
)

func (o outcome) String() string {
	return [...]string{cached: "cached", bypassed: "bypassed", notStored: "not stored"}[o]
}

// observe sends a request twice and says what the cache did with it.
func observe(t *testing.T, c *http.Client, method, target, body string, hdr map[string]string) (outcome, answer) {
	t.Helper()
	first := send(t, c, method, target, body, hdr)
	second := send(t, c, method, target, body, hdr)
	code := fmt.Sprint(first.Code)
	switch {
	case first.XCache == "MISS" && first.Cache == "hitbox; fwd=miss; fwd-status="+code+"; stored" &&
		second.XCache == "HIT" && strings.HasPrefix(second.Cache, "hitbox; hit; ttl=") && second.Up.Call == first.Up.Call && second.Code == first.Code:
		return cached, first
	case first.XCache == "MISS" && first.Cache == "hitbox; fwd=bypass; fwd-status="+code &&
		second.XCache == "MISS" && second.Cache == first.Cache && second.Up.Call != first.Up.Call:
		return bypassed, first
	case first.XCache == "MISS" && first.Cache == "hitbox; fwd=miss; fwd-status="+code &&
		second.XCache == "MISS" && second.Cache == first.Cache && second.Up.Call != first.Up.Call:
		return notStored, first
	}
	t.Fatalf("%s %s: unexpected pair: %d %q %q (call %d), then %d %q %q (call %d)", method, target,
		first.Code, first.XCache, first.Cache, first.Up.Call, second.Code, second.XCache, second.Cache, second.Up.Call)
	return 0, first
}
