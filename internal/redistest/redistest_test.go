package redistest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hitbox-go/hitbox/internal/resp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// set stores key=value on s and fails t unless the server says OK.
func set(t *testing.T, s *Server, key, value string) {
	t.Helper()
	if r, err := s.Do("SET", key, value); err != nil || r != "OK" {
		t.Fatalf("SET %s on %s = %v, %v; want OK", key, s.Addr, r, err)
	}
}

func TestStartKillRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if strings.HasSuffix(s.Addr, ":6379") {
		t.Fatalf("Start used the default port: %s", s.Addr)
	}
	if want := "redis://" + s.Addr; s.URL() != want {
		t.Errorf("URL() = %q, want %q", s.URL(), want)
	}
	set(t, s, "k", "v")
	if r, err := s.Do("GET", "k"); err != nil || r != "v" {
		t.Fatalf("GET k = %v, %v; want v", r, err)
	}
	if r, _ := s.Do("CONFIG", "GET", "save"); fmt.Sprint(r) != "[save ]" {
		t.Errorf("CONFIG GET save = %v, want persistence off", r)
	}
	s.Kill()
	if _, err := s.Do("PING"); err == nil {
		t.Fatal("PING after Kill succeeded")
	}
	s.Kill() // a second Kill does nothing
	s.Restart()
	if r, err := s.Do("GET", "k"); err != nil || r != nil {
		t.Fatalf("GET k after Restart = %v, %v; want a null reply (no persistence)", r, err)
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.Pause()
	if _, err := resp.Do(s.Addr, 100*time.Millisecond, "PING"); err == nil {
		t.Fatal("PING to a paused server answered")
	}
	s.Resume()
	if r, err := s.Do("PING"); err != nil || r != "PONG" {
		t.Fatalf("PING after Resume = %v, %v", r, err)
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 0)
	if len(c.Nodes) != 3 || len(c.Addrs) != 3 {
		t.Fatalf("StartCluster(t, 0): %d nodes, %d addrs; want 3", len(c.Nodes), len(c.Addrs))
	}
	// Every slot is served: a key lands on one node, the others redirect.
	var moved, ok int
	for _, n := range c.Nodes {
		r, err := n.Do("SET", "some-key", "v")
		switch {
		case err == nil && r == "OK":
			ok++
		case err != nil && strings.HasPrefix(err.Error(), "MOVED"):
			moved++
		default:
			t.Fatalf("SET on %s = %v, %v", n.Addr, r, err)
		}
	}
	if ok != 1 || moved != 2 {
		t.Fatalf("SET some-key: %d nodes took it, %d redirected; want 1 and 2", ok, moved)
	}
	if u := c.URL(); !strings.Contains(u, "?addr="+c.Addrs[1]) || !strings.Contains(u, "&addr="+c.Addrs[2]) {
		t.Errorf("URL() = %q, want every node", u)
	}
}

func TestSentinel(t *testing.T) {
	t.Parallel()
	s := StartSentinel(t)
	r, err := s.Sentinel.Do("SENTINEL", "get-master-addr-by-name", s.MasterName)
	if err != nil || fmt.Sprint(r) != fmt.Sprintf("[127.0.0.1 %d]", s.Master.Port) {
		t.Fatalf("sentinel names master %v, %v; want 127.0.0.1:%d", r, err, s.Master.Port)
	}
	if len(s.Addrs) != 1 || s.Addrs[0] != s.Sentinel.Addr {
		t.Errorf("Addrs = %v, want [%s]", s.Addrs, s.Sentinel.Addr)
	}
}

// fatalTB records the message of a Fatal call and ends the goroutine, as
// testing does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprint(args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f)
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.Contains(f.msg, "redis-server not found") || !strings.Contains(f.msg, "apt-get install") {
		t.Fatalf("Start without redis-server on PATH failed with %q, want a message naming the binary and how to install it", f.msg)
	}
}
