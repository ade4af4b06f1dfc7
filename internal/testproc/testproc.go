// Package testproc runs the server processes that internal/redistest and
// internal/tarantooltest start for tests, and the Redis that the soak
// (cmd/hitboxsoak) puts through its chaos: a binary with its arguments in
// a directory, its output collected in a log file, started and polled
// until it is ready, killed as a crash would, paused, resumed and
// restarted on the same arguments. Processes get the Linux parent-death
// signal, so that a test binary that dies does not leave them behind.
package testproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrAddrInUse marks a server that exited because its port was taken.
var ErrAddrInUse = errors.New("address already in use")

// poll is the interval at which Start polls a server that is coming up.
const poll = 5 * time.Millisecond

// Config describes a server process.
type Config struct {
	// Bin is the binary's path; Args its arguments.
	Bin  string
	Args []string
	// Dir is the working directory; Log the file (usually in Dir) that
	// collects the output of every run.
	Dir, Log string
	// Ready returns nil once the server, process pid, serves; Start polls
	// it. An error wrapping ErrAddrInUse (another process answers on the
	// port) ends the start at once, so that the caller tries another port.
	Ready func(pid int) error
	// What names the readiness in errors ("answering PING").
	What string
	// Timeout bounds how long a start may take to be ready.
	Timeout time.Duration
}

// Proc is a server process. Its methods are safe for concurrent use.
type Proc struct {
	cfg Config

	mu  sync.Mutex // guards run
	run *run       // nil while the server is not running
}

// run is one run of the process.
type run struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// New returns a Proc for cfg, not started.
func New(cfg Config) *Proc { return &Proc{cfg: cfg} }

// Start starts the process and waits until it is ready. An error wraps
// [ErrAddrInUse] when the server exited saying its port is taken.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.launch()
}

// Restart starts the process again with the same arguments (killing it
// first if it runs) and waits until it is ready, trying again while its
// port is still taken, up to the start timeout.
func (p *Proc) Restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kill()
	deadline := time.Now().Add(p.cfg.Timeout)
	for {
		// The port is ours, but the kernel may take a moment to let it
		// go.
		err := p.launch()
		if err == nil || !errors.Is(err, ErrAddrInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the process at once (SIGKILL) and waits for it to exit.
// Killing a process that does not run does nothing.
func (p *Proc) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kill()
}

func (p *Proc) kill() {
	if p.run == nil {
		return
	}
	_ = p.run.cmd.Process.Kill()
	<-p.run.done
	p.run = nil
}

// Signal sends sig to the running process (SIGSTOP pauses it, SIGCONT
// resumes it).
func (p *Proc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil {
		return errors.New("not running")
	}
	return p.run.cmd.Process.Signal(sig)
}

// launch starts the process and waits until it is ready. The caller holds
// p.mu.
func (p *Proc) launch() error {
	logf, err := os.OpenFile(p.cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	offset, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.cfg.Bin, p.cfg.Args...)
	cmd.Dir = p.cfg.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	r := &run{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	name := filepath.Base(p.cfg.Bin)
	deadline := time.Now().Add(p.cfg.Timeout)
	for {
		select {
		case <-r.done:
			out := p.since(offset)
			if strings.Contains(out, "Address already in use") {
				return fmt.Errorf("%s: %w", name, ErrAddrInUse)
			}
			return fmt.Errorf("%s exited before %s: %s", name, p.cfg.What, LastLines(out, 10))
		default:
		}
		err := p.cfg.Ready(cmd.Process.Pid)
		if err == nil {
			p.run = r
			return nil
		}
		if errors.Is(err, ErrAddrInUse) {
			_ = cmd.Process.Kill()
			<-r.done
			return fmt.Errorf("%s: %w", name, err)
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-r.done
			return fmt.Errorf("%s not %s within %v (%v): %s", name, p.cfg.What, p.cfg.Timeout, err, LastLines(p.since(offset), 10))
		}
		time.Sleep(poll)
	}
}

// since returns what the process logged from offset on.
func (p *Proc) since(offset int64) string {
	b, err := os.ReadFile(p.cfg.Log)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string { return LastLines(p.since(0), n) }

// LastLines returns the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a port of 127.0.0.1 that was free a moment ago, and
// whose port+busOffset was free too when busOffset is not zero (a Redis
// cluster node's bus port).
func FreePort(busOffset int) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if busOffset == 0 {
			l.Close()
			return port, nil
		}
		if port+busOffset > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+busOffset)))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair found")
}
