// Package offload runs background work that must not block a response:
// stale-while-revalidate refreshes, the losers of a composition's race
// writes, L1 refills.
//
// A [Runner] bounds how many tasks run at once. [Runner.TryGo] starts a task
// in its own goroutine, or refuses it when the runner is full or shut down;
// it never blocks and never queues, so a burst of background work under load
// costs a counted drop, not latency or memory. [Runner.TryGoKey] adds "at
// most one task per key in flight", for one refresh per cache key at a time.
//
//	r, err := offload.New(offload.Options{Concurrency: 32, Timeout: 5 * time.Second})
//	...
//	r.TryGoKey("revalidate", key, func(ctx context.Context) { refresh(ctx, key) })
//	...
//	err = r.Close(ctx) // on the way out: wait for the tasks in flight
//
// # Contexts and deadlines
//
// A task's context does not descend from the request that submitted it: the
// work outlives the response. It carries the runner's per-task deadline
// (Options.Timeout, 30s by default) and is canceled when a
// [Runner.Close] gives up waiting.
//
// # Failures
//
// A panic in a task is recovered, counted in [Stats].Panics and logged with
// its stack; the runner keeps working. Tasks that outlive their deadline are
// counted in [Stats].TimedOut. Nothing in this package returns a task's
// failure to the submitter: tasks report their own results.
//
// # Closing
//
// [Runner.Close] stops accepting work and waits for the tasks in flight;
// when its context ends first it cancels the tasks' contexts and returns
// ctx.Err() without waiting further. Calling it again waits again. The
// runner owns no goroutine besides the tasks, so after a Close that
// returned nil nothing of it is left running.
//
// The package imports nothing of hitbox's; composition declares the
// one-method interface it needs (TryGo), which *Runner satisfies.
package offload
