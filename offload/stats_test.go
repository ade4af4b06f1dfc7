package offload_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hitbox-go/hitbox/offload"
)

// TestStatsConcurrent hammers a small runner from many goroutines, real
// scheduler and all, while another goroutine checks every snapshot.
func TestStatsConcurrent(t *testing.T) {
	t.Parallel()
	const (
		limit      = 8
		submitters = 16
		perWorker  = 500
	)
	r := newRunner(t, offload.Options{Concurrency: limit})

	var running, maxRunning, ran atomic.Int64
	task := func(context.Context) {
		n := running.Add(1)
		for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
		}
		ran.Add(1)
		running.Add(-1)
	}

	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			s := r.Stats()
			if s.Completed > s.Started {
				t.Errorf("snapshot has Completed %d > Started %d", s.Completed, s.Started)
			}
			if s.Running < 0 || s.Running > limit {
				t.Errorf("snapshot has Running %d, want 0..%d", s.Running, limit)
			}
			var sum uint64
			for _, n := range s.DroppedByName {
				sum += n
			}
			if sum != s.Dropped {
				t.Errorf("snapshot has Dropped %d but DroppedByName sums to %d", s.Dropped, sum)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})

	var accepted atomic.Uint64
	var wg sync.WaitGroup
	for w := range submitters {
		wg.Go(func() {
			name := fmt.Sprintf("w%d", w%4)
			for i := range perWorker {
				var ok bool
				if i%2 == 0 {
					ok = r.TryGo(name, task)
				} else {
					ok = r.TryGoKey(name, fmt.Sprint(i%8), task)
				}
				if ok {
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	reader.Wait()
	shutdown(t, r)

	s := r.Stats()
	const total = submitters * perWorker
	if got := s.Started + s.Dropped + s.Deduplicated; got != total {
		t.Errorf("Started+Dropped+Deduplicated = %d+%d+%d = %d, want %d", s.Started, s.Dropped, s.Deduplicated, got, total)
	}
	if s.Started != accepted.Load() || s.Started != uint64(ran.Load()) {
		t.Errorf("Started = %d, accepted = %d, ran = %d; want all equal", s.Started, accepted.Load(), ran.Load())
	}
	if s.Completed != s.Started || s.Running != 0 {
		t.Errorf("after Shutdown: Completed = %d, Started = %d, Running = %d; want Completed == Started, Running 0", s.Completed, s.Started, s.Running)
	}
	if s.Panics != 0 || s.TimedOut != 0 {
		t.Errorf("Panics = %d, TimedOut = %d; want 0, 0", s.Panics, s.TimedOut)
	}
	if got := maxRunning.Load(); got > limit {
		t.Errorf("tasks running at once = %d, want at most %d", got, limit)
	}
}

// BenchmarkTryGo submits a no-op task in a loop. "default" uses the zero
// Options: the loop outruns the tasks, so most calls are drops (see
// dropped/op). "unbounded*" accept every task, so they measure the goroutine
// and, with a deadline, the per-task timer context. "full" and
// "key-deduplicated" measure a refusal.
func BenchmarkTryGo(b *testing.B) {
	noop := func(context.Context) {}
	cases := []struct {
		name string
		opts offload.Options
	}{
		{name: "default", opts: offload.Options{}},
		{name: "unbounded", opts: offload.Options{Concurrency: offload.MaxConcurrency}},
		{name: "unbounded-no-deadline", opts: offload.Options{Concurrency: offload.MaxConcurrency, Timeout: -1}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			r, err := offload.New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				r.TryGo("bench", noop)
			}
			if err := r.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			s := r.Stats()
			b.ReportMetric(float64(s.Dropped)/float64(s.Started+s.Dropped), "dropped/op")
		})
	}
	b.Run("unbounded-parallel", func(b *testing.B) {
		r, err := offload.New(offload.Options{Concurrency: offload.MaxConcurrency})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.TryGo("bench", noop)
			}
		})
		if err := r.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("full", func(b *testing.B) {
		r, err := offload.New(offload.Options{Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		release := make(chan struct{})
		r.TryGo("block", func(context.Context) { <-release })
		b.ReportAllocs()
		for b.Loop() {
			r.TryGo("bench", noop)
		}
		close(release)
		if err := r.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("key-deduplicated", func(b *testing.B) {
		r, err := offload.New(offload.Options{})
		if err != nil {
			b.Fatal(err)
		}
		release := make(chan struct{})
		r.TryGoKey("block", "k", func(context.Context) { <-release })
		b.ReportAllocs()
		for b.Loop() {
			r.TryGoKey("bench", "k", noop)
		}
		close(release)
		if err := r.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	})
}
