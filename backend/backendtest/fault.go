package backendtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Fault wraps a [backend.Backend] and injects failures, delays and hangs into
// its calls, for tests of code that sits on top of backends (compositions,
// the request flow). The zero Fault is not usable; make one with [NewFault].
// A Fault is safe for concurrent use, and its settings may change while
// calls are in flight.
//
// Each call is counted, then waits out the delay or the hang (if any), then
// fails with the injected error (if any), and otherwise runs on the wrapped
// backend. Delays and hangs use real timers selected against the call's
// context, so tests run them instantly inside a testing/synctest bubble.
//
// Fault implements [backend.Lister], [backend.Purger], [backend.Tagger],
// [backend.StatsReporter], [backend.Labeled], [backend.LabeledGetter] and
// [backend.LabeledTagger] by forwarding to the wrapped backend (tag invalidations fail with the
// injected Set error, tag reads with the injected Get error); List and
// Purge return an error wrapping [errors.ErrUnsupported]
// when it lacks the capability. List and Purge honour the delay and the hang
// but never fail with the injected errors. Fault does not implement
// [backend.Locker], so the code under test uses its process-local guard.
type Fault struct {
	b backend.Backend

	mu      sync.Mutex // guards the fields below
	getErr  error
	setErr  error
	delErr  error
	delay   time.Duration
	release chan struct{} // non-nil while hanging; closed by Hang(false)

	gets, sets, deletes atomic.Int64
}

// NewFault returns a Fault around b that injects nothing until told to.
func NewFault(b backend.Backend) *Fault {
	return &Fault{b: b}
}

// Unwrap returns the wrapped backend.
func (f *Fault) Unwrap() backend.Backend { return f.b }

// FailGet makes every following Get return err without reaching the wrapped
// backend; nil clears it.
func (f *Fault) FailGet(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getErr = err
}

// FailSet makes every following Set return err without reaching the wrapped
// backend; nil clears it.
func (f *Fault) FailSet(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setErr = err
}

// FailDelete makes every following Delete return err without reaching the
// wrapped backend; nil clears it.
func (f *Fault) FailDelete(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delErr = err
}

// Delay makes each following call wait d before it runs; zero or negative
// clears it. A call whose context ends during the wait returns the
// context's error.
func (f *Fault) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = max(d, 0)
}

// Hang, when on, makes each following call block until its context is done
// and then return the context's error. When off, it stops hanging and
// releases the calls blocked so far, which then go on as usual. A call with
// no deadline and no cancellation hangs until Hang(false).
func (f *Fault) Hang(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case on && f.release == nil:
		f.release = make(chan struct{})
	case !on && f.release != nil:
		close(f.release)
		f.release = nil
	}
}

// Calls reports how many Get, Set and Delete calls the Fault received,
// including those it failed.
func (f *Fault) Calls() (gets, sets, deletes int64) {
	return f.gets.Load(), f.sets.Load(), f.deletes.Load()
}

// wait applies the hang and the delay, then returns the injected error
// chosen by pick (nil pick: none).
func (f *Fault) wait(ctx context.Context, pick func(*Fault) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f.mu.Lock()
	release, delay := f.release, f.delay
	f.mu.Unlock()
	if release != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if pick == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return pick(f)
}

// Get implements [backend.Backend].
func (f *Fault) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	f.gets.Add(1)
	if err := f.wait(ctx, func(f *Fault) error { return f.getErr }); err != nil {
		return backend.Entry{}, false, err
	}
	return f.b.Get(ctx, key)
}

// GetLabeled implements [backend.LabeledGetter] as Get does, with the
// label the wrapped backend gives when it is a LabeledGetter itself (and
// none otherwise), so that a Fault around a composition keeps the labels
// of its layers.
func (f *Fault) GetLabeled(ctx context.Context, key string) (backend.Entry, bool, string, error) {
	f.gets.Add(1)
	if err := f.wait(ctx, func(f *Fault) error { return f.getErr }); err != nil {
		return backend.Entry{}, false, "", err
	}
	if lg, ok := f.b.(backend.LabeledGetter); ok {
		return lg.GetLabeled(ctx, key)
	}
	e, ok, err := f.b.Get(ctx, key)
	return e, ok, "", err
}

// Set implements [backend.Backend].
func (f *Fault) Set(ctx context.Context, key string, e backend.Entry) error {
	f.sets.Add(1)
	if err := f.wait(ctx, func(f *Fault) error { return f.setErr }); err != nil {
		return err
	}
	return f.b.Set(ctx, key, e)
}

// Delete implements [backend.Backend].
func (f *Fault) Delete(ctx context.Context, key string) (bool, error) {
	f.deletes.Add(1)
	if err := f.wait(ctx, func(f *Fault) error { return f.delErr }); err != nil {
		return false, err
	}
	return f.b.Delete(ctx, key)
}

// List implements [backend.Lister] by forwarding to the wrapped backend.
func (f *Fault) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	l, ok := f.b.(backend.Lister)
	if !ok {
		return fmt.Errorf("backendtest: %T cannot list: %w", f.b, errors.ErrUnsupported)
	}
	if err := f.wait(ctx, nil); err != nil {
		return err
	}
	return l.List(ctx, prefix, fn)
}

// Purge implements [backend.Purger] by forwarding to the wrapped backend.
func (f *Fault) Purge(ctx context.Context, prefix string) (int, error) {
	p, ok := f.b.(backend.Purger)
	if !ok {
		return 0, fmt.Errorf("backendtest: %T cannot purge: %w", f.b, errors.ErrUnsupported)
	}
	if err := f.wait(ctx, nil); err != nil {
		return 0, err
	}
	return p.Purge(ctx, prefix)
}

// InvalidateTags implements [backend.Tagger] by forwarding to the wrapped
// backend, or returns an error wrapping [errors.ErrUnsupported] when it
// lacks the capability. It honours the delay and the hang, and fails with
// the injected Set error.
func (f *Fault) InvalidateTags(ctx context.Context, tags []string, at time.Time) error {
	tg, ok := f.b.(backend.Tagger)
	if !ok {
		return fmt.Errorf("backendtest: %T cannot invalidate by tag: %w", f.b, errors.ErrUnsupported)
	}
	if err := f.wait(ctx, func(f *Fault) error { return f.setErr }); err != nil {
		return err
	}
	return tg.InvalidateTags(ctx, tags, at)
}

// TagsInvalidated implements [backend.Tagger] by forwarding to the wrapped
// backend (the zero time when it lacks the capability: nothing is ever
// invalidated there). It honours the delay and the hang, and fails with the
// injected Get error.
func (f *Fault) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	if err := f.wait(ctx, func(f *Fault) error { return f.getErr }); err != nil {
		return time.Time{}, err
	}
	tg, ok := f.b.(backend.Tagger)
	if !ok {
		return time.Time{}, nil
	}
	return tg.TagsInvalidated(ctx, tags)
}

// TagsInvalidatedLabeled implements [backend.LabeledTagger] as
// TagsInvalidated does, through the wrapped backend's own
// TagsInvalidatedLabeled when it has one, so that a Fault around a
// composition keeps its cheaper check of a served entry.
func (f *Fault) TagsInvalidatedLabeled(ctx context.Context, tags []string, label string) (time.Time, error) {
	lt, ok := f.b.(backend.LabeledTagger)
	if !ok {
		return f.TagsInvalidated(ctx, tags)
	}
	if err := f.wait(ctx, func(f *Fault) error { return f.getErr }); err != nil {
		return time.Time{}, err
	}
	return lt.TagsInvalidatedLabeled(ctx, tags, label)
}

// Stats implements [backend.StatsReporter]: the wrapped backend's stats, or
// only its label with unknown sizes when it reports none.
func (f *Fault) Stats() backend.Stats {
	if r, ok := f.b.(backend.StatsReporter); ok {
		return r.Stats()
	}
	return backend.Stats{Label: backend.Label(f.b), Entries: -1, Bytes: -1}
}

// Label implements [backend.Labeled]: the wrapped backend's label, or the
// empty string.
func (f *Fault) Label() string { return backend.Label(f.b) }

var (
	_ backend.Backend       = (*Fault)(nil)
	_ backend.Lister        = (*Fault)(nil)
	_ backend.Purger        = (*Fault)(nil)
	_ backend.StatsReporter = (*Fault)(nil)
	_ backend.Labeled       = (*Fault)(nil)
	_ backend.LabeledGetter = (*Fault)(nil)
	_ backend.Tagger        = (*Fault)(nil)
	_ backend.LabeledTagger = (*Fault)(nil)
)
