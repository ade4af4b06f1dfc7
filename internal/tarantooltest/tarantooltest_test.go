package tarantooltest

import (
	"context"
	"testing"
	"time"

	"github.com/tarantool/go-tarantool/v3"
)

// connect returns a connection to s as the test user, closed by t.Cleanup.
func connect(t *testing.T, s *Server) *tarantool.Connection {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := tarantool.Connect(ctx, tarantool.NetDialer{Address: s.Addr, User: User, Password: Password},
		tarantool.Opts{SkipSchema: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRestartKeepsData writes a tuple, kills the server and restarts it on
// the same port and directory: the tuple and the user are still there.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if s.Port == 3301 {
		t.Fatalf("Start used the default port: %s", s.Addr)
	}
	c := connect(t, s)
	if _, err := c.Do(tarantool.NewEvalRequest(`box.schema.space.create('t'):create_index('pk', {parts = {{1, 'string'}}}); box.space.t:replace{'k', 'v'}`).Args([]any{})).Get(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := ping(s.Addr); err == nil {
		t.Fatal("ping after Kill succeeded")
	}
	s.Restart()
	c = connect(t, s)
	data, err := c.Do(tarantool.NewEvalRequest(`return box.space.t:get('k')[2]`).Args([]any{})).Get()
	if err != nil || len(data) != 1 || data[0] != "v" {
		t.Fatalf("the tuple after Restart = %v, %v; want v", data, err)
	}
}

// TestPause checks that a paused server does not answer, and answers again
// after Resume.
func TestPause(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := connect(t, s)
	s.Pause()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Do(tarantool.NewPingRequest().Context(ctx)).Get(); err == nil {
		t.Fatal("a paused server answered a ping")
	}
	s.Resume()
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping after Resume = %v", err)
	}
}
