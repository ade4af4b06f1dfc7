package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// redisStartTimeout bounds how long a redis-server may take to answer
// PING.
const redisStartTimeout = 15 * time.Second

// redisServer is a redis-server on 127.0.0.1 that the soak starts, kills,
// pauses and starts again on the same port. Its methods are safe for
// concurrent use.
type redisServer struct {
	bin, dir string
	addr     string

	mu   sync.Mutex // guards cmd and done
	cmd  *exec.Cmd  // nil while killed
	done chan struct{}
}

// startRedis starts bin (redis-server) on a free port of 127.0.0.1 without
// persistence, its files in dir.
func startRedis(ctx context.Context, bin, dir string) (*redisServer, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("redis: %w (install Debian's redis-server package, or pass -redis-server)", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	r := &redisServer{bin: path, dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	return r, r.launch(ctx)
}

// url is the server's redis:// URL.
func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// launch starts the process (which must not be running) and waits until
// it answers PING.
func (r *redisServer) launch(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return errors.New("redis: already running")
	}
	_, port, _ := net.SplitHostPort(r.addr)
	cmd := exec.Command(r.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"))
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	deadline := time.Now().Add(redisStartTimeout)
	for {
		err := ping(r.addr)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			r.cmd = nil
			return fmt.Errorf("redis: exited at start (see %s): %w", filepath.Join(r.dir, "redis.log"), err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis: no answer to PING after %v: %w", redisStartTimeout, err)
		}
	}
}

// kill kills the process (SIGKILL, stopped or not) and waits for it to
// exit; a killed server is left as it is.
func (r *redisServer) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// pause stops the process (SIGSTOP): its connections stay open and hang.
func (r *redisServer) pause() error { return r.signal(syscall.SIGSTOP) }

// resume continues a paused process (SIGCONT).
func (r *redisServer) resume() error { return r.signal(syscall.SIGCONT) }

func (r *redisServer) signal(sig syscall.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return errors.New("redis: not running")
	}
	return r.cmd.Process.Signal(sig)
}

// ping sends PING on a connection of its own and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
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
