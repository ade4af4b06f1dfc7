package disk

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// op is one write waiting for a transaction. apply changes the file through
// the writer; it must check what can fail before it changes anything, and
// it may run twice (see commit), so it sets its results afresh each time.
type op struct {
	apply func(w *writer) error
	done  chan result
}

// result is what an op's caller receives: the commit's error, or the lead
// of the next group (lead: commit the queue, this op included).
type result struct {
	err  error
	lead bool
}

// write runs apply in a write transaction shared with the writes other
// goroutines queue meanwhile: a group commit. The first writer to find no
// commit in progress leads: it commits every queued op in one transaction
// (one fsync), then hands the lead to the first op queued during that
// commit, whose caller commits the next group. A lone writer commits at
// once; concurrent writers share the fsync of a group instead of waiting
// for one each, with no timer (unlike bbolt's DB.Batch).
func (b *Backend) write(apply func(w *writer) error) error {
	o := &op{apply: apply, done: make(chan result, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, o)
	if b.leading {
		b.mu.Unlock()
		if r := <-o.done; !r.lead {
			return r.err
		}
		b.mu.Lock()
	}
	b.leading = true
	group := b.queue
	b.queue = nil
	b.mu.Unlock()

	b.commit(group)

	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].done <- result{lead: true}
	} else {
		b.leading = false
	}
	b.mu.Unlock()
	return (<-o.done).err
}

// opError marks the op whose apply failed, which aborted the transaction.
type opError struct {
	o   *op
	err error
}

func (e *opError) Error() string { return e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// commit runs group in one transaction and tells each op's caller how it
// went. When one op fails, the transaction is rolled back and each op runs
// again in a transaction of its own, so that only the failing op fails.
func (b *Backend) commit(group []*op) {
	err := b.update(func(w *writer) error {
		for _, o := range group {
			if err := o.apply(w); err != nil {
				return &opError{o: o, err: err}
			}
		}
		return nil
	})
	var oe *opError
	if errors.As(err, &oe) {
		if len(group) > 1 {
			for _, o := range group {
				o.done <- result{err: b.update(o.apply)}
			}
			return
		}
		err = oe.err
	}
	for _, o := range group {
		o.done <- result{err: err}
	}
}

// update runs fn in a write transaction, evicts what the budget requires,
// stores the totals and commits; after the commit it publishes the totals
// to Stats.
func (b *Backend) update(fn func(w *writer) error) (err error) {
	defer recoverCorrupt(&err)
	var w *writer
	err = b.db.Update(func(tx *bolt.Tx) error {
		var err error
		if w, err = newWriter(tx, b.nowNano()); err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		if err := w.evict(b.maxBytes); err != nil {
			return err
		}
		return w.flush()
	})
	if err != nil {
		return err
	}
	b.commits.Add(1)
	b.entries.Store(w.count)
	b.bytes.Store(w.bytes)
	b.ops.Evictions.Add(w.evictions)
	return nil
}
