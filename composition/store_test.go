package composition_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/composition"
)

// store is a tiny map-backed backend for these tests, with the optional
// capabilities Lister, Purger and Locker.
type store struct {
	name string
	now  func() time.Time

	mu     sync.Mutex // guards m and locked
	m      map[string]backend.Entry
	locked map[string]bool
}

func newStore(name string, now func() time.Time) *store {
	if now == nil {
		now = time.Now
	}
	return &store{name: name, now: now, m: map[string]backend.Entry{}, locked: map[string]bool{}}
}

func (s *store) Get(_ context.Context, key string) (backend.Entry, bool, error) {
	if key == "" {
		return backend.Entry{}, false, backend.ErrInvalidKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || e.Gone(s.now()) {
		return backend.Entry{}, false, nil
	}
	return e, true, nil
}

func (s *store) Set(_ context.Context, key string, e backend.Entry) error {
	if key == "" {
		return backend.ErrInvalidKey
	}
	if e.Gone(s.now()) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
	return nil
}

func (s *store) Delete(_ context.Context, key string) (bool, error) {
	if key == "" {
		return false, backend.ErrInvalidKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	delete(s.m, key)
	return ok && !e.Gone(s.now()), nil
}

func (s *store) List(_ context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	s.mu.Lock()
	var infos []backend.KeyInfo
	for k, e := range s.m {
		if strings.HasPrefix(k, prefix) && !e.Gone(s.now()) {
			infos = append(infos, backend.KeyInfo{Key: k, Written: e.Written, Stale: e.Stale, Expire: e.Expire, Keep: e.Keep, Size: len(e.Value)})
		}
	}
	s.mu.Unlock()
	for _, k := range infos {
		if !fn(k) {
			break
		}
	}
	return nil
}

func (s *store) Purge(_ context.Context, prefix string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.m {
		if strings.HasPrefix(k, prefix) {
			delete(s.m, k)
			if !e.Gone(s.now()) {
				n++
			}
		}
	}
	return n, nil
}

func (s *store) Lock(_ context.Context, key string, _ time.Duration) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[key] {
		return nil, fmt.Errorf("%s: %w", s.name, backend.ErrLocked)
	}
	s.locked[key] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.locked, key)
		})
	}, nil
}

func (s *store) Label() string { return s.name }

// has reports whether the store holds key, whatever its state.
func (s *store) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[key]
	return ok
}

// value returns the value stored under key, or "" when none.
func (s *store) value(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.m[key].Value)
}

func (s *store) put(key string, e backend.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
}

// bare hides every optional capability of the backend it embeds.
type bare struct{ backend.Backend }

// layers is a composition over two fault-wrapped stores.
type layers struct {
	c      *composition.Composition
	s1, s2 *store
	f1, f2 *backendtest.Fault
}

// newLayers builds a composition over two fault-wrapped stores, closed at
// the end of the test.
func newLayers(t *testing.T, o composition.Options) *layers {
	t.Helper()
	now := o.Now
	l := &layers{s1: newStore("s1", now), s2: newStore("s2", now)}
	l.f1, l.f2 = backendtest.NewFault(l.s1), backendtest.NewFault(l.s2)
	l.c = mustNew(t, l.f1, l.f2, o)
	return l
}

func mustNew(t *testing.T, l1, l2 backend.Backend, o composition.Options) *composition.Composition {
	t.Helper()
	c, err := composition.New(l1, l2, o)
	if err != nil {
		t.Fatalf("composition.New = %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return c
}

// entry returns an entry with value v that is fresh for an hour after now.
func entry(v string, now time.Time) backend.Entry {
	return backend.Entry{Value: []byte(v), Written: now, Stale: now.Add(time.Hour), Expire: now.Add(2 * time.Hour)}
}

// wantLayersErr fails t unless err is a *composition.Error naming exactly
// labels and errors.Is finds each of causes.
func wantLayersErr(t *testing.T, call string, err error, labels []string, causes ...error) {
	t.Helper()
	var ce *composition.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s = %v, want a *composition.Error", call, err)
	}
	if strings.Join(ce.Labels, ",") != strings.Join(labels, ",") {
		t.Errorf("%s: error labels %q, want %q (error: %v)", call, ce.Labels, labels, err)
	}
	for _, l := range labels {
		if !strings.Contains(err.Error(), l+": ") {
			t.Errorf("%s: error %q does not name %s", call, err, l)
		}
	}
	for _, c := range causes {
		if !errors.Is(err, c) {
			t.Errorf("%s: error %v does not wrap %v", call, err, c)
		}
	}
}

var (
	errL1 = errors.New("l1 is down")
	errL2 = errors.New("l2 is down")
)

// backendOf turns a nil *store into a nil interface.
func backendOf(s *store) backend.Backend {
	if s == nil {
		return nil
	}
	return s
}
