package hitbox

import "context"

// Set stores value under req.Key as the flow stores an upstream's answer:
// the entry's times come from req.Policy (TTL, Stale, Keep, Jitter) and
// the Cache's clock, and a write error is counted and logged, never
// returned. It reports whether the backend took the entry. An empty key,
// a Disabled or invalid policy stores nothing. Set is for callers that
// keep related entries beside the one Do stores (httpcache keeps the
// variants of a response that varies by request headers this way).
func (c *Cache) Set(ctx context.Context, req Request, value []byte) bool {
	if req.Key == "" || req.Policy.Disabled || req.Policy.invalid() {
		return false
	}
	ctx = orBackground(ctx)
	return c.write(ctx, req, c.entry(c.cfg.clock.Now(), req.Policy, Fetched{Value: value, Store: true}))
}

// SetFetched stores f.Value under req.Key as [Cache.Set] does, with the
// answer's own lifetime when f has one ([Fetched.TTL]). f.Store is not
// consulted: calling it is the decision to store.
func (c *Cache) SetFetched(ctx context.Context, req Request, f Fetched) bool {
	if req.Key == "" || req.Policy.Disabled || req.Policy.invalid() {
		return false
	}
	ctx = orBackground(ctx)
	return c.write(ctx, req, c.entry(c.cfg.clock.Now(), req.Policy, f))
}
