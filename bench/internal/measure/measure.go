// Package measure runs the in-process measurements of the rows: parallel
// throughput for a duration at a given GOMAXPROCS, per-operation latency
// percentiles, and allocations per operation.
package measure

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Env is what a row gets from the harness.
type Env struct {
	// Duration is how long each timed measurement runs.
	Duration time.Duration
	// Quick asks for smaller data sets (traces, budgets).
	Quick bool
	// Rep numbers the repetition (0, 1, ...); rows seed their random
	// traces with it.
	Rep int
	// RedisAddr is the address of the redis-server the harness started
	// for this row ("" when none).
	RedisAddr string
	// TempDir is a scratch directory for the row's own servers' logs.
	TempDir string
	// Log receives progress lines.
	Log io.Writer
}

// Logf writes a progress line.
func (e Env) Logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format+"\n", args...)
	}
}

// Throughput is what [Parallel] measured.
type Throughput struct {
	// OpsPerSec is operations per second over all goroutines.
	OpsPerSec float64
	// AllocsPerOp is heap allocations per operation (the whole process's,
	// so background work counts too).
	AllocsPerOp float64
	// Ops is the number of operations run.
	Ops uint64
}

// batch is how many operations a goroutine runs between looks at the
// clock-driven stop flag.
const batch = 64

// Parallel runs op on procs goroutines with GOMAXPROCS set to procs for d
// and returns the throughput. op gets the goroutine's index and a counter
// it may use to walk its keys; it returns false to stop the measurement
// with an error (a miss where a hit was due, say), reported as err.
func Parallel(ctx context.Context, procs int, d time.Duration, op func(g int, i uint64) bool) (Throughput, error) {
	prev := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()

	var stop, failed atomic.Bool
	var total atomic.Uint64
	var wg, ready sync.WaitGroup
	start := make(chan struct{})
	ready.Add(procs)
	for g := range procs {
		wg.Go(func() {
			ready.Done()
			<-start
			var n uint64
			for !stop.Load() {
				for range batch {
					if !op(g, n) {
						failed.Store(true)
						stop.Store(true)
						break
					}
					n++
				}
			}
			total.Add(n)
		})
	}
	ready.Wait()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	close(start)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	if failed.Load() {
		return Throughput{}, fmt.Errorf("an operation failed")
	}
	if err := ctx.Err(); err != nil {
		return Throughput{}, err
	}
	n := total.Load()
	if n == 0 {
		return Throughput{}, fmt.Errorf("no operation ran")
	}
	return Throughput{
		OpsPerSec:   float64(n) / elapsed.Seconds(),
		AllocsPerOp: float64(after.Mallocs-before.Mallocs) / float64(n),
		Ops:         n,
	}, nil
}

// Latencies is what [Sequential] measured.
type Latencies struct {
	P50, P99    time.Duration
	AllocsPerOp float64
	Ops         int
}

// Sequential runs op on one goroutine for d (at most max operations) and
// times every call. op returns false on failure.
func Sequential(ctx context.Context, d time.Duration, max int, op func(i int) bool) (Latencies, error) {
	samples := make([]time.Duration, 0, min(max, 1<<20))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	deadline := time.Now().Add(d)
	for i := 0; i < max; i++ {
		t0 := time.Now()
		if !op(i) {
			return Latencies{}, fmt.Errorf("operation %d failed", i)
		}
		t1 := time.Now()
		samples = append(samples, t1.Sub(t0))
		if i%256 == 0 && (t1.After(deadline) || ctx.Err() != nil) {
			break
		}
	}
	runtime.ReadMemStats(&after)
	if err := ctx.Err(); err != nil {
		return Latencies{}, err
	}
	slices.Sort(samples)
	return Latencies{
		P50:         Percentile(samples, 0.50),
		P99:         Percentile(samples, 0.99),
		AllocsPerOp: float64(after.Mallocs-before.Mallocs) / float64(len(samples)),
		Ops:         len(samples),
	}, nil
}

// Percentile returns the q-quantile (0..1) of sorted samples.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}
