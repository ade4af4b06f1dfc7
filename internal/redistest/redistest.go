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
	"bufio"
	"bytes"
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
	"testing"
	"time"
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
	bin  string
	args []string // after the binary, with the port already in them
	dir  string
	log  string // the file that collects the server's output

	mu   sync.Mutex // guards proc
	proc *process   // nil while the server is killed
}

// process is one run of a server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
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
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

func (s *Server) kill() {
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.done
	s.proc = nil
}

// Restart starts the server again on the same port (killing it first if it
// is running) and waits until it answers PING. A standalone server comes
// back empty; a cluster node keeps its cluster configuration.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
	var err error
	for range 50 {
		// The port is ours, but the kernel may take a moment to let
		// it go.
		if err = s.launch(); err == nil || !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		s.t.Fatalf("redistest: %s is not running", s.Addr)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: signal %v to %s: %v", sig, s.Addr, err)
	}
}

// Do sends one command to the server on a connection of its own and returns
// the reply: a string for simple and bulk strings, an int64, a []any for
// arrays, nil for a null reply, or an error for an error reply or a failed
// connection. It is meant for test set-up, not for speed.
func (s *Server) Do(args ...string) (any, error) {
	return do(s.Addr, 5*time.Second, args...)
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
	s := &Server{t: t, bin: path, dir: dir, log: filepath.Join(dir, "redis.log")}
	t.Cleanup(func() {
		s.mu.Lock()
		s.kill()
		s.mu.Unlock()
		if t.Failed() {
			t.Logf("redistest: last lines of %s's log:\n%s", s.Addr, s.tail(20))
		}
	})
	for range 10 {
		var port int
		if port, err = freePort(busOffset); err != nil {
			break
		}
		s.Port, s.Addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if s.args, err = args(dir, port); err != nil {
			break
		}
		if err = s.launch(); err == nil || !errors.Is(err, errAddrInUse) {
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

var errAddrInUse = errors.New("address already in use")

// launch starts the process and waits until it answers PING. The caller
// holds s.mu (or has not shared s yet).
func (s *Server) launch() error {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	offset, _ := logf.Seek(0, io.SeekEnd)
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			out := s.since(offset)
			if strings.Contains(out, "Address already in use") {
				return fmt.Errorf("port %d: %w", s.Port, errAddrInUse)
			}
			return fmt.Errorf("%s exited before answering PING: %s", filepath.Base(s.bin), lastLines(out, 10))
		default:
		}
		if r, err := do(s.Addr, time.Second, "PING"); err == nil && r == "PONG" {
			// Another test's server may have taken the port between
			// freePort and our bind, and answered for ours.
			if ours(s.Addr, cmd.Process.Pid) {
				s.proc = p
				return nil
			}
			_ = cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("port %d answered by another process: %w", s.Port, errAddrInUse)
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("%s did not answer PING within %v: %s", s.Addr, startTimeout, lastLines(s.since(offset), 10))
		}
		time.Sleep(poll)
	}
}

// ours reports whether the server answering at addr is the process pid
// (INFO's process_id).
func ours(addr string, pid int) bool {
	r, err := do(addr, time.Second, "INFO", "server")
	info, _ := r.(string)
	return err == nil && strings.Contains(info, "\nprocess_id:"+strconv.Itoa(pid)+"\r\n")
}

// since returns what the server logged from offset on.
func (s *Server) since(offset int64) string {
	b, err := os.ReadFile(s.log)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// tail returns the last n lines of the server's log.
func (s *Server) tail(n int) string { return lastLines(s.since(0), n) }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a port of 127.0.0.1 that was free a moment ago, and
// whose port+busOffset was free too when busOffset is not zero.
func freePort(busOffset int) (int, error) {
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

// do sends one command in RESP and reads one reply.
func do(addr string, timeout time.Duration, args ...string) (any, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write(b.Bytes()); err != nil {
		return nil, err
	}
	return readReply(bufio.NewReader(conn))
}

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch body := line[1:]; line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, errors.New(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
