package main

import "testing"

// TestRedisServer drives a real redis-server through what the chaos does to
// it: it answers PING once started, not while killed, and again on the same
// address once restarted; pause and resume reach the running process.
func TestRedisServer(t *testing.T) {
	t.Parallel()
	r, err := startRedis("redis-server", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.kill)
	if err := ping(r.addr); err != nil {
		t.Fatalf("after start: ping = %v, want nil", err)
	}
	if err := r.pause(); err != nil {
		t.Fatalf("pause = %v, want nil", err)
	}
	if err := r.resume(); err != nil {
		t.Fatalf("resume = %v, want nil", err)
	}
	if err := ping(r.addr); err != nil {
		t.Fatalf("after resume: ping = %v, want nil", err)
	}
	r.kill()
	if err := ping(r.addr); err == nil {
		t.Fatal("after kill: ping = nil, want an error")
	}
	if err := r.pause(); err == nil {
		t.Error("pause of a killed server = nil, want an error")
	}
	addr := r.addr
	if err := r.restart(); err != nil {
		t.Fatalf("restart = %v, want nil", err)
	}
	if err := ping(addr); err != nil {
		t.Fatalf("after restart: ping %s = %v, want nil", addr, err)
	}
	if want := "redis://" + addr + "/0"; r.url() != want {
		t.Errorf("url = %q, want %q", r.url(), want)
	}
}
