package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/Yiling-J/theine-go"
	"github.com/dgraph-io/ristretto/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"

	"github.com/hitbox-go/hitbox/backend"
	hbmemory "github.com/hitbox-go/hitbox/backend/memory"
)

// store is the common face of hitbox's memory backend and its peers, so
// that every one of them runs the same loop. The interface call costs the
// same for all.
type store interface {
	get(key string) bool
	set(key string, v []byte)
	close()
}

// bound is how a store is sized: by entries or by bytes (the other zero).
type bound struct {
	entries int
	bytes   int64
	// expiry gives entries an expiry an hour away, as a cache of HTTP
	// answers has.
	expiry bool
}

// Subjects, hitbox first.
const (
	subjHitbox    = "hitbox"
	subjOtter     = "otter"
	subjOtterBare = "otter (size bound only)"
	subjRistretto = "ristretto"
	subjTheine    = "theine"
	subjLRU       = "golang-lru"
)

func newStore(name string, b bound) (store, error) {
	switch name {
	case subjHitbox:
		return newHitbox(b)
	case subjOtter, subjOtterBare:
		o := &otter.Options[string, []byte]{}
		switch {
		case name == subjOtterBare:
			o.MaximumSize = max(b.entries, int(b.bytes>>10))
		case b.bytes > 0:
			o.MaximumWeight = uint64(b.bytes)
			o.Weigher = func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) }
		default:
			o.MaximumSize = b.entries
		}
		if b.expiry && name == subjOtter {
			o.ExpiryCalculator = otter.ExpiryWriting[string, []byte](time.Hour + time.Minute)
		}
		c, err := otter.New(o)
		if err != nil {
			return nil, err
		}
		return otterStore{c}, nil
	case subjRistretto:
		cfg := &ristretto.Config[string, []byte]{BufferItems: 64}
		if b.bytes > 0 {
			cfg.MaxCost = b.bytes
			cfg.NumCounters = max(b.bytes/100, 1000) // ~10× the entries at ~1 KiB
		} else {
			cfg.MaxCost = int64(b.entries)
			cfg.NumCounters = int64(10 * b.entries)
			cfg.IgnoreInternalCost = true // cost 1 per entry means entries
		}
		c, err := ristretto.NewCache(cfg)
		if err != nil {
			return nil, err
		}
		return &ristrettoStore{c: c, byBytes: b.bytes > 0, ttl: b.expiry}, nil
	case subjTheine:
		var bld *theine.Builder[string, []byte]
		if b.bytes > 0 {
			bld = theine.NewBuilder[string, []byte](b.bytes).Cost(func(v []byte) int64 { return int64(len(v)) })
		} else {
			bld = theine.NewBuilder[string, []byte](int64(b.entries))
		}
		c, err := bld.Build()
		if err != nil {
			return nil, err
		}
		return theineStore{c: c, ttl: b.expiry}, nil
	case subjLRU:
		n := b.entries
		if n == 0 {
			return nil, fmt.Errorf("golang-lru has no byte bound")
		}
		c, err := lru.New[string, []byte](n)
		if err != nil {
			return nil, err
		}
		return lruStore{c}, nil
	}
	return nil, fmt.Errorf("unknown store %q", name)
}

type hitboxStore struct {
	m      *hbmemory.Backend
	expiry bool
}

func newHitbox(b bound) (store, error) {
	m, err := hbmemory.New(hbmemory.Options{MaxBytes: b.bytes, MaxEntries: b.entries})
	if err != nil {
		return nil, err
	}
	return hitboxStore{m: m, expiry: b.expiry}, nil
}

func (s hitboxStore) get(k string) bool {
	_, ok, _ := s.m.Get(context.Background(), k)
	return ok
}

func (s hitboxStore) set(k string, v []byte) {
	e := backend.Entry{Value: v}
	if s.expiry {
		now := time.Now()
		e.Written, e.Stale, e.Expire, e.Keep = now, now.Add(30*time.Minute), now.Add(time.Hour), time.Minute
	}
	_ = s.m.Set(context.Background(), k, e)
}

func (s hitboxStore) close() { _ = s.m.Close(context.Background()) }

type otterStore struct{ c *otter.Cache[string, []byte] }

func (s otterStore) get(k string) bool      { _, ok := s.c.GetIfPresent(k); return ok }
func (s otterStore) set(k string, v []byte) { s.c.Set(k, v) }
func (s otterStore) close()                 { s.c.StopAllGoroutines() }

type ristrettoStore struct {
	c       *ristretto.Cache[string, []byte]
	byBytes bool
	ttl     bool
}

func (s *ristrettoStore) get(k string) bool { _, ok := s.c.Get(k); return ok }
func (s *ristrettoStore) set(k string, v []byte) {
	cost := int64(1)
	if s.byBytes {
		cost = int64(len(k) + len(v))
	}
	if s.ttl {
		s.c.SetWithTTL(k, v, cost, time.Hour+time.Minute)
		return
	}
	s.c.Set(k, v, cost)
}
func (s *ristrettoStore) close() { s.c.Close() }

type theineStore struct {
	c   *theine.Cache[string, []byte]
	ttl bool
}

func (s theineStore) get(k string) bool { _, ok := s.c.Get(k); return ok }
func (s theineStore) set(k string, v []byte) {
	if s.ttl {
		s.c.SetWithTTL(k, v, 0, time.Hour+time.Minute)
		return
	}
	s.c.Set(k, v, 0)
}
func (s theineStore) close() { s.c.Close() }

type lruStore struct{ c *lru.Cache[string, []byte] }

func (s lruStore) get(k string) bool      { _, ok := s.c.Get(k); return ok }
func (s lruStore) set(k string, v []byte) { s.c.Add(k, v) }
func (s lruStore) close()                 {}

// waiter is a store whose writes land asynchronously.
type waiter interface{ wait() }

func (s *ristrettoStore) wait() { s.c.Wait() }
func (s theineStore) wait()     { s.c.Wait() }
