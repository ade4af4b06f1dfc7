package tarantool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// entry returns an entry written now that expires in an hour.
func entry(v string) backend.Entry {
	now := time.Now()
	return backend.Entry{Value: []byte(v), Written: now, Expire: now.Add(time.Hour)}
}

// outageOptions make failures quick to see.
func outageOptions() Options {
	return Options{
		Timeout:           200 * time.Millisecond,
		ReconnectInterval: 50 * time.Millisecond,
		Breaker:           BreakerOptions{Failures: 3, OpenTimeout: 100 * time.Millisecond},
	}
}

// recovers waits until b reads and writes again.
func recovers(t *testing.T, b *Backend) {
	t.Helper()
	eventually(t, "the backend recovers", func() bool {
		return b.Set(t.Context(), "k", entry("back")) == nil
	})
	if e, ok, err := b.Get(t.Context(), "k"); err != nil || !ok || string(e.Value) != "back" {
		t.Fatalf("Get after recovery = %q, %v, %v; want back", e.Value, ok, err)
	}
	if st := b.BreakerState(); st != "closed" && st != "disabled" {
		t.Fatalf("breaker %s after recovery, want closed", st)
	}
}

// load runs Gets and Sets on b from 4 goroutines until stop is called, and
// checks every answer: nil or an error wrapping ErrUnavailable, within the
// slowest time allowed.
type load struct {
	calls, unavailable atomic.Int64
	slowest            atomic.Int64 // nanoseconds
	stop               atomic.Bool
	wg                 sync.WaitGroup
}

func startLoad(t *testing.T, b *Backend) *load {
	l := &load{}
	for w := range 4 {
		l.wg.Go(func() {
			for i := 0; !l.stop.Load(); i++ {
				key := fmt.Sprintf("k%d", (w*7+i)%50)
				began := time.Now()
				var err error
				if i%3 == 0 {
					err = b.Set(t.Context(), key, entry("v"))
				} else {
					_, _, err = b.Get(t.Context(), key)
				}
				took := time.Since(began)
				for {
					s := l.slowest.Load()
					if int64(took) <= s || l.slowest.CompareAndSwap(s, int64(took)) {
						break
					}
				}
				l.calls.Add(1)
				switch {
				case errors.Is(err, backend.ErrUnavailable):
					l.unavailable.Add(1)
				case err != nil:
					t.Errorf("call under load = %v, want nil or an error wrapping ErrUnavailable", err)
					return
				}
			}
		})
	}
	return l
}

func (l *load) end() {
	l.stop.Store(true)
	l.wg.Wait()
}

// TestKillRestartUnderLoad kills the server under a load of Gets and Sets:
// callers get misses or ErrUnavailable at once (never a call that hangs
// past the request timeout), and the backend finds the restarted server by
// itself, its entries recovered from the write-ahead log.
func TestKillRestartUnderLoad(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, outageOptions())
	if err := b.Set(t.Context(), "kept", entry("before the kill")); err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, b)
	eventually(t, "the load gets going", func() bool { return l.calls.Load() > 100 })
	s.Kill()
	before := l.calls.Load()
	eventually(t, "calls go on with the server down", func() bool {
		return l.calls.Load() > before+1000 && l.unavailable.Load() > 100
	})
	if st := b.BreakerState(); st == "closed" {
		t.Errorf("breaker %s with the server down", st)
	}
	s.Restart()
	eventually(t, "the breaker closes again", func() bool {
		return b.BreakerState() == "closed" && b.Ping(t.Context()) == nil
	})
	l.end()
	slowest := time.Duration(l.slowest.Load())
	t.Logf("%d calls, %d unavailable, slowest %v", l.calls.Load(), l.unavailable.Load(), slowest)
	// The request timeout, plus room for a busy machine under the race
	// detector: a call that hangs on a dead server (waiting for a
	// reconnection, say) takes far longer.
	if limit := b.timeout + 5*time.Second; slowest > limit {
		t.Errorf("slowest call took %v, want at most %v (the request timeout plus room for a loaded machine)", slowest, limit)
	}
	recovers(t, b)
	if e, ok, err := b.Get(t.Context(), "kept"); err != nil || !ok || string(e.Value) != "before the kill" {
		t.Errorf(`Get("kept") after the restart = %q, %v, %v; want the entry written before the kill`, e.Value, ok, err)
	}
}

// TestStall pauses the server: calls end at the request timeout until the
// breaker opens, then fail at once but for a probe now and then; after
// Resume the backend works again.
func TestStall(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, outageOptions())
	s.Pause()
	// Calls until 100 failed fast (under half the timeout): with a breaker
	// that does not open, every call waits for the timeout and none is
	// fast. Slow calls are the ones that open the breaker and its probes:
	// at most one per OpenTimeout of the time the run took.
	var calls, slow, fast int
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for ; fast < 100; calls++ {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls during a stall, %d slow, %d fast in 30s: the breaker does not make failures fast", calls, slow, fast)
		}
		began := time.Now()
		_, _, err := b.Get(t.Context(), "k")
		if time.Since(began) >= b.timeout/2 {
			slow++
		} else {
			fast++
		}
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Get %d while the server is paused = %v, want an error wrapping ErrUnavailable", calls, err)
		}
	}
	took := time.Since(start)
	t.Logf("during a stall: %d calls in %v, %d slow", calls, took, slow)
	if maxSlow := 3 + int(took/(100*time.Millisecond)) + 1; slow > maxSlow {
		t.Errorf("%d of %d calls during a %v stall were slow, want at most %d (the failures that open the breaker, then one probe per open timeout)", slow, calls, took, maxSlow)
	}
	s.Resume()
	recovers(t, b)
}

// TestUnreachableAtStart checks that New does not wait for the server and
// that calls fail at once, saying why, while it cannot connect.
func TestUnreachableAtStart(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	b, err := New(Options{Address: addr, ReconnectInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	eventually(t, "the refusal is reported", func() bool {
		err := b.Ping(t.Context())
		return errors.Is(err, backend.ErrUnavailable) && strings.Contains(err.Error(), "refused")
	})
	began := time.Now()
	if _, _, err := b.Get(t.Context(), "k"); !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("Get with no server = %v, want ErrUnavailable", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("Get with no server took %v, want an immediate failure", took)
	}
}

// TestBadCredentials checks that a wrong password is what the calls'
// errors say.
func TestBadCredentials(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b, err := New(Options{Address: s.Addr, User: tarantooltest.User, Password: "wrong", ReconnectInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	eventually(t, "the bad credentials are reported", func() bool {
		err := b.Ping(t.Context())
		return errors.Is(err, backend.ErrUnavailable) && strings.Contains(err.Error(), "authenticate")
	})
}

// TestSpaceOfAnotherShape checks that a space that exists with other
// indexes is refused with an error that says so, and is left alone.
func TestSpaceOfAnotherShape(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	admin := newBackend(t, s, Options{})
	c, _, err := admin.pick()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(evalRequest(`box.schema.space.create('other'):create_index('pk', {parts = {{1, 'unsigned'}}})`)).Get(); err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Address: s.Addr, User: tarantooltest.User, Password: tarantooltest.Password, Space: "other", ReconnectInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	eventually(t, "the shape is reported", func() bool {
		err := b.Ping(t.Context())
		return errors.Is(err, backend.ErrUnavailable) && strings.Contains(err.Error(), "other indexes")
	})
}

// TestSpaceDroppedHeals drops the space under a connected backend: calls
// fail with ErrUnavailable, and the backend creates the space again.
func TestSpaceDroppedHeals(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, Options{})
	if err := b.Set(t.Context(), "k", entry("v")); err != nil {
		t.Fatal(err)
	}
	c, _, err := b.pick()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(evalRequest(fmt.Sprintf(`box.space[%q]:drop()`, b.space))).Get(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(t.Context(), "k"); !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("Get right after the drop = %v, want ErrUnavailable", err)
	}
	recovers(t, b)
}

// TestErrorRepliesKeepBreakerClosed checks that error replies from a
// working server (a value over memtx_max_tuple_size) and calls the caller
// abandoned do not open the breaker, and that the former wrap
// ErrTooLarge.
func TestErrorRepliesKeepBreakerClosed(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, Options{Timeout: 20 * time.Second, Codec: backend.Codec{Format: backend.FormatMsgPack}, Breaker: BreakerOptions{Failures: 2}})
	huge := entry(strings.Repeat("x", 65<<20))
	for range 3 {
		if err := b.Set(t.Context(), "huge", huge); !errors.Is(err, backend.ErrTooLarge) || errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Set of a value over the server's tuple limit = %v, want ErrTooLarge", err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 3 {
		if _, _, err := b.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get with a canceled context = %v", err)
		}
	}
	if st := b.BreakerState(); st != "closed" {
		t.Fatalf("breaker %s after error replies and canceled calls, want closed", st)
	}
}

// TestNoTimeout checks that a Backend without a request timeout connects
// and serves (its connection attempts get a bound of their own).
func TestNoTimeout(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	b := newBackend(t, s, Options{Timeout: -1})
	if err := b.Set(t.Context(), "k", entry("v")); err != nil {
		t.Fatal(err)
	}
	if e, ok, err := b.Get(t.Context(), "k"); err != nil || !ok || string(e.Value) != "v" {
		t.Fatalf("Get = %q, %v, %v; want v", e.Value, ok, err)
	}
}

// TestConcurrentSpaceCreation: backends (and their pooled connections)
// starting together against a server without the space all come up,
// none of them on an error from another's creation of it.
func TestConcurrentSpaceCreation(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	const n = 6
	bs := make([]*Backend, n)
	for i := range bs {
		bs[i] = newBackend(t, s, Options{Space: "shared_new", PoolSize: 4})
	}
	for i, b := range bs {
		eventually(t, "every backend serves", func() bool {
			err := b.Ping(t.Context())
			if err != nil && strings.Contains(err.Error(), "Duplicate") {
				t.Fatalf("backend %d: %v (a concurrent creation of the space failed)", i, err)
			}
			return err == nil
		})
		if err := b.Set(t.Context(), "k", entry("v")); err != nil {
			t.Fatalf("backend %d: Set: %v", i, err)
		}
	}
}
