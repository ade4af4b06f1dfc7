package hitbox

import (
	"strconv"
	"time"
)

// EventKind says what happened in the flow.
type EventKind int

const (
	// EventHit: a fresh entry was served (Source says which backend).
	EventHit EventKind = iota + 1
	// EventStale: a stale entry was served.
	EventStale
	// EventMiss: no usable entry; the upstream was (or will be) asked.
	EventMiss
	// EventBypass: the request was not cacheable.
	EventBypass
	// EventCollapsed: a caller was answered from another caller's
	// upstream call.
	EventCollapsed
	// EventUpstream: an upstream call finished (Duration, Err).
	EventUpstream
	// EventStored: an entry was written.
	EventStored
	// EventReadError: a backend read failed (served as a miss).
	EventReadError
	// EventWriteError: a backend write failed (the caller still got its
	// answer).
	EventWriteError
	// EventRevalidate: a background refresh started.
	EventRevalidate
	// EventStaleIfError: a stale entry was served because the upstream
	// failed. Counted apart so that stale hits never hide an outage.
	EventStaleIfError
)

var eventNames = [...]string{
	EventHit: "hit", EventStale: "stale", EventMiss: "miss", EventBypass: "bypass",
	EventCollapsed: "collapsed", EventUpstream: "upstream", EventStored: "stored",
	EventReadError: "read_error", EventWriteError: "write_error",
	EventRevalidate: "revalidate", EventStaleIfError: "stale_if_error",
}

// String returns the kind's snake_case name, used as a metric label.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one thing that happened in the flow, for a [Recorder].
type Event struct {
	Kind EventKind
	// Endpoint is the request's endpoint name ("" when none).
	Endpoint string
	// Source is the label of the backend involved ("" when none).
	Source string
	// Duration is the upstream call's duration (EventUpstream).
	Duration time.Duration
	// Err is the error involved, if any.
	Err error
}

// Recorder receives the flow's events (metrics, logs, tests). Record must
// be safe for concurrent use and must not block.
type Recorder interface {
	Record(Event)
}

// RecorderFunc adapts a function to [Recorder].
type RecorderFunc func(Event)

// Record calls f(e).
func (f RecorderFunc) Record(e Event) { f(e) }

type nopRecorder struct{}

func (nopRecorder) Record(Event) {}
