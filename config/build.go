package config

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/httpcache"
)

// BuildOptions are the run-time values [File.BuildStore] wires in. The zero
// value is ready to use.
type BuildOptions struct {
	// Offload runs the race losers of compositions; nil: goroutines the
	// compositions own.
	Offload composition.Offloader
	// Now is the backends' clock; nil means time.Now.
	Now func() time.Time
	// Reuse is the running Store on a reload: the new tree takes over its
	// Disk and Tarantool stores whose settings did not change, and the
	// last of the two Stores to close closes them. A Disk file Reuse
	// holds with other settings is an error.
	Reuse *Store
	// Check stands an empty memory store in for each Disk and Tarantool
	// store (`hitboxd check` opens no file and reaches no network).
	Check bool
}

// Store is a built backend tree.
type Store struct {
	// Backend is the root of the tree.
	Backend backend.Backend
	// KeyFormat is the key encoding of the tree's backends.
	KeyFormat hitbox.KeyFormat
	// Invalidators are the tree's L1 invalidations (one per composition
	// with `invalidation`).
	Invalidators []*redis.Invalidator
	// Redis and Tarantool are the tree's servers' backends.
	Redis     []*redis.Backend
	Tarantool []*tarantool.Backend

	mu      sync.Mutex // guards closers
	closers []func(ctx context.Context) error
	shared  []*shared // the Disk and Tarantool stores, which a reload may take over
}

// Close closes the tree's backends, each composition (and its
// invalidator) before its layers, and returns their errors joined. A store
// shared with a reload's Store is closed by the last of the two. Close is
// safe on a nil Store, and the calls after the first do nothing.
func (s *Store) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	var errs []error
	for _, c := range closers {
		errs = append(errs, c(ctx))
	}
	return errors.Join(errs...)
}

// BuildEndpoints returns f's endpoints, in order, as the flow takes them,
// after checking their policies.
func (f *File) BuildEndpoints() ([]httpcache.Endpoint, error) {
	b := builder{decoder{file: f.Name}}
	out := make([]httpcache.Endpoint, 0, len(f.Endpoints))
	for _, ep := range f.Endpoints {
		if err := ep.Policy.Validate(); err != nil {
			b.failAt(ep.policyLoc, ErrValue, "%w", err)
		}
		out = append(out, ep.Endpoint)
	}
	if len(b.errs) > 0 {
		return nil, b.errs.sort()
	}
	return out, nil
}

// extractors are the library values of es.
func extractors(es []*keyer) []extract.Extractor {
	out := make([]extract.Extractor, 0, len(es))
	for _, e := range es {
		out = append(out, e.x)
	}
	return out
}

// builder builds a File's values, reporting errors at their places.
type builder struct{ decoder }

// BuildStore builds f's backend tree: a Disk store opens its file at once,
// Redis and Tarantool connect in the background. On error, whatever was
// built is closed.
func (f *File) BuildStore(o BuildOptions) (*Store, error) {
	b := f.Backend
	if b == nil {
		b = defaultBackend()
	}
	s := &Store{KeyFormat: b.KeyFormat()}
	bl := builder{decoder{file: f.Name}}
	root := bl.backend(b, o, s)
	if len(bl.errs) > 0 {
		_ = s.Close(context.Background())
		return nil, bl.errs.sort()
	}
	s.Backend = root
	return s, nil
}

func (bl *builder) backend(b *Backend, o BuildOptions, s *Store) backend.Backend {
	if k, ok := b.Type.kind(); ok {
		return k.build(bl, b, o, s)
	}
	bl.failAt(b.Loc, ErrValue, "unknown backend type %v", b.Type)
	return nil
}

// memory builds a Memory store; a value section makes it encode entries.
func (bl *builder) memory(b *Backend, o BuildOptions, s *Store) backend.Backend {
	mo := *b.Memory
	mo.Now = o.Now
	if b.Value != (backend.Codec{}) {
		c := b.Value
		mo.Codec = &c
	}
	m, err := memory.New(mo)
	if !bl.checkAt(b.Loc, err) {
		return nil
	}
	s.closers = append(s.closers, m.Close)
	return m
}

func (bl *builder) composition(b *Backend, o BuildOptions, s *Store) backend.Backend {
	c := b.Composition
	// The composition (and its invalidator) closes before its layers.
	at := len(s.closers)
	l1 := bl.backend(c.L1, o, s)
	var l2 backend.Backend
	var r *redis.Backend
	if c.Invalidation != nil && c.L2.Type == Redis {
		if r = bl.redisStore(c.L2, o, s, c.Invalidation.Channel); r != nil {
			l2 = r
		}
	} else {
		l2 = bl.backend(c.L2, o, s)
	}
	if l1 == nil || l2 == nil {
		return nil
	}
	co := c.Options
	co.Offload, co.Now = o.Offload, o.Now
	comp, err := composition.New(l1, l2, co)
	if !bl.checkAt(b.Loc, err) {
		return nil
	}
	first := []func(context.Context) error{comp.Close}
	if r != nil {
		inv, err := r.Subscribe(l1)
		if bl.checkAt(joinLoc(b.Loc, "invalidation"), err) {
			s.Invalidators = append(s.Invalidators, inv)
			first = append([]func(context.Context) error{inv.Close}, first...)
		}
	}
	s.closers = append(s.closers[:at], append(first, s.closers[at:]...)...)
	if len(first) == 1 && r != nil {
		return nil
	}
	return comp
}

// joinLoc places a field of the value at l at the value's line and column.
func joinLoc(l Loc, field string) Loc {
	l.Path = joinPath(l.Path, field)
	return l
}
