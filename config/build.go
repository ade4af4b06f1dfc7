package config

import (
	"context"
	"errors"
	"net/http"
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
	"github.com/hitbox-go/hitbox/predicate"
)

// BuildOptions are the run-time values [File.Build] and [File.BuildStore]
// wire into what they build. The zero value is ready to use.
type BuildOptions struct {
	// Offload runs the race losers of compositions (an *offload.Runner);
	// nil: each composition finishes them in goroutines it owns, which
	// [Store.Close] waits for.
	Offload composition.Offloader
	// Now is the backends' clock; nil means time.Now.
	Now func() time.Time
	// Reuse is the Store in force when a reload builds a new one: the
	// new tree takes over its Disk and Tarantool stores whose settings
	// did not change (their line in [File.Dump], passwords included)
	// instead of opening them again, and the last of the two Stores to
	// close closes them. A Disk store whose file the Reuse tree holds
	// with other settings is an error: one process can open a file only
	// once. Nil: every store is new.
	Reuse *Store
	// Check builds the tree without opening the files of its Disk
	// stores nor connecting its Tarantool stores (an empty memory store
	// stands in for each), for `hitboxd check`: it must neither create a
	// file nor wait for the lock of a running hitboxd, nor reach the
	// network.
	Check bool
}

// Runtime is what a File builds: the endpoints for httpcache and the
// backend tree. The caller owns the Store and closes it.
type Runtime struct {
	Endpoints []httpcache.Endpoint
	Store     *Store
}

// Store is a built backend tree.
type Store struct {
	// Backend is the root of the tree.
	Backend backend.Backend
	// KeyFormat is the key encoding every backend of the tree uses
	// (httpcache.WithKeyFormat).
	KeyFormat hitbox.KeyFormat
	// Invalidators are the L1 invalidations the tree runs, one per
	// composition with `invalidation` (see [redis.Backend.Subscribe]): for
	// their stats, and for their Ready channels.
	Invalidators []*redis.Invalidator
	// Redis are the tree's Redis backends: for their breaker states, and
	// to ping them at start.
	Redis []*redis.Backend
	// Tarantool are the tree's Tarantool backends, likewise.
	Tarantool []*tarantool.Backend

	mu      sync.Mutex // guards closers
	closers []func(ctx context.Context) error
	shared  []*shared // the Disk and Tarantool stores, which a reload may take over
}

// Close closes every backend of the tree, each composition's invalidator
// and then the composition before its layers, and returns their errors
// joined. A Disk or Tarantool store that the Store of a reload took over
// ([BuildOptions.Reuse]) is closed by the last of the two to close. Close
// is safe to call on a nil Store, and more than once (the later calls do
// nothing).
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

// Build builds the endpoints and the backend tree of f. On error nothing
// is left open. Parse has validated f, so the only errors expected are
// failures of the backends' constructors (a Disk file that cannot be
// opened, see backend/disk).
func (f *File) Build(o BuildOptions) (*Runtime, error) {
	eps, err := f.BuildEndpoints()
	if err != nil {
		return nil, err
	}
	store, err := f.BuildStore(o)
	if err != nil {
		return nil, err
	}
	return &Runtime{Endpoints: eps, Store: store}, nil
}

// BuildEndpoints builds f's endpoints, in order: hitboxd reloads them
// alone when the backend section did not change (see [SameBackend]).
func (f *File) BuildEndpoints() ([]httpcache.Endpoint, error) {
	b := builder{decoder{file: f.Name}}
	out := make([]httpcache.Endpoint, 0, len(f.Endpoints))
	for _, ep := range f.Endpoints {
		e := httpcache.Endpoint{
			Name:       ep.Name,
			ID:         ep.ID,
			IgnoreHost: !ep.KeyHost,
			Request:    ep.Request,
			Response:   ep.Response,
			Extractors: ep.Extractors,
			Tags:       ep.Tags,
			Policy:     ep.Policy.hitboxPolicy(),

			UpstreamTimeout: ep.UpstreamTimeout,
			Semantics:       ep.Semantics,
		}
		if e.Request == nil {
			e.Request = predicate.And[*http.Request]() // no condition
		}
		if e.Response == nil {
			e.Response = predicate.And[*http.Response]()
		}
		if err := e.Policy.Validate(); err != nil {
			b.failAt(ep.Policy.Loc, ErrValue, "%w", err)
		}
		out = append(out, e)
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

// BuildStore builds f's backend tree. A Redis backend does not contact
// Redis until its first call, nor a Tarantool backend before it connects
// in the background; a composition with invalidation subscribes at once,
// in the background; a Disk store opens (or creates) its file at once and
// holds its lock until closed (see [BuildOptions] for reloads and
// checks). On error, whatever was built is closed.
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
	s.closers = append(s.closers, func(context.Context) error { return m.Close() })
	return m
}

func (bl *builder) composition(b *Backend, o BuildOptions, s *Store) backend.Backend {
	c := b.Composition
	// Register the composition's Close (and its invalidator's before it)
	// before its layers', so that it stops (and waits for its race calls)
	// before they close.
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
			first = append([]func(context.Context) error{func(context.Context) error { return inv.Close() }}, first...)
		}
	}
	s.closers = append(s.closers[:at], append(first, s.closers[at:]...)...)
	if len(first) == 1 && r != nil {
		return nil
	}
	return comp
}

// joinLoc is the place of a field of the value at l (the value's line and
// column: fields do not keep their own).
func joinLoc(l Loc, field string) Loc {
	l.Path = joinPath(l.Path, field)
	return l
}
