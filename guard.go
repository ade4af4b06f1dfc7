package hitbox

import (
	"context"
	"strconv"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// flight is the outcome of one shared upstream call.
type flight struct {
	leader    *byte // the token of the caller whose fetch ran
	value     []byte
	entry     backend.Entry
	storable  bool // the answer may be shared with waiters
	stored    bool // and was written
	failed    bool // the answer is an upstream failure (Fetched.Failed)
	fromCache bool // the re-check inside the call found a fresh entry
	source    string
	// invalid is the write time of the entry the re-check found
	// invalidated by a tag purge (zero: none): dropped when no answer
	// is stored over it.
	invalid time.Time
}

// guarded answers from one shared upstream call per key (Concurrency per
// key at once). seen is what the caller's lookup found: an entry there
// may stand in for a failed call (StaleIfError).
func (c *Cache) guarded(ctx context.Context, req Request, fetch Fetch, fwd Forward, seen found) (Result, error) {
	token := new(byte)
	fl := &flight{}
	ch := c.flights.DoChan(c.flightKey(req), func() (any, error) {
		// Only the first caller's closure runs: it is the leader.
		fl.leader = token
		err := c.lead(ctx, req, fetch, fl)
		return fl, err
	})
	select {
	case <-ctx.Done():
		// The shared call goes on for the others.
		return Result{}, ctx.Err()
	case r := <-ch:
		got := r.Val.(*flight)
		if r.Err != nil {
			// Every caller of the flight shares its error.
			return c.failed(req, seen, Result{Status: Miss, Forward: fwd}, r.Err)
		}
		leader := got.leader == token
		switch {
		case got.fromCache:
			res := fromEntry(got.entry, Hit, got.source)
			if !leader {
				c.cfg.recorder.Record(Event{Kind: EventCollapsed, Endpoint: req.Endpoint, Source: got.source})
				res.Collapsed = true
			}
			return res, nil
		case got.storable && !leader:
			c.cfg.recorder.Record(Event{Kind: EventCollapsed, Endpoint: req.Endpoint, Source: got.source})
			res := fromEntry(got.entry, Hit, got.source)
			res.Collapsed = true
			return res, nil
		case got.failed:
			// Every caller of the flight shares its failed answer.
			return c.failed(req, seen, Result{Value: got.value, Status: Miss, Forward: fwd, Failed: true}, nil)
		case !leader:
			// The shared answer was not storable: ask for ourselves.
			res, err := c.direct(ctx, req, fetch, fwd)
			if err != nil || res.Failed {
				return c.failed(req, seen, res, err)
			}
			return res, nil
		}
		res := Result{Value: got.value, Status: Miss, Forward: fwd, Stored: got.stored}
		if got.storable {
			res.Written, res.Expire = got.entry.Written, got.entry.Expire
		}
		return res, nil
	}
}

// flightKey spreads callers over Concurrency shared calls per key.
func (c *Cache) flightKey(req Request) string {
	n := req.Policy.concurrency()
	if n == 1 {
		return req.Key
	}
	c.seqMu.Lock()
	c.seq++
	slot := c.seq % uint64(n)
	c.seqMu.Unlock()
	return req.Key + "\x00" + strconv.FormatUint(slot, 10)
}

// lead runs the shared upstream call, detached from the callers'
// cancellation: it re-checks the cache and, when the backend is a Locker,
// takes the fleet-wide lock (waiting at most the upstream timeout for
// another instance's entry), then calls the upstream with a timeout of its
// own, started once the wait is over.
func (c *Cache) lead(callerCtx context.Context, req Request, fetch Fetch, fl *flight) error {
	c.track.Add() // never closed: calls after Close still work
	defer c.track.Done()
	base := context.WithoutCancel(callerCtx)
	timeout := c.upstreamTimeout(req)

	// release frees the fleet-wide lock; a background store takes it
	// over so that the lock lasts until the entry has landed.
	release, found := c.guard(base, req, fl, timeout)
	if found {
		return nil
	}
	defer func() {
		if !fl.stored && !fl.invalid.IsZero() {
			c.dropInvalidated(req, fl.invalid)
		}
	}()
	handedOver := false
	defer func() {
		if !handedOver {
			release()
		}
	}()
	ctx, cancel := context.WithTimeout(base, timeout)
	defer cancel()
	started := c.cfg.clock.Now()
	f, err := c.callUpstream(ctx, req, fetch)
	if err != nil {
		return err
	}
	fl.value = f.Value
	if !f.Store {
		fl.failed = f.Failed
		if !f.Failed {
			c.retry.clear(req.Key)
		}
		return nil
	}
	c.retry.clear(req.Key)
	c.storable(req, f, fl)
	if req.Policy.StoreInBackground {
		e := fl.entry
		fl.stored = c.cfg.offload.TryGo("store", func(ctx context.Context) {
			defer release()
			c.writeFetched(c.withSpanOf(ctx, base), req, e, started)
		})
		handedOver = fl.stored
		return nil
	}
	fl.stored = c.writeFetched(ctx, req, fl.entry, started)
	return nil
}

// recheck looks for a fresh entry written since the caller's lookup.
func (c *Cache) recheck(ctx context.Context, req Request, fl *flight) bool {
	now := c.cfg.clock.Now()
	e, ok, src, invalid := c.read(ctx, req, now)
	fl.invalid = invalid
	if !ok || e.State(now) != backend.Fresh {
		return false
	}
	fl.fromCache, fl.entry, fl.value, fl.source = true, e, e.Value, src
	return true
}

// revalidate refreshes a stale entry in the background, at most once per
// key at a time; a failed refresh leaves the stale entry in place.
func (c *Cache) revalidate(ctx context.Context, req Request, fetch Fetch) {
	detached := context.WithoutCancel(ctx)
	c.cfg.offload.TryGoKey("revalidate", req.Key, func(taskCtx context.Context) {
		c.cfg.recorder.Record(Event{Kind: EventRevalidate, Endpoint: req.Endpoint, Source: c.source})
		ch := c.flights.DoChan(req.Key, func() (any, error) {
			fl := &flight{leader: new(byte)}
			// A stale entry is there: force the upstream call.
			err := c.leadRefresh(detached, req, fetch, fl)
			return fl, err
		})
		select {
		case <-taskCtx.Done():
		case <-ch:
		}
	})
}

// leadRefresh is lead without the re-check (the entry is known stale).
func (c *Cache) leadRefresh(ctx context.Context, req Request, fetch Fetch, fl *flight) error {
	c.track.Add() // never closed: calls after Close still work
	defer c.track.Done()
	ctx, cancel := context.WithTimeout(ctx, c.upstreamTimeout(req))
	defer cancel()
	started := c.cfg.clock.Now()
	f, err := c.callUpstream(ctx, req, fetch)
	if err != nil {
		return err
	}
	if !f.Store {
		// Callers that joined this refresh share a failed answer.
		fl.value, fl.failed = f.Value, f.Failed
		return nil
	}
	c.retry.clear(req.Key)
	c.storable(req, f, fl)
	fl.stored = c.writeFetched(ctx, req, fl.entry, started)
	return nil
}

// upstreamTimeout is the bound of req's shared upstream call.
func (c *Cache) upstreamTimeout(req Request) time.Duration {
	if req.Timeout > 0 {
		return req.Timeout
	}
	return c.cfg.upstreamTimeout
}

// callUpstream asks the upstream, timing and recording the call (an
// answer marked Failed is recorded with [ErrUpstreamFailed]).
func (c *Cache) callUpstream(ctx context.Context, req Request, fetch Fetch) (Fetched, error) {
	start := time.Now()
	f, err := c.fetch(ctx, req, fetch)
	rerr := err
	if err == nil && f.Failed && !f.Store {
		rerr = ErrUpstreamFailed
	}
	c.cfg.recorder.Record(Event{Kind: EventUpstream, Endpoint: req.Endpoint, Duration: time.Since(start), Err: rerr})
	return f, err
}

// storable records in fl a storable answer and the entry to store for it.
func (c *Cache) storable(req Request, f Fetched, fl *flight) {
	fl.value, fl.storable, fl.source = f.Value, true, c.source
	fl.entry = c.entry(c.cfg.clock.Now(), req.Policy, f)
	if f.stored != nil {
		f.stored(fl.entry)
	}
}
