package backendtest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
)

// A store's test hands Run a factory that builds a fresh, empty backend on
// the driven clock. (This example needs a *testing.T, so it does not run
// here; in a store's package the function below is a test.)
func ExampleRun() {
	testConformance := func(t *testing.T) {
		backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
			return newMapStore(now)
		}, backendtest.Options{MaxValueSize: 1 << 20})
	}
	_ = testConformance
}

// Fault makes a backend fail on demand, for testing what sits on top of it.
func ExampleFault() {
	ctx := context.Background()
	f := backendtest.NewFault(newMapStore(time.Now))
	_ = f.Set(ctx, "k", backend.Entry{Value: []byte("v")})

	f.FailGet(backend.ErrUnavailable)
	_, _, err := f.Get(ctx, "k")
	fmt.Println(errors.Is(err, backend.ErrUnavailable))

	f.FailGet(nil)
	e, ok, err := f.Get(ctx, "k")
	fmt.Println(string(e.Value), ok, err)

	gets, sets, deletes := f.Calls()
	fmt.Println(gets, sets, deletes)
	// Output:
	// true
	// v true <nil>
	// 2 1 0
}

// Clock is the driven clock Run gives to the backends it tests.
func ExampleClock() {
	c := backendtest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := backend.Entry{Stale: c.Now().Add(time.Minute), Expire: c.Now().Add(time.Hour)}
	fmt.Println(e.State(c.Now()))
	c.Advance(time.Minute)
	fmt.Println(e.State(c.Now()))
	c.Advance(time.Hour)
	fmt.Println(e.State(c.Now()))
	// Output:
	// fresh
	// stale
	// expired
}

// mapStore is a minimal backend for the examples.
type mapStore struct {
	now func() time.Time
	mu  sync.Mutex // guards m
	m   map[string]backend.Entry
}

func newMapStore(now func() time.Time) *mapStore {
	return &mapStore{now: now, m: map[string]backend.Entry{}}
}

var errEmptyKey = fmt.Errorf("map: %w", backend.ErrInvalidKey)

func (s *mapStore) Get(_ context.Context, key string) (backend.Entry, bool, error) {
	if key == "" {
		return backend.Entry{}, false, errEmptyKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || e.Gone(s.now()) {
		return backend.Entry{}, false, nil
	}
	return e, true, nil
}

func (s *mapStore) Set(_ context.Context, key string, e backend.Entry) error {
	if key == "" {
		return errEmptyKey
	}
	if e.Gone(s.now()) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
	return nil
}

func (s *mapStore) Delete(_ context.Context, key string) (bool, error) {
	if key == "" {
		return false, errEmptyKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[key]
	delete(s.m, key)
	return ok, nil
}

// TestMapStore runs the suite as ExampleRun shows.
func TestMapStore(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		return newMapStore(now)
	}, backendtest.Options{MaxValueSize: 1 << 20})
}
