package offload_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/offload"
)

func TestShutdownWaitsForInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRunner(t, offload.Options{Timeout: -1})
		release := make(chan struct{})
		for range 3 {
			if !r.TryGo("slow", func(context.Context) { <-release }) {
				t.Fatal("TryGo = false, want true")
			}
		}
		shut := make(chan error, 1)
		go func() { shut <- r.Close(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with 3 tasks in flight, want it to wait", err)
		default:
		}

		// Refused after Shutdown began, counted as drops, never run.
		ran := false
		if r.TryGo("late", func(context.Context) { ran = true }) {
			t.Error("TryGo during Shutdown = true, want false")
		}
		if r.TryGoKey("late-key", "k", func(context.Context) { ran = true }) {
			t.Error("TryGoKey during Shutdown = true, want false")
		}

		close(release)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
		if r.TryGo("later", func(context.Context) { ran = true }) {
			t.Error("TryGo after Shutdown = true, want false")
		}
		synctest.Wait()
		if ran {
			t.Error("a task submitted during or after Shutdown ran")
		}
		checkStats(t, r, offload.Stats{
			Started: 3, Completed: 3, Dropped: 3,
			DroppedByName: map[string]uint64{"late": 1, "late-key": 1, "later": 1},
		})
	})
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRunner(t, offload.Options{Timeout: time.Hour})
		errs := make(chan error, 2)
		for _, name := range []string{"a", "b"} {
			r.TryGo(name, func(ctx context.Context) {
				<-ctx.Done()
				errs <- ctx.Err()
			})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := r.Close(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown with a 10s deadline = %v, want %v", err, context.DeadlineExceeded)
		}
		if elapsed := time.Since(start); elapsed != 10*time.Second {
			t.Errorf("Shutdown returned after %v, want 10s", elapsed)
		}
		for range 2 {
			if err := <-errs; !errors.Is(err, context.Canceled) {
				t.Errorf("task's ctx.Err() = %v, want %v", err, context.Canceled)
			}
		}
		if elapsed := time.Since(start); elapsed != 10*time.Second {
			t.Errorf("tasks saw cancellation after %v, want 10s (Shutdown's deadline)", elapsed)
		}
		// A second call waits for the canceled tasks and reports success.
		shutdown(t, r)
		checkStats(t, r, offload.Stats{Started: 2, Completed: 2})
	})
}

func TestShutdownTaskIgnoresCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := newRunner(t, offload.Options{Timeout: -1})
		release := make(chan struct{})
		taskCtx := make(chan context.Context, 1)
		r.TryGo("stubborn", func(ctx context.Context) {
			taskCtx <- ctx
			<-release
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want %v", err, context.DeadlineExceeded)
		}
		if err := (<-taskCtx).Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("task's ctx.Err() after Shutdown gave up = %v, want %v", err, context.Canceled)
		}
		if got := r.Stats().Running; got != 1 {
			t.Errorf("Stats().Running = %d, want 1 (the task ignores its context)", got)
		}

		shut := make(chan error, 1)
		go func() { shut <- r.Close(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-shut:
			t.Fatalf("second Shutdown returned %v while the task runs, want it to wait", err)
		default:
		}
		close(release)
		if err := <-shut; err != nil {
			t.Errorf("second Shutdown = %v, want nil", err)
		}
	})
}

func TestShutdownIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tasks int
	}{
		{name: "idle", tasks: 0},
		{name: "busy", tasks: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				r := newRunner(t, offload.Options{})
				release := make(chan struct{})
				for range tt.tasks {
					r.TryGo("t", func(context.Context) { <-release })
				}
				const callers = 5
				shut := make(chan error, callers)
				for range callers {
					go func() { shut <- r.Close(context.Background()) }()
				}
				synctest.Wait()
				close(release)
				for range callers {
					if err := <-shut; err != nil {
						t.Errorf("concurrent Shutdown = %v, want nil", err)
					}
				}
				// Once idle, Shutdown succeeds at once, even with an ended context.
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				if err := r.Close(ctx); err != nil {
					t.Errorf("Shutdown(canceled ctx) on an idle runner = %v, want nil", err)
				}
				checkStats(t, r, offload.Stats{Started: uint64(tt.tasks), Completed: uint64(tt.tasks)})
			})
		})
	}
}
