package offload

// Stats is a snapshot of a [Runner]'s counters since it was created.
//
// The counters are read one by one while tasks may be running, so a snapshot
// taken under load is not one instant; it is taken in an order that keeps
// Completed <= Started. Once the runner is idle (for instance after
// Close returned nil), Started == Completed, Running == 0, and every
// TryGo or TryGoKey call with a non-nil task is counted exactly once in
// Started, Dropped or Deduplicated.
type Stats struct {
	// Started counts tasks that were accepted and started.
	Started uint64 `json:"started"`
	// Completed counts started tasks that have returned, normally, by a
	// recovered panic or by runtime.Goexit.
	Completed uint64 `json:"completed"`
	// Dropped counts tasks refused because the runner was full or shut
	// down.
	Dropped uint64 `json:"dropped"`
	// Deduplicated counts keyed tasks refused by [Runner.TryGoKey] because
	// a task with the same key was in flight; they are not in Dropped.
	Deduplicated uint64 `json:"deduplicated"`
	// Panics counts tasks that panicked (a subset of Completed).
	Panics uint64 `json:"panics"`
	// TimedOut counts tasks whose deadline had passed by the time they
	// returned (a subset of Completed).
	TimedOut uint64 `json:"timed_out"`
	// Running is the number of tasks holding a slot right now.
	Running int `json:"running"`
	// DroppedByName splits Dropped by task name. It is a copy the caller
	// owns, nil when nothing was dropped.
	DroppedByName map[string]uint64 `json:"dropped_by_name,omitempty"`
}
