package hitbox

import (
	"context"
	"errors"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// guard runs before a shared upstream call: it re-checks the cache and,
// when the backend is a [backend.Locker], takes the fleet-wide lock for
// the key, waiting at most wait for the instance that holds it. found
// reports that a fresh entry answered the call (fl holds it); otherwise
// the caller asks the upstream and then calls release (never nil), which
// frees the lock if one was taken.
func (c *Cache) guard(base context.Context, req Request, fl *flight, wait time.Duration) (release func(), found bool) {
	waitCtx, cancelWait := context.WithTimeout(base, wait)
	defer cancelWait()
	if c.recheck(waitCtx, req, fl) {
		return nil, true
	}
	if c.locker == nil || c.noLock.Load() {
		return func() {}, false
	}
	// The lock's renewal lives until release, not until the wait's end.
	holdCtx, cancelHold := context.WithCancel(base)
	unlock, found := c.lock(waitCtx, holdCtx, req, fl)
	if unlock == nil {
		cancelHold()
		return func() {}, found
	}
	return func() {
		unlock()
		cancelHold()
	}, false
}

// lock takes the backend's lock for the key, with the lease of
// [WithLock]; the backend renews it under holdCtx until unlock. While
// another instance holds it, lock polls for that instance's entry (found
// == true) and tries the lock again, so a holder that died is replaced
// once its lease runs out. When waitCtx ends first, or the lock fails
// otherwise (backend down), lock returns (nil, false): the caller asks the
// upstream unguarded rather than answer an error because of a lock.
func (c *Cache) lock(waitCtx, holdCtx context.Context, req Request, fl *flight) (unlock func(), found bool) {
	var t *time.Ticker // made at the first wait: most locks are taken at once
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		unlock, err := c.locker.Lock(holdCtx, req.Key, c.cfg.lockLease)
		if err == nil {
			// Another instance may have stored while we waited.
			if c.recheck(holdCtx, req, fl) {
				unlock()
				return nil, true
			}
			return unlock, false
		}
		if errors.Is(err, errors.ErrUnsupported) {
			// A composition whose layers cannot lock (memory over
			// memory, say) says so on every call: remember it.
			c.noLock.Store(true)
			return nil, false
		}
		if !errors.Is(err, backend.ErrLocked) {
			c.cfg.logger.Debug("hitbox: lock unavailable, calling upstream unguarded", "key", req.Key, "err", err)
			return nil, false
		}
		if t == nil {
			t = time.NewTicker(c.cfg.lockPoll)
		}
		select {
		case <-waitCtx.Done():
			c.cfg.logger.Warn("hitbox: lock wait ran out, calling upstream unguarded", "key", req.Key, "endpoint", req.Endpoint)
			return nil, false
		case <-t.C:
		}
		if c.recheck(waitCtx, req, fl) {
			return nil, true
		}
	}
}
