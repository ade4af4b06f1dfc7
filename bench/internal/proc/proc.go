// Package proc starts the servers and tools a benchmark needs as process
// groups on loopback and stops every one of them, on success, on error and
// on Ctrl-C alike.
package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Group is a set of started processes that are stopped together.
type Group struct {
	// Dir receives each process's output as NAME.log.
	Dir string

	mu    sync.Mutex
	procs []*Proc
}

// Proc is a process started by a [Group], leader of its own process group.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string // path of its combined output

	done chan struct{}
	err  error
}

// Start starts cmd as name in a process group of its own, with the output
// streams the caller left nil going to Dir/name.log. The process is killed if the harness dies.
func (g *Group) Start(name string, cmd *exec.Cmd) (*Proc, error) {
	log := filepath.Join(g.Dir, name+".log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if cmd.Stdout == nil {
		cmd.Stdout = f
	}
	if cmd.Stderr == nil {
		cmd.Stderr = f
	}
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, Log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// Exited reports whether the process has exited, and its error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Wait waits for the process to exit or ctx to end.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CPU returns the user and system CPU time of an exited process (children
// it waited for included).
func (p *Proc) CPU() time.Duration {
	if exited, _ := p.Exited(); !exited || p.Cmd.ProcessState == nil {
		return 0
	}
	return p.Cmd.ProcessState.UserTime() + p.Cmd.ProcessState.SystemTime()
}

// Stop ends the process group: SIGTERM, then SIGKILL after grace.
func (p *Proc) Stop(grace time.Duration) {
	if exited, _ := p.Exited(); exited {
		killGroup(p.Cmd.Process.Pid, syscall.SIGKILL) // stray children
		return
	}
	killGroup(p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		killGroup(p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	killGroup(p.Cmd.Process.Pid, syscall.SIGKILL)
}

// Forget drops a stopped process from the group.
func (g *Group) Forget(p *Proc) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, q := range g.procs {
		if q == p {
			g.procs = append(g.procs[:i], g.procs[i+1:]...)
			return
		}
	}
}

// StopAll stops every process of the group, the last started first.
func (g *Group) StopAll() {
	g.mu.Lock()
	procs := g.procs
	g.procs = nil
	g.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(3 * time.Second)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns "127.0.0.1:PORT" for a free port.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
}

// WaitListening waits until addr accepts connections, p exits, or timeout.
func WaitListening(ctx context.Context, addr string, p *Proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if p != nil {
			if exited, perr := p.Exited(); exited {
				tail, _ := Tail(p.Log, 800)
				return fmt.Errorf("%s exited (%v) before listening on %s: %s", p.Name, perr, addr, tail)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v", addr, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Tail returns the last n bytes of a file.
func Tail(path string, n int) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b), nil
}

// TasksetAvailable reports whether taskset exists and at least two CPUs
// are usable, so that a server and its load generator can be pinned apart.
func TasksetAvailable(cpus int) bool {
	if cpus < 2 {
		return false
	}
	_, err := exec.LookPath("taskset")
	return err == nil
}

// Pinned returns argv run on the given CPU list through taskset, or argv
// itself when cpus is "".
func Pinned(cpus string, argv ...string) []string {
	if cpus == "" {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}

// ErrNotFound is returned by [Need] for a missing program.
var ErrNotFound = errors.New("not installed")

// Need returns the path of program, or an error wrapping ErrNotFound.
func Need(program string) (string, error) {
	p, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("%s %w", program, ErrNotFound)
	}
	return p, nil
}
