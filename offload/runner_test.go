package offload_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hitbox-go/hitbox/offload"
)

// newRunner returns a runner for o or fails the test.
func newRunner(t *testing.T, o offload.Options) *offload.Runner {
	t.Helper()
	r, err := offload.New(o)
	if err != nil {
		t.Fatalf("New(%+v) = %v, want no error", o, err)
	}
	return r
}

// shutdown shuts r down with no deadline and fails the test on an error.
func shutdown(t *testing.T, r *offload.Runner) {
	t.Helper()
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("Shutdown(Background) = %v, want nil", err)
	}
}

// checkStats compares r.Stats() with want.
func checkStats(t *testing.T, r *offload.Runner, want offload.Stats) {
	t.Helper()
	if diff := cmp.Diff(want, r.Stats()); diff != "" {
		t.Errorf("Stats() mismatch (-want +got):\n%s", diff)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    offload.Options
		wantErr string // "" for success
	}{
		{name: "zero value", opts: offload.Options{}},
		{name: "explicit", opts: offload.Options{Concurrency: 3, Timeout: time.Second, Logger: slog.Default()}},
		{name: "no deadline", opts: offload.Options{Timeout: -1}},
		{name: "max concurrency", opts: offload.Options{Concurrency: offload.MaxConcurrency}},
		{name: "negative concurrency", opts: offload.Options{Concurrency: -1}, wantErr: "Concurrency -1 is negative"},
		{name: "concurrency too large", opts: offload.Options{Concurrency: offload.MaxConcurrency + 1}, wantErr: "Concurrency 1073741825 is above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := offload.New(tt.opts)
			if tt.wantErr == "" {
				if err != nil || r == nil {
					t.Fatalf("New(%+v) = %v, %v; want a runner", tt.opts, r, err)
				}
				shutdown(t, r)
				return
			}
			if r != nil || !errors.Is(err, offload.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New(%+v) = %v, %v; want nil and an ErrInvalidOptions containing %q", tt.opts, r, err, tt.wantErr)
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		concurrency int
		wantLimit   int
	}{
		{name: "default", concurrency: 0, wantLimit: offload.DefaultConcurrency},
		{name: "one", concurrency: 1, wantLimit: 1},
		{name: "three", concurrency: 3, wantLimit: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				r := newRunner(t, offload.Options{Concurrency: tt.concurrency})
				release := make(chan struct{})
				var running, maxRunning atomic.Int64
				task := func(context.Context) {
					n := running.Add(1)
					for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
					}
					<-release
					running.Add(-1)
				}
				for i := range tt.wantLimit {
					if !r.TryGo("work", task) {
						t.Fatalf("TryGo #%d = false, want true (limit %d)", i+1, tt.wantLimit)
					}
				}
				const extra = 5
				for i := range extra {
					if r.TryGo("extra", task) {
						t.Fatalf("TryGo #%d over the limit = true, want false", i+1)
					}
				}
				if r.TryGoKey("keyed", "k", task) {
					t.Fatal("TryGoKey over the limit = true, want false")
				}
				synctest.Wait()
				if got := maxRunning.Load(); got != int64(tt.wantLimit) {
					t.Errorf("tasks running at once = %d, want %d", got, tt.wantLimit)
				}
				checkStats(t, r, offload.Stats{
					Started:       uint64(tt.wantLimit),
					Dropped:       extra + 1,
					Running:       tt.wantLimit,
					DroppedByName: map[string]uint64{"extra": extra, "keyed": 1},
				})

				close(release)
				synctest.Wait()
				checkStats(t, r, offload.Stats{
					Started:       uint64(tt.wantLimit),
					Completed:     uint64(tt.wantLimit),
					Dropped:       extra + 1,
					DroppedByName: map[string]uint64{"extra": extra, "keyed": 1},
				})
				if !r.TryGo("work", task) {
					t.Error("TryGo after the tasks returned = false, want true")
				}
				shutdown(t, r)
				if got := maxRunning.Load(); got != int64(tt.wantLimit) {
					t.Errorf("tasks running at once = %d, want %d", got, tt.wantLimit)
				}
			})
		})
	}
}

func TestTryGoNeverBlocks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRunner(t, offload.Options{Concurrency: 2})
		release := make(chan struct{})
		for range 2 {
			if !r.TryGo("block", func(context.Context) { <-release }) {
				t.Fatal("TryGo on an empty runner = false, want true")
			}
		}
		start := time.Now()
		// submit calls TryGo and TryGoKey n times each from one goroutine
		// and reports how many were accepted; a blocking call would leave
		// it durably blocked when synctest.Wait returns.
		submit := func(n int) <-chan int {
			out := make(chan int, 1)
			go func() {
				accepted := 0
				for i := range n {
					if r.TryGo("full", func(context.Context) {}) {
						accepted++
					}
					if r.TryGoKey("full", string(rune('a'+i%26)), func(context.Context) {}) {
						accepted++
					}
				}
				out <- accepted
			}()
			return out
		}

		done := submit(1000)
		synctest.Wait()
		select {
		case n := <-done:
			if n != 0 {
				t.Errorf("accepted %d tasks on a full runner, want 0", n)
			}
		default:
			t.Fatal("TryGo/TryGoKey blocked on a full runner")
		}

		shut := make(chan error, 1)
		go func() { shut <- r.Close(context.Background()) }()
		synctest.Wait()
		done = submit(1000)
		synctest.Wait()
		select {
		case n := <-done:
			if n != 0 {
				t.Errorf("accepted %d tasks during Shutdown, want 0", n)
			}
		default:
			t.Fatal("TryGo/TryGoKey blocked during Shutdown")
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("submitting took %v of (fake) time, want 0", elapsed)
		}
		if got, want := r.Stats().Dropped, uint64(4000); got != want {
			t.Errorf("Stats().Dropped = %d, want %d", got, want)
		}

		close(release)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
	})
}

func TestTaskDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		timeout      time.Duration
		work         time.Duration // how long the task works unless its context ends
		wantDeadline time.Duration // 0: no deadline
		wantErr      error         // ctx.Err() when the task returns
		wantTimedOut uint64
	}{
		{name: "default", timeout: 0, work: time.Hour, wantDeadline: offload.DefaultTimeout, wantErr: context.DeadlineExceeded, wantTimedOut: 1},
		{name: "explicit", timeout: 5 * time.Second, work: time.Hour, wantDeadline: 5 * time.Second, wantErr: context.DeadlineExceeded, wantTimedOut: 1},
		{name: "returns in time", timeout: 5 * time.Second, work: time.Second, wantDeadline: 5 * time.Second},
		{name: "none", timeout: -1, work: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				r := newRunner(t, offload.Options{Timeout: tt.timeout})
				type result struct {
					deadline, ended time.Time
					hasDeadline     bool
					err             error
				}
				res := make(chan result, 1)
				start := time.Now()
				ok := r.TryGo("deadline", func(ctx context.Context) {
					var got result
					got.deadline, got.hasDeadline = ctx.Deadline()
					timer := time.NewTimer(tt.work)
					defer timer.Stop()
					select {
					case <-ctx.Done():
					case <-timer.C:
					}
					got.ended, got.err = time.Now(), ctx.Err()
					res <- got
				})
				if !ok {
					t.Fatal("TryGo = false, want true")
				}
				got := <-res
				if tt.wantDeadline == 0 {
					if got.hasDeadline {
						t.Errorf("ctx.Deadline() = %v, true; want no deadline", got.deadline)
					}
				} else if !got.hasDeadline || !got.deadline.Equal(start.Add(tt.wantDeadline)) {
					t.Errorf("ctx.Deadline() = %v, %v; want start+%v, true", got.deadline, got.hasDeadline, tt.wantDeadline)
				}
				if !errors.Is(got.err, tt.wantErr) || (tt.wantErr == nil && got.err != nil) {
					t.Errorf("ctx.Err() when the task returned = %v, want %v", got.err, tt.wantErr)
				}
				wantEnd := min(tt.work, tt.wantDeadline)
				if tt.wantDeadline == 0 {
					wantEnd = tt.work
				}
				if elapsed := got.ended.Sub(start); elapsed != wantEnd {
					t.Errorf("task returned after %v, want %v", elapsed, wantEnd)
				}
				shutdown(t, r)
				checkStats(t, r, offload.Stats{Started: 1, Completed: 1, TimedOut: tt.wantTimedOut})
			})
		})
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		submit func(r *offload.Runner, fn func(context.Context)) bool
		again  func(r *offload.Runner, fn func(context.Context)) bool
	}{
		{
			name:   "TryGo",
			submit: func(r *offload.Runner, fn func(context.Context)) bool { return r.TryGo("boom", fn) },
			again:  func(r *offload.Runner, fn func(context.Context)) bool { return r.TryGo("boom", fn) },
		},
		{
			name:   "TryGoKey frees its key",
			submit: func(r *offload.Runner, fn func(context.Context)) bool { return r.TryGoKey("boom", "k", fn) },
			again:  func(r *offload.Runner, fn func(context.Context)) bool { return r.TryGoKey("boom", "k", fn) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var logs syncBuffer
				r := newRunner(t, offload.Options{
					Concurrency: 1,
					Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
				})
				if !tt.submit(r, func(context.Context) { panic("kaboom-4711") }) {
					t.Fatal("submitting the panicking task = false, want true")
				}
				synctest.Wait()
				checkStats(t, r, offload.Stats{Started: 1, Completed: 1, Panics: 1})
				out := logs.String()
				for _, want := range []string{"level=ERROR", "task=boom", "kaboom-4711", "goroutine ", "TestPanicRecovered"} {
					if !strings.Contains(out, want) {
						t.Errorf("log does not contain %q:\n%s", want, out)
					}
				}

				ran := make(chan struct{})
				if !tt.again(r, func(context.Context) { close(ran) }) {
					t.Fatal("submitting after a panic = false, want true")
				}
				<-ran
				shutdown(t, r)
				checkStats(t, r, offload.Stats{Started: 2, Completed: 2, Panics: 1})
			})
		})
	}
}

func TestTryGoKey(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRunner(t, offload.Options{Concurrency: 3})
		releaseA := make(chan struct{})
		var runsA atomic.Int64
		blockA := func(context.Context) { runsA.Add(1); <-releaseA }

		if !r.TryGoKey("refresh", "a", blockA) {
			t.Fatal(`TryGoKey("a") on an empty runner = false, want true`)
		}
		for range 3 {
			if r.TryGoKey("refresh", "a", blockA) {
				t.Fatal(`TryGoKey("a") while "a" is in flight = true, want false`)
			}
		}
		if r.TryGoKey("other-name", "a", blockA) {
			t.Fatal(`TryGoKey("a") under another name while "a" is in flight = true, want false`)
		}
		releaseB := make(chan struct{})
		if !r.TryGoKey("refresh", "b", func(context.Context) { <-releaseB }) {
			t.Fatal(`TryGoKey("b") while only "a" is in flight = false, want true`)
		}
		// A plain TryGo is not keyed: it takes the last slot.
		releaseC := make(chan struct{})
		if !r.TryGo("a", func(context.Context) { <-releaseC }) {
			t.Fatal("TryGo with a name equal to a key in flight = false, want true")
		}
		// Full: a new key is a drop, not a dedup, and stays free.
		if r.TryGoKey("refresh", "c", func(context.Context) {}) {
			t.Fatal(`TryGoKey("c") on a full runner = true, want false`)
		}
		synctest.Wait()
		checkStats(t, r, offload.Stats{
			Started: 3, Dropped: 1, Deduplicated: 4, Running: 3,
			DroppedByName: map[string]uint64{"refresh": 1},
		})

		close(releaseA)
		synctest.Wait()
		if got := runsA.Load(); got != 1 {
			t.Errorf(`tasks run for "a" = %d, want 1`, got)
		}
		ranC := make(chan struct{})
		if !r.TryGoKey("refresh", "c", func(context.Context) { close(ranC) }) {
			t.Fatal(`TryGoKey("c") after a drop freed a slot = false, want true`)
		}
		<-ranC
		ranA := make(chan struct{})
		if !r.TryGoKey("refresh", "a", func(context.Context) { close(ranA) }) {
			t.Fatal(`TryGoKey("a") after its task returned = false, want true`)
		}
		<-ranA

		close(releaseB)
		close(releaseC)
		shutdown(t, r)
		checkStats(t, r, offload.Stats{
			Started: 5, Completed: 5, Dropped: 1, Deduplicated: 4,
			DroppedByName: map[string]uint64{"refresh": 1},
		})
	})
}

func TestNilRunner(t *testing.T) {
	t.Parallel()
	var r *offload.Runner
	ran := false
	fn := func(context.Context) { ran = true }
	if r.TryGo("x", fn) {
		t.Error("nil Runner: TryGo = true, want false")
	}
	if r.TryGoKey("x", "k", fn) {
		t.Error("nil Runner: TryGoKey = true, want false")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("nil Runner: Shutdown = %v, want nil", err)
	}
	if diff := cmp.Diff(offload.Stats{}, r.Stats()); diff != "" {
		t.Errorf("nil Runner: Stats() mismatch (-want +got):\n%s", diff)
	}
	if ran {
		t.Error("nil Runner ran a task")
	}
}

func TestNilTask(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	r := newRunner(t, offload.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if r.TryGo("nil", nil) {
		t.Error("TryGo(nil) = true, want false")
	}
	if r.TryGoKey("nil", "k", nil) {
		t.Error("TryGoKey(nil) = true, want false")
	}
	shutdown(t, r)
	checkStats(t, r, offload.Stats{})
	if out := logs.String(); strings.Count(out, "nil task refused") != 2 {
		t.Errorf("log should report two refused nil tasks:\n%s", out)
	}
}
