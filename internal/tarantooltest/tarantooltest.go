// Package tarantooltest starts real Tarantool servers for tests: [Start]
// runs `tarantool` on a free port of 127.0.0.1 with an init script of its
// own, written to a temporary directory that also holds the server's
// snapshots and write-ahead log, and stops it by t.Cleanup.
//
// The server runs the binary found on PATH (Debian's package tarantool;
// test.sh installs it when missing). When there is none, the test is
// skipped with a message that says how to install it. Nothing here
// touches a Tarantool that was already running (such as one on 3301):
// every server is started on a port picked for it, with the Linux
// parent-death signal set, so that a test binary that dies does not leave
// it behind.
//
// The init script (see [Server.Script]) listens on the port, keeps its
// data in the directory, allows tuples up to 64 MiB, and creates the user
// [User] with the password [Password] and the grants a hitbox store needs
// (read, write, execute and create on the universe) the first time the
// directory is used, so that a server restarted on the same directory
// keeps its spaces, its data and its user.
package tarantooltest

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/tarantool/go-tarantool/v3"
)

// The user every server the package starts creates for the tests.
const (
	User     = "hitbox"
	Password = "hitbox-test-secret"
)

// startTimeout bounds how long a server may take to accept the test user.
const startTimeout = 30 * time.Second

// poll is the interval at which Start polls a server that is coming up.
const poll = 10 * time.Millisecond

// Server is one tarantool process that a test started. Its methods are
// safe for concurrent use; they fail the test that started the server when
// something goes wrong.
type Server struct {
	// Addr is the server's "127.0.0.1:port".
	Addr string
	// Port is the server's TCP port.
	Port int
	// Dir is the directory that holds the init script, the server's log
	// and its data.
	Dir string

	t      testing.TB
	bin    string
	script string // the init script's path
	log    string // the file that collects the server's output

	mu   sync.Mutex // guards proc
	proc *process   // nil while the server is killed
}

// process is one run of the server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// Start starts tarantool on a free port of 127.0.0.1 and waits until it
// accepts [User]. t.Cleanup stops it. Without a tarantool on PATH, Start
// skips the test.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skipf("tarantooltest: tarantool not found on PATH (%v): install the Debian package tarantool (apt-get install -y tarantool; ./test.sh does it when run as root)", err)
	}
	dir := t.TempDir()
	s := &Server{Dir: dir, t: t, bin: bin, script: filepath.Join(dir, "init.lua"), log: filepath.Join(dir, "tarantool.log")}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("tarantooltest: last lines of %s's log:\n%s", s.Addr, s.tail(20))
		}
	})
	for range 10 {
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		s.Port, s.Addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = os.WriteFile(s.script, []byte(Script(s.Addr)), 0o600); err != nil {
			break
		}
		if err = s.launch(); err == nil || !errors.Is(err, errAddrInUse) {
			break
		}
	}
	if err != nil {
		t.Fatalf("tarantooltest: start tarantool: %v", err)
	}
	return s
}

// Script returns the init script of a server listening on addr, with its
// data in the current directory (the server runs in [Server.Dir]).
func Script(addr string) string {
	return fmt.Sprintf(`-- Written by hitbox's internal/tarantooltest.
box.cfg{
    listen = %q,
    memtx_dir = '.',
    wal_dir = '.',
    vinyl_dir = '.',
    memtx_memory = 512 * 1024 * 1024,
    memtx_max_tuple_size = 64 * 1024 * 1024,
    checkpoint_interval = 0,
}
box.once('hitboxtest-user', function()
    box.schema.user.create(%q, {password = %q})
    box.schema.user.grant(%q, 'read,write,execute,create', 'universe')
end)
`, addr, User, Password, User)
}

// Kill kills the server at once (SIGKILL) and waits for it to exit, as a
// crash would. What it had written to its write-ahead log comes back with
// Restart. Killing a killed server does nothing.
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

// Restart starts the server again on the same port and directory (killing
// it first if it is running) and waits until it accepts [User] again: it
// recovers its spaces and data from its snapshot and write-ahead log.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
	deadline := time.Now().Add(startTimeout)
	for {
		// The port is ours, but the kernel may take a moment to let it
		// go.
		err := s.launch()
		if err == nil {
			return
		}
		if !errors.Is(err, errAddrInUse) || time.Now().After(deadline) {
			s.t.Fatalf("tarantooltest: restart %s: %v", s.Addr, err)
		}
		time.Sleep(poll)
	}
}

// Pause stops the server's process (SIGSTOP) without closing its
// connections, as a stalled server would: clients' calls hang until their
// timeouts. Resume undoes it; Close kills a paused server as usual.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a server stopped by Pause (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		s.t.Fatalf("tarantooltest: %s is not running", s.Addr)
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("tarantooltest: signal %v to %s: %v", sig, s.Addr, err)
	}
}

// Close kills the server and waits for it to exit. t.Cleanup calls it;
// calling it earlier, or more than once, is fine.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

var errAddrInUse = errors.New("address already in use")

// launch starts the process and waits until it accepts the test user. The
// caller holds s.mu (or has not shared s yet).
func (s *Server) launch() error {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	offset, err := logf.Seek(0, 2)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, s.script)
	cmd.Dir = s.Dir
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
			return fmt.Errorf("tarantool exited before accepting %s: %s", User, lastLines(out, 10))
		default:
		}
		err := ping(s.Addr)
		if err == nil {
			s.proc = p
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("%s did not accept %s within %v (%v): %s", s.Addr, User, startTimeout, err, lastLines(s.since(offset), 10))
		}
		time.Sleep(poll)
	}
}

// ping connects to addr as the test user and pings the server.
func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := tarantool.Connect(ctx, tarantool.NetDialer{Address: addr, User: User, Password: Password},
		tarantool.Opts{SkipSchema: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(tarantool.NewPingRequest()).Get()
	return err
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

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
