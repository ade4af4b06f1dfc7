package main

// What the clients saw, counted by kind of traffic, and the arithmetic of
// the reports.

import (
	"errors"
	"net/http"
	"sync/atomic"
)

// errClass is the class of an error a client saw; zero is no error.
type errClass int

const (
	errNone      errClass = iota
	errTransport          // the request or the body's read failed
	err500                // 500 Internal Server Error
	err502                // 502 Bad Gateway
	err504                // 504 Gateway Timeout
	errStatus             // any other status but 200
	errCorrupt            // a whole 200 body that is not the origin's for the path
	numClasses
)

var classNames = [numClasses]string{
	errNone: "none", errTransport: "transport", err500: "500", err502: "502",
	err504: "504", errStatus: "other status", errCorrupt: "corrupt body",
}

func (c errClass) String() string { return classNames[c] }

// classify says what a request's outcome was: err is the transport error
// (nil when a response arrived), status the response's status, bodyErr
// what verifying a 200's body gave.
func classify(err error, status int, bodyErr error) errClass {
	var ce *CorruptError
	switch {
	case err != nil:
		return errTransport
	case status == http.StatusOK && errors.As(bodyErr, &ce):
		return errCorrupt
	case status == http.StatusOK && bodyErr != nil:
		return errTransport
	case status == http.StatusOK:
		return errNone
	case status == http.StatusInternalServerError:
		return err500
	case status == http.StatusBadGateway:
		return err502
	case status == http.StatusGatewayTimeout:
		return err504
	}
	return errStatus
}

// cacheStatus is the X-Cache-Status a response carried.
type cacheStatus int

const (
	csNone cacheStatus = iota // absent or unknown
	csHit
	csStale
	csMiss
	numStatuses
)

func parseCacheStatus(s string) cacheStatus {
	switch s {
	case "HIT":
		return csHit
	case "STALE":
		return csStale
	case "MISS":
		return csMiss
	}
	return csNone
}

// tally is the counts of one kind of traffic.
type tally struct {
	Requests   uint64
	Bytes      uint64 // body bytes read
	Status     [numStatuses]uint64
	Expected   [numClasses]uint64
	Unexpected [numClasses]uint64
}

// add adds o to t.
func (t *tally) add(o tally) {
	t.Requests += o.Requests
	t.Bytes += o.Bytes
	for i := range t.Status {
		t.Status[i] += o.Status[i]
	}
	for i := range t.Expected {
		t.Expected[i] += o.Expected[i]
		t.Unexpected[i] += o.Unexpected[i]
	}
}

// sub returns t minus o, the counts between two snapshots.
func (t tally) sub(o tally) tally {
	t.Requests -= o.Requests
	t.Bytes -= o.Bytes
	for i := range t.Status {
		t.Status[i] -= o.Status[i]
	}
	for i := range t.Expected {
		t.Expected[i] -= o.Expected[i]
		t.Unexpected[i] -= o.Unexpected[i]
	}
	return t
}

// hitRatio is the share of responses served from the cache (HIT or STALE)
// among those that said where they came from; 0 when none did.
func (t tally) hitRatio() float64 {
	served := t.Status[csHit] + t.Status[csStale]
	all := served + t.Status[csMiss]
	if all == 0 {
		return 0
	}
	return float64(served) / float64(all)
}

// errors returns the expected and the unexpected errors, corrupt bodies
// included in the unexpected.
func (t tally) errors() (expected, unexpected uint64) {
	for c := errNone + 1; c < numClasses; c++ {
		expected += t.Expected[c]
		unexpected += t.Unexpected[c]
	}
	return expected, unexpected
}

// snapshot is every kind's tally at one time.
type snapshot [numKinds]tally

// total sums the kinds.
func (s snapshot) total() tally {
	var t tally
	for _, k := range s {
		t.add(k)
	}
	return t
}

// sub returns s minus o, kind by kind.
func (s snapshot) sub(o snapshot) snapshot {
	for k := range s {
		s[k] = s[k].sub(o[k])
	}
	return s
}

// counters are the live counts the clients add to; safe for concurrent
// use.
type counters struct {
	kinds [numKinds]struct {
		requests, bytes atomic.Uint64
		status          [numStatuses]atomic.Uint64
		expected        [numClasses]atomic.Uint64
		unexpected      [numClasses]atomic.Uint64
	}
}

// record counts one finished request of kind k.
func (c *counters) record(k kind, cs cacheStatus, class errClass, bytes int64) {
	t := &c.kinds[k]
	t.requests.Add(1)
	t.bytes.Add(uint64(max(bytes, 0)))
	t.status[cs].Add(1)
	switch {
	case class == errNone:
	case k.expected(class):
		t.expected[class].Add(1)
	default:
		t.unexpected[class].Add(1)
	}
}

// snapshot reads the counts (each counter atomically; the set of them is
// not one instant, which reports do not need).
func (c *counters) snapshot() snapshot {
	var s snapshot
	for k := range c.kinds {
		t := &c.kinds[k]
		s[k].Requests = t.requests.Load()
		s[k].Bytes = t.bytes.Load()
		for i := range t.status {
			s[k].Status[i] = t.status[i].Load()
		}
		for i := range t.expected {
			s[k].Expected[i] = t.expected[i].Load()
			s[k].Unexpected[i] = t.unexpected[i].Load()
		}
	}
	return s
}
