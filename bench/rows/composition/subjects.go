//go:build !hbnoredis

package composition

import (
	"context"
	"errors"
	"time"

	rediscache "github.com/go-redis/cache/v9"
	"github.com/maypok86/otter/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	hbredis "github.com/hitbox-go/hitbox/backend/redis"
	hbcomposition "github.com/hitbox-go/hitbox/composition"
)

const (
	l1Budget = 64 << 20
	ttl      = time.Hour
)

// hitbox is composition.New(memory, redis) with its default policies:
// sequential reads, optimistic parallel writes, no refill.
type hitbox struct {
	l2 *hbredis.Backend
	l1 *memory.Backend
	c  *hbcomposition.Composition
}

func newHitbox(addr string) (*hitbox, error) {
	l1, err := memory.New(memory.Options{MaxBytes: l1Budget})
	if err != nil {
		return nil, err
	}
	l2, err := hbredis.New(hbredis.Options{URL: "redis://" + addr + "/0"})
	if err != nil {
		l1.Close(context.Background())
		return nil, err
	}
	c, err := hbcomposition.New(l1, l2, hbcomposition.Options{})
	if err != nil {
		l1.Close(context.Background())
		l2.Close(context.Background())
		return nil, err
	}
	return &hitbox{l1: l1, l2: l2, c: c}, nil
}

func entry(v []byte) backend.Entry {
	now := time.Now()
	return backend.Entry{Value: v, Written: now, Expire: now.Add(ttl)}
}

func (h *hitbox) l1get(ctx context.Context, k string) (bool, error) {
	_, ok, err := h.c.Get(ctx, k)
	return ok, err
}
func (h *hitbox) l2get(ctx context.Context, k string) (bool, error) { return h.l1get(ctx, k) }
func (h *hitbox) get(ctx context.Context, k string) (bool, error)   { return h.l1get(ctx, k) }
func (h *hitbox) set(ctx context.Context, k string, v []byte) error {
	return h.c.Set(ctx, k, entry(v))
}
func (h *hitbox) setL2(ctx context.Context, k string, v []byte) error {
	return h.l2.Set(ctx, k, entry(v))
}
func (h *hitbox) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.c.Close(ctx)
	_ = h.l1.Close(context.Background())
	_ = h.l2.Close(context.Background())
}

// goRedisCache is github.com/go-redis/cache with its TinyLFU local cache.
type goRedisCache struct {
	rdb *goredis.Client
	c   *rediscache.Cache
}

func newGoRedisCache(addr string) *goRedisCache {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	return &goRedisCache{rdb: rdb, c: rediscache.New(&rediscache.Options{
		Redis:      rdb,
		LocalCache: rediscache.NewTinyLFU(100_000, ttl),
	})}
}

func cacheResult(err error) (bool, error) {
	if errors.Is(err, rediscache.ErrCacheMiss) {
		return false, nil
	}
	return err == nil, err
}

func (g *goRedisCache) l1get(ctx context.Context, k string) (bool, error) {
	var v []byte
	return cacheResult(g.c.Get(ctx, k, &v))
}

// l2get skips the local cache: go-redis/cache fills it on a Redis hit, so a
// repeated L2 hit can only be measured this way.
func (g *goRedisCache) l2get(ctx context.Context, k string) (bool, error) {
	var v []byte
	return cacheResult(g.c.GetSkippingLocalCache(ctx, k, &v))
}
func (g *goRedisCache) get(ctx context.Context, k string) (bool, error) { return g.l1get(ctx, k) }
func (g *goRedisCache) set(ctx context.Context, k string, v []byte) error {
	return g.c.Set(&rediscache.Item{Ctx: ctx, Key: k, Value: v, TTL: ttl})
}
func (g *goRedisCache) setL2(ctx context.Context, k string, v []byte) error {
	return g.c.Set(&rediscache.Item{Ctx: ctx, Key: k, Value: v, TTL: ttl, SkipLocalCache: true})
}
func (g *goRedisCache) close() { _ = g.rdb.Close() }

// hand is otter in front of go-redis, wired the obvious way: read L1, then
// L2; write both.
type hand struct {
	rdb *goredis.Client
	l1  *otter.Cache[string, []byte]
}

func newHand(addr string) (*hand, error) {
	l1, err := otter.New(&otter.Options[string, []byte]{
		MaximumWeight:    l1Budget,
		Weigher:          func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
		ExpiryCalculator: otter.ExpiryWriting[string, []byte](ttl),
	})
	if err != nil {
		return nil, err
	}
	return &hand{rdb: goredis.NewClient(&goredis.Options{Addr: addr}), l1: l1}, nil
}

func (h *hand) l1get(ctx context.Context, k string) (bool, error) {
	if _, ok := h.l1.GetIfPresent(k); ok {
		return true, nil
	}
	return h.l2get(ctx, k)
}
func (h *hand) l2get(ctx context.Context, k string) (bool, error) {
	_, err := h.rdb.Get(ctx, k).Bytes()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	return err == nil, err
}
func (h *hand) get(ctx context.Context, k string) (bool, error) { return h.l1get(ctx, k) }
func (h *hand) set(ctx context.Context, k string, v []byte) error {
	h.l1.Set(k, v)
	return h.rdb.Set(ctx, k, v, ttl).Err()
}
func (h *hand) setL2(ctx context.Context, k string, v []byte) error {
	return h.rdb.Set(ctx, k, v, ttl).Err()
}
func (h *hand) close() {
	h.l1.StopAllGoroutines()
	_ = h.rdb.Close()
}

// raw is a bare go-redis client reading the bytes hitbox's Redis backend
// stores (its entry encoding, under its key prefix): the floor of an L2
// hit. Its L1 "hit" and miss-and-fill are plain GET and GET + SET.
type raw struct {
	rdb    *goredis.Client
	hb     *hbredis.Backend
	prefix string
}

func newRaw(addr string) (*raw, error) {
	hb, err := hbredis.New(hbredis.Options{URL: "redis://" + addr + "/0"})
	if err != nil {
		return nil, err
	}
	return &raw{rdb: goredis.NewClient(&goredis.Options{Addr: addr}), hb: hb, prefix: hbredis.DefaultPrefix}, nil
}

func (r *raw) l1get(ctx context.Context, k string) (bool, error) {
	_, err := r.rdb.Get(ctx, r.prefix+k).Bytes()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	return err == nil, err
}
func (r *raw) l2get(ctx context.Context, k string) (bool, error) { return r.l1get(ctx, k) }
func (r *raw) get(ctx context.Context, k string) (bool, error)   { return r.l1get(ctx, k) }
func (r *raw) set(ctx context.Context, k string, v []byte) error {
	return r.hb.Set(ctx, k, entry(v)) // hitbox's encoding, so that GET reads the same bytes
}
func (r *raw) setL2(ctx context.Context, k string, v []byte) error { return r.set(ctx, k, v) }
func (r *raw) close() {
	_ = r.hb.Close(context.Background())
	_ = r.rdb.Close()
}
