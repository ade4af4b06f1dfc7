// Package backendtest is the conformance suite every hitbox store and every
// composition passes, and a fault-injecting wrapper for the tests of code
// built on backends.
//
// A store's test calls [Run] with a [Factory] that builds a fresh, empty
// backend around the driven clock the suite passes in (here for a
// hypothetical package mystore whose Options take the clock as Now):
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
//			b, err := mystore.New(mystore.Options{Now: now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { b.Close() })
//			return b
//		}, backendtest.Options{MaxValueSize: 1 << 20})
//	}
//
// Every case runs as a parallel subtest with its own backend, and every
// deadline it writes is relative to the driven clock, which starts far from
// the wall clock: a store must decide expiry by the clock it was given.
//
// The suite covers get, set and delete, expiry boundaries on the driven
// clock, metadata round trips, empty, nil and large values, binary keys,
// concurrent use (run it with -race), context cancellation, nil contexts,
// invalid keys, and that bad input never corrupts what is cached; with
// [Options.WriteRaw] it checks that corrupted stored bytes read as a miss;
// and it checks [backend.Lister], [backend.Purger] and
// [backend.StatsReporter] when the backend implements them.
//
// [Fault] wraps any backend to fail, delay or hang its calls, and counts
// them, for the tests of compositions and of the request flow:
//
//	l2 := backendtest.NewFault(redisBackend)
//	l2.FailGet(backend.ErrUnavailable) // every Get on L2 now fails
//	l2.Hang(true)                      // every call blocks until its context ends
//
// [Clock] is the driven clock.
package backendtest
