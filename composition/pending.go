package composition

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
)

// inflight is a raced write still running on one of its layers.
type inflight struct {
	race   *race
	winner atomic.Int32 // the layer that has the entry, -1 until one succeeded
}

// pendingWrites tracks the raced writes in flight by key, so that the
// composition keeps its own writes in order: a read of a key whose raced
// write was acknowledged reads the layer that has it (read your writes), and
// a write, delete or purge of a key first cancels and awaits the loser
// still writing it (an older loser never lands over a newer write, nor
// brings back a deleted entry).
type pendingWrites struct {
	n  atomic.Int32 // len(m), read without the lock on the fast path
	mu sync.Mutex   // guards m
	m  map[string]*inflight
}

// add registers in as the raced write of key in flight.
func (p *pendingWrites) add(key string, in *inflight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]*inflight)
	}
	if _, ok := p.m[key]; !ok {
		p.n.Add(1)
	}
	p.m[key] = in
}

// remove unregisters in, unless a later write of key replaced it.
func (p *pendingWrites) remove(key string, in *inflight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m[key] == in {
		delete(p.m, key)
		p.n.Add(-1)
	}
}

// get returns the raced write of key in flight, or nil.
func (p *pendingWrites) get(key string) *inflight {
	if p.n.Load() == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[key]
}

// winner returns the layer holding the acknowledged raced write of key in
// flight, or -1.
func (p *pendingWrites) winner(key string) int {
	if in := p.get(key); in != nil {
		return int(in.winner.Load())
	}
	return -1
}

// settle cancels the raced write of key in flight, if any, and waits for
// it to return or for ctx to end.
func (p *pendingWrites) settle(ctx context.Context, key string) error {
	in := p.get(key)
	if in == nil {
		return nil
	}
	return wait(ctx, in)
}

// settlePrefix settles every raced write in flight whose key starts with
// prefix.
func (p *pendingWrites) settlePrefix(ctx context.Context, prefix string) error {
	if p.n.Load() == 0 {
		return nil
	}
	var ins []*inflight
	p.mu.Lock()
	for k, in := range p.m {
		if strings.HasPrefix(k, prefix) {
			ins = append(ins, in)
		}
	}
	p.mu.Unlock()
	for _, in := range ins {
		if err := wait(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func wait(ctx context.Context, in *inflight) error {
	in.race.cancel()
	select {
	case <-in.race.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
