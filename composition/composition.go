package composition

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Composition stacks two backends, L1 over L2, and is itself a
// [backend.Backend], so compositions nest (a composition as L2 of another
// gives L1/L2/L3). It reads, writes and refills as its [Options] say.
//
// A Composition is safe for concurrent use. It does not own its layers: the
// caller closes them, after [Composition.Close].
type Composition struct {
	layers [2]layer
	opts   Options
	now    func() time.Time

	labels atomic.Pointer[labels] // set by New, replaced when nested

	stats   counters      // what the callers of the composition saw
	pending pendingWrites // raced writes whose loser is in flight

	closed atomic.Bool
	mu     sync.RWMutex   // held for reading while a goroutine is added to wg, for writing by Close
	wg     sync.WaitGroup // the goroutines the composition started
	// bg is canceled when a Close gives up waiting: every background call
	// (race losers) is canceled with it.
	bg       context.Context
	cancelBG context.CancelFunc
}

// layer is one of the two backends with what the composition counts of it.
type layer struct {
	b     backend.Backend
	inner *Composition          // b itself when it is a composition, else nil
	lg    backend.LabeledGetter // b itself when it says which store answered, else nil
	stats counters              // calls the composition made to b, as it saw them
}

// labels are a composition's own label and its layers'.
type labels struct {
	self   string
	layers [2]string
}

// New returns a composition of l1 over l2 configured by o, or an error
// wrapping [ErrInvalidOptions] when a layer is nil or o is invalid.
//
// When l1 or l2 is itself a *Composition, New relabels it (and its own
// nested layers) under this composition's labels ("l2" and then "l2.l1",
// "l2.l2"); build a tree of compositions before using it, and don't use one
// composition as a layer of two.
func New(l1, l2 backend.Backend, o Options) (*Composition, error) {
	if l1 == nil {
		return nil, fmt.Errorf("%w: L1 is nil", ErrInvalidOptions)
	}
	if l2 == nil {
		return nil, fmt.Errorf("%w: L2 is nil", ErrInvalidOptions)
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Composition{opts: o, now: o.Now}
	c.bg, c.cancelBG = context.WithCancel(context.Background())
	for i, b := range []backend.Backend{l1, l2} {
		c.layers[i].b = b
		c.layers[i].inner, _ = b.(*Composition)
		c.layers[i].lg, _ = b.(backend.LabeledGetter)
	}
	c.setLabel(o.Label)
	return c, nil
}

// setLabel gives c the label self and relabels its nested compositions.
func (c *Composition) setLabel(self string) {
	l := &labels{self: self, layers: [2]string{join(self, "l1"), join(self, "l2")}}
	c.labels.Store(l)
	for i := range c.layers {
		if in := c.layers[i].inner; in != nil {
			in.setLabel(l.layers[i])
		}
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Label implements [backend.Labeled]: the label from [Options.Label], or
// the one a composition above this one gave it ("l2", "l2.l1", ...).
func (c *Composition) Label() string { return c.labels.Load().self }

// LayerLabels returns the labels of L1 and L2 ("l1" and "l2" at the top
// level, "l2.l1" and "l2.l2" for the composition in L2 of another).
func (c *Composition) LayerLabels() (l1, l2 string) {
	l := c.labels.Load()
	return l.layers[0], l.layers[1]
}

// Layers returns L1 and L2 as given to [New].
func (c *Composition) Layers() (l1, l2 backend.Backend) {
	return c.layers[0].b, c.layers[1].b
}

// Close stops the composition: every call after it returns an error
// wrapping [ErrClosed]. It then waits for the goroutines the composition
// owns: the layer calls of operations in flight and the race losers
// finishing in the background (those handed to an [Offloader] included).
// When ctx ends first, Close cancels the race calls and returns ctx.Err()
// without waiting further. Close is idempotent: calling it again waits
// again, and returns nil once nothing runs. Close does not close the
// layers.
func (c *Composition) Close(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c.mu.Lock()
	c.closed.Store(true)
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		c.cancelBG()
		return nil
	case <-ctx.Done():
		c.cancelBG()
		return ctx.Err()
	}
}

// goTracked runs fn in a goroutine that Close waits for, and reports false
// (running nothing) once the composition is closed.
func (c *Composition) goTracked(fn func()) bool {
	c.mu.RLock()
	if c.closed.Load() {
		c.mu.RUnlock()
		return false
	}
	c.wg.Add(1)
	c.mu.RUnlock()
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// begin checks what every operation checks first: a usable context, an open
// composition and a valid key.
func (c *Composition) begin(ctx context.Context, op, key string) (context.Context, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if c.closed.Load() {
		return ctx, fmt.Errorf("composition: %s: %w", op, ErrClosed)
	}
	if key == "" {
		return ctx, fmt.Errorf("composition: %s: empty key: %w", op, backend.ErrInvalidKey)
	}
	return ctx, nil
}

// label returns the label of layer i.
func (c *Composition) label(i int) string { return c.labels.Load().layers[i] }

// counters count operations, for [backend.Stats].
type counters struct {
	hits, misses, sets, deletes, errors atomic.Uint64
}

func (s *counters) get(ok bool, err error) {
	switch {
	case err != nil:
		s.errors.Add(1)
	case ok:
		s.hits.Add(1)
	default:
		s.misses.Add(1)
	}
}

func (s *counters) set(err error) {
	if err != nil {
		s.errors.Add(1)
		return
	}
	s.sets.Add(1)
}

func (s *counters) del(deleted bool, err error) {
	switch {
	case err != nil:
		s.errors.Add(1)
	case deleted:
		s.deletes.Add(1)
	}
}

func (s *counters) fill(st *backend.Stats) {
	st.Hits = s.hits.Load()
	st.Misses = s.misses.Load()
	st.Sets = s.sets.Load()
	st.Deletes = s.deletes.Load()
	st.Errors = s.errors.Load()
}

// countErr reports whether a layer's error counts as that layer's failure:
// not when the context the layer was given had ended (the caller gave up,
// or the composition dropped the call).
func countErr(ctx context.Context, err error) bool {
	return err == nil || ctx.Err() == nil
}

// Stats implements [backend.StatsReporter].
//
// The composition's own Hits, Misses, Sets, Deletes and Errors count the
// outcomes its callers saw (Errors: calls that returned an error). Entries
// is -1 (the layers may hold the same keys); Bytes is the sum of the
// layers' when both report it, else -1.
//
// Layers holds one Stats per layer, L1 first, labeled with the layer's
// label: Hits, Misses, Sets, Deletes and Errors count the calls the
// composition made to that layer as it saw them, including the failures it
// swallowed (an L1 error before an L2 hit, the failed half of an optimistic
// write, an offloaded loser that failed), but not calls canceled by the
// caller or by the composition; Entries, Bytes, Evictions, DecodeErrors and
// the nested Layers come from the layer's own Stats when it reports them
// (else Entries and Bytes are -1).
func (c *Composition) Stats() backend.Stats {
	st := backend.Stats{Label: c.Label(), Entries: -1, Bytes: -1}
	c.stats.fill(&st)
	st.Layers = make([]backend.Stats, len(c.layers))
	bytes := int64(0)
	for i := range c.layers {
		l := &c.layers[i]
		ls := backend.Stats{Entries: -1, Bytes: -1}
		if r, ok := l.b.(backend.StatsReporter); ok {
			ls = r.Stats()
		}
		ls.Label = c.label(i)
		l.stats.fill(&ls)
		st.Layers[i] = ls
		if bytes >= 0 && ls.Bytes >= 0 {
			bytes += ls.Bytes
		} else {
			bytes = -1
		}
	}
	st.Bytes = bytes
	return st
}
