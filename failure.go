package hitbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// failed answers a failed upstream call (err, or res marked Failed): the
// entry the caller's lookup found when the policy's StaleIfError allows
// it, else res and err as they are. Serving the entry starts the key's
// retry interval ([WithStaleIfErrorRetry]).
func (c *Cache) failed(req Request, seen found, res Result, err error) (Result, error) {
	now := c.cfg.clock.Now()
	if !staleUsable(req.Policy, seen, now) {
		return res, err
	}
	if err == nil {
		err = ErrUpstreamFailed
	}
	c.retry.wait(req.Key, now.Add(c.cfg.staleRetry), now)
	c.cfg.recorder.Record(Event{Kind: EventStaleIfError, Endpoint: req.Endpoint, Source: seen.src, Err: err})
	out := fromEntry(seen.e, Stale, seen.src)
	out.Forward, out.StaleIfError = res.Forward, true
	return out, nil
}

// retrying answers, without asking the upstream, a call for a key whose
// upstream failed less than the retry interval ago, from the entry the
// lookup found when StaleIfError allows it. The first call after the
// interval goes on to the upstream and holds the others off for one more
// interval meanwhile.
func (c *Cache) retrying(req Request, seen found) (Result, bool) {
	if req.Policy.StaleIfError <= 0 || !seen.ok {
		return Result{}, false
	}
	now := c.cfg.clock.Now()
	if !staleUsable(req.Policy, seen, now) || !c.retry.holds(req.Key, now, c.cfg.staleRetry) {
		return Result{}, false
	}
	c.cfg.recorder.Record(Event{Kind: EventStaleIfError, Endpoint: req.Endpoint, Source: seen.src})
	res := fromEntry(seen.e, Stale, seen.src)
	res.StaleIfError = true
	return res, true
}

// staleUsable reports whether p lets the entry seen stand in for a failed
// upstream call at now: an entry that is not past Expire + StaleIfError
// (an entry that never expires always is) nor past its deadline.
func staleUsable(p Policy, seen found, now time.Time) bool {
	if p.StaleIfError <= 0 || !seen.ok || seen.e.Gone(now) {
		return false
	}
	return seen.e.Expire.IsZero() || now.Before(seen.e.Expire.Add(p.StaleIfError))
}

// maxRetryKeys bounds how many keys a Cache remembers a retry interval
// for. Past it, the keys whose interval ended are dropped, then arbitrary
// ones: a key dropped early gets one more upstream try, no worse.
const maxRetryKeys = 1 << 16

// retryGate remembers, per key, until when a failing upstream is not
// asked again. Its zero value is ready to use.
type retryGate struct {
	n     atomic.Int64 // len(until), so that the common case takes no lock
	mu    sync.Mutex   // guards until
	until map[string]time.Time
}

// holds reports whether key's retry interval lasts at now. When it has
// ended, the caller is the one to try the upstream again: the interval is
// restarted for the others (for another d) and holds reports false.
func (g *retryGate) holds(key string, now time.Time, d time.Duration) bool {
	if g.n.Load() == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	u, ok := g.until[key]
	if !ok {
		return false
	}
	if now.Before(u) {
		return true
	}
	g.until[key] = now.Add(d)
	return false
}

// wait starts key's retry interval, ending at until.
func (g *retryGate) wait(key string, until, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.until == nil {
		g.until = make(map[string]time.Time)
	}
	if _, ok := g.until[key]; !ok && len(g.until) >= maxRetryKeys {
		g.shrink(now)
	}
	g.until[key] = until
	g.n.Store(int64(len(g.until)))
}

// shrink drops the keys whose interval ended, then arbitrary ones, down
// to three quarters of the bound, so that it runs once per many inserts.
func (g *retryGate) shrink(now time.Time) {
	for k, u := range g.until {
		if !now.Before(u) {
			delete(g.until, k)
		}
	}
	for k := range g.until {
		if len(g.until) <= maxRetryKeys*3/4 {
			break
		}
		delete(g.until, k)
	}
}

// clear ends key's retry interval: the upstream answered.
func (g *retryGate) clear(key string) {
	if g.n.Load() == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.until, key)
	g.n.Store(int64(len(g.until)))
}

// size returns how many keys the gate remembers.
func (g *retryGate) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.until)
}
