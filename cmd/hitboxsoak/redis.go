package main

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hitbox-go/hitbox/internal/resp"
	"github.com/hitbox-go/hitbox/internal/testproc"
)

// redisStartTimeout bounds how long a redis-server may take to answer
// PING.
const redisStartTimeout = 15 * time.Second

// redisServer is a redis-server on 127.0.0.1 that the soak starts, kills,
// pauses and starts again on the same port, its output in dir/redis.log.
// Its methods are safe for concurrent use.
type redisServer struct {
	addr string
	proc *testproc.Proc
}

// startRedis starts bin (redis-server) on a free port of 127.0.0.1 without
// persistence, its files in dir.
func startRedis(bin, dir string) (*redisServer, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("redis: %w (install Debian's redis-server package, or pass -redis-server)", err)
	}
	port, err := testproc.FreePort(0)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	r := &redisServer{addr: addr, proc: testproc.New(testproc.Config{
		Bin: path,
		Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--logfile", ""},
		Dir:     dir,
		Log:     filepath.Join(dir, "redis.log"),
		Ready:   func(int) error { return ping(addr) },
		What:    "answering PING",
		Timeout: redisStartTimeout,
	})}
	if err := r.proc.Start(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return r, nil
}

// url is the server's redis:// URL.
func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// restart starts the process again on the same port (killing it first if
// it runs) and waits until it answers PING.
func (r *redisServer) restart() error {
	if err := r.proc.Restart(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// kill kills the process (SIGKILL, stopped or not) and waits for it to
// exit; a killed server is left as it is.
func (r *redisServer) kill() { r.proc.Kill() }

// pause stops the process (SIGSTOP): its connections stay open and hang.
func (r *redisServer) pause() error { return r.proc.Signal(syscall.SIGSTOP) }

// resume continues a paused process (SIGCONT).
func (r *redisServer) resume() error { return r.proc.Signal(syscall.SIGCONT) }

// ping sends PING on a connection of its own and expects PONG.
func ping(addr string) error {
	r, err := resp.Do(addr, time.Second, "PING")
	if err != nil {
		return err
	}
	if r != "PONG" {
		return fmt.Errorf("PING answered %v", r)
	}
	return nil
}
