// Package redistest starts real Redis servers for tests: a standalone
// server ([Start]), a cluster of masters ([StartCluster]) and a master
// watched by a Sentinel ([StartSentinel]), each on free ports of 127.0.0.1
// in a temporary directory, stopped by t.Cleanup.
//
// The servers run the binaries found on PATH (redis-server, redis-cli and
// redis-sentinel, from Debian's redis-server, redis-tools and
// redis-sentinel packages). A missing binary fails the test with a message
// naming the package to install: the tests never skip for want of Redis.
// Nothing here touches a Redis that was already running (such as one on
// 6379): every server is started on a port picked for it.
//
// Servers are started without persistence (--save "" --appendonly no), and
// with the Linux parent-death signal set, so that a test binary that dies
// does not leave them behind.
package redistest

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/resp"
	"github.com/hitbox-go/hitbox/internal/testproc"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 15 * time.Second

// poll is the interval at which the helpers poll a server that is coming
// up.
const poll = 5 * time.Millisecond

// Server is one redis-server (or redis-sentinel) process that a test
// started. Its methods are safe for concurrent use; they fail the test
// that started the server when something goes wrong.
type Server struct {
	// Addr is the server's "127.0.0.1:port".
	Addr string
	// Port is the server's TCP port.
	Port int

	t    testing.TB
	proc *testproc.Proc
}

// Start starts a standalone redis-server on a free port of 127.0.0.1 and
// waits until it answers PING. t.Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, "redis-server", "redis-server", 0, func(dir string, port int) ([]string, error) {
		return serverArgs(dir, port), nil
	})
}

// URL returns the server's "redis://127.0.0.1:port" URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Kill kills the server at once (SIGKILL) and waits for it to exit, as a
// crash would; its data is lost. Killing a killed server does nothing.
func (s *Server) Kill() { s.proc.Kill() }

// Restart starts the server again on the same port (killing it first if it
// is running) and waits until it answers PING. A standalone server comes
// back empty; a cluster node keeps its cluster configuration.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.proc.Restart(); err != nil {
		s.t.Fatalf("redistest: restart %s: %v", s.Addr, err)
	}
}

// Pause stops the server's process (SIGSTOP) without closing its
// connections, as a stalled server would: clients' calls hang until their
// timeouts. Resume undoes it; t.Cleanup kills a paused server as usual.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a server stopped by Pause (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.proc.Signal(sig); err != nil {
		s.t.Fatalf("redistest: signal %v to %s: %v", sig, s.Addr, err)
	}
}

// Do sends one command to the server on a connection of its own and returns
// the reply: a string for simple and bulk strings, an int64, a []any for
// arrays, nil for a null reply, or an error for an error reply or a failed
// connection. It is meant for test set-up, not for speed.
func (s *Server) Do(args ...string) (any, error) {
	return resp.Do(s.Addr, 5*time.Second, args...)
}

// start starts bin (looked up on PATH, named after pkg in the error when it
// is missing) with the arguments args returns for the server's directory
// and a free port, trying other ports when the one picked is taken in the
// meantime. busOffset, when not zero, also requires port + busOffset to be
// free (a cluster node's bus port). It fails t on error.
func start(t testing.TB, bin, pkg string, busOffset int, args func(dir string, port int) ([]string, error)) *Server {
	t.Helper()
	s, err := startE(t, bin, pkg, busOffset, args)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startE is start returning its error, for use off the test's goroutine.
func startE(t testing.TB, bin, pkg string, busOffset int, args func(dir string, port int) ([]string, error)) (*Server, error) {
	path, err := findBinary(bin, pkg)
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &Server{t: t}
	t.Cleanup(func() {
		if s.proc == nil {
			return
		}
		s.proc.Kill()
		if t.Failed() {
			t.Logf("redistest: last lines of %s's log:\n%s", s.Addr, s.proc.Tail(20))
		}
	})
	for range 10 {
		var port int
		if port, err = testproc.FreePort(busOffset); err != nil {
			break
		}
		s.Port, s.Addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		var a []string
		if a, err = args(dir, port); err != nil {
			break
		}
		addr := s.Addr
		s.proc = testproc.New(testproc.Config{
			Bin: path, Args: a, Dir: dir, Log: filepath.Join(dir, "redis.log"),
			What: "answering PING", Timeout: startTimeout,
			Ready: func(pid int) error {
				r, err := resp.Do(addr, time.Second, "PING")
				switch {
				case err != nil:
					return err
				case r != "PONG":
					return fmt.Errorf("PING answered %v", r)
				case !ours(addr, pid):
					// Another test's server took the port between
					// FreePort and our bind, and answered for ours.
					return fmt.Errorf("port answered by another process: %w", testproc.ErrAddrInUse)
				}
				return nil
			},
		})
		if err = s.proc.Start(); err == nil || !errors.Is(err, testproc.ErrAddrInUse) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("redistest: start %s: %w", bin, err)
	}
	return s, nil
}

func lookPath(t testing.TB, bin, pkg string) string {
	t.Helper()
	path, err := findBinary(bin, pkg)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// findBinary looks bin up on PATH, with an error that says which package
// brings it.
func findBinary(bin, pkg string) (string, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("redistest: %s not found on PATH (%w): these tests need a real Redis; install it, e.g. apt-get install -y %s", bin, err, pkg)
	}
	return path, nil
}

// serverArgs are the arguments of every redis-server the helpers start.
func serverArgs(dir string, port int) []string {
	return []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", dir,
		"--logfile", "",
	}
}

// ours reports whether the server answering at addr is the process pid
// (INFO's process_id).
func ours(addr string, pid int) bool {
	r, err := resp.Do(addr, time.Second, "INFO", "server")
	info, _ := r.(string)
	return err == nil && strings.Contains(info, "\nprocess_id:"+strconv.Itoa(pid)+"\r\n")
}
