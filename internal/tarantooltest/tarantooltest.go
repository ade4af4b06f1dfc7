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
	"syscall"
	"testing"
	"time"

	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/internal/testproc"
)

// The user every server the package starts creates for the tests.
const (
	User     = "hitbox"
	Password = "hitbox-test-secret"
)

// startTimeout bounds how long a server may take to accept the test user.
const startTimeout = 30 * time.Second

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

	t    testing.TB
	proc *testproc.Proc
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
	s := &Server{Dir: t.TempDir(), t: t}
	t.Cleanup(func() {
		if s.proc == nil {
			return
		}
		s.proc.Kill()
		if t.Failed() {
			t.Logf("tarantooltest: last lines of %s's log:\n%s", s.Addr, s.proc.Tail(20))
		}
	})
	script := filepath.Join(s.Dir, "init.lua")
	for range 10 {
		var port int
		if port, err = testproc.FreePort(0); err != nil {
			break
		}
		s.Port, s.Addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = os.WriteFile(script, []byte(Script(s.Addr)), 0o600); err != nil {
			break
		}
		addr := s.Addr
		s.proc = testproc.New(testproc.Config{
			Bin: bin, Args: []string{script}, Dir: s.Dir, Log: filepath.Join(s.Dir, "tarantool.log"),
			What: "accepting " + User, Timeout: startTimeout,
			Ready: func(int) error { return ping(addr) },
		})
		if err = s.proc.Start(); err == nil || !errors.Is(err, testproc.ErrAddrInUse) {
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
func (s *Server) Kill() { s.proc.Kill() }

// Restart starts the server again on the same port and directory (killing
// it first if it is running) and waits until it accepts [User] again: it
// recovers its spaces and data from its snapshot and write-ahead log.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.proc.Restart(); err != nil {
		s.t.Fatalf("tarantooltest: restart %s: %v", s.Addr, err)
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
	if err := s.proc.Signal(sig); err != nil {
		s.t.Fatalf("tarantooltest: signal %v to %s: %v", sig, s.Addr, err)
	}
}

// Close kills the server and waits for it to exit. t.Cleanup does it;
// calling Close earlier, or more than once, is fine.
func (s *Server) Close() { s.proc.Kill() }

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
